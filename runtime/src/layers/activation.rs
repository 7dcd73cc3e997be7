//! Activations. Elementwise ones keep the input's shape; `softmax` works over the last axis.
//!
//! `sigmoid`, `tanh` and `softmax` carry closed-form gradient rules (`s (1 - s)`, `1 - t^2`,
//! `s (g - sum(g s))`): differentiating their primitives gives NaN for large negative inputs.

use crate::fused::Fused;
use crate::session::{Session, Var};
use crate::spec::Activation;

impl Session {
    /// `max(x, 0)`, as `x [x > 0]`; its gradient `g [y > 0]` reads the output, so the input
    /// need not be kept.
    pub fn relu(&mut self, x: Var) -> Var {
        let y = self.fused(Fused::Relu, &[x], |s| {
            let mask = s.positive(x);
            s.mul(x, mask)
        });
        self.set_grad_rule(y, move |s, g| {
            let dx = s.fused(Fused::ReluGrad, &[g, y], |s| {
                let mask = s.positive(y);
                s.mul(g, mask)
            });
            vec![(x, dx)]
        });
        y
    }

    /// `x` where `x > 0`, else `alpha x`.
    pub fn leaky_relu(&mut self, x: Var, alpha: f32) -> Var {
        // x (alpha + (1 - alpha) [x > 0])
        let mask = self.positive(x);
        let m = self.scale(mask, 1.0 - alpha);
        let slope = self.shift(m, alpha);
        self.mul(x, slope)
    }

    /// `x` where `x > 0`, else `alpha (e^x - 1)`.
    pub fn elu(&mut self, x: Var, alpha: f32) -> Var {
        let mask = self.positive(x);
        let pos = self.mul(x, mask);
        // e^min(x, 0) never overflows, so the unused branch cannot turn into inf * 0.
        let neg = self.sub(x, pos);
        let e = self.exp(neg);
        let em1 = self.shift(e, -1.0);
        let tail = self.scale(em1, alpha);
        let one = self.constant(1.0);
        let off = self.sub(one, mask);
        let tail = self.mul(tail, off);
        self.add(pos, tail)
    }

    /// `1 / (1 + e^-x)`.
    pub fn sigmoid(&mut self, x: Var) -> Var {
        let nx = self.neg(x);
        let e = self.exp(nx);
        let d = self.shift(e, 1.0);
        let y = self.recip(d);
        self.set_grad_rule(y, move |s, g| {
            let one = s.constant(1.0);
            let rest = s.sub(one, y);
            let d = s.mul(y, rest);
            vec![(x, s.mul(g, d))]
        });
        y
    }

    /// `tanh(x) = 2 sigmoid(2x) - 1`.
    pub fn tanh(&mut self, x: Var) -> Var {
        let x2 = self.scale(x, 2.0);
        let s = self.sigmoid(x2);
        let s2 = self.scale(s, 2.0);
        let y = self.shift(s2, -1.0);
        self.set_grad_rule(y, move |s, g| {
            let y2 = s.square(y);
            let ny2 = s.neg(y2);
            let d = s.shift(ny2, 1.0);
            vec![(x, s.mul(g, d))]
        });
        y
    }

    /// `e^x_i / sum_j e^x_j` over the last axis.
    pub fn softmax(&mut self, x: Var) -> Var {
        let last = x.shape().len() - 1;
        let e = self.shifted_exp(x);
        let total = self.sum(e, last);
        let n = x.shape()[last];
        let total = self.expand(total, last, n);
        let y = self.div(e, total);
        self.set_grad_rule(y, move |s, g| {
            let gy = s.mul(g, y);
            let dot = s.sum(gy, last);
            let dot = s.expand(dot, last, n);
            let centred = s.sub(g, dot);
            vec![(x, s.mul(y, centred))]
        });
        y
    }

    /// `ln softmax(x)` over the last axis, computed stably.
    pub fn log_softmax(&mut self, x: Var) -> Var {
        let lse = self.logsumexp(x);
        let last = x.shape().len() - 1;
        let lse = self.expand(lse, last, x.shape()[last]);
        self.sub(x, lse)
    }

    /// `ln sum_j e^x_j` over the last axis, computed stably; the last axis disappears.
    pub fn logsumexp(&mut self, x: Var) -> Var {
        let last = x.shape().len() - 1;
        let m = self.max(x, last);
        let e = self.shifted_exp_by(x, m);
        let total = self.sum(e, last);
        let l = self.ln(total);
        self.add(l, m)
    }

    /// `e^(x - max x)` along the last axis.
    fn shifted_exp(&mut self, x: Var) -> Var {
        let last = x.shape().len() - 1;
        let m = self.max(x, last);
        self.shifted_exp_by(x, m)
    }

    fn shifted_exp_by(&mut self, x: Var, m: Var) -> Var {
        let last = x.shape().len() - 1;
        let m = self.expand(m, last, x.shape()[last]);
        let d = self.sub(x, m);
        self.exp(d)
    }

    /// Applies one activation from a network description.
    pub fn activate(&mut self, x: Var, a: Activation) -> Var {
        match a {
            Activation::Relu => self.relu(x),
            Activation::Sigmoid => self.sigmoid(x),
            Activation::Tanh => self.tanh(x),
            Activation::Softmax => self.softmax(x),
            Activation::LeakyRelu(alpha) => self.leaky_relu(x, alpha),
            Activation::Elu(alpha) => self.elu(x, alpha),
        }
    }
}
