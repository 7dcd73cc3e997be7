//! Callbacks: code that runs at fixed points of [`Model::fit_with`], with Keras' names and
//! semantics.
//!
//! A callback sees the model between steps and may stop training. Its counters go into
//! checkpoints ([`Callback::state`]) so that a resumed run continues exactly where it stopped.

use std::collections::BTreeMap;

use super::{EpochLog, History, Model, Weights};
use crate::error::{Error, Result};

/// Whether training goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Keep training.
    Continue,
    /// Stop after this point (the epoch's figures are still recorded).
    Stop,
}

/// Hooks into the training loop. Every method has a default that does nothing.
pub trait Callback {
    /// A name unique among the callbacks of one `fit`, used to key its saved state.
    fn name(&self) -> &str;

    /// Before the first epoch.
    fn on_train_begin(&mut self, _model: &mut Model) -> Result<()> {
        Ok(())
    }

    /// Before each batch; `step` counts optimizer steps since the model was compiled.
    fn on_batch_begin(&mut self, _epoch: usize, _step: u64, _model: &mut Model) -> Result<()> {
        Ok(())
    }

    /// After each batch, with its loss.
    fn on_batch_end(&mut self, _epoch: usize, _batch: usize, _loss: f32) -> Result<Control> {
        Ok(Control::Continue)
    }

    /// After each epoch, with its figures.
    fn on_epoch_end(&mut self, _log: &EpochLog, _model: &mut Model) -> Result<Control> {
        Ok(Control::Continue)
    }

    /// After every callback's `on_epoch_end`, once all their states are final for the epoch:
    /// the place to write checkpoints.
    fn on_epoch_saved(&mut self, _log: &EpochLog, _model: &mut Model) -> Result<()> {
        Ok(())
    }

    /// After the last epoch, however training ended.
    fn on_train_end(&mut self, _history: &History, _model: &mut Model) -> Result<()> {
        Ok(())
    }

    /// Counters to save in a checkpoint.
    fn state(&self) -> BTreeMap<String, String> {
        BTreeMap::new()
    }

    /// Restores what [`Callback::state`] saved.
    fn restore(&mut self, _state: &BTreeMap<String, String>) -> Result<()> {
        Ok(())
    }
}

/// A figure of an epoch to watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Monitor {
    /// Training loss.
    Loss,
    /// Training accuracy.
    Accuracy,
    /// Validation loss.
    ValLoss,
    /// Validation accuracy.
    ValAccuracy,
}

impl Monitor {
    /// The figure in `log`, if the epoch has it.
    pub fn value(self, log: &EpochLog) -> Option<f32> {
        match self {
            Monitor::Loss => Some(log.loss),
            Monitor::Accuracy => Some(log.accuracy),
            Monitor::ValLoss => log.val_loss,
            Monitor::ValAccuracy => log.val_accuracy,
        }
    }

    fn lower_is_better(self) -> bool {
        matches!(self, Monitor::Loss | Monitor::ValLoss)
    }

    fn label(self) -> &'static str {
        match self {
            Monitor::Loss => "loss",
            Monitor::Accuracy => "accuracy",
            Monitor::ValLoss => "val_loss",
            Monitor::ValAccuracy => "val_accuracy",
        }
    }
}

/// Which direction of the monitored figure is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Lower for losses, higher for accuracies.
    #[default]
    Auto,
    /// Lower is better.
    Min,
    /// Higher is better.
    Max,
}

fn minimizing(mode: Mode, monitor: Monitor) -> bool {
    match mode {
        Mode::Auto => monitor.lower_is_better(),
        Mode::Min => true,
        Mode::Max => false,
    }
}

/// Whether `current` beats `reference` by more than `min_delta`.
fn improves(min: bool, current: f32, reference: f32, min_delta: f32) -> bool {
    if min {
        current < reference - min_delta.abs()
    } else {
        current > reference + min_delta.abs()
    }
}

fn missing(callback: &str, monitor: Monitor, epoch: usize) -> Error {
    Error::Config(format!(
        "{callback} monitors {} but epoch {epoch} has none; pass validation data to fit",
        monitor.label()
    ))
}

