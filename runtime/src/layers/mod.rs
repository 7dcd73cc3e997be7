//! Layers, and building a network's forward pass from its [`NetworkSpec`].

mod activation;
mod conv;
mod dense;

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
}

/// The parameters of `spec`, initialized from `seed` as Keras does: Glorot-uniform kernels,
/// zero biases.
pub fn init_params(spec: &NetworkSpec, seed: u64) -> Result<Vec<Param>> {
    let mut rng = Rng::new(seed);
    let mut params = Vec::new();
    init_layers(spec.layers, &mut rng, &mut params)?;
    Ok(params)
}

fn init_layers(layers: &[LayerSpec], rng: &mut Rng, out: &mut Vec<Param>) -> Result<()> {
    for layer in layers {
        match layer.kind {
            LayerKind::Dense { units, bias } => {
                let fan_in = *layer.input.last().unwrap_or(&0);
                out.push(Param {
                    name: format!("{}.kernel", layer.name),
                    shape: vec![fan_in, units],
                    data: crate::init::glorot_uniform(fan_in, units, fan_in * units, rng),
                });
                if bias {
                    let name = format!("{}.bias", layer.name);
                    out.push(Param {
                        name,
                        shape: vec![units],
                        data: vec![0.0; units],
                    });
                }
            }
            LayerKind::Activation | LayerKind::Flatten | LayerKind::Dropout { .. } => {}
            _ => return Err(unsupported(layer)),
        }
    }
    Ok(())
}

fn unsupported(layer: &LayerSpec) -> Error {
    Error::Unsupported(format!(
        "layer \"{}\" ({:?}) has no runtime implementation yet",
        layer.name, layer.kind
    ))
}

/// Builds the forward pass of `layers` on `x: [B, ..input]`, taking parameters from `params`
/// in the order [`init_params`] made them.
pub fn forward(
    s: &mut Session,
    layers: &[LayerSpec],
    params: &mut impl Iterator<Item = Var>,
    x: Var,
    mode: Mode,
    built: &mut Forward,
) -> Result<Var> {
    let mut x = x;
    let batch = x.shape()[0];
    for (i, layer) in layers.iter().enumerate() {
        let last = i + 1 == layers.len();
        x = match layer.kind {
            LayerKind::Dense { bias, .. } => {
                let kernel = params.next().expect("a kernel per dense layer");
                let b = if bias { params.next() } else { None };
                s.dense(x, kernel, b)
            }
            LayerKind::Flatten => s.reshape(x, &[batch, layer.output.iter().product()]),
            LayerKind::Dropout { rate } => match mode {
                Mode::Infer => x,
                Mode::Train => {
                    let mask = s.input(&format!("{} mask", layer.name), &x.shape());
                    built.masks.push((mask, rate));
                    s.mul(x, mask)
                }
            },
            LayerKind::Activation => x,
            _ => return Err(unsupported(layer)),
        };
        for (j, &a) in layer.activations.iter().enumerate() {
            if last && j + 1 == layer.activations.len() {
                built.logits = Some((x, a));
            }
            x = s.activate(x, a);
        }
    }
    Ok(x)
}
