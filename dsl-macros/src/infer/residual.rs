//! Residual blocks, where two shapes must meet, and softmax, whose shape rule is about meaning.

use super::{dims, Interp, RowKind, Shape, Step};
use crate::lower::{Act, Layer};

impl Interp<'_> {
    pub(super) fn residual(
        &mut self,
        layer: &Layer,
        branch: &[Layer],
        shortcut: &[Layer],
        input: Option<&Shape>,
    ) -> Option<Step> {
        if branch.is_empty() {
            let message = format!(
                "{} has an empty branch; put its layers in the braces, \
                 e.g. residual {{ conv2d(32, 3, padding = same) }}",
                layer.what()
            );
            self.errors.at(&layer.tokens, message);
        }
        let rows = self.sequence(branch, input);
        let short = self.sequence(shortcut, input);
        let (input, rows, short) = (input?, rows?, short?);

        let output = rows.last()?.output.clone();
        let joined = short.last().map_or(input, |row| &row.output);
        if output != *joined {
            self.join_error(layer, input, &output, joined, shortcut.is_empty());
            return None;
        }
        let params: Vec<usize> = rows.iter().chain(&short).map(|row| row.params).collect();
        let frozen: Vec<usize> = rows.iter().chain(&short).map(|row| row.frozen).collect();
        let (params, frozen) = (self.sum(layer, &params)?, self.sum(layer, &frozen)?);
        let kind = RowKind::Residual {
            branch: rows,
            shortcut: short,
        };
        Some(Step {
            kind,
            output,
            params,
            frozen,
        })
    }

    fn join_error(
        &mut self,
        layer: &Layer,
        input: &Shape,
        out: &Shape,
        joined: &Shape,
        identity: bool,
    ) {
        let what = layer.what();
        let (out_text, joined_text) = (dims(out), dims(joined));
        let example =
            projection(input, out).map_or(String::new(), |p| format!(", e.g. shortcut = {p}"));
        let message = match (out.len() == joined.len(), identity) {
            (false, true) => format!(
                "{what} turns {} into {out_text}, a different rank, so the identity shortcut \
                 cannot be added to it; keep layers that change the rank, such as flatten, \
                 outside residual blocks",
                dims(input)
            ),
            (false, false) => format!(
                "{what} adds {out_text} to a shortcut of {joined_text}, a different rank; \
                 make the shortcut end in {out_text}"
            ),
            (true, true) => format!(
                "{what} adds {out_text} to a shortcut of {joined_text}; \
                 give the shortcut a projection{example}"
            ),
            (true, false) => format!(
                "{what} adds {out_text} to a shortcut of {joined_text}; \
                 make the shortcut end in {out_text}{example}"
            ),
        };
        self.errors.at(&layer.tokens, message);
    }

    pub(super) fn softmax(&mut self, whose: &str, act: &Act, shape: &Shape) {
        let message = match shape.as_slice() {
            [_, _, _] => format!(
                "{whose} would normalize over the width of the image {}, one row at a time; \
                 flatten and add a dense layer before it",
                dims(shape)
            ),
            [.., 1] => format!(
                "{whose} on {} always gives 1.0, since it normalizes over a single value; \
                 use sigmoid for one output, or give the layer 2 or more units",
                dims(shape)
            ),
            _ => return,
        };
        self.errors.at(&act.tokens, message);
    }
}

/// A 1x1 convolution or a dense layer that takes `input` to `output`, if one does.
pub fn projection(input: &Shape, output: &Shape) -> Option<String> {
    match (input.as_slice(), output.as_slice()) {
        ([_, h, w], [c, oh, ow]) => {
            let stride = match (stride_for(*h, *oh)?, stride_for(*w, *ow)?) {
                (1, 1) => String::new(),
                (s, t) if s == t => format!(", stride = {s}"),
                (s, t) => format!(", stride = ({s}, {t})"),
            };
            Some(format!("conv2d({c}, 1{stride})"))
        }
        ([_], [f]) => Some(format!("dense({f})")),
        ([t, _], [u, f]) if t == u => Some(format!("dense({f})")),
        _ => None,
    }
}

/// The smallest stride `s` with which a 1x1 kernel takes `n` to `out`: `(n - 1) / s + 1 = out`.
fn stride_for(n: usize, out: usize) -> Option<usize> {
    if n == 0 || out == 0 {
        return None;
    }
    let s = (n - 1) / out + 1;
    (s.checked_mul(out - 1)? < n).then_some(s)
}
