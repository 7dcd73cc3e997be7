//! Training charts and the epoch progress bar.

use std::fs;
use std::path::PathBuf;

use luminet_runtime::train::chart::training_curves;
use luminet_runtime::train::progress::Progress;
use luminet_runtime::train::{EpochLog, History};
use luminet_runtime::Error;

/// A made-up history of `epochs` epochs whose loss falls and accuracy rises, with validation
/// figures when `validation`.
fn history(epochs: usize, validation: bool, offset: f32) -> History {
    let epochs = (1..=epochs)
        .map(|epoch| {
            let t = epoch as f32;
            EpochLog {
                epoch,
                loss: 2.0 / t + offset,
                accuracy: 1.0 - 0.5 / t - offset / 4.0,
                val_loss: validation.then(|| 2.2 / t + offset + 0.05),
                val_accuracy: validation.then(|| 0.97 - 0.5 / t - offset / 4.0),
                lr: 1e-3,
                seconds: 1.5,
            }
        })
        .collect();
    History { epochs }
}

/// A fresh folder under the target directory, so tests do not write into the sources.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn two_runs_write_png_and_svg() {
    let dir = scratch("charts-two-runs");
    let stem = dir.join("curves");
    let adam = history(12, true, 0.0);
    let sgd = history(9, false, 0.2);

    let paths = training_curves(
        &stem,
        "mnist: adam vs sgd",
        &[("adam", &adam), ("sgd", &sgd)],
    )
    .unwrap();

    assert_eq!(paths, vec![dir.join("curves.png"), dir.join("curves.svg")]);
    let png = fs::read(&paths[0]).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(png.len() > 10_000, "PNG is only {} bytes", png.len());
    let svg = fs::read_to_string(&paths[1]).unwrap();
    assert!(svg.contains("adam"), "SVG lacks the run name `adam`");
    assert!(svg.contains("sgd"), "SVG lacks the run name `sgd`");

    // Nothing temporary is left next to the charts.
    let mut names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["curves.png", "curves.svg"]);
}

#[test]
fn single_epoch_run_is_drawn() {
    let dir = scratch("charts-one-epoch");
    let one = history(1, true, 0.0);
    let paths = training_curves(&dir.join("one"), "one epoch", &[("one", &one)]).unwrap();
    assert!(paths.iter().all(|p| p.is_file()));
}

#[test]
fn empty_history_is_an_error_naming_the_run() {
    let dir = scratch("charts-empty");
    let full = history(3, true, 0.0);
    let empty = History::default();

    let err =
        training_curves(&dir.join("c"), "t", &[("full", &full), ("blank", &empty)]).unwrap_err();

    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(err.to_string().contains("blank"), "{err}");
    assert!(
        fs::read_dir(&dir).unwrap().next().is_none(),
        "a file was written"
    );
}

#[test]
fn no_runs_is_an_error() {
    let dir = scratch("charts-no-runs");
    let err = training_curves(&dir.join("c"), "t", &[]).unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[test]
fn missing_directory_is_an_error_naming_the_path() {
    let dir = scratch("charts-missing").join("not-there");
    let stem = dir.join("curves");
    let run = history(4, true, 0.0);

    let err = training_curves(&stem, "t", &[("run", &run)]).unwrap_err();

    match &err {
        Error::Io { path, .. } => assert_eq!(path, &dir.join("curves.png")),
        other => panic!("expected Error::Io, got {other:?}"),
    }
    assert!(err.to_string().contains("not-there"), "{err}");
}

#[test]
fn quiet_progress_runs_through_an_epoch() {
    let steps = 50;
    let mut progress = Progress::new(2, 5, steps, true);
    for step in 1..=steps {
        progress.step(step, 1.0 / step as f32, 0.5 + step as f32 / 200.0);
    }
    let log = EpochLog {
        epoch: 2,
        loss: 0.1,
        accuracy: 0.9,
        val_loss: None,
        val_accuracy: None,
        lr: 1e-3,
        seconds: 0.2,
    };
    progress.finish(&log);
}
