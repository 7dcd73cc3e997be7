//! Layers, and building a network's forward pass from its [`NetworkSpec`].

mod activation;
mod conv;
mod dense;
mod norm;

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::session::{Session, Var};
use crate::spec::{Activation, LayerKind, LayerSpec, NetworkSpec};

/// A trainable tensor: its name (`layer.kernel`), shape and values.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// `<layer>.<role>`, e.g. `dense_1.kernel`.
    pub name: String,
    /// The shape.
    pub shape: Vec<usize>,
    /// The values, row-major.
    pub data: Vec<f32>,
}

/// Whether a graph is built for training (dropout active) or inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Training: dropout masks are inputs filled each step.
    Train,
    /// Inference: dropout is the identity.
    Infer,
}

/// What a forward pass built, besides its output.
#[derive(Debug, Default)]
pub struct Forward {
    /// The output before the network's final activation, if the last layer has one.
    pub logits: Option<(Var, Activation)>,
    /// Dropout masks to fill before each training step, with their drop rates.
    pub masks: Vec<(Var, f32)>,
    /// In training, the new value of each buffer (batch norm's moving statistics), in the
    /// order of [`init`]'s buffers.
    pub buffer_updates: Vec<Var>,
}

/// A network's starting state: trainable parameters and non-trainable buffers.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// Trained by the optimizer.
    pub params: Vec<Param>,
    /// Updated by the layers themselves in training (batch norm's moving mean and variance).
    pub buffers: Vec<Param>,
}

/// The parameters and buffers of `spec`, initialized from `seed` as Keras does:
/// Glorot-uniform kernels, zero biases, unit batch-norm scales.
pub fn init(spec: &NetworkSpec, seed: u64) -> State {
    let mut rng = Rng::new(seed);
    let mut state = State {
        params: Vec::new(),
        buffers: Vec::new(),
    };
    init_layers(spec.layers, &mut rng, &mut state);
    state
}

fn init_layers(layers: &[LayerSpec], rng: &mut Rng, out: &mut State) {
    for layer in layers {
        let name = |role: &str| format!("{}.{role}", layer.name);
        let mut push = |role: &str, shape: Vec<usize>, data: Vec<f32>| {
            out.params.push(Param {
                name: name(role),
                shape,
                data,
            })
        };
        match layer.kind {
            LayerKind::Dense { units, bias } => {
                let fan_in = *layer.input.last().unwrap_or(&0);
                let w = crate::init::glorot_uniform(fan_in, units, fan_in * units, rng);
                push("kernel", vec![fan_in, units], w);
                if bias {
                    push("bias", vec![units], vec![0.0; units]);
                }
            }
            LayerKind::Conv2d {
                filters,
                kernel: (kh, kw),
                bias,
                ..
            } => {
                let c = layer.input[0];
                let n = filters * c * kh * kw;
                let w = crate::init::glorot_uniform(c * kh * kw, filters * kh * kw, n, rng);
                push("kernel", vec![filters, c, kh, kw], w);
                if bias {
                    push("bias", vec![filters], vec![0.0; filters]);
                }
            }
            LayerKind::BatchNorm { .. } => {
                let c = layer.input[0];
                push("gamma", vec![c], vec![1.0; c]);
                push("beta", vec![c], vec![0.0; c]);
                out.buffers.push(Param {
                    name: name("moving_mean"),
                    shape: vec![c],
                    data: vec![0.0; c],
                });
                out.buffers.push(Param {
                    name: name("moving_variance"),
                    shape: vec![c],
                    data: vec![1.0; c],
                });
            }
            LayerKind::Residual { branch, shortcut } => {
                init_layers(branch, rng, out);
                init_layers(shortcut, rng, out);
            }
            LayerKind::MaxPool2d { .. }
            | LayerKind::AvgPool2d { .. }
            | LayerKind::GlobalAvgPool
            | LayerKind::Activation
            | LayerKind::Flatten
            | LayerKind::Dropout { .. } => {}
        }
    }
}

/// The tensors a forward pass reads and where it records what it built.
pub struct Inputs<'a> {
    /// Parameters, in [`init`]'s order.
    pub params: &'a mut dyn Iterator<Item = Var>,
    /// Buffers, in [`init`]'s order.
    pub buffers: &'a mut dyn Iterator<Item = Var>,
    /// Training or inference.
    pub mode: Mode,
    /// What the pass built besides its output.
    pub built: &'a mut Forward,
}