fn parse<T: std::str::FromStr>(state: &BTreeMap<String, String>, key: &str) -> Result<T> {
    let raw = state
        .get(key)
        .ok_or_else(|| Error::Config(format!("checkpoint lacks {key}")))?;
    raw.parse()
        .map_err(|_| Error::Config(format!("checkpoint has {key} = {raw:?}")))
}

fn bits(v: f32) -> String {
    v.to_bits().to_string()
}

fn unbits(state: &BTreeMap<String, String>, key: &str) -> Result<f32> {
    Ok(f32::from_bits(parse(state, key)?))
}

/// Stops training when the monitored figure stops improving (Keras' `EarlyStopping`).
///
/// Two differences from Keras, both where its users trip: `restore_best_weights` restores
/// the best epoch's weights however training ends, stopped early or out of epochs; and with a
/// `baseline`, training stops once `patience` epochs pass without beating it, even if each of
/// them improved a little (Keras keeps going while any epoch improves).
#[derive(Debug, Clone)]
pub struct EarlyStopping {
    /// The figure watched.
    pub monitor: Monitor,
    /// Which direction is better.
    pub mode: Mode,
    /// Epochs without improvement tolerated before stopping.
    pub patience: usize,
    /// Smallest change that counts as an improvement.
    pub min_delta: f32,
    /// A value the figure must beat for the patience counter to reset.
    pub baseline: Option<f32>,
    /// Put back the best epoch's weights at the end.
    pub restore_best_weights: bool,
    /// Epochs (1-based count) to ignore before watching.
    pub start_from_epoch: usize,
    best: Option<f32>,
    best_epoch: usize,
    wait: usize,
    stopped_epoch: Option<usize>,
    best_weights: Option<Weights>,
}

impl EarlyStopping {
    /// Stops after `patience` epochs without improvement of `monitor`.
    pub fn new(monitor: Monitor, patience: usize) -> EarlyStopping {
        EarlyStopping {
            monitor,
            mode: Mode::Auto,
            patience,
            min_delta: 0.0,
            baseline: None,
            restore_best_weights: false,
            start_from_epoch: 0,
            best: None,
            best_epoch: 0,
            wait: 0,
            stopped_epoch: None,
            best_weights: None,
        }
    }

    /// The epoch training stopped at, if it stopped early.
    pub fn stopped_epoch(&self) -> Option<usize> {
        self.stopped_epoch
    }

    /// The best epoch seen (1-based), and its figure.
    pub fn best(&self) -> Option<(usize, f32)> {
        self.best.map(|b| (self.best_epoch, b))
    }

    fn restore_best(&self, model: &mut Model) {
        if let (true, Some(w)) = (self.restore_best_weights, &self.best_weights) {
            log::info!("restoring the weights of epoch {}", self.best_epoch);
            model.set_weights(w.clone());
        }
    }
}

impl Callback for EarlyStopping {
    fn name(&self) -> &str {
        "early_stopping"
    }

    fn on_train_begin(&mut self, _model: &mut Model) -> Result<()> {
        self.stopped_epoch = None;
        Ok(())
    }

    fn on_epoch_end(&mut self, log: &EpochLog, model: &mut Model) -> Result<Control> {
        let current = self
            .monitor
            .value(log)
            .ok_or_else(|| missing("EarlyStopping", self.monitor, log.epoch))?;
        if log.epoch <= self.start_from_epoch {
            return Ok(Control::Continue);
        }
        let min = minimizing(self.mode, self.monitor);
        if self.restore_best_weights && self.best_weights.is_none() {
            self.best_weights = Some(model.weights());
        }
        self.wait += 1;
        if self
            .best
            .is_none_or(|b| improves(min, current, b, self.min_delta))
        {
            self.best = Some(current);
            self.best_epoch = log.epoch;
            if self.restore_best_weights {
                self.best_weights = Some(model.weights());
            }
            if self
                .baseline
                .is_none_or(|b| improves(min, current, b, self.min_delta))
            {
                self.wait = 0;
                return Ok(Control::Continue);
            }
            // Better than before but still short of the baseline: patience keeps running.
        }
        if self.wait >= self.patience {
            self.stopped_epoch = Some(log.epoch);
            log::info!(
                "stopping early at epoch {}: {} has not improved on {:.5} (epoch {}) for {} epochs",
                log.epoch,
                self.monitor.label(),
                self.best.unwrap_or(f32::NAN),
                self.best_epoch,
                self.wait
            );
            self.restore_best(model);
            return Ok(Control::Stop);
        }
        Ok(Control::Continue)
    }

