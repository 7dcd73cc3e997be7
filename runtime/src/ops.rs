//! Tensor operations on a [`Session`], written in luminal's twelve primitive ops.
//!
//! Each function here emits primitives only, so any luminal backend can run the result; the
//! CPU backend later swaps the hot patterns for its own kernels. Views (`permute`, `expand`,
//! `pad`, `reshape` of a plain tensor) emit no node at all. Shapes must match exactly unless a
//! function says it broadcasts; a mismatch is a bug in the caller and panics with both shapes.

use luminal::op;
use luminal::shape::symbolic::Expression;

use crate::session::{logical_shape, plain_view, Session, Var};

const LOG2_E: f32 = std::f32::consts::LOG2_E;
const LN_2: f32 = std::f32::consts::LN_2;

impl Session {
    /// A scalar constant (shape `[]`).
    pub fn constant(&mut self, value: f32) -> Var {
        let dyn_map = &self.graph.dyn_map as *const _;
        self.push(
            op::Constant(op::ConstantValue::Float(value), dyn_map),
            &[],
            &[],
        )
    }

    /// A tensor of `shape` filled with `value`, as a broadcast view of one scalar.
    pub fn full(&mut self, value: f32, shape: &[usize]) -> Var {
        let c = self.constant(value);
        self.broadcast(c, shape)
    }

    /// A copy of `x` laid out contiguously in its logical order.
    pub fn contiguous(&mut self, x: Var) -> Var {
        if x.is_plain() {
            return x;
        }
        self.push(op::Contiguous, &[x], &x.shape())
    }

    /// A copy of `x` in a node of its own, even if `x` is already plain.
    pub fn copy(&mut self, x: Var) -> Var {
        self.push(op::Contiguous, &[x], &x.shape())
    }

    /// `count` elements along `axis`, from `start`, `step` apart (copied out).
    pub fn strided_slice(
        &mut self,
        x: Var,
        axis: usize,
        start: usize,
        count: usize,
        step: usize,
    ) -> Var {
        let end = start + (count - 1) * step + 1;
        let y = self.slice(x, axis, start, end);
        if step == 1 {
            return y;
        }
        // Pad to count * step, fold the axis into [count, step] and keep index 0 of each step.
        let y = self.pad(y, axis, 0, count * step - (end - start));
        let mut shape = y.shape();
        shape[axis] = count;
        shape.insert(axis + 1, step);
        let y = self.reshape(y, &shape);
        let y = self.slice(y, axis + 1, 0, 1);
        shape.remove(axis + 1);
        self.reshape(y, &shape)
    }

    /// The adjoint of [`Session::strided_slice`]: `x` placed at `start`, `step` apart, in an
    /// axis of length `len`, zeros elsewhere.
    pub fn strided_pad(
        &mut self,
        x: Var,
        axis: usize,
        start: usize,
        step: usize,
        len: usize,
    ) -> Var {
        let count = x.shape()[axis];
        let mut y = x;
        if step > 1 {
            // [.., count, ..] -> [.., count, 1, ..] -> pad to [.., count, step, ..] -> fold.
            let mut shape = y.shape();
            shape.insert(axis + 1, 1);
            y = self.reshape(y, &shape);
            y = self.pad(y, axis + 1, 0, step - 1);
            shape.remove(axis + 1);
            shape[axis] = count * step;
            y = self.reshape(y, &shape);
        }
        let filled = y.shape()[axis];
        if filled > len - start {
            y = self.slice(y, axis, 0, len - start);
        }
        let filled = y.shape()[axis];
        self.pad(y, axis, start, len - start - filled)
    }

    // Views ------------------------------------------------------------------------------

    /// Reorders the axes: axis `i` of the result is axis `axes[i]` of `x`.
    pub fn permute(&mut self, x: Var, axes: &[usize]) -> Var {
        assert_eq!(
            axes.len(),
            x.view.len(),
            "permute {axes:?} of a {:?} tensor",
            x.shape()
        );
        let mut view = x.view;
        view.permute(axes);
        Var { view, ..x }
    }

