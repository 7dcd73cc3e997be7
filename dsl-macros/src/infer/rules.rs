//! The shape rule of each layer, and the checks of its settings.
//!
//! Every message names the layer, gives the shapes involved, then the fix.

use super::{conv_dim, described, dims, hw, DimError, Interp, RowKind, Shape, Step};
use crate::args::Padding;
use crate::lower::{Conv, Layer, Op, Pair};

impl Interp<'_> {
    /// Checks what needs no shape; `false` when the output shape cannot be computed.
    pub(super) fn settings(&mut self, layer: &Layer, op: &Op) -> bool {
        let what = layer.what();
        let at = &layer.tokens;
        match op {
            Op::Dense { units: 0, .. } => {
                let message = format!("{what} has 0 units; give it at least one, e.g. dense(10)");
                self.errors.at(at, message);
                false
            }
            Op::Conv2d(conv) => {
                let mut fine = true;
                if conv.filters == 0 {
                    let fix = "give it at least one, e.g. conv2d(32, 3)";
                    self.errors.at(at, format!("{what} has 0 filters; {fix}"));
                    fine = false;
                }
                if conv.kernel.0 == 0 || conv.kernel.1 == 0 {
                    let message = format!(
                        "{what} has a {} kernel; each side of a kernel must be at least 1, \
                         e.g. kernel = 3",
                        hw(conv.kernel)
                    );
                    self.errors.at(at, message);
                    fine = false;
                }
                let stride =
                    self.at_least_one(layer, "stride", conv.stride, "stride = 1, the default");
                let dilation = self.at_least_one(layer, "dilation", conv.dilation, "dilation = 1");
                fine && stride && dilation
            }
            Op::Pool { size, stride, .. } => {
                let mut fine = true;
                if size.0 == 0 || size.1 == 0 {
                    let message = format!(
                        "{what} has a {} window; each side of a window must be at least 1, \
                         e.g. {}(2)",
                        hw(*size),
                        layer.word
                    );
                    self.errors.at(at, message);
                    fine = false;
                }
                let fix = "stride = 2, or leave it out to step by the window";
                // The stride defaults to the window, so a zero window would be reported twice.
                fine && self.at_least_one(layer, "stride", *stride, fix)
            }
            Op::Dropout { rate } => {
                if !(0.0..1.0).contains(rate) {
                    let message = format!(
                        "{what} has rate {rate}, but the rate is the fraction of values dropped \
                         and must be in [0, 1); e.g. dropout(0.5)"
                    );
                    self.errors.at(at, message);
                }
                true
            }
            Op::BatchNorm { momentum, epsilon } => {
                if !(0.0..=1.0).contains(momentum) {
                    let message = format!(
                        "{what} has momentum {momentum}, but the momentum weighs the old \
                         statistics and must be in [0, 1]; e.g. momentum = 0.99"
                    );
                    self.errors.at(at, message);
                }
                if *epsilon <= 0.0 {
                    let message = format!(
                        "{what} has epsilon {epsilon}, but epsilon keeps the division by the \
                         deviation safe and must be above 0; e.g. epsilon = 0.001"
                    );
                    self.errors.at(at, message);
                }
                true
            }
            Op::Invalid => false,
            _ => true,
        }
    }

    fn at_least_one(&mut self, layer: &Layer, name: &str, (h, w): Pair, fix: &str) -> bool {
        if h > 0 && w > 0 {
            return true;
        }
        let given = if h == w {
            h.to_string()
        } else {
            format!("({h}, {w})")
        };
        let message = format!(
            "{} has {name} {given}; a {name} must be at least 1, e.g. {fix}",
            layer.what()
        );
        self.errors.at(&layer.tokens, message);
        false
    }

    /// The output of a layer other than a residual block, whose settings are sound.
    pub(super) fn shape(&mut self, layer: &Layer, op: &Op, input: &Shape) -> Option<Step> {
        let same = |kind| {
            Some(Step {
                kind,
                output: input.clone(),
                params: 0,
                frozen: 0,
            })
        };
        let what = layer.what();
        match op {
            Op::Dense { units, bias } => self.dense(layer, *units, *bias, input),
            Op::Conv2d(conv) => self.conv(layer, conv, input),
            Op::Pool { max, size, stride } => self.pool(layer, *max, *size, *stride, input),
            Op::GlobalAvgPool => {
                let [c, _, _] = self.image(layer, input)?;
                Some(Step {
                    kind: RowKind::GlobalAvgPool,
                    output: vec![c],
                    params: 0,
                    frozen: 0,
                })
            }
            Op::Flatten if input.len() == 1 => {
                let message = format!(
                    "{what} gets {}, which is already flat; remove it",
                    dims(input)
                );
                self.errors.at(&layer.tokens, message);
                None
            }
            Op::Flatten => {
                let n = self.product(layer, input)?;
                Some(Step {
                    kind: RowKind::Flatten,
                    output: vec![n],
                    params: 0,
                    frozen: 0,
                })
            }
            Op::Dropout { rate } => same(RowKind::Dropout { rate: *rate }),
            Op::BatchNorm { .. } if input.len() == 2 => {
                let message = format!(
                    "{what} gets {}, but it normalizes the channels of an image [C, H, W] or \
                     the features of [F]; flatten before it",
                    described(input)
                );
                self.errors.at(&layer.tokens, message);
                None
            }
            Op::BatchNorm { momentum, epsilon } => {
                let channels = input.first().copied().unwrap_or_default();
                let n = self.product(layer, &[2, channels])?;
                let kind = RowKind::BatchNorm {
                    momentum: *momentum,
                    epsilon: *epsilon,
                };
                Some(Step {
                    kind,
                    output: input.clone(),
                    params: n,
                    frozen: n,
                })
            }
            Op::Activation => same(RowKind::Activation),
            Op::Residual { .. } | Op::Invalid => None,
        }
    }

    fn dense(&mut self, layer: &Layer, units: usize, bias: bool, input: &Shape) -> Option<Step> {
        let (features, output) = match input.as_slice() {
            [f] => (*f, vec![units]),
            [t, f] => (*f, vec![*t, units]),
            _ => {
                let message = format!(
                    "{} gets {}, but dense works on flat features [F] or sequences [T, F]; \
                     add flatten (or global_avg_pool) before it",
                    layer.what(),
                    described(input)
                );
                self.errors.at(&layer.tokens, message);
                return None;
            }
        };
        let weights = self.product(layer, &[features, units])?;
        let params = self.sum(layer, &[weights, if bias { units } else { 0 }])?;
        Some(Step {
            kind: RowKind::Dense { units, bias },
            output,
            params,
            frozen: 0,
        })
    }

    fn conv(&mut self, layer: &Layer, conv: &Conv, input: &Shape) -> Option<Step> {
        let [c, h, w] = self.image(layer, input)?;
        let (ph, pw) = match conv.padding {
            Padding::Valid => (Some(0), Some(0)),
            Padding::Same => (None, None),
            Padding::Fixed((ph, pw)) => (Some(ph), Some(pw)),
        };
        let rows = conv_dim(h, conv.kernel.0, conv.stride.0, conv.dilation.0, ph);
        let cols = conv_dim(w, conv.kernel.1, conv.stride.1, conv.dilation.1, pw);
        let ((oh, pad_h), (ow, pad_w)) = match (rows, cols) {
            (Ok(rows), Ok(cols)) => (rows, cols),
            (Err(DimError::Overflow), _) | (_, Err(DimError::Overflow)) => {
                self.too_large(layer);
                return None;
            }
            _ => {
                let reach = |k: usize, d: usize| d.saturating_mul(k - 1).saturating_add(1);
                let (kernel, dilation) = (conv.kernel, conv.dilation);
                let reach = (reach(kernel.0, dilation.0), reach(kernel.1, dilation.1));
                let kernel = match dilation {
                    (1, 1) => format!("a {} kernel", hw(kernel)),
                    _ => format!("a {} kernel dilated to {}", hw(kernel), hw(reach)),
                };
                let padded =
                    |n: usize, p: Option<usize>| n.saturating_add(p.unwrap_or(0).saturating_mul(2));
                let room = match conv.padding {
                    Padding::Fixed((p, q)) => {
                        let padding = if p == q {
                            p.to_string()
                        } else {
                            format!("({p}, {q})")
                        };
                        let area = (padded(h, ph), padded(w, pw));
                        format!("only {} with padding {padding}", hw(area))
                    }
                    _ => format!("only {}", hw((h, w))),
                };
                let message = format!(
                    "{} has {kernel} but its input {} is {room}; use a smaller kernel or \
                     padding = same, or downsample less before it",
                    layer.what(),
                    dims(input)
                );
                self.errors.at(&layer.tokens, message);
                return None;
            }
        };
        let (kh, kw) = conv.kernel;
        let weights = self.product(layer, &[c, kh, kw, conv.filters])?;
        let params = self.sum(layer, &[weights, if conv.bias { conv.filters } else { 0 }])?;
        let kind = RowKind::Conv2d {
            filters: conv.filters,
            kernel: conv.kernel,
            stride: conv.stride,
            padding: (pad_h, pad_w),
            dilation: conv.dilation,
            bias: conv.bias,
        };
        Some(Step {
            kind,
            output: vec![conv.filters, oh, ow],
            params,
            frozen: 0,
        })
    }

    fn pool(
        &mut self,
        layer: &Layer,
        max: bool,
        size: Pair,
        stride: Pair,
        input: &Shape,
    ) -> Option<Step> {
        let [c, h, w] = self.image(layer, input)?;
        let rows = conv_dim(h, size.0, stride.0, 1, Some(0));
        let cols = conv_dim(w, size.1, stride.1, 1, Some(0));
        let (Ok((oh, _)), Ok((ow, _))) = (rows, cols) else {
            let message = format!(
                "{} has a {} window but its input {} is only {}; use a smaller window, \
                 or remove it",
                layer.what(),
                hw(size),
                dims(input),
                hw((h, w))
            );
            self.errors.at(&layer.tokens, message);
            return None;
        };
        let kind = RowKind::Pool { max, size, stride };
        Some(Step {
            kind,
            output: vec![c, oh, ow],
            params: 0,
            frozen: 0,
        })
    }

    /// The input as `[C, H, W]`, or an error saying how to get an image there.
    fn image(&mut self, layer: &Layer, input: &Shape) -> Option<[usize; 3]> {
        if let [c, h, w] = input.as_slice() {
            return Some([*c, *h, *w]);
        }
        let global = matches!(layer.op, Op::GlobalAvgPool);
        let fix = match (input.len(), global) {
            (1, true) => "remove it: the features are already flat",
            (_, true) => "use flatten for a sequence",
            (1, false) => {
                "move it before flatten, or give the network an image input such as [1, 28, 28]"
            }
            _ => "give the network an image input such as [1, 28, 28]",
        };
        let message = format!(
            "{} needs an image [C, H, W] but gets {}; {fix}",
            layer.what(),
            described(input)
        );
        self.errors.at(&layer.tokens, message);
        None
    }

    pub(super) fn product(&mut self, layer: &Layer, factors: &[usize]) -> Option<usize> {
        let product = factors.iter().try_fold(1usize, |a, b| a.checked_mul(*b));
        if product.is_none() {
            self.too_large(layer);
        }
        product
    }

    pub(super) fn sum(&mut self, layer: &Layer, terms: &[usize]) -> Option<usize> {
        let sum = terms.iter().try_fold(0usize, |a, b| a.checked_add(*b));
        if sum.is_none() {
            self.too_large(layer);
        }
        sum
    }

    fn too_large(&mut self, layer: &Layer) {
        let message = format!(
            "{} is too large: its sizes multiply past what usize can count; use smaller sizes",
            layer.what()
        );
        self.errors.at(&layer.tokens, message);
    }
}
