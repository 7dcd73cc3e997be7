//! Training: a [`Model`] with Keras' `fit`, `evaluate` and `predict`.
//!
//! A model compiles one training graph per batch size it meets (forward, loss, backward and
//! optimizer step together) and one inference graph per batch size, then runs them batch after
//! batch. Weights and optimizer state live on the host between steps and move into the graph
//! and back out without copies.

pub mod callbacks;
pub mod chart;
pub mod checkpoint;
pub mod ensemble;
mod graphs;
mod history;
pub mod progress;
pub mod schedule;

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

pub use callbacks::{Callback, Control, EarlyStopping, ModelCheckpoint, Monitor, TerminateOnNaN};
pub use history::{EpochLog, History};
pub use progress::Progress;

use graphs::{Net, TrainGraph};

use crate::backend::Device;
use crate::data::{batches, Dataset};
use crate::error::{Error, Result};
use crate::layers::{self, Param};
use crate::loss::Loss;
use crate::optim::Optimizer;
use crate::rng::Rng;
use crate::spec::NetworkSpec;

/// Where validation figures come from.
#[derive(Debug, Clone, Copy, Default)]
pub enum Validation<'a> {
    /// No validation.
    #[default]
    None,
    /// Hold out this fraction of the training data, taken from its end before shuffling
    /// (Keras' `validation_split`).
    Split(f32),
    /// A separate dataset.
    Data(&'a Dataset),
}

/// Settings of one call to [`Model::fit`].
#[derive(Debug, Clone, Copy)]
pub struct Fit<'a> {
    /// Passes over the training data.
    pub epochs: usize,
    /// Samples per step; the last batch of an epoch may be smaller.
    pub batch_size: usize,
    /// Validation data.
    pub validation: Validation<'a>,
    /// Reshuffle the training data each epoch (from the model's seeded generator).
    pub shuffle: bool,
    /// Show a progress bar and one line per epoch on standard error.
    pub verbose: bool,
    /// Epochs already done, e.g. by the run a checkpoint was taken from: training runs
    /// epochs `initial_epoch + 1 ..= epochs`.
    pub initial_epoch: usize,
}

impl Default for Fit<'_> {
    fn default() -> Self {
        Fit {
            epochs: 1,
            batch_size: 32,
            validation: Validation::None,
            shuffle: true,
            verbose: true,
            initial_epoch: 0,
        }
    }
}

/// Loss and accuracy over a dataset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    /// Mean loss per sample.
    pub loss: f32,
    /// Fraction of samples classified correctly.
    pub accuracy: f32,
}

/// A network with its weights, optimizer and loss, ready to train.
pub struct Model {
    spec: NetworkSpec,
    params: Vec<Param>,
    buffers: Vec<Param>,
    optimizer: Optimizer,
    loss: Loss,
    device: Device,
    slots: Vec<Vec<Vec<f32>>>,
    step: u64,
    lr: f32,
    rng: Rng,
    epoch: usize,
    callback_state: BTreeMap<String, BTreeMap<String, String>>,
    train_graphs: HashMap<usize, TrainGraph>,
    infer_graphs: HashMap<usize, Net>,
}

/// A snapshot of a model's parameters and buffers.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// Trainable parameters.
    pub params: Vec<Param>,
    /// Buffers (batch norm's moving statistics).
    pub buffers: Vec<Param>,
}

impl Model {
    /// The network `spec` with weights initialized from `seed`, trained by Adam (1e-3) on
    /// categorical cross-entropy until [`Model::compile`] says otherwise.
    pub fn new(spec: &NetworkSpec, seed: u64) -> Result<Model> {
        let state = layers::init(spec, seed);
        let mut rng = Rng::new(seed);
        let rng = rng.fork();
        let mut model = Model {
            spec: *spec,
            params: state.params,
            buffers: state.buffers,
            optimizer: Optimizer::adam(1e-3),
            loss: Loss::CategoricalCrossentropy,
            device: Device::Cpu,
            slots: Vec::new(),
            step: 0,
            lr: 1e-3,
            rng,
            epoch: 0,
            callback_state: BTreeMap::new(),
            train_graphs: HashMap::new(),
            infer_graphs: HashMap::new(),
        };
        model.compile(Optimizer::adam(1e-3), Loss::CategoricalCrossentropy)?;
        Ok(model)
    }