    /// Swaps the last two axes.
    pub fn transpose(&mut self, x: Var) -> Var {
        let n = x.view.len();
        let mut axes: Vec<usize> = (0..n).collect();
        axes.swap(n - 2, n - 1);
        self.permute(x, &axes)
    }

    /// Inserts a broadcast axis of size `n` at `axis`.
    pub fn expand(&mut self, x: Var, axis: usize, n: usize) -> Var {
        let mut view = x.view;
        view.expand(axis, n.into());
        Var { view, ..x }
    }

    /// Broadcasts `x` to `shape`, numpy-style: axes align from the right and size-1 axes
    /// stretch.
    pub fn broadcast(&mut self, x: Var, shape: &[usize]) -> Var {
        let from = x.shape();
        if from == shape {
            return x;
        }
        assert!(
            from.len() <= shape.len(),
            "cannot broadcast {from:?} to {shape:?}"
        );
        let lead = shape.len() - from.len();
        let stretched: Vec<bool> = from
            .iter()
            .zip(&shape[lead..])
            .map(|(&f, &t)| f != t)
            .collect();
        for (i, (&f, &t)) in from.iter().zip(&shape[lead..]).enumerate() {
            assert!(
                f == t || f == 1,
                "cannot broadcast {from:?} to {shape:?} (axis {i})"
            );
        }
        // Drop the size-1 axes that stretch, then insert broadcast axes wherever needed.
        let kept: Vec<usize> = from
            .iter()
            .zip(&stretched)
            .filter(|(_, &s)| !s)
            .map(|(&f, _)| f)
            .collect();
        let mut y = if kept.len() == from.len() {
            x
        } else {
            self.reshape(x, &kept)
        };
        for (axis, &t) in shape.iter().enumerate() {
            let real = axis >= lead && !stretched[axis - lead];
            if !real {
                y = self.expand(y, axis, t);
            }
        }
        y
    }

    /// The same elements in a new shape (copying first if `x` is not plain).
    pub fn reshape(&mut self, x: Var, shape: &[usize]) -> Var {
        assert_eq!(
            x.len(),
            shape.iter().product::<usize>(),
            "reshape of {:?} to {shape:?}",
            x.shape()
        );
        let x = self.contiguous(x);
        Var {
            view: plain_view(shape),
            ..x
        }
    }

    /// Zero padding of `before` and `after` elements along `axis`.
    pub fn pad(&mut self, x: Var, axis: usize, before: usize, after: usize) -> Var {
        let d = x.view.indexes[axis];
        let x = if x.view.fake[d] || x.view.is_sliced() {
            self.contiguous(x)
        } else {
            x
        };
        let mut padding = vec![(Expression::from(0), Expression::from(0)); x.view.len()];
        padding[axis] = (before.into(), after.into());
        let mut view = x.view;
        view.pad(&padding);
        Var { view, ..x }
    }

    /// Elements `start..end` along `axis`, copied out (luminal mis-sizes sliced views).
    pub fn slice(&mut self, x: Var, axis: usize, start: usize, end: usize) -> Var {
        let shape = x.shape();
        assert!(
            start <= end && end <= shape[axis],
            "slice {start}..{end} of axis {axis} of {shape:?}"
        );
        let x = if x.view.is_padded() {
            self.contiguous(x)
        } else {
            x
        };
        let mut ranges = vec![(Expression::from(0), Expression::from(i32::MAX)); x.view.len()];
        ranges[axis] = (start.into(), end.into());
        let mut view = x.view;
        view.slice(&ranges);
        let sliced = Var { view, ..x };
        debug_assert_eq!(logical_shape(&view)[axis], end - start);
        self.push(op::Contiguous, &[sliced], &logical_shape(&view))
    }

    // Primitives -------------------------------------------------------------------------