    fn on_train_end(&mut self, _history: &History, model: &mut Model) -> Result<()> {
        if self.stopped_epoch.is_none() {
            self.restore_best(model);
        }
        Ok(())
    }

    fn state(&self) -> BTreeMap<String, String> {
        let mut s = BTreeMap::new();
        s.insert("wait".into(), self.wait.to_string());
        s.insert("best_epoch".into(), self.best_epoch.to_string());
        if let Some(b) = self.best {
            s.insert("best".into(), bits(b));
        }
        s
    }

    fn restore(&mut self, state: &BTreeMap<String, String>) -> Result<()> {
        self.wait = parse(state, "wait")?;
        self.best_epoch = parse(state, "best_epoch")?;
        self.best = if state.contains_key("best") {
            Some(unbits(state, "best")?)
        } else {
            None
        };
        Ok(())
    }
}

/// Multiplies the learning rate by `factor` when the monitored figure stalls (Keras'
/// `ReduceLROnPlateau`).
#[derive(Debug, Clone)]
pub struct ReduceLrOnPlateau {
    /// The figure watched.
    pub monitor: Monitor,
    /// Which direction is better.
    pub mode: Mode,
    /// Multiplier applied to the learning rate, in `(0, 1)`.
    pub factor: f32,
    /// Epochs without improvement before a reduction.
    pub patience: usize,
    /// Smallest change that counts as an improvement.
    pub min_delta: f32,
    /// Epochs to wait after a reduction before counting again.
    pub cooldown: usize,
    /// The learning rate never goes below this.
    pub min_lr: f32,
    best: Option<f32>,
    wait: usize,
    cooldown_left: usize,
}

impl ReduceLrOnPlateau {
    /// Keras' defaults: `min_delta = 1e-4`, no cooldown, `min_lr = 0`.
    pub fn new(monitor: Monitor, factor: f32, patience: usize) -> ReduceLrOnPlateau {
        ReduceLrOnPlateau {
            monitor,
            mode: Mode::Auto,
            factor,
            patience,
            min_delta: 1e-4,
            cooldown: 0,
            min_lr: 0.0,
            best: None,
            wait: 0,
            cooldown_left: 0,
        }
    }
}

impl Callback for ReduceLrOnPlateau {
    fn name(&self) -> &str {
        "reduce_lr_on_plateau"
    }

    fn on_train_begin(&mut self, _model: &mut Model) -> Result<()> {
        if !(self.factor > 0.0 && self.factor < 1.0) {
            return Err(Error::Config(format!(
                "ReduceLrOnPlateau factor {} is outside (0, 1)",
                self.factor
            )));
        }
        Ok(())
    }

    fn on_epoch_end(&mut self, log: &EpochLog, model: &mut Model) -> Result<Control> {
        let current = self
            .monitor
            .value(log)
            .ok_or_else(|| missing("ReduceLrOnPlateau", self.monitor, log.epoch))?;
        let min = minimizing(self.mode, self.monitor);
        let cooling = self.cooldown_left > 0;
        if cooling {
            self.cooldown_left -= 1;
            self.wait = 0;
        }
        if self
            .best
            .is_none_or(|b| improves(min, current, b, self.min_delta))
        {
            self.best = Some(current);
            self.wait = 0;
        } else if !cooling {
            self.wait += 1;
            if self.wait >= self.patience {
                let old = model.learning_rate();
                if old > self.min_lr {
                    let new = (old * self.factor).max(self.min_lr);
                    model.set_learning_rate(new);
                    log::info!(
                        "epoch {}: reducing the learning rate from {old:e} to {new:e}",
                        log.epoch
                    );
                    self.cooldown_left = self.cooldown;
                    self.wait = 0;
                }
            }
        }
        Ok(Control::Continue)
    }