impl Inputs<'_> {
    fn param(&mut self, layer: &LayerSpec) -> Var {
        let missing = || {
            panic!(
                "luminet bug: no parameter left for layer \"{}\"",
                layer.name
            )
        };
        self.params.next().unwrap_or_else(missing)
    }

    fn buffer(&mut self, layer: &LayerSpec) -> Var {
        let missing = || panic!("luminet bug: no buffer left for layer \"{}\"", layer.name);
        self.buffers.next().unwrap_or_else(missing)
    }
}

/// Builds the forward pass of `layers` on `x: [B, ..input]`.
pub fn forward(s: &mut Session, layers: &[LayerSpec], x: Var, inp: &mut Inputs) -> Result<Var> {
    let mut x = x;
    for (i, layer) in layers.iter().enumerate() {
        x = layer_forward(s, layer, x, inp)?;
        let last = i + 1 == layers.len();
        for (j, &a) in layer.activations.iter().enumerate() {
            if last && j + 1 == layer.activations.len() {
                inp.built.logits = Some((x, a));
            }
            x = s.activate(x, a);
        }
    }
    Ok(x)
}

fn layer_forward(s: &mut Session, layer: &LayerSpec, x: Var, inp: &mut Inputs) -> Result<Var> {
    let batch = x.shape()[0];
    Ok(match layer.kind {
        LayerKind::Dense { bias, .. } => {
            let kernel = inp.param(layer);
            let b = if bias { Some(inp.param(layer)) } else { None };
            s.dense(x, kernel, b)
        }
        LayerKind::Conv2d {
            filters,
            kernel,
            stride,
            padding,
            dilation,
            bias,
        } => {
            let [c, h, w] = image(layer)?;
            let g = crate::fused::ConvGeom {
                batch,
                c,
                h,
                w,
                f: filters,
                kh: kernel.0,
                kw: kernel.1,
                sh: stride.0,
                sw: stride.1,
                ph: padding.0,
                pw: padding.1,
                dh: dilation.0,
                dw: dilation.1,
            };
            let weight = inp.param(layer);
            if bias {
                let b = inp.param(layer);
                s.conv2d_bias(x, weight, b, g)
            } else {
                s.conv2d(x, weight, g)
            }
        }
        LayerKind::MaxPool2d { size, stride } => s.max_pool2d(x, size, stride),
        LayerKind::AvgPool2d { size, stride } => s.avg_pool2d(x, size, stride),
        LayerKind::GlobalAvgPool => {
            let m = s.mean(x, 3);
            s.mean(m, 2)
        }
        LayerKind::Flatten => s.reshape(x, &[batch, layer.output.iter().product()]),
        LayerKind::Dropout { rate } => match inp.mode {
            Mode::Infer => x,
            Mode::Train => {
                let mask = s.input(&format!("{} mask", layer.name), &x.shape());
                inp.built.masks.push((mask, rate));
                s.mul(x, mask)
            }
        },
        LayerKind::BatchNorm { momentum, epsilon } => {
            let gamma = inp.param(layer);
            let beta = inp.param(layer);
            let moving_mean = inp.buffer(layer);
            let moving_var = inp.buffer(layer);
            let stats = match inp.mode {
                Mode::Train => None,
                Mode::Infer => Some((moving_mean, moving_var)),
            };
            let (y, mean, var) = s.batch_norm(x, gamma, beta, stats, epsilon);
            if inp.mode == Mode::Train {
                for (old, new) in [(moving_mean, mean), (moving_var, var)] {
                    let kept = s.scale(old, momentum);
                    let fresh = s.scale(new, 1.0 - momentum);
                    inp.built.buffer_updates.push(s.add(kept, fresh));
                }
            }
            y
        }
        LayerKind::Residual { branch, shortcut } => {
            let main = forward(s, branch, x, inp)?;
            let side = if shortcut.is_empty() {
                x
            } else {
                forward(s, shortcut, x, inp)?
            };
            s.add(main, side)
        }
        LayerKind::Activation => x,
    })
}

fn image(layer: &LayerSpec) -> Result<[usize; 3]> {
    match *layer.input {
        [c, h, w] => Ok([c, h, w]),
        ref other => Err(Error::Shape(format!(
            "layer \"{}\" needs a [C, H, W] input, its description says {other:?}",
            layer.name
        ))),
    }
}