    fn unary<O: op::Operator + 'static>(&mut self, op: O, x: Var) -> Var {
        // luminal's unary ops map the physical buffer, so they must see a plain one.
        let x = self.contiguous(x);
        self.push(op, &[x], &x.shape())
    }

    fn binary<O: op::Operator + 'static>(&mut self, op: O, a: Var, b: Var) -> Var {
        let (sa, sb) = (a.shape(), b.shape());
        let shape = broadcast_shape(&sa, &sb);
        let (a, b) = (self.broadcast(a, &shape), self.broadcast(b, &shape));
        self.push(op, &[a, b], &shape)
    }

    /// `2^x`.
    pub fn exp2(&mut self, x: Var) -> Var {
        self.unary(op::Exp2, x)
    }

    /// `log2(x)`.
    pub fn log2(&mut self, x: Var) -> Var {
        self.unary(op::Log2, x)
    }

    /// `sin(x)`.
    pub fn sin(&mut self, x: Var) -> Var {
        self.unary(op::Sin, x)
    }

    /// `sqrt(x)`.
    pub fn sqrt(&mut self, x: Var) -> Var {
        self.unary(op::Sqrt, x)
    }

    /// `1 / x`.
    pub fn recip(&mut self, x: Var) -> Var {
        self.unary(op::Recip, x)
    }

    /// `a + b`, broadcasting.
    pub fn add(&mut self, a: Var, b: Var) -> Var {
        self.binary(op::Add, a, b)
    }

    /// `a * b`, broadcasting.
    pub fn mul(&mut self, a: Var, b: Var) -> Var {
        self.binary(op::Mul, a, b)
    }

    /// `1` where `a < b`, else `0`, broadcasting. Carries no gradient.
    pub fn less_than(&mut self, a: Var, b: Var) -> Var {
        self.binary(op::LessThan, a, b)
    }

    /// The sum over `axis`, which disappears.
    pub fn sum(&mut self, x: Var, axis: usize) -> Var {
        let mut shape = x.shape();
        shape.remove(axis);
        self.push(op::SumReduce(axis), &[x], &shape)
    }

    /// The maximum over `axis`, which disappears.
    pub fn max(&mut self, x: Var, axis: usize) -> Var {
        let mut shape = x.shape();
        shape.remove(axis);
        self.push(op::MaxReduce(axis), &[x], &shape)
    }

    // Composites -------------------------------------------------------------------------

    /// `a - b`, broadcasting.
    pub fn sub(&mut self, a: Var, b: Var) -> Var {
        let nb = self.neg(b);
        self.add(a, nb)
    }

    /// `a / b`, broadcasting.
    pub fn div(&mut self, a: Var, b: Var) -> Var {
        let rb = self.recip(b);
        self.mul(a, rb)
    }

    /// `c * x`.
    pub fn scale(&mut self, x: Var, c: f32) -> Var {
        let k = self.constant(c);
        self.mul(x, k)
    }

    /// `x + c`.
    pub fn shift(&mut self, x: Var, c: f32) -> Var {
        let k = self.constant(c);
        self.add(x, k)
    }

    /// `-x`.
    pub fn neg(&mut self, x: Var) -> Var {
        self.scale(x, -1.0)
    }

    /// `e^x`.
    pub fn exp(&mut self, x: Var) -> Var {
        let y = self.scale(x, LOG2_E);
        self.exp2(y)
    }

    /// `ln(x)`.
    pub fn ln(&mut self, x: Var) -> Var {
        let y = self.log2(x);
        self.scale(y, LN_2)
    }

    /// `cos(x)`.
    pub fn cos(&mut self, x: Var) -> Var {
        let y = self.shift(x, std::f32::consts::FRAC_PI_2);
        self.sin(y)
    }

    /// `x * x`.
    pub fn square(&mut self, x: Var) -> Var {
        self.mul(x, x)
    }

    /// `1` where `x > 0`, else `0`.
    pub fn positive(&mut self, x: Var) -> Var {
        let zero = self.constant(0.0);
        self.less_than(zero, x)
    }

    /// `|x|`.
    pub fn abs(&mut self, x: Var) -> Var {
        // x * (2 [x > 0] - 1)
        let p = self.positive(x);
        let p2 = self.scale(p, 2.0);
        let sign = self.shift(p2, -1.0);
        self.mul(x, sign)
    }

    /// The elementwise maximum of `a` and `b`; the gradient goes to `a` on ties.
    pub fn maximum(&mut self, a: Var, b: Var) -> Var {
        let b_wins = self.less_than(a, b);
        self.select(b_wins, b, a)
    }

    /// The elementwise minimum of `a` and `b`; the gradient goes to `a` on ties.
    pub fn minimum(&mut self, a: Var, b: Var) -> Var {
        let b_wins = self.less_than(b, a);
        self.select(b_wins, b, a)
    }

    /// `yes` where `mask` is 1, `no` where it is 0, exactly: `yes mask + no (1 - mask)`
    /// (finite inputs only, since `inf * 0` is NaN).
    pub fn select(&mut self, mask: Var, yes: Var, no: Var) -> Var {
        let y = self.mul(yes, mask);
        let one = self.constant(1.0);
        let keep = self.sub(one, mask);
        let n = self.mul(no, keep);
        self.add(y, n)
    }

    /// `1` where `a == b`, else `0`.
    pub fn equal(&mut self, a: Var, b: Var) -> Var {
        let lt = self.less_than(a, b);
        let gt = self.less_than(b, a);
        let either = self.add(lt, gt);
        let none = self.neg(either);
        self.shift(none, 1.0)
    }

    /// The sum over several axes.
    pub fn sum_axes(&mut self, x: Var, axes: &[usize]) -> Var {
        let mut axes = axes.to_vec();
        axes.sort_unstable_by(|a, b| b.cmp(a));
        axes.into_iter().fold(x, |y, a| self.sum(y, a))
    }

    /// The sum of all elements, shape `[]`.
    pub fn sum_all(&mut self, x: Var) -> Var {
        let axes: Vec<usize> = (0..x.view.len()).collect();
        self.sum_axes(x, &axes)
    }

    /// The mean over `axis`.
    pub fn mean(&mut self, x: Var, axis: usize) -> Var {
        let n = x.shape()[axis];
        let s = self.sum(x, axis);
        self.scale(s, 1.0 / n as f32)
    }

    /// The mean of all elements, shape `[]`.
    pub fn mean_all(&mut self, x: Var) -> Var {
        let n = x.len();
        let s = self.sum_all(x);
        self.scale(s, 1.0 / n as f32)
    }

    /// The matrix product of `a: [M, K]` and `b: [K, N]`, shape `[M, N]`.
    ///
    /// Written as luminal writes it, a broadcast multiply and a sum over `K`; the CPU backend
    /// turns that pattern, and the ones its gradients form, into a GEMM call.
    pub fn matmul(&mut self, a: Var, b: Var) -> Var {
        let (sa, sb) = (a.shape(), b.shape());
        assert!(
            sa.len() == 2 && sb.len() == 2 && sa[1] == sb[0],
            "matmul of {sa:?} and {sb:?}"
        );
        let (m, n) = (sa[0], sb[1]);
        let a3 = self.expand(a, 1, n); // [M, N, K]
        let bt = self.permute(b, &[1, 0]); // [N, K]
        let b3 = self.expand(bt, 0, m); // [M, N, K]
        let prod = self.push(op::Mul, &[a3, b3], &[m, n, sa[1]]);
        self.sum(prod, 2)
    }
}

/// The numpy broadcast of two shapes.
pub(crate) fn broadcast_shape(a: &[usize], b: &[usize]) -> Vec<usize> {
    let n = a.len().max(b.len());
    let at = |s: &[usize], i: usize| {
        if i + s.len() >= n {
            s[i + s.len() - n]
        } else {
            1
        }
    };
    (0..n)
        .map(|i| {
            let (x, y) = (at(a, i), at(b, i));
            assert!(
                x == y || x == 1 || y == 1,
                "shapes {a:?} and {b:?} do not broadcast"
            );
            x.max(y)
        })
        .collect()
}
