//! Ops that luminet writes in primitives and that a backend may run as one kernel.
//!
//! [`Session::fused`] records the node that ends such a primitive subgraph together with what
//! it computes. Backends that know the op (the CPU pipeline's `FusedPass`) replace the whole
//! subgraph by a single kernel; others, `luminal_cuda` among them, run the primitives.

use crate::session::{Session, Var};

/// The geometry of a 2-D convolution over `[B, C, H, W]` with weights `[F, C, KH, KW]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConvGeom {
    /// Batch size.
    pub batch: usize,
    /// Input channels.
    pub c: usize,
    /// Input height and width.
    pub h: usize,
    /// See `h`.
    pub w: usize,
    /// Output channels.
    pub f: usize,
    /// Kernel height and width.
    pub kh: usize,
    /// See `kh`.
    pub kw: usize,
    /// Strides.
    pub sh: usize,
    /// See `sh`.
    pub sw: usize,
    /// Zero padding before and after, along the height.
    pub ph: (usize, usize),
    /// Zero padding before and after, along the width.
    pub pw: (usize, usize),
    /// Dilations.
    pub dh: usize,
    /// See `dh`.
    pub dw: usize,
}

impl ConvGeom {
    /// Output height.
    pub fn oh(&self) -> usize {
        (self.h + self.ph.0 + self.ph.1 - self.dh * (self.kh - 1) - 1) / self.sh + 1
    }

    /// Output width.
    pub fn ow(&self) -> usize {
        (self.w + self.pw.0 + self.pw.1 - self.dw * (self.kw - 1) - 1) / self.sw + 1
    }

    /// The input shape `[B, C, H, W]`.
    pub fn input(&self) -> [usize; 4] {
        [self.batch, self.c, self.h, self.w]
    }

    /// The weight shape `[F, C, KH, KW]`.
    pub fn weight(&self) -> [usize; 4] {
        [self.f, self.c, self.kh, self.kw]
    }

    /// The output shape `[B, F, OH, OW]`.
    pub fn output(&self) -> [usize; 4] {
        [self.batch, self.f, self.oh(), self.ow()]
    }
}

/// The geometry of a 2-D pooling window over `[B, C, H, W]`, without padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PoolGeom {
    /// Batch size times channels: pooling treats every plane alike.
    pub planes: usize,
    /// Input height and width.
    pub h: usize,
    /// See `h`.
    pub w: usize,
    /// Window height and width.
    pub kh: usize,
    /// See `kh`.
    pub kw: usize,
    /// Strides.
    pub sh: usize,
    /// See `sh`.
    pub sw: usize,
}

impl PoolGeom {
    /// Output height.
    pub fn oh(&self) -> usize {
        (self.h - self.kh) / self.sh + 1
    }

    /// Output width.
    pub fn ow(&self) -> usize {
        (self.w - self.kw) / self.sw + 1
    }
}

/// The layout batch normalization sees: `[B, C, S]`, `S` the product of the axes after the
/// channels (1 after a dense layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NormGeom {
    /// Batch size.
    pub batch: usize,
    /// Channels.
    pub channels: usize,
    /// Elements per channel per sample.
    pub size: usize,
}

impl NormGeom {
    /// Elements per channel over the batch, which its statistics average.
    pub fn count(&self) -> usize {
        self.batch * self.size
    }
}

/// What a fused subgraph computes, with the inputs it reads in order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fused {
    /// `(x, w) -> y`: convolution without bias.
    Conv2d(ConvGeom),
    /// `(x, w, b) -> y`: convolution plus a bias per output channel.
    Conv2dBias(ConvGeom),
    /// `(g, w) -> dx`: the convolution's gradient with respect to its input.
    Conv2dInputGrad(ConvGeom),
    /// `(x, g) -> dw`: the convolution's gradient with respect to its weights.
    Conv2dFilterGrad(ConvGeom),
    /// `x -> y`: maximum over each window.
    MaxPool2d(PoolGeom),
    /// `(x, y, g) -> dx`: each window's gradient goes to every input equal to its maximum `y`.
    MaxPool2dGrad(PoolGeom),
    /// `x -> y`: mean over each window.
    AvgPool2d(PoolGeom),
    /// `g -> dx`: each window's gradient spread evenly over it.
    AvgPool2dGrad(PoolGeom),
    /// `x -> x [x > 0]`: the rectifier.
    Relu,
    /// `(g, y) -> g [y > 0]`: the rectifier's gradient, from its output `y`.
    ReluGrad,
    /// `x -> [C]`: the sum over everything but the channels.
    ChannelSum(NormGeom),
    /// `x -> [mean; variance]`, `[2, C]`: per-channel mean and biased variance.
    ChannelMoments(NormGeom),
    /// `(x, stats, gamma, beta) -> gamma (x - mean) / sqrt(variance + epsilon) + beta`.
    BatchNorm(NormGeom, f32),
    /// `(g, x, stats) -> [sum(g xhat); sum(g)]`, `[2, C]`: the gradients of the scale and the
    /// shift, `xhat` being the normalized input.
    BatchNormParamGrad(NormGeom, f32),
    /// `(g, x, stats, gamma, sums) -> dx`: the gradient of batch normalization with respect to
    /// its input, the batch statistics counted as functions of it, `sums` the output of
    /// `BatchNormParamGrad`.
    BatchNormInputGrad(NormGeom, f32),
    /// `(m, g) -> beta m + (1 - beta) g`: Adam's first moment.
    AdamMoment {
        /// Decay of the old moment.
        beta: f32,
    },
    /// `(v, g) -> beta v + (1 - beta) g^2`: Adam's second moment.
    AdamVariance {
        /// Decay of the old moment.
        beta: f32,
    },
    /// `(w, m, v, lr) -> w - lr m / (sqrt(v) + epsilon)`: Adam's step, `lr` a scalar.
    AdamStep {
        /// Added to the root of the second moment.
        epsilon: f32,
    },
}

impl Fused {
    /// Whether the op maps its inputs elementwise onto the shape of the first one, so that a
    /// kernel may write its result over the first input's buffer.
    pub fn in_place(&self) -> bool {
        matches!(
            self,
            Fused::Relu
                | Fused::ReluGrad
                | Fused::AdamMoment { .. }
                | Fused::AdamVariance { .. }
                | Fused::AdamStep { .. }
        )
    }
}

/// A recorded fused subgraph: the node holding its result and the inputs it reads.
#[derive(Debug, Clone)]
pub struct Region {
    /// What it computes.
    pub op: Fused,
    /// Its inputs, in the order the op lists them.
    pub inputs: Vec<Var>,
    /// The node whose (plain) output is the result.
    pub output: Var,
}

impl Session {
    /// Builds `op` on `inputs` in primitives with `build`, and records the subgraph so that a
    /// backend can swap in one kernel for it.
    pub fn fused(
        &mut self,
        op: Fused,
        inputs: &[Var],
        build: impl FnOnce(&mut Session) -> Var,
    ) -> Var {
        let out = build(self);
        // A backend kernel writes a fresh buffer: the region must end in a node of its own.
        let out = if out.is_plain() && !inputs.iter().any(|x| x.node == out.node) {
            out
        } else {
            self.copy(out)
        };
        self.regions.push(Region {
            op,
            inputs: inputs.to_vec(),
            output: out,
        });
        out
    }
}
