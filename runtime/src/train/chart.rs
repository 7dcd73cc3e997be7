//! Training curves: loss and accuracy per epoch, as a PNG and an SVG.
//!
//! Each chart has two panels side by side, loss on the left and accuracy on the right. Every run
//! gets one colour; its training curve is thin and dashed, its validation curve (when the history
//! has one) solid. Files are drawn under a temporary name in the target's folder and renamed over
//! the target, so a crash mid-draw never leaves a half-written chart behind.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::history::{EpochLog, History};
use crate::error::{Error, Result};

const PNG_SIZE: (u32, u32) = (1200, 500);
// Looked up through fontconfig, which maps it to whatever sans face the system has.
const FONT: &str = "sans-serif";

/// Draws the loss and accuracy curves of `runs` to `<stem>.png` (1200x500) and `<stem>.svg`,
/// each run named in the legend by its `&str`, and returns the two paths, PNG first.
///
/// The y-ranges fit the data of all runs with a small margin; the x-axis spans the longest run.
///
/// # Errors
///
/// [`Error::Config`] if `runs` is empty or a run has no epochs, naming the run;
/// [`Error::Io`] naming the chart file if it cannot be drawn or written (a missing folder, say).
pub fn training_curves(
    stem: &Path,
    title: &str,
    runs: &[(&str, &History)],
) -> Result<Vec<PathBuf>> {
    if runs.is_empty() {
        return Err(Error::Config(format!(
            "training_curves: no runs to draw for {}",
            stem.display()
        )));
    }
    if let Some((name, _)) = runs.iter().find(|(_, h)| h.epochs.is_empty()) {
        return Err(Error::Config(format!(
            "training_curves: run `{name}` has no epochs to draw"
        )));
    }

    let png = with_suffix(stem, ".png");
    let svg = with_suffix(stem, ".svg");
    let pid = std::process::id();

    // The bitmap backend picks its encoder from the extension, so the temporary name must keep
    // `.png` at its end.
    let png_tmp = with_suffix(stem, &format!(".tmp-{pid}.png"));
    let drawn = draw_png(&png_tmp, title, runs);
    commit(drawn, &png_tmp, &png)?;

    let svg_tmp = with_suffix(stem, &format!(".tmp-{pid}.svg"));
    let drawn = draw_svg(&svg_tmp, title, runs);
    commit(drawn, &svg_tmp, &svg)?;

    Ok(vec![png, svg])
}

/// `stem` with `suffix` appended to its last component; unlike `with_extension`, this keeps
/// dots already in the stem (`run.v2` becomes `run.v2.png`, not `run.png`).
fn with_suffix(stem: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(stem.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// How drawing a chart can fail before the rename: plotters' errors come as text, the file
/// system's as themselves.
enum Failure {
    Plot(String),
    Io(io::Error),
}

/// Moves a successfully drawn temporary file over `target`, or removes it after a failure.
/// Errors name `target`, the file the caller asked for, not the temporary.
fn commit(drawn: std::result::Result<(), Failure>, tmp: &Path, target: &Path) -> Result<()> {
    let renamed = match drawn {
        Ok(()) => fs::rename(tmp, target).map_err(Failure::Io),
        Err(e) => Err(e),
    };
    renamed.map_err(|e| {
        // Best effort: the temporary may not exist (the folder is missing) and the real error
        // is the one worth reporting.
        let _ = fs::remove_file(tmp);
        let source = match e {
            Failure::Io(e) => e,
            Failure::Plot(msg) => io::Error::other(msg),
        };
        Error::io(target, source)
    })
}

fn draw_png(
    tmp: &Path,
    title: &str,
    runs: &[(&str, &History)],
) -> std::result::Result<(), Failure> {
    // The backend is dropped at the end of this function, before `commit` may remove the file;
    // after `present` it has nothing left to write.
    let root = BitMapBackend::new(tmp, PNG_SIZE).into_drawing_area();
    draw(&root, title, runs).map_err(Failure::Plot)?;
    root.present().map_err(|e| Failure::Plot(e.to_string()))
}

fn draw_svg(
    tmp: &Path,
    title: &str,
    runs: &[(&str, &History)],
) -> std::result::Result<(), Failure> {
    // Drawn into a string and written here, so a write failure keeps its `io::Error`.
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, PNG_SIZE).into_drawing_area();
        draw(&root, title, runs).map_err(Failure::Plot)?;
        root.present().map_err(|e| Failure::Plot(e.to_string()))?;
    }
    fs::write(tmp, text).map_err(Failure::Io)
}

