//! Batch normalization over the channel axis (axis 1) of `[B, C, ..]`.
//!
//! In training, the batch statistics, the normalization and both gradient products are each
//! a recorded [`Fused`] op (one pass or two over the activations on the CPU instead of a dozen
//! elementwise ones), with the input gradient in closed form:
//! `dx = gamma / (N sigma) (N g - sum(g) - xhat sum(g xhat))`.

use crate::fused::{Fused, NormGeom};
use crate::session::{Session, Var};

/// How a `[B, C, ..]` tensor is normalized: its geometry, the shape `[C, 1, ..]` that
/// broadcasts a per-channel vector against it, and the axes the statistics sum over.
struct Layout {
    geom: NormGeom,
    per_channel: Vec<usize>,
    axes: Vec<usize>,
}

impl Layout {
    fn of(x: Var) -> Layout {
        let shape = x.shape();
        assert!(
            shape.len() >= 2,
            "batch norm takes [B, C, ..], got {shape:?}"
        );
        let mut per_channel = vec![shape[1]];
        per_channel.extend(std::iter::repeat_n(1, shape.len() - 2));
        Layout {
            geom: NormGeom {
                batch: shape[0],
                channels: shape[1],
                size: shape[2..].iter().product(),
            },
            per_channel,
            axes: (0..shape.len()).filter(|&a| a != 1).collect(),
        }
    }

    fn count(&self) -> f32 {
        self.geom.count() as f32
    }
}

impl Session {
    /// Normalizes `x` per channel and applies the learned scale and shift.
    ///
    /// With `stats` absent (training) the batch's own mean and (biased) variance are used and
    /// returned, for the caller's moving averages; with `stats = (mean, variance)` (inference)
    /// those are used instead.
    ///
    /// # Shapes
    /// `x: [B, C, ..]`, `gamma, beta, mean, variance: [C]`; result `x`'s shape.
    pub fn batch_norm(
        &mut self,
        x: Var,
        gamma: Var,
        beta: Var,
        stats: Option<(Var, Var)>,
        epsilon: f32,
    ) -> (Var, Var, Var) {
        let l = Layout::of(x);
        if let Some((mean, var)) = stats {
            return (
                self.normalize(x, mean, var, gamma, beta, epsilon, &l),
                mean,
                var,
            );
        }
        let g = l.geom;
        let stats = self.fused(Fused::ChannelMoments(g), &[x], |s| {
            let sum = s.sum_axes(x, &l.axes);
            let mean = s.scale(sum, 1.0 / l.count());
            let m = s.reshape(mean, &l.per_channel);
            let centred = s.sub(x, m);
            let sq = s.square(centred);
            let ss = s.sum_axes(sq, &l.axes);
            let var = s.scale(ss, 1.0 / l.count());
            s.stack_pair(mean, var)
        });
        let (mean, var) = self.unstack_pair(stats);
        let y = self.fused(
            Fused::BatchNorm(g, epsilon),
            &[x, stats, gamma, beta],
            |s| {
                let (mean, var) = s.unstack_pair(stats);
                s.normalize(x, mean, var, gamma, beta, epsilon, &l)
            },
        );
        self.set_grad_rule(y, move |s, dy| {
            let l = Layout::of(x);
            let sums = s.fused(
                Fused::BatchNormParamGrad(g, epsilon),
                &[dy, x, stats],
                |s| {
                    let xhat = s.xhat(x, stats, epsilon, &l);
                    let dyx = s.mul(dy, xhat);
                    let a = s.sum_axes(dyx, &l.axes);
                    let b = s.sum_axes(dy, &l.axes);
                    s.stack_pair(a, b)
                },
            );
            let inputs = [dy, x, stats, gamma, sums];
            let dx = s.fused(Fused::BatchNormInputGrad(g, epsilon), &inputs, |s| {
                let xhat = s.xhat(x, stats, epsilon, &l);
                let (sum_gx, sum_g) = s.unstack_pair(sums);
                let n_g = s.scale(dy, l.count());
                let sum_g = s.reshape(sum_g, &l.per_channel);
                let t = s.sub(n_g, sum_g);
                let sum_gx = s.reshape(sum_gx, &l.per_channel);
                let u = s.mul(xhat, sum_gx);
                let t = s.sub(t, u);
                let (_, var) = s.unstack_pair(stats);
                let k = s.inv_std(var, epsilon);
                let k = s.mul(k, gamma);
                let k = s.scale(k, 1.0 / l.count());
                let k = s.reshape(k, &l.per_channel);
                s.mul(t, k)
            });
            let (dgamma, dbeta) = s.unstack_pair(sums);
            vec![(x, dx), (gamma, dgamma), (beta, dbeta)]
        });
        (y, mean, var)
    }

    /// The sum of `x: [B, C, ..]` over everything but the channels: `[C]` (a bias gradient).
    pub fn channel_sum(&mut self, x: Var) -> Var {
        let l = Layout::of(x);
        self.fused(Fused::ChannelSum(l.geom), &[x], |s| s.sum_axes(x, &l.axes))
    }

    /// `gamma (x - mean) / sqrt(var + epsilon) + beta`, per channel.
    #[allow(clippy::too_many_arguments)]
    fn normalize(
        &mut self,
        x: Var,
        mean: Var,
        var: Var,
        gamma: Var,
        beta: Var,
        epsilon: f32,
        l: &Layout,
    ) -> Var {
        let m = self.reshape(mean, &l.per_channel);
        let centred = self.sub(x, m);
        let inv = self.inv_std(var, epsilon);
        let k = self.mul(inv, gamma);
        let k = self.reshape(k, &l.per_channel);
        let scaled = self.mul(centred, k);
        let b = self.reshape(beta, &l.per_channel);
        self.add(scaled, b)
    }

    /// The normalized input `(x - mean) / sqrt(var + epsilon)`, from `stats = [mean; var]`.
    fn xhat(&mut self, x: Var, stats: Var, epsilon: f32, l: &Layout) -> Var {
        let (mean, var) = self.unstack_pair(stats);
        let m = self.reshape(mean, &l.per_channel);
        let centred = self.sub(x, m);
        let inv = self.inv_std(var, epsilon);
        let inv = self.reshape(inv, &l.per_channel);
        self.mul(centred, inv)
    }

    /// `1 / sqrt(var + epsilon)`.
    fn inv_std(&mut self, var: Var, epsilon: f32) -> Var {
        let v = self.shift(var, epsilon);
        let root = self.sqrt(v);
        self.recip(root)
    }

    /// Two `[C]` vectors as the rows of one `[2, C]`.
    fn stack_pair(&mut self, a: Var, b: Var) -> Var {
        let c = a.shape()[0];
        let a = self.reshape(a, &[1, c]);
        let a = self.pad(a, 0, 0, 1);
        let b = self.reshape(b, &[1, c]);
        let b = self.pad(b, 0, 1, 0);
        self.add(a, b)
    }

    /// The rows of a `[2, C]`.
    fn unstack_pair(&mut self, pair: Var) -> (Var, Var) {
        let c = pair.shape()[1];
        let a = self.slice(pair, 0, 0, 1);
        let b = self.slice(pair, 0, 1, 2);
        (self.reshape(a, &[c]), self.reshape(b, &[c]))
    }
}
