//! Callbacks and schedules on scripted epochs, and checkpoints that resume bit for bit.

use luminet_runtime::data::Dataset;
use luminet_runtime::prelude::*;
use luminet_runtime::train::callbacks::{Mode as Better, ReduceLrOnPlateau};
use luminet_runtime::train::schedule::{
    CosineWithWarmup, ExponentialDecay, PiecewiseConstant, Schedule,
};
use luminet_runtime::train::{
    Callback, Control, EarlyStopping, EpochLog, ModelCheckpoint, Monitor,
};

fn tiny() -> Model {
    let spec = Sequential::new("tiny", &[2])
        .dense(3, &[Activation::Relu])
        .dense(1, &[Activation::Sigmoid])
        .build();
    let mut m = Model::new(spec, 1).unwrap();
    m.compile(Optimizer::adam(0.01), Loss::BinaryCrossentropy)
        .unwrap();
    m
}

fn epoch(epoch: usize, val_loss: f32) -> EpochLog {
    EpochLog {
        epoch,
        loss: val_loss,
        accuracy: 0.5,
        val_loss: Some(val_loss),
        val_accuracy: Some(0.5),
        lr: 0.01,
        seconds: 0.0,
    }
}

/// Marks the model's weights with the epoch, so restores can be told apart.
fn stamp(m: &mut Model, e: usize) {
    m.params_mut()[0].data[0] = e as f32;
}

/// Runs `cb` over scripted validation losses; returns the epoch it stopped at, if any.
fn script(cb: &mut dyn Callback, m: &mut Model, losses: &[f32]) -> Option<usize> {
    cb.on_train_begin(m).unwrap();
    let mut stopped = None;
    for (i, &l) in losses.iter().enumerate() {
        stamp(m, i + 1);
        if cb.on_epoch_end(&epoch(i + 1, l), m).unwrap() == Control::Stop {
            stopped = Some(i + 1);
            break;
        }
    }
    cb.on_train_end(&History::default(), m).unwrap();
    stopped
}

#[test]
fn early_stopping_counts_patience_and_min_delta() {
    let mut m = tiny();
    let mut es = EarlyStopping::new(Monitor::ValLoss, 2);
    // Best at epoch 2; epochs 3 and 4 do not improve: stop at 4.
    assert_eq!(
        script(&mut es, &mut m, &[1.0, 0.5, 0.6, 0.55, 0.1]),
        Some(4)
    );
    assert_eq!(es.best(), Some((2, 0.5)));

    // With min_delta 0.1, 0.45 is no improvement on 0.5.
    let mut es = EarlyStopping::new(Monitor::ValLoss, 2);
    es.min_delta = 0.1;
    assert_eq!(
        script(&mut es, &mut m, &[1.0, 0.5, 0.45, 0.42, 0.1]),
        Some(4)
    );

    // Accuracy is maximized; a baseline must be beaten to reset patience.
    let mut es = EarlyStopping::new(Monitor::ValLoss, 1);
    es.mode = Better::Max;
    assert_eq!(script(&mut es, &mut m, &[0.1, 0.2, 0.3, 0.2]), Some(4));
    let mut es = EarlyStopping::new(Monitor::ValLoss, 2);
    es.baseline = Some(0.2);
    assert_eq!(
        script(&mut es, &mut m, &[1.0, 0.9, 0.8, 0.7]),
        Some(2),
        "never under the baseline"
    );

    // Epochs up to start_from_epoch are ignored.
    let mut es = EarlyStopping::new(Monitor::ValLoss, 1);
    es.start_from_epoch = 3;
    assert_eq!(script(&mut es, &mut m, &[0.1, 0.9, 0.9, 0.5, 0.6]), Some(5));
}

#[test]
fn restore_best_weights_when_stopped_and_when_out_of_epochs() {
    let mut m = tiny();
    let mut es = EarlyStopping::new(Monitor::ValLoss, 2);
    es.restore_best_weights = true;
    assert_eq!(script(&mut es, &mut m, &[1.0, 0.5, 0.6, 0.7]), Some(4));
    assert_eq!(
        m.params()[0].data[0],
        2.0,
        "stopped early: epoch 2's weights"
    );

    let mut es = EarlyStopping::new(Monitor::ValLoss, 10);
    es.restore_best_weights = true;
    assert_eq!(script(&mut es, &mut m, &[1.0, 0.3, 0.6, 0.7]), None);
    assert_eq!(
        m.params()[0].data[0],
        2.0,
        "ran out of epochs: still epoch 2's weights"
    );

    let mut es = EarlyStopping::new(Monitor::ValLoss, 10);
    script(&mut es, &mut m, &[1.0, 0.3, 0.6, 0.7]);
    assert_eq!(
        m.params()[0].data[0],
        4.0,
        "without restore_best_weights the last weights stay"
    );
}

#[test]
fn reduce_lr_on_plateau_with_cooldown_and_floor() {
    let mut m = tiny();
    m.set_learning_rate(1.0);
    let mut r = ReduceLrOnPlateau::new(Monitor::ValLoss, 0.5, 2);
    r.cooldown = 1;
    r.min_lr = 0.2;
    r.on_train_begin(&mut m).unwrap();
    let mut lrs = Vec::new();
    for (i, l) in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
        .into_iter()
        .enumerate()
    {
        r.on_epoch_end(&epoch(i + 1, l), &mut m).unwrap();
        lrs.push(m.learning_rate());
    }
    // Reduce after 2 stale epochs (3), cool down one epoch (4), count 5 and 6, reduce at 6, ...
    assert_eq!(lrs, vec![1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2]);
    let mut bad = ReduceLrOnPlateau::new(Monitor::ValLoss, 1.5, 2);
    assert!(bad.on_train_begin(&mut m).is_err());
}

