//! Batch normalization over the channel axis (axis 1) of `[B, C, ..]`.

use crate::session::{Session, Var};

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
        let shape = x.shape();
        let c = shape[1];
        // [C] as [C, 1, ..], to broadcast against [B, C, ..].
        let mut per_channel = vec![c];
        per_channel.extend(std::iter::repeat_n(1, shape.len() - 2));
        let axes: Vec<usize> = (0..shape.len()).filter(|&a| a != 1).collect();
        let count = (x.len() / c) as f32;

        let (mean, var) = match stats {
            Some(s) => s,
            None => {
                let sum = self.sum_axes(x, &axes);
                let mean = self.scale(sum, 1.0 / count);
                let m = self.reshape(mean, &per_channel);
                let centred = self.sub(x, m);
                let sq = self.square(centred);
                let ss = self.sum_axes(sq, &axes);
                (mean, self.scale(ss, 1.0 / count))
            }
        };
        let m = self.reshape(mean, &per_channel);
        let centred = self.sub(x, m);
        let v = self.shift(var, epsilon);
        let root = self.sqrt(v);
        let inv = self.recip(root);
        let inv = self.mul(inv, gamma);
        let inv = self.reshape(inv, &per_channel);
        let scaled = self.mul(centred, inv);
        let b = self.reshape(beta, &per_channel);
        (self.add(scaled, b), mean, var)
    }
}
