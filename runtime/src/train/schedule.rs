//! Learning-rate schedules, applied before every optimizer step by [`LrSchedule`].

use super::callbacks::Callback;
use super::Model;
use crate::error::Result;

/// A learning rate as a function of the step (counted from 0 since compile) and the epoch
/// (1-based).
pub trait Schedule {
    /// The learning rate for `step` in `epoch`.
    fn lr(&self, step: u64, epoch: usize) -> f32;
}

/// Constant pieces: `values[i]` from epoch `boundaries[i - 1] + 1` on (`values` has one more
/// entry than `boundaries`). Step decay is the special case of equal pieces.
#[derive(Debug, Clone, PartialEq)]
pub struct PiecewiseConstant {
    /// Last epoch of each piece but the final one, increasing.
    pub boundaries: Vec<usize>,
    /// The rate of each piece.
    pub values: Vec<f32>,
}

impl PiecewiseConstant {
    /// `initial`, multiplied by `factor` every `every` epochs, for `pieces` pieces.
    pub fn step_decay(initial: f32, factor: f32, every: usize, pieces: usize) -> Self {
        let boundaries = (1..pieces).map(|i| i * every).collect();
        let values = (0..pieces)
            .map(|i| initial * factor.powi(i as i32))
            .collect();
        PiecewiseConstant { boundaries, values }
    }
}

impl Schedule for PiecewiseConstant {
    fn lr(&self, _step: u64, epoch: usize) -> f32 {
        let piece = self.boundaries.iter().take_while(|&&b| epoch > b).count();
        self.values[piece.min(self.values.len() - 1)]
    }
}

/// `initial * rate^(step / decay_steps)`, continuous or `staircase`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExponentialDecay {
    /// The rate at step 0.
    pub initial: f32,
    /// The factor per `decay_steps`.
    pub rate: f32,
    /// Steps per factor.
    pub decay_steps: u64,
    /// Apply the factor in whole steps of `decay_steps`.
    pub staircase: bool,
}

impl Schedule for ExponentialDecay {
    fn lr(&self, step: u64, _epoch: usize) -> f32 {
        let t = step as f64 / self.decay_steps.max(1) as f64;
        let t = if self.staircase { t.floor() } else { t };
        (self.initial as f64 * (self.rate as f64).powf(t)) as f32
    }
}

/// A linear warm-up from 0 to `peak` over `warmup_steps`, then a cosine decay to `floor` at
/// `total_steps` (and `floor` after).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CosineWithWarmup {
    /// The rate reached at the end of the warm-up.
    pub peak: f32,
    /// Steps of linear warm-up.
    pub warmup_steps: u64,
    /// The step at which the decay reaches `floor`.
    pub total_steps: u64,
    /// The final rate.
    pub floor: f32,
}

impl Schedule for CosineWithWarmup {
    fn lr(&self, step: u64, _epoch: usize) -> f32 {
        if step < self.warmup_steps {
            return self.peak * (step + 1) as f32 / self.warmup_steps as f32;
        }
        let span = self.total_steps.saturating_sub(self.warmup_steps).max(1);
        let done = ((step - self.warmup_steps) as f64 / span as f64).min(1.0);
        let cos = 0.5 * (1.0 + (std::f64::consts::PI * done).cos());
        (self.floor as f64 + (self.peak - self.floor) as f64 * cos) as f32
    }
}

/// Any function of the step and epoch.
pub struct FnSchedule<F: Fn(u64, usize) -> f32>(pub F);

impl<F: Fn(u64, usize) -> f32> Schedule for FnSchedule<F> {
    fn lr(&self, step: u64, epoch: usize) -> f32 {
        (self.0)(step, epoch)
    }
}

/// Sets the model's learning rate from a schedule before each step, and logs each change of
/// the epoch's rate at info level.
pub struct LrSchedule<S: Schedule> {
    /// The schedule.
    pub schedule: S,
    /// The rate last logged.
    last: Option<f32>,
}

impl<S: Schedule> LrSchedule<S> {
    /// Applies `schedule`.
    pub fn new(schedule: S) -> Self {
        LrSchedule {
            schedule,
            last: None,
        }
    }
}

impl<S: Schedule> Callback for LrSchedule<S> {
    fn name(&self) -> &str {
        "lr_schedule"
    }

    fn on_batch_begin(&mut self, epoch: usize, step: u64, model: &mut Model) -> Result<()> {
        let lr = self.schedule.lr(step, epoch);
        // Log the first rate and every move of more than 5% from the last one logged.
        if self.last.is_none_or(|l| (lr / l - 1.0).abs() > 0.05) {
            log::info!("epoch {epoch}, step {step}: learning rate {lr:e}");
            self.last = Some(lr);
        }
        model.set_learning_rate(lr);
        Ok(())
    }
}
