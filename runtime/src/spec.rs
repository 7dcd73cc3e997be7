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

/// Builds a [`NetworkSpec`] at run time, for networks assembled in code rather than declared
/// with `network!`. Supports the layers whose shapes need no checking beyond a flat input.
///
/// ```
/// use luminet_runtime::spec::{Activation, Sequential};
/// let mlp = Sequential::new("mlp", &[784]).dense(128, &[Activation::Relu]).dense(10, &[]).build();
/// assert_eq!(mlp.output, &[10]);
/// assert_eq!(mlp.params, 784 * 128 + 128 + 128 * 10 + 10);
/// ```
#[derive(Debug, Clone)]
pub struct Sequential {
    name: &'static str,
    input: Vec<usize>,
    layers: Vec<LayerSpec>,
    shape: Vec<usize>,
}

impl Sequential {
    /// An empty network taking samples of `input`.
    pub fn new(name: &str, input: &[usize]) -> Sequential {
        Sequential {
            name: leak_str(name),
            input: input.to_vec(),
            layers: vec![],
            shape: input.to_vec(),
        }
    }

    fn push(
        mut self,
        kind: LayerKind,
        base: &str,
        acts: &[Activation],
        out: Vec<usize>,
        params: usize,
    ) -> Self {
        let count = self
            .layers
            .iter()
            .filter(|l| l.name.starts_with(base))
            .count();
        let name = if count == 0 {
            base.to_string()
        } else {
            format!("{base}_{count}")
        };
        self.layers.push(LayerSpec {
            name: leak_str(&name),
            kind,
            activations: Box::leak(acts.to_vec().into_boxed_slice()),
            input: leak(self.shape.clone()),
            output: leak(out.clone()),
            params,
        });
        self.shape = out;
        self
    }

    /// A dense layer over the last axis, then `activations`.
    pub fn dense(self, units: usize, activations: &[Activation]) -> Self {
        let fan_in = *self.shape.last().expect("non-empty input shape");
        let mut out = self.shape.clone();
        *out.last_mut().expect("non-empty") = units;
        let kind = LayerKind::Dense { units, bias: true };
        self.push(kind, "dense", activations, out, fan_in * units + units)
    }

    /// Flattens each sample.
    pub fn flatten(self) -> Self {
        let n = self.shape.iter().product();
        self.push(LayerKind::Flatten, "flatten", &[], vec![n], 0)
    }

    /// Dropout at `rate` (training only).
    pub fn dropout(self, rate: f32) -> Self {
        let shape = self.shape.clone();
        self.push(LayerKind::Dropout { rate }, "dropout", &[], shape, 0)
    }

    /// A stand-alone activation.
    pub fn activation(self, a: Activation) -> Self {
        let shape = self.shape.clone();
        self.push(LayerKind::Activation, "activation", &[a], shape, 0)
    }

    /// The finished description. Its storage lives for the rest of the program.
    pub fn build(self) -> &'static NetworkSpec {
        let params = self.layers.iter().map(|l| l.params).sum();
        Box::leak(Box::new(NetworkSpec {
            name: self.name,
            input: leak(self.input),
            output: leak(self.shape),
            layers: Box::leak(self.layers.into_boxed_slice()),
            params,
        }))
    }
}

fn leak(v: Vec<usize>) -> &'static [usize] {
    Box::leak(v.into_boxed_slice())
}

fn leak_str(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}
