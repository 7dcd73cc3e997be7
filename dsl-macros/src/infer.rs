//! Shapes: an abstract interpreter that runs the network on shapes instead of tensors.
//!
//! Each layer maps its input shape (one sample, no batch) to an output shape and a parameter
//! count, or reports why it cannot. Along one spatial dimension, with kernel `k`, stride `s`,
//! dilation `d` and the kernel's reach `r = d * (k - 1) + 1`:
//!
//! - `padding = valid` or `p`: `out = (in + 2p - r) / s + 1`, and `r` must fit in `in + 2p`;
//! - `padding = same`: `out = ceil(in / s)`, padded by `max((out - 1) * s + r - in, 0)` split
//!   TensorFlow's way, the odd pixel at the end;
//! - pooling: as `valid` with `d = 1` and the window as kernel.
//!
//! Parameters: dense `F * units (+ units)`, conv2d `C * kh * kw * filters (+ filters)`,
//! batch_norm `2 * C` trainable plus `2 * C` moving statistics (`frozen`), a residual block the
//! sum of its branch and shortcut.
//!
//! A layer whose shape cannot be computed makes the rest of its sequence unknown: the checks
//! that need a shape are skipped there, so one mistake is reported once and not again by every
//! layer after it, while checks of settings alone (a stride of 0) still run everywhere.

use crate::lower::{ActKind, Layer, Net, Op, Pair};
use crate::Errors;

pub type Shape = Vec<usize>;

pub struct Checked {
    pub input: Shape,
    pub output: Shape,
    pub rows: Vec<Row>,
    pub params: usize,
    pub frozen: usize,
}

/// One layer as inferred: its settings resolved, its shapes and its counts.
#[derive(Debug)]
pub struct Row {
    pub name: String,
    pub kind: RowKind,
    pub acts: Vec<ActKind>,
    pub input: Shape,
    pub output: Shape,
    /// Trainable parameters.
    pub params: usize,
    /// Non-trainable state: batch norm's moving mean and variance.
    pub frozen: usize,
}

#[derive(Debug)]
pub enum RowKind {
    Dense {
        units: usize,
        bias: bool,
    },
    Conv2d {
        filters: usize,
        kernel: Pair,
        stride: Pair,
        padding: (Pair, Pair),
        dilation: Pair,
        bias: bool,
    },
    Pool {
        max: bool,
        size: Pair,
        stride: Pair,
    },
    GlobalAvgPool,
    Flatten,
    Dropout {
        rate: f32,
    },
    BatchNorm {
        momentum: f32,
        epsilon: f32,
    },
    Activation,
    Residual {
        branch: Vec<Row>,
        shortcut: Vec<Row>,
    },
}

/// What a layer's shape rule yields, before its activations.
struct Step {
    kind: RowKind,
    output: Shape,
    params: usize,
    frozen: usize,
}

/// Why one spatial dimension of a convolution or pooling has no output.
#[derive(Debug, PartialEq)]
pub enum DimError {
    /// The kernel's reach exceeds the padded input.
    Overhang {
        reach: usize,
        padded: usize,
    },
    Overflow,
}

/// Output size and (before, after) padding along one dimension, `pad` being `None` for `same`.
/// `settings` has already checked that kernel, stride and dilation are at least 1.
pub fn conv_dim(
    input: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    pad: Option<usize>,
) -> Result<(usize, Pair), DimError> {
    let reach = dilation
        .checked_mul(kernel.saturating_sub(1))
        .and_then(|r| r.checked_add(1));
    let reach = reach.ok_or(DimError::Overflow)?;
    let stride = stride.max(1);
    let Some(pad) = pad else {
        let out = input.div_ceil(stride);
        let needed = out
            .saturating_sub(1)
            .checked_mul(stride)
            .and_then(|n| n.checked_add(reach));
        let total = needed.ok_or(DimError::Overflow)?.saturating_sub(input);
        return Ok((out, (total / 2, total - total / 2)));
    };
    let padded = pad
        .checked_mul(2)
        .and_then(|p| p.checked_add(input))
        .ok_or(DimError::Overflow)?;
    if reach > padded {
        return Err(DimError::Overhang { reach, padded });
    }
    Ok(((padded - reach) / stride + 1, (pad, pad)))
}

