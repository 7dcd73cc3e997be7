//! The kernel that stands in for a whole fused subgraph (see `crate::fused`).

use luminal::op::{InputTensor, Operator};
use luminal::prelude::{ShapeTracker, Tensor};

use super::elementwise::{data, dense_input, tensor};
use super::pool::Buffer;
use super::view::{materialize, Strided};
use super::{conv, norm, pointwise};
use crate::fused::Fused;

/// One kernel for a whole fused subgraph.
#[derive(Debug, Clone, PartialEq)]
pub struct FusedKernel(pub Fused);

impl Operator for FusedKernel {
    fn process(&mut self, mut inp: Vec<(InputTensor, ShapeTracker)>) -> Vec<Tensor> {
        // An elementwise op writes over its first input when the graph hands it over.
        let mut first = None;
        if self.0.in_place() {
            let (t, v) = inp.remove(0);
            first = Some(dense_input(t, &v));
        }
        // Inputs already in logical order are read in place; others are copied out first, into
        // buffers that go back to the pool.
        let copies: Vec<Option<Buffer>> = inp
            .iter()
            .map(|(t, v)| (!Strided::new(v).is_identity()).then(|| Buffer(materialize(data(t), v))))
            .collect();
        let ins: Vec<&[f32]> = inp
            .iter()
            .zip(&copies)
            .map(|((t, v), c)| match c {
                Some(c) => &c.0[..],
                // In logical order, so the view reads the buffer's first `len` elements.
                None => &data(t)[..Strided::new(v).len()],
            })
            .collect();
        tensor(match (self.0, first) {
            (Fused::Conv2d(g), _) => conv::conv_forward(ins[0], ins[1], None, &g),
            (Fused::Conv2dBias(g), _) => conv::conv_forward(ins[0], ins[1], Some(ins[2]), &g),
            (Fused::ChannelSum(g), _) => norm::channel_sum(ins[0], &g),
            (Fused::Conv2dInputGrad(g), _) => conv::conv_input_grad(ins[0], ins[1], &g),
            (Fused::Conv2dFilterGrad(g), _) => conv::conv_filter_grad(ins[0], ins[1], &g),
            (Fused::MaxPool2d(p), _) => conv::max_pool(ins[0], &p),
            (Fused::MaxPool2dGrad(p), _) => conv::max_pool_grad(ins[0], ins[1], ins[2], &p),
            (Fused::AvgPool2d(p), _) => conv::avg_pool(ins[0], &p),
            (Fused::AvgPool2dGrad(p), _) => conv::avg_pool_grad(ins[0], &p),
            (Fused::ChannelMoments(g), _) => norm::moments(ins[0], &g),
            (Fused::BatchNorm(g, eps), _) => {
                norm::normalize(ins[0], ins[1], ins[2], ins[3], &g, eps)
            }
            (Fused::BatchNormParamGrad(g, eps), _) => {
                norm::param_grad(ins[0], ins[1], ins[2], &g, eps)
            }
            (Fused::BatchNormInputGrad(g, eps), _) => {
                norm::input_grad(ins[0], ins[1], ins[2], ins[3], ins[4], &g, eps)
            }
            (op, Some(mut out)) => {
                pointwise::apply(op, &mut out, &ins);
                out
            }
            (op, None) => unreachable!("{op:?} is elementwise"),
        })
    }
}
