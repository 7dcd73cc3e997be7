//! Optimizers, as graph nodes appended after the backward pass.
//!
//! The learning rate is an input of the graph, fed before each step, so schedules change it
//! without recompiling; Adam's bias correction is folded into that same scalar, as Keras does:
//! `w -= lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps)`.

use crate::error::{Error, Result};
use crate::fused::Fused;
use crate::session::{Session, Var};

/// How parameters follow their gradients.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Optimizer {
    /// Stochastic gradient descent, optionally with (Nesterov) momentum, Keras' formulation:
    /// `v = momentum v - lr g`, then `w += v` (or `w += momentum v - lr g` for Nesterov).
    Sgd {
        /// Learning rate.
        lr: f32,
        /// Momentum in `[0, 1)`; `0` for plain SGD.
        momentum: f32,
        /// Nesterov's look-ahead variant.
        nesterov: bool,
    },
    /// Adam (Kingma and Ba), Keras' defaults: `beta1 = 0.9`, `beta2 = 0.999`, `epsilon = 1e-7`.
    Adam {
        /// Learning rate.
        lr: f32,
        /// Decay of the first-moment estimate.
        beta1: f32,
        /// Decay of the second-moment estimate.
        beta2: f32,
        /// Added to the root of the second moment.
        epsilon: f32,
    },
}

/// The optimizer's part of a training graph.
#[derive(Debug, Clone)]
pub(crate) struct Update {
    /// The step's effective learning rate, fed each step.
    pub lr: Var,
    /// Optimizer state inputs, per parameter, per slot.
    pub states: Vec<Vec<Var>>,
    /// The updated parameters.
    pub new_params: Vec<Var>,
    /// The updated state, laid out like `states`.
    pub new_states: Vec<Vec<Var>>,
}

impl Optimizer {
    /// Plain SGD.
    pub fn sgd(lr: f32) -> Optimizer {
        Optimizer::Sgd {
            lr,
            momentum: 0.0,
            nesterov: false,
        }
    }

    /// SGD with momentum.
    pub fn momentum(lr: f32, momentum: f32, nesterov: bool) -> Optimizer {
        Optimizer::Sgd {
            lr,
            momentum,
            nesterov,
        }
    }

    /// Adam with Keras' defaults.
    pub fn adam(lr: f32) -> Optimizer {
        Optimizer::Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-7,
        }
    }

    /// The base learning rate.
    pub fn learning_rate(&self) -> f32 {
        match *self {
            Optimizer::Sgd { lr, .. } | Optimizer::Adam { lr, .. } => lr,
        }
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: &str, v: f32| Err(Error::Config(format!("optimizer {what} is {v}")));
        let lr = self.learning_rate();
        if !(lr.is_finite() && lr >= 0.0) {
            return bad("learning rate", lr);
        }
        match *self {
            Optimizer::Sgd { momentum, .. } if !(0.0..1.0).contains(&momentum) => {
                bad("momentum (must be in [0, 1))", momentum)
            }
            Optimizer::Adam { beta1, .. } if !(0.0..1.0).contains(&beta1) => {
                bad("beta1 (must be in [0, 1))", beta1)
            }
            Optimizer::Adam { beta2, .. } if !(0.0..1.0).contains(&beta2) => {
                bad("beta2 (must be in [0, 1))", beta2)
            }
            _ => Ok(()),
        }
    }

    /// State tensors kept per parameter.
    pub fn slots(&self) -> usize {
        match *self {
            Optimizer::Sgd { momentum, .. } if momentum == 0.0 => 0,
            Optimizer::Sgd { .. } => 1,
            Optimizer::Adam { .. } => 2,
        }
    }

    /// The scalar fed as the graph's learning rate for step `t` (1-based) at rate `lr`.
    pub fn step_scalar(&self, lr: f32, t: u64) -> f32 {
        match *self {
            Optimizer::Sgd { .. } => lr,
            Optimizer::Adam { beta1, beta2, .. } => {
                let t = t as i32;
                lr * (1.0 - beta2.powi(t)).sqrt() / (1.0 - beta1.powi(t))
            }
        }
    }

    /// Appends the update of each parameter to the graph.
    pub(crate) fn build(&self, s: &mut Session, params: &[Var], grads: &[Var]) -> Update {
        let lr = s.input("learning rate", &[]);
        let mut update = Update {
            lr,
            states: vec![],
            new_params: vec![],
            new_states: vec![],
        };
        for (&w, &g) in params.iter().zip(grads) {
            let shape = w.shape();
            let states: Vec<Var> = (0..self.slots())
                .map(|i| s.input(&format!("optimizer slot {i}"), &shape))
                .collect();
            let (new_w, new_states) = self.apply(s, lr, w, g, &states);
            update.states.push(states);
            update.new_params.push(new_w);
            update.new_states.push(new_states);
        }
        update
    }

    fn apply(&self, s: &mut Session, lr: Var, w: Var, g: Var, st: &[Var]) -> (Var, Vec<Var>) {
        let lr_g = s.mul(g, lr);
        match *self {
            Optimizer::Sgd { momentum, .. } if momentum == 0.0 => (s.sub(w, lr_g), vec![]),
            Optimizer::Sgd {
                momentum, nesterov, ..
            } => {
                let mv = s.scale(st[0], momentum);
                let v = s.sub(mv, lr_g);
                let step = if nesterov {
                    let mv2 = s.scale(v, momentum);
                    s.sub(mv2, lr_g)
                } else {
                    v
                };
                (s.add(w, step), vec![v])
            }
            Optimizer::Adam {
                beta1,
                beta2,
                epsilon,
                ..
            } => {
                // Three fused ops: a backend runs each as one pass over the parameter. The
                // gradient is laid out like the parameter once, rather than by both readers.
                let g = s.contiguous(g);
                let m = s.fused(Fused::AdamMoment { beta: beta1 }, &[st[0], g], |s| {
                    let old = s.scale(st[0], beta1);
                    let new = s.scale(g, 1.0 - beta1);
                    s.add(old, new)
                });
                let v = s.fused(Fused::AdamVariance { beta: beta2 }, &[st[1], g], |s| {
                    let old = s.scale(st[1], beta2);
                    let g2 = s.square(g);
                    let new = s.scale(g2, 1.0 - beta2);
                    s.add(old, new)
                });
                let w = s.fused(Fused::AdamStep { epsilon }, &[w, m, v, lr], |s| {
                    let root = s.sqrt(v);
                    let denom = s.shift(root, epsilon);
                    let ratio = s.div(m, denom);
                    let step = s.mul(ratio, lr);
                    s.sub(w, step)
                });
                (w, vec![m, v])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{check_op_fixed, random, uniform, Tolerance};

    /// The fused Adam kernels against their primitive form, and their gradients.
    #[test]
    fn fused_adam_matches_its_primitives() {
        let positive = (vec![3, 4], uniform(12, 0.5, 2.0, 3));
        let inputs = [
            random(&[3, 4], 1),
            random(&[3, 4], 2),
            random(&[3, 4], 4),
            positive,
        ];
        let lr = (vec![], vec![0.1]);
        let adam = Optimizer::adam(0.1);
        let r = check_op_fixed(&inputs, &[lr], Tolerance::default(), |s, x, f| {
            let (w, state) = adam.apply(s, f[0], x[0], x[1], &x[2..]);
            let w = s.add(w, state[0]);
            s.add(w, state[1])
        });
        r.unwrap();
    }
}