#[test]
fn schedules() {
    let w = CosineWithWarmup {
        peak: 1.0,
        warmup_steps: 4,
        total_steps: 14,
        floor: 0.1,
    };
    let lrs: Vec<f32> = (0..16).map(|s| w.lr(s, 1)).collect();
    assert_eq!(&lrs[..4], &[0.25, 0.5, 0.75, 1.0], "linear warm-up");
    assert!(
        (lrs[4] - 1.0).abs() < 1e-6 && (lrs[9] - 0.55).abs() < 1e-6,
        "cosine half-way"
    );
    assert!(
        lrs[4..15].windows(2).all(|p| p[1] <= p[0]),
        "decreasing after warm-up"
    );
    assert!(
        (lrs[14] - 0.1).abs() < 1e-6 && (lrs[15] - 0.1).abs() < 1e-6,
        "floor"
    );

    let step = PiecewiseConstant::step_decay(1.0, 0.1, 2, 3);
    let by_epoch: Vec<f32> = (1..=7).map(|e| step.lr(0, e)).collect();
    let want = [1.0, 1.0, 0.1, 0.1, 0.01, 0.01, 0.01];
    assert!(
        by_epoch.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-7),
        "{by_epoch:?}"
    );

    let e = ExponentialDecay {
        initial: 1.0,
        rate: 0.5,
        decay_steps: 10,
        staircase: true,
    };
    assert_eq!((e.lr(9, 1), e.lr(10, 1), e.lr(25, 1)), (1.0, 0.5, 0.25));
}

fn xor(n: usize) -> Dataset {
    let mut rng = Rng::new(5);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let (a, b) = (rng.unit(), rng.unit());
        x.extend([a, b]);
        y.push(((a > 0.5) != (b > 0.5)) as u8 as f32);
    }
    Dataset::new(x, &[2], y, &[1]).unwrap()
}

fn dropout_net() -> Model {
    let spec = Sequential::new("drop", &[2])
        .dense(16, &[Activation::Relu])
        .dropout(0.25)
        .dense(1, &[Activation::Sigmoid])
        .build();
    let mut m = Model::new(spec, 9).unwrap();
    m.compile(Optimizer::adam(0.01), Loss::BinaryCrossentropy)
        .unwrap();
    m
}

fn dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("luminet-ckpt-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn resuming_from_a_checkpoint_gives_the_same_weights_bit_for_bit() {
    let data = xor(200);
    let fit = |epochs, initial_epoch| Fit {
        epochs,
        initial_epoch,
        batch_size: 16,
        validation: Validation::Split(0.2),
        verbose: false,
        ..Fit::default()
    };
    let mut straight = dropout_net();
    let mut plateau = ReduceLrOnPlateau::new(Monitor::ValLoss, 0.5, 1);
    straight
        .fit_with(&data, &fit(4, 0), &mut [&mut plateau])
        .unwrap();

    let path = dir().join("resume.safetensors");
    let mut first = dropout_net();
    let mut plateau = ReduceLrOnPlateau::new(Monitor::ValLoss, 0.5, 1);
    let mut ckpt = ModelCheckpoint::every_epoch(&path);
    first
        .fit_with(&data, &fit(2, 0), &mut [&mut plateau, &mut ckpt])
        .unwrap();

    let mut resumed = dropout_net();
    resumed.load(&path).unwrap();
    assert_eq!(resumed.epoch(), 2);
    let mut plateau = ReduceLrOnPlateau::new(Monitor::ValLoss, 0.5, 1);
    resumed
        .fit_with(&data, &fit(4, resumed.epoch()), &mut [&mut plateau])
        .unwrap();

    assert_eq!(resumed.params(), straight.params());
    assert_eq!(
        resumed.learning_rate().to_bits(),
        straight.learning_rate().to_bits()
    );
    assert_eq!(resumed.steps(), straight.steps());
}

#[test]
fn an_interrupted_write_leaves_the_last_checkpoint_loadable() {
    let d = dir();
    let path = d.join("good.safetensors");
    let mut m = dropout_net();
    m.fit(
        &xor(64),
        &Fit {
            epochs: 1,
            batch_size: 16,
            verbose: false,
            ..Fit::default()
        },
    )
    .unwrap();
    m.save(&path).unwrap();
    let before = m.params().to_vec();

    // A process killed mid-save leaves only its temporary file behind, half written.
    let full = std::fs::read(&path).unwrap();
    std::fs::write(
        d.join(".good.safetensors.tmp-99999"),
        &full[..full.len() / 2],
    )
    .unwrap();
    let mut other = dropout_net();
    other.load(&path).unwrap();
    assert_eq!(other.params(), &before[..]);

    // A checkpoint truncated by other means is an error naming the file, and loads nothing.
    let cut = d.join("cut.safetensors");
    std::fs::write(&cut, &full[..full.len() - 100]).unwrap();
    let mut third = dropout_net();
    let fresh = third.params().to_vec();
    let e = third.load(&cut).unwrap_err().to_string();
    assert!(e.contains("cut.safetensors"), "{e}");
    assert_eq!(third.params(), &fresh[..]);
}

#[test]
fn loading_another_network_names_the_parameter_and_both_shapes() {
    let path = dir().join("other.safetensors");
    dropout_net().save(&path).unwrap();
    let spec = Sequential::new("drop", &[2])
        .dense(8, &[Activation::Relu])
        .dense(1, &[])
        .build();
    let mut m = Model::new(spec, 1).unwrap();
    m.compile(Optimizer::adam(0.01), Loss::BinaryCrossentropy)
        .unwrap();
    let e = m.load(&path).unwrap_err().to_string();
    assert!(
        e.contains("param/dense.kernel") && e.contains("[2, 16]") && e.contains("[2, 8]"),
        "{e}"
    );
}