    /// Sets the optimizer and the loss (Keras' `compile`), resetting the optimizer's state.
    pub fn compile(&mut self, optimizer: Optimizer, loss: Loss) -> Result<()> {
        optimizer.validate()?;
        self.optimizer = optimizer;
        self.loss = loss;
        self.lr = optimizer.learning_rate();
        self.step = 0;
        self.slots = self
            .params
            .iter()
            .map(|p| vec![vec![0.0; p.data.len()]; optimizer.slots()])
            .collect();
        self.train_graphs.clear();
        self.infer_graphs.clear();
        Ok(())
    }

    /// Runs training and inference on `device` from now on.
    pub fn set_device(&mut self, device: Device) {
        self.device = device;
        self.train_graphs.clear();
        self.infer_graphs.clear();
    }

    /// The network description.
    pub fn spec(&self) -> &NetworkSpec {
        &self.spec
    }

    /// The trainable parameters, in a fixed order.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// The non-trainable buffers (batch norm's moving statistics), in a fixed order.
    pub fn buffers(&self) -> &[Param] {
        &self.buffers
    }

    /// The trainable parameters, for loading weights. Shapes must not change.
    pub fn params_mut(&mut self) -> &mut [Param] {
        &mut self.params
    }

    /// A copy of the parameters and buffers.
    pub fn weights(&self) -> Weights {
        Weights {
            params: self.params.clone(),
            buffers: self.buffers.clone(),
        }
    }

    /// Replaces the parameters and buffers with a snapshot of the same network.
    pub fn set_weights(&mut self, w: Weights) {
        debug_assert_eq!(w.params.len(), self.params.len());
        self.params = w.params;
        self.buffers = w.buffers;
    }

    /// Epochs completed, counting those before a checkpoint this model was loaded from.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Keeps a callback's state for the next checkpoint.
    pub fn record_state(&mut self, callback: &str, state: BTreeMap<String, String>) {
        self.callback_state.insert(callback.to_string(), state);
    }

    /// The current learning rate.
    pub fn learning_rate(&self) -> f32 {
        self.lr
    }

    /// Sets the learning rate used by the next steps.
    pub fn set_learning_rate(&mut self, lr: f32) {
        self.lr = lr;
    }

    /// Optimizer steps taken so far.
    pub fn steps(&self) -> u64 {
        self.step
    }

    fn check_data(&self, data: &Dataset) -> Result<()> {
        if data.x_shape != self.spec.input {
            return Err(Error::Shape(format!(
                "network \"{}\" takes inputs of {:?}, the data has samples of {:?}",
                self.spec.name, self.spec.input, data.x_shape
            )));
        }
        if data.y_shape != self.spec.output {
            return Err(Error::Shape(format!(
                "network \"{}\" outputs {:?}, the data has targets of {:?}",
                self.spec.name, self.spec.output, data.y_shape
            )));
        }
        Ok(())
    }

    /// Trains on `train` (Keras' `fit`) and returns each epoch's figures.
    pub fn fit(&mut self, train: &Dataset, cfg: &Fit) -> Result<History> {
        self.fit_with(train, cfg, &mut [])
    }