/// Which figure a panel plots.
#[derive(Clone, Copy)]
enum Metric {
    Loss,
    Accuracy,
}

impl Metric {
    fn name(self) -> &'static str {
        match self {
            Metric::Loss => "loss",
            Metric::Accuracy => "accuracy",
        }
    }

    fn train(self, e: &EpochLog) -> f32 {
        match self {
            Metric::Loss => e.loss,
            Metric::Accuracy => e.accuracy,
        }
    }

    fn val(self, e: &EpochLog) -> Option<f32> {
        match self {
            Metric::Loss => e.val_loss,
            Metric::Accuracy => e.val_accuracy,
        }
    }

    /// Loss falls and accuracy rises, so these corners are the ones the curves usually leave
    /// empty by the end of training.
    fn legend_corner(self) -> SeriesLabelPosition {
        match self {
            Metric::Loss => SeriesLabelPosition::UpperRight,
            Metric::Accuracy => SeriesLabelPosition::LowerRight,
        }
    }
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    runs: &[(&str, &History)],
) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let body = root.titled(title, (FONT, 24)).map_err(|e| e.to_string())?;
    let (left, right) = body.split_horizontally(body.dim_in_pixel().0 / 2);
    panel(&left, Metric::Loss, runs).map_err(|e| e.to_string())?;
    panel(&right, Metric::Accuracy, runs).map_err(|e| e.to_string())
}

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    metric: Metric,
    runs: &[(&str, &History)],
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let last_epoch = runs
        .iter()
        .flat_map(|(_, h)| h.epochs.iter().map(|e| e.epoch))
        .max()
        .unwrap_or(1);
    let values = runs.iter().flat_map(|(_, h)| {
        h.epochs
            .iter()
            .flat_map(move |e| std::iter::once(metric.train(e)).chain(metric.val(e)))
    });

    let mut chart = ChartBuilder::on(area)
        .caption(metric.name(), (FONT, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x_range(last_epoch), y_range(values))?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_labels(last_epoch.clamp(2, 12))
        .x_label_formatter(&epoch_label)
        .y_desc(metric.name())
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .bold_line_style(BLACK.mix(0.15))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;

    for (i, (name, history)) in runs.iter().enumerate() {
        let colour = Palette99::pick(i).to_rgba();
        let thin = colour.mix(0.8).stroke_width(1);
        let thick = colour.stroke_width(2);

        let train: Vec<(f64, f64)> = history
            .epochs
            .iter()
            .map(|e| (e.epoch as f64, metric.train(e) as f64))
            .collect();
        chart
            .draw_series(DashedLineSeries::new(train.clone(), 6, 4, thin))?
            .label(format!("{name} train"))
            .legend(move |(x, y)| DashedPathElement::new([(x, y), (x + 20, y)], 4, 3, thin));
        markers(&mut chart, &train, thin)?;

        let val: Vec<(f64, f64)> = history
            .epochs
            .iter()
            .filter_map(|e| Some((e.epoch as f64, metric.val(e)? as f64)))
            .collect();
        if !val.is_empty() {
            chart
                .draw_series(LineSeries::new(val.clone(), thick))?
                .label(format!("{name} val"))
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], thick));
            markers(&mut chart, &val, thick)?;
        }
    }

    chart
        .configure_series_labels()
        .position(metric.legend_corner())
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
}

/// A line through one point draws nothing, so a one-epoch curve gets a dot instead.
fn markers<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    points: &[(f64, f64)],
    style: ShapeStyle,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    if points.len() == 1 {
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, style.filled())))?;
    }
    Ok(())
}

/// Epochs are whole numbers, so ticks between them go unlabelled rather than read `2.5`.
fn epoch_label(x: &f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round())
    } else {
        String::new()
    }
}

/// Epochs are 1-based; a single epoch gets half an epoch either side so its dot is not on the
/// frame.
fn x_range(last_epoch: usize) -> Range<f64> {
    if last_epoch <= 1 {
        0.5..1.5
    } else {
        1.0..last_epoch as f64
    }
}

/// The span of the finite values plus 5% either side. A flat curve gets a band around its value
/// so it is not drawn on the frame; no finite value at all falls back to 0..1.
fn y_range(values: impl Iterator<Item = f32>) -> Range<f64> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v as f64), hi.max(v as f64))
        });
    if lo > hi {
        return 0.0..1.0;
    }
    let span = hi - lo;
    let margin = if span > 0.0 {
        0.05 * span
    } else {
        0.05 * lo.abs().max(1.0)
    };
    lo - margin..hi + margin
}