pub fn infer(net: &Net, errors: &mut Errors) -> Option<Checked> {
    let mut interp = Interp { errors };
    let input = interp.input(net);
    if net.layers.is_empty() {
        let name = &net.header.name;
        let message = format!(
            "the network \"{name}\" has no layers; add some in its braces, e.g. `{{ dense(10) }}`"
        );
        interp.errors.span(net.brace, message);
        return None;
    }

    let rows = interp.sequence(&net.layers, input.as_ref());
    let (input, rows) = (input?, rows?);
    let output = rows.last().map_or(input.clone(), |row| row.output.clone());
    let params = rows
        .iter()
        .try_fold(0usize, |sum, row| sum.checked_add(row.params));
    let frozen = rows
        .iter()
        .try_fold(0usize, |sum, row| sum.checked_add(row.frozen));
    let (Some(params), Some(frozen)) = (params, frozen) else {
        let message = "the network has more parameters than usize can count; use smaller layers";
        interp.errors.span(net.brace, message);
        return None;
    };
    Some(Checked {
        input,
        output,
        rows,
        params,
        frozen,
    })
}

struct Interp<'e> {
    errors: &'e mut Errors,
}

impl Interp<'_> {
    fn input(&mut self, net: &Net) -> Option<Shape> {
        let shape = net.input.as_ref()?;
        let name = &net.header.name;
        let at = &net.input_tokens;
        let text = dims(shape);
        if shape.is_empty() {
            let message = format!(
                "the input shape of \"{name}\" is empty; give the shape of one sample, \
                 e.g. [784] for flat features or [1, 28, 28] for images"
            );
            self.errors.at(at, message);
        } else if shape.len() > 3 {
            let sample = dims(shape.get(shape.len() - 3..).unwrap_or_default());
            let message = format!(
                "the input shape {text} of \"{name}\" has {} dimensions, but one sample is [F], \
                 [T, F] or [C, H, W]; leave out the batch dimension, e.g. {sample}",
                shape.len()
            );
            self.errors.at(at, message);
        } else if shape.contains(&0) {
            let message = format!(
                "the input shape {text} of \"{name}\" has a zero dimension; \
                 every dimension must be at least 1"
            );
            self.errors.at(at, message);
        } else {
            return Some(shape.clone());
        }
        None
    }

    /// The rows of a sequence of layers, `None` if any shape in it is unknown.
    fn sequence(&mut self, layers: &[Layer], input: Option<&Shape>) -> Option<Vec<Row>> {
        let mut shape = input.cloned();
        let mut rows = Some(Vec::new());
        for layer in layers {
            let row = self.layer(layer, shape.as_ref());
            shape = row.as_ref().map(|row| row.output.clone());
            match (rows.as_mut(), row) {
                (Some(rows), Some(row)) => rows.push(row),
                _ => rows = None,
            }
        }
        rows
    }

    fn layer(&mut self, layer: &Layer, input: Option<&Shape>) -> Option<Row> {
        let step = match &layer.op {
            Op::Residual { branch, shortcut } => self.residual(layer, branch, shortcut, input)?,
            op => {
                let settled = self.settings(layer, op);
                let input = input?;
                if !settled {
                    return None;
                }
                self.shape(layer, op, input)?
            }
        };
        for (i, act) in layer.acts.iter().enumerate() {
            if act.kind == ActKind::Softmax {
                let whose = match (&layer.op, i) {
                    (Op::Activation, 0) => layer.what(),
                    _ => format!("softmax after \"{}\"", layer.name),
                };
                self.softmax(&whose, act, &step.output);
            }
        }
        Some(Row {
            name: layer.name.clone(),
            kind: step.kind,
            acts: layer.acts.iter().map(|act| act.kind).collect(),
            input: input.cloned().unwrap_or_default(),
            output: step.output,
            params: step.params,
            frozen: step.frozen,
        })
    }
}

mod residual;
mod rules;
#[cfg(test)]
mod tests;

/// A shape as messages print it: `[64, 7, 7]`.
pub fn dims(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(ToString::to_string).collect();
    format!("[{}]", parts.join(", "))
}

/// A shape with what it is: `the image [32, 5, 5]`.
fn described(shape: &[usize]) -> String {
    let what = match shape.len() {
        1 => "the flat features",
        2 => "the sequence",
        _ => "the image",
    };
    format!("{what} {}", dims(shape))
}

fn hw((h, w): Pair) -> String {
    format!("{h}x{w}")
}