    fn state(&self) -> BTreeMap<String, String> {
        let mut s = BTreeMap::new();
        s.insert("wait".into(), self.wait.to_string());
        s.insert("cooldown_left".into(), self.cooldown_left.to_string());
        if let Some(b) = self.best {
            s.insert("best".into(), bits(b));
        }
        s
    }

    fn restore(&mut self, state: &BTreeMap<String, String>) -> Result<()> {
        self.wait = parse(state, "wait")?;
        self.cooldown_left = parse(state, "cooldown_left")?;
        self.best = if state.contains_key("best") {
            Some(unbits(state, "best")?)
        } else {
            None
        };
        Ok(())
    }
}

/// Stops training with an error naming the epoch and batch when a batch's loss is NaN or
/// infinite (Keras' `TerminateOnNaN`, which `fit` always applies).
#[derive(Debug, Clone, Copy, Default)]
pub struct TerminateOnNaN;

impl Callback for TerminateOnNaN {
    fn name(&self) -> &str {
        "terminate_on_nan"
    }

    fn on_batch_end(&mut self, epoch: usize, batch: usize, loss: f32) -> Result<Control> {
        if loss.is_finite() {
            Ok(Control::Continue)
        } else {
            Err(Error::NonFinite { epoch, batch, loss })
        }
    }
}

/// Saves a resumable checkpoint after each epoch, or only when the monitored figure improves
/// (Keras' `ModelCheckpoint`). Each write is atomic: a crash mid-write leaves the previous
/// checkpoint intact.
#[derive(Debug, Clone)]
pub struct ModelCheckpoint {
    /// Where to write. `{epoch}` in the name is replaced by the epoch number.
    pub path: std::path::PathBuf,
    /// The figure compared when `save_best_only`.
    pub monitor: Monitor,
    /// Which direction is better.
    pub mode: Mode,
    /// Write only epochs that improve on the best so far.
    pub save_best_only: bool,
    best: Option<f32>,
}

impl ModelCheckpoint {
    /// A checkpoint after every epoch at `path`.
    pub fn every_epoch(path: impl Into<std::path::PathBuf>) -> ModelCheckpoint {
        let path = path.into();
        ModelCheckpoint {
            path,
            monitor: Monitor::ValLoss,
            mode: Mode::Auto,
            save_best_only: false,
            best: None,
        }
    }

    /// A checkpoint whenever `monitor` improves.
    pub fn best_only(path: impl Into<std::path::PathBuf>, monitor: Monitor) -> ModelCheckpoint {
        ModelCheckpoint {
            save_best_only: true,
            monitor,
            ..ModelCheckpoint::every_epoch(path)
        }
    }
}

impl Callback for ModelCheckpoint {
    fn name(&self) -> &str {
        "model_checkpoint"
    }

    fn on_epoch_saved(&mut self, log: &EpochLog, model: &mut Model) -> Result<()> {
        if self.save_best_only {
            let current = self
                .monitor
                .value(log)
                .ok_or_else(|| missing("ModelCheckpoint", self.monitor, log.epoch))?;
            let min = minimizing(self.mode, self.monitor);
            if !self.best.is_none_or(|b| improves(min, current, b, 0.0)) {
                return Ok(());
            }
            self.best = Some(current);
            let state = self.state();
            model.record_state(self.name(), state);
        }
        let name = self
            .path
            .to_string_lossy()
            .replace("{epoch}", &log.epoch.to_string());
        model.save(std::path::Path::new(&name))?;
        log::info!("epoch {}: checkpoint written to {name}", log.epoch);
        Ok(())
    }

    fn state(&self) -> BTreeMap<String, String> {
        self.best
            .map(|b| ("best".to_string(), bits(b)))
            .into_iter()
            .collect()
    }

    fn restore(&mut self, state: &BTreeMap<String, String>) -> Result<()> {
        self.best = if state.contains_key("best") {
            Some(unbits(state, "best")?)
        } else {
            None
        };
        Ok(())
    }
}