    /// [`Model::fit`] with callbacks, called in order at each point of the loop.
    /// [`TerminateOnNaN`] always runs first.
    pub fn fit_with(
        &mut self,
        train: &Dataset,
        cfg: &Fit,
        callbacks: &mut [&mut dyn Callback],
    ) -> Result<History> {
        self.check_data(train)?;
        if cfg.batch_size == 0 {
            return Err(Error::Config("batch size must be at least 1".into()));
        }
        let held;
        let (train, val) = match cfg.validation {
            Validation::None => (train, None),
            Validation::Data(v) => {
                self.check_data(v)?;
                (train, Some(v))
            }
            Validation::Split(f) => {
                if !(0.0..1.0).contains(&f) {
                    return Err(Error::Config(format!(
                        "validation split {f} is outside [0, 1)"
                    )));
                }
                let n = train.len() - (train.len() as f32 * f).round() as usize;
                held = train.split_at(n);
                (&held.0, Some(&held.1))
            }
        };
        if train.is_empty() {
            return Err(Error::Config("no training samples".into()));
        }

        let mut nan = TerminateOnNaN;
        let mut all: Vec<&mut dyn Callback> = vec![&mut nan];
        all.extend(callbacks.iter_mut().map(|c| &mut **c));
        for cb in all.iter_mut() {
            if let Some(state) = self.callback_state.get(cb.name()).cloned() {
                cb.restore(&state)?;
            }
            cb.on_train_begin(self)?;
        }

        let width: usize = self.spec.output.iter().product();
        let mut history = History::default();
        for epoch in cfg.initial_epoch + 1..=cfg.epochs {
            let start = Instant::now();
            let order = batches(
                train.len(),
                cfg.batch_size,
                cfg.shuffle.then_some(&mut self.rng),
            );
            let mut bar = Progress::new(epoch, cfg.epochs, order.len(), !cfg.verbose);
            let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0usize, 0usize);
            let mut stop = false;
            for (b, idx) in order.iter().enumerate() {
                for cb in all.iter_mut() {
                    cb.on_batch_begin(epoch, self.step, self)?;
                }
                let (x, y) = train.gather(idx);
                let (loss, out) = self.train_step(x, y.clone())?;
                for cb in all.iter_mut() {
                    stop |= cb.on_batch_end(epoch, b + 1, loss)? == Control::Stop;
                }
                let right = count_correct(&out, &y, width);
                loss_sum += loss as f64 * idx.len() as f64;
                correct += right;
                seen += idx.len();
                bar.step(b + 1, loss, right as f32 / idx.len() as f32);
                if stop {
                    break;
                }
            }
            let lr = self.lr;
            let val = match val {
                Some(v) if !v.is_empty() => Some(self.evaluate(v, cfg.batch_size.max(256))?),
                _ => None,
            };
            let log = EpochLog {
                epoch,
                loss: (loss_sum / seen.max(1) as f64) as f32,
                accuracy: correct as f32 / seen.max(1) as f32,
                val_loss: val.map(|m| m.loss),
                val_accuracy: val.map(|m| m.accuracy),
                lr,
                seconds: start.elapsed().as_secs_f32(),
            };
            bar.finish(&log);
            self.epoch = epoch;
            for cb in all.iter_mut() {
                stop |= cb.on_epoch_end(&log, self)? == Control::Stop;
            }
            for cb in all.iter() {
                self.callback_state
                    .insert(cb.name().to_string(), cb.state());
            }
            for cb in all.iter_mut() {
                cb.on_epoch_saved(&log, self)?;
            }
            history.epochs.push(log);
            if stop {
                break;
            }
        }
        for cb in all.iter_mut() {
            cb.on_train_end(&history, self)?;
        }
        Ok(history)
    }

    /// Loss and accuracy on `data`, in batches of `batch_size` (Keras' `evaluate`).
    pub fn evaluate(&mut self, data: &Dataset, batch_size: usize) -> Result<Metrics> {
        self.check_data(data)?;
        let width = self.spec.output.iter().product();
        let (mut loss_sum, mut correct) = (0.0f64, 0usize);
        for idx in batches(data.len(), batch_size.max(1), None) {
            let (x, y) = data.gather(&idx);
            let (loss, out) = self.infer_batch(x, y.clone())?;
            loss_sum += loss as f64 * idx.len() as f64;
            correct += count_correct(&out, &y, width);
        }
        let n = data.len().max(1) as f64;
        Ok(Metrics {
            loss: (loss_sum / n) as f32,
            accuracy: (correct as f64 / n) as f32,
        })
    }

    /// The network's outputs for `x` (samples one after another), in batches of `batch_size`.
    pub fn predict(&mut self, x: &[f32], batch_size: usize) -> Result<Vec<f32>> {
        let per: usize = self.spec.input.iter().product();
        let width: usize = self.spec.output.iter().product();
        if !x.len().is_multiple_of(per) {
            return Err(Error::Shape(format!(
                "{} input values do not divide into samples of {:?}",
                x.len(),
                self.spec.input
            )));
        }
        let mut out = Vec::with_capacity(x.len() / per * width);
        for chunk in x.chunks(per * batch_size.max(1)) {
            let zeros = vec![0.0; chunk.len() / per * width];
            out.extend(self.infer_batch(chunk.to_vec(), zeros)?.1);
        }
        Ok(out)
    }
}

fn batched(batch: usize, shape: &[usize]) -> Vec<usize> {
    std::iter::once(batch)
        .chain(shape.iter().copied())
        .collect()
}

/// Correct predictions: the arg-max class for several outputs, `p > 0.5` for one.
pub fn count_correct(out: &[f32], targets: &[f32], width: usize) -> usize {
    out.chunks(width)
        .zip(targets.chunks(width))
        .filter(|(o, t)| {
            if width == 1 {
                (o[0] > 0.5) == (t[0] > 0.5)
            } else {
                argmax(o) == argmax(t)
            }
        })
        .count()
}

/// The index of the largest value (the first on ties).
pub fn argmax(v: &[f32]) -> usize {
    v.iter()
        .enumerate()
        .fold(0, |best, (i, &x)| if x > v[best] { i } else { best })
}
