//! Ensembles: several copies of a network trained from different seeds, their predicted
//! probabilities averaged.

use super::{count_correct, Callback, Fit, History, Metrics, Model};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::loss::Loss;
use crate::optim::Optimizer;
use crate::spec::NetworkSpec;

/// Trained members and how they did.
pub struct Ensemble {
    /// The members, in seed order.
    pub members: Vec<Model>,
    /// Each member's training history.
    pub histories: Vec<History>,
}

/// How an ensemble did on a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct EnsembleMetrics {
    /// Each member alone.
    pub members: Vec<Metrics>,
    /// Accuracy of the averaged probabilities.
    pub accuracy: f32,
}

/// A boxed callback as the plain reference `fit_with` takes.
fn shorten(c: &mut Box<dyn Callback>) -> &mut dyn Callback {
    &mut **c
}

impl Ensemble {
    /// Trains `n` members of `spec` with seeds `seed, seed + 1, ..`: each starts from its own
    /// weights and shuffles the data its own way. `callbacks` makes one set of callbacks per
    /// member.
    #[allow(clippy::too_many_arguments)]
    pub fn train(
        spec: &NetworkSpec,
        n: usize,
        seed: u64,
        optimizer: Optimizer,
        loss: Loss,
        train: &Dataset,
        cfg: &Fit,
        mut callbacks: impl FnMut() -> Vec<Box<dyn Callback>>,
    ) -> Result<Ensemble> {
        if n == 0 {
            return Err(Error::Config(
                "an ensemble needs at least one member".into(),
            ));
        }
        let mut members = Vec::with_capacity(n);
        let mut histories = Vec::with_capacity(n);
        for i in 0..n {
            let mut model = Model::new(spec, seed + i as u64)?;
            model.compile(optimizer, loss)?;
            let mut cbs = callbacks();
            let mut refs: Vec<&mut dyn Callback> = cbs.iter_mut().map(shorten).collect();
            histories.push(model.fit_with(train, cfg, &mut refs)?);
            members.push(model);
        }
        Ok(Ensemble { members, histories })
    }

    /// The members' averaged outputs for `x`.
    pub fn predict(&mut self, x: &[f32], batch_size: usize) -> Result<Vec<f32>> {
        let mut mean: Vec<f32> = Vec::new();
        for m in &mut self.members {
            let p = m.predict(x, batch_size)?;
            if mean.is_empty() {
                mean = vec![0.0; p.len()];
            }
            mean.iter_mut().zip(&p).for_each(|(a, b)| *a += b);
        }
        let k = 1.0 / self.members.len() as f32;
        mean.iter_mut().for_each(|v| *v *= k);
        Ok(mean)
    }

    /// Each member's figures on `data` and the accuracy of their averaged probabilities.
    pub fn evaluate(&mut self, data: &Dataset, batch_size: usize) -> Result<EnsembleMetrics> {
        let members = self
            .members
            .iter_mut()
            .map(|m| m.evaluate(data, batch_size))
            .collect::<Result<_>>()?;
        let mean = self.predict(&data.x, batch_size)?;
        let width = data.y_shape.iter().product();
        let correct = count_correct(&mean, &data.y, width);
        Ok(EnsembleMetrics {
            members,
            accuracy: correct as f32 / data.len().max(1) as f32,
        })
    }
}
