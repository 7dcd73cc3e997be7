//! The description of a network that `network!` emits.
//!
//! The macro checks every shape while the user's crate compiles and writes the result out as a
//! `static` [`NetworkSpec`]: each layer with its settings, its input and output shapes and its
//! parameter count. The runtime builds graphs from that description and never re-derives a shape.
//! Shapes are channel-first and exclude the batch dimension: `[C, H, W]` for images, `[F]` for
//! flat features, `[T, F]` for sequences.

/// A whole network, as checked by `network!`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetworkSpec {
    /// The network's name, as written in the macro.
    pub name: &'static str,
    /// The shape of one input sample.
    pub input: &'static [usize],
    /// The shape of one output sample.
    pub output: &'static [usize],
    /// The layers, in order.
    pub layers: &'static [LayerSpec],
    /// The number of trainable parameters.
    pub params: usize,
}

/// One layer: its name, what it does, and the shapes the macro inferred for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerSpec {
    /// The user's name for the layer, or a generated one such as `dense_2`.
    pub name: &'static str,
    /// What the layer computes.
    pub kind: LayerKind,
    /// Activations applied after the layer, in order (`dense(10) => relu => dropout(0.5)`
    /// declares one dense layer followed by `[Relu]` and then a separate dropout layer).
    pub activations: &'static [Activation],
    /// Shape of one input sample.
    pub input: &'static [usize],
    /// Shape of one output sample, after the activations.
    pub output: &'static [usize],
    /// Trainable parameters of this layer (for a residual block, of its branch and shortcut).
    pub params: usize,
}

/// The computation a layer performs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LayerKind {
    /// `dense(units, bias = true)`: `y = x W + b` over the last dimension.
    Dense {
        /// Output features.
        units: usize,
        /// Whether the layer adds a bias.
        bias: bool,
    },
    /// `conv2d(filters, kernel, stride = 1, padding = valid, dilation = 1, bias = true)`.
    Conv2d {
        /// Output channels.
        filters: usize,
        /// Kernel height and width.
        kernel: (usize, usize),
        /// Stride along height and width.
        stride: (usize, usize),
        /// Zero padding added before and after, along height and width.
        padding: ((usize, usize), (usize, usize)),
        /// Dilation along height and width.
        dilation: (usize, usize),
        /// Whether the layer adds a bias per output channel.
        bias: bool,
    },
    /// `max_pool2d(size, stride = size)`.
    MaxPool2d {
        /// Window height and width.
        size: (usize, usize),
        /// Stride along height and width.
        stride: (usize, usize),
    },
    /// `avg_pool2d(size, stride = size)`.
    AvgPool2d {
        /// Window height and width.
        size: (usize, usize),
        /// Stride along height and width.
        stride: (usize, usize),
    },
    /// `global_avg_pool`: `[C, H, W] -> [C]`.
    GlobalAvgPool,
    /// `flatten`: any shape to `[N]`.
    Flatten,
    /// `dropout(rate)`: zeroes a fraction `rate` of the activations in training, scales the rest
    /// by `1 / (1 - rate)`; the identity in inference.
    Dropout {
        /// The fraction dropped, in `[0, 1)`.
        rate: f32,
    },
    /// `batch_norm(momentum = 0.99, epsilon = 1e-3)` over the channel (first) dimension.
    BatchNorm {
        /// Weight of the old running statistics in each update.
        momentum: f32,
        /// Added to the variance before its square root.
        epsilon: f32,
    },
    /// A stand-alone activation layer.
    Activation,
    /// `residual(shortcut = ...) { branch }`: `branch(x) + shortcut(x)`, the shortcut being the
    /// identity when absent.
    Residual {
        /// The layers of the main branch.
        branch: &'static [LayerSpec],
        /// The layers of the projection shortcut; empty for the identity.
        shortcut: &'static [LayerSpec],
    },
}

/// An elementwise activation (or, for `Softmax`, one over the last dimension).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    /// `max(x, 0)`.
    Relu,
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// `tanh(x)`.
    Tanh,
    /// `e^x_i / sum_j e^x_j` over the last dimension.
    Softmax,
    /// `x` for `x > 0`, `alpha x` otherwise (`leaky_relu(alpha = 0.01)`).
    LeakyRelu(f32),
    /// `x` for `x > 0`, `alpha (e^x - 1)` otherwise (`elu(alpha = 1.0)`).
    Elu(f32),
}
