//! Losses, each a scalar mean over the batch.
//!
//! The cross-entropies from logits are single stable expressions with closed-form gradients:
//! softmax cross-entropy is `sum(t) lse(x) - sum(t x)` with gradient `softmax(x) sum(t) - t`,
//! and binary cross-entropy is `relu(x) - x t + ln(1 + e^-|x|)` with gradient `sigmoid(x) - t`.

use crate::session::{Session, Var};
use crate::spec::Activation;

/// Clip applied to probabilities before a logarithm, as Keras does.
pub const PROB_EPSILON: f32 = 1e-7;

/// A loss a network can be trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    /// Cross-entropy between class probabilities and one-hot (or soft) targets `[B, C]`.
    CategoricalCrossentropy,
    /// Cross-entropy between probabilities of `1` and targets in `[0, 1]`.
    BinaryCrossentropy,
    /// Mean of squared differences.
    MeanSquaredError,
}

impl Loss {
    /// Builds the loss of `output` against `targets`. When the network ends in the activation
    /// this loss expects (softmax, sigmoid), `logits` lets it use the stable fused form.
    pub fn build(
        self,
        s: &mut Session,
        output: Var,
        logits: Option<(Var, Activation)>,
        targets: Var,
    ) -> Var {
        match (self, logits) {
            (Loss::CategoricalCrossentropy, Some((z, Activation::Softmax))) => {
                s.softmax_cross_entropy(z, targets)
            }
            (Loss::BinaryCrossentropy, Some((z, Activation::Sigmoid))) => {
                s.binary_cross_entropy_with_logits(z, targets)
            }
            (Loss::CategoricalCrossentropy, _) => s.categorical_cross_entropy(output, targets),
            (Loss::BinaryCrossentropy, _) => s.binary_cross_entropy(output, targets),
            (Loss::MeanSquaredError, _) => s.mean_squared_error(output, targets),
        }
    }
}

impl Session {
    /// Softmax cross-entropy from logits, averaged over the batch.
    ///
    /// # Shapes
    /// `logits, targets: [B, C]`; result `[]`.
    pub fn softmax_cross_entropy(&mut self, logits: Var, targets: Var) -> Var {
        let [b, c] = two_d(logits);
        let lse = self.logsumexp(logits); // [B]
        let mass = self.sum(targets, 1); // [B], 1 for one-hot rows
        let tx = self.mul(targets, logits);
        let picked = self.sum(tx, 1);
        let weighted = self.mul(mass, lse);
        let per_row = self.sub(weighted, picked);
        let loss = self.mean_all(per_row);
        self.set_grad_rule(loss, move |s, g| {
            // softmax as e^(x - lse): bounded, since lse >= max x.
            let l = s.expand(lse, 1, c);
            let d = s.sub(logits, l);
            let p = s.exp(d);
            let m = s.expand(mass, 1, c);
            let pm = s.mul(p, m);
            let diff = s.sub(pm, targets);
            let scale = s.scale(g, 1.0 / b as f32);
            let scale = s.broadcast(scale, &[b, c]);
            vec![(logits, s.mul(diff, scale))]
        });
        loss
    }

    /// Binary cross-entropy from logits, averaged over all elements.
    pub fn binary_cross_entropy_with_logits(&mut self, logits: Var, targets: Var) -> Var {
        let shape = logits.shape();
        let n = logits.len();
        let r = self.relu(logits);
        let xt = self.mul(logits, targets);
        let a = self.abs(logits);
        let na = self.neg(a);
        let e = self.exp(na);
        let e1 = self.shift(e, 1.0);
        let soft = self.ln(e1);
        let d = self.sub(r, xt);
        let per = self.add(d, soft);
        let loss = self.mean_all(per);
        self.set_grad_rule(loss, move |s, g| {
            let p = s.sigmoid(logits);
            let diff = s.sub(p, targets);
            let scale = s.scale(g, 1.0 / n as f32);
            let scale = s.broadcast(scale, &shape);
            vec![(logits, s.mul(diff, scale))]
        });
        loss
    }

    /// Cross-entropy of probabilities `[B, C]` (clipped to `[1e-7, 1 - 1e-7]`), batch mean.
    pub fn categorical_cross_entropy(&mut self, probs: Var, targets: Var) -> Var {
        let p = self.clip_probability(probs);
        let lp = self.ln(p);
        let tl = self.mul(targets, lp);
        let per_row = self.sum(tl, 1);
        let m = self.mean_all(per_row);
        self.neg(m)
    }

    /// Binary cross-entropy of probabilities (clipped to `[1e-7, 1 - 1e-7]`), mean.
    pub fn binary_cross_entropy(&mut self, probs: Var, targets: Var) -> Var {
        let p = self.clip_probability(probs);
        let lp = self.ln(p);
        let one = self.constant(1.0);
        let q = self.sub(one, p);
        let lq = self.ln(q);
        let nt = self.sub(one, targets);
        let a = self.mul(targets, lp);
        let b = self.mul(nt, lq);
        let sum = self.add(a, b);
        let m = self.mean_all(sum);
        self.neg(m)
    }

    /// Mean of `(prediction - target)^2` over all elements.
    pub fn mean_squared_error(&mut self, prediction: Var, targets: Var) -> Var {
        let d = self.sub(prediction, targets);
        let d2 = self.square(d);
        self.mean_all(d2)
    }

    fn clip_probability(&mut self, p: Var) -> Var {
        let lo = self.constant(PROB_EPSILON);
        let hi = self.constant(1.0 - PROB_EPSILON);
        let p = self.maximum(p, lo);
        self.minimum(p, hi)
    }
}

fn two_d(x: Var) -> [usize; 2] {
    match x.shape()[..] {
        [b, c] => [b, c],
        ref other => panic!("expected a [batch, classes] tensor, got {other:?}"),
    }
}
