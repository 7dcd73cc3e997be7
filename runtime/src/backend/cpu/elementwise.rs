//! Strided kernels for luminal's binary ops, reductions and copies.
//!
//! Each kernel reads its inputs through [`Strided`] views: contiguous inputs are used in
//! place, others are gathered row by row into a scratch buffer first. Large loops split across
//! rayon's threads.

use luminal::op::{InputTensor, Operator};
use luminal::prelude::{ShapeTracker, Tensor};
use rayon::prelude::*;

use super::pool::{self, Buffer};
use super::view::{gather, Strided};

/// Elements per task below which a loop stays on one thread.
const PAR_GRAIN: usize = 1 << 15;

/// The buffer of a CPU tensor: a kernel's [`Buffer`] or a plain `Vec<f32>` set from the host.
pub(crate) fn slice_of(t: &Tensor) -> &[f32] {
    let any = t.data.as_any();
    match any.downcast_ref::<Buffer>() {
        Some(b) => &b.0,
        None => any
            .downcast_ref::<Vec<f32>>()
            .expect("luminet's CPU kernels run on f32 tensors"),
    }
}

/// The buffer of a CPU tensor, moved out of it.
pub(crate) fn take_vec(t: &mut Tensor) -> Vec<f32> {
    let any = t.data.as_any_mut();
    if any.is::<Buffer>() {
        let b = any.downcast_mut::<Buffer>().expect("checked");
        return std::mem::take(&mut b.0);
    }
    std::mem::take(
        any.downcast_mut::<Vec<f32>>()
            .expect("luminet's CPU kernels run on f32 tensors"),
    )
}

/// The buffer of a CPU input tensor.
pub(crate) fn data<'a>(t: &'a InputTensor) -> &'a [f32] {
    slice_of(t.borrowed())
}

/// The input as a contiguous buffer in logical order, reusing it when it already is one.
pub(crate) fn dense_input(t: InputTensor, view: &ShapeTracker) -> Vec<f32> {
    let v = Strided::new(view);
    if v.is_identity() {
        if let InputTensor::Owned(mut owned) = t {
            if slice_of(&owned).len() == v.len() {
                return take_vec(&mut owned);
            }
            return dense_from(&InputTensor::Owned(owned), &v);
        }
    }
    dense_from(&t, &v)
}

fn dense_from(t: &InputTensor, v: &Strided) -> Vec<f32> {
    let mut out = pool::take(v.len());
    gather(data(t), v, &mut out);
    out
}

/// A kernel's output, whose buffer returns to the pool once the graph drops it.
pub(crate) fn tensor(v: Vec<f32>) -> Vec<Tensor> {
    vec![Tensor::new(Buffer(v))]
}

/// A unary elementwise function.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UnaryFn {
    /// `log2 x`
    Log2,
    /// `2^x`
    Exp2,
    /// `sin x`
    Sin,
    /// `1 / x`
    Recip,
    /// `sqrt x`
    Sqrt,
}

/// luminal's unary primitives, over a pooled buffer and written in place when the graph hands
/// the input over.
#[derive(Debug, Clone, PartialEq)]
pub struct FastUnary(pub UnaryFn);

impl Operator for FastUnary {
    fn process(&mut self, mut inp: Vec<(InputTensor, ShapeTracker)>) -> Vec<Tensor> {
        let (x, v) = inp.pop().expect("one input");
        let mut out = dense_input(x, &v);
        let f = match self.0 {
            UnaryFn::Log2 => f32::log2,
            UnaryFn::Exp2 => f32::exp2,
            UnaryFn::Sin => f32::sin,
            UnaryFn::Recip => f32::recip,
            UnaryFn::Sqrt => f32::sqrt,
        };
        let kernel = |o: &mut [f32]| o.iter_mut().for_each(|a| *a = f(*a));
        if out.len() >= 2 * PAR_GRAIN {
            out.par_chunks_mut(PAR_GRAIN).for_each(kernel);
        } else {
            kernel(&mut out);
        }
        tensor(out)
    }
}

/// A binary elementwise function.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BinaryFn {
    /// `a + b`
    Add,
    /// `a * b`
    Mul,
    /// `a % b`
    Mod,
    /// `a < b` as `1.0` or `0.0`
    LessThan,
}

/// luminal's binary primitives through strided views.
#[derive(Debug, Clone, PartialEq)]
pub struct FastBinary(pub BinaryFn);

impl Operator for FastBinary {
    fn process(&mut self, mut inp: Vec<(InputTensor, ShapeTracker)>) -> Vec<Tensor> {
        let (b, vb) = inp.pop().expect("two inputs");
        let (a, va) = inp.pop().expect("two inputs");
        let (sa, sb) = (Strided::new(&va), Strided::new(&vb));
        // Materialize the operand that is already laid out in order (reusing its buffer when
        // it is ours) and stream the other through its view: a broadcast bias or constant
        // is then never expanded in memory.
        let flip = !sb.is_identity() && sa.is_identity() && self.0 != BinaryFn::Mod;
        let (first, second, sv) = if flip {
            ((b, vb), a, sa)
        } else {
            ((a, va), b, sb)
        };
        let mut out = dense_input(first.0, &first.1);
        apply_view(self.0, flip, &mut out, data(&second), &sv);
        tensor(out)
    }
}

/// `out = out (op) rhs` (or `rhs (op) out` when `flip`), `rhs` read through `view` row by row.
fn apply_view(f: BinaryFn, flip: bool, out: &mut [f32], rhs: &[f32], view: &Strided) {
    if view.is_identity() {
        return apply(f, flip, out, &rhs[..out.len()]);
    }
    super::view::for_rows(view, out, |base, valid, inner, dst| {
        let Some(base) = base else {
            return apply_row_scalar(f, flip, dst, 0.0);
        };
        let start = base + inner.shift * inner.stride;
        match (valid, inner.stride) {
            (true, 0) => apply_row_scalar(f, flip, dst, rhs[start as usize]),
            (true, 1) => apply_row(
                f,
                flip,
                dst,
                &rhs[start as usize..start as usize + dst.len()],
            ),
            _ => {
                for (i, d) in dst.iter_mut().enumerate() {
                    let at = base + (i as isize + inner.shift) * inner.stride;
                    let r = if i >= inner.lo && i < inner.hi {
                        rhs[at as usize]
                    } else {
                        0.0
                    };
                    apply_row_scalar(f, flip, std::slice::from_mut(d), r);
                }
            }
        }
    });
}

fn apply(f: BinaryFn, flip: bool, out: &mut [f32], rhs: &[f32]) {
    if out.len() >= 2 * PAR_GRAIN {
        out.par_chunks_mut(PAR_GRAIN)
            .zip(rhs.par_chunks(PAR_GRAIN))
            .for_each(|(o, r)| apply_row(f, flip, o, r));
    } else {
        apply_row(f, flip, out, rhs);
    }
}

kernel! {
    /// `out (op)= rhs` on one thread.
    fn apply_row(f: BinaryFn, flip: bool, o: &mut [f32], r: &[f32]) {
        match (f, flip) {
            (BinaryFn::Add, _) => o.iter_mut().zip(r).for_each(|(a, b)| *a += b),
            (BinaryFn::Mul, _) => o.iter_mut().zip(r).for_each(|(a, b)| *a *= b),
            (BinaryFn::Mod, false) => o.iter_mut().zip(r).for_each(|(a, b)| *a %= b),
            (BinaryFn::Mod, true) => o.iter_mut().zip(r).for_each(|(a, b)| *a = b % *a),
            (BinaryFn::LessThan, false) => o
                .iter_mut()
                .zip(r)
                .for_each(|(a, b)| *a = (*a < *b) as u8 as f32),
            (BinaryFn::LessThan, true) => o
                .iter_mut()
                .zip(r)
                .for_each(|(a, b)| *a = (*b < *a) as u8 as f32),
        }
    }
}

kernel! {
    /// `out (op)= k` on one thread.
    fn apply_row_scalar(f: BinaryFn, flip: bool, o: &mut [f32], k: f32) {
        match (f, flip) {
            (BinaryFn::Add, _) => o.iter_mut().for_each(|a| *a += k),
            (BinaryFn::Mul, _) => o.iter_mut().for_each(|a| *a *= k),
            (BinaryFn::Mod, false) => o.iter_mut().for_each(|a| *a %= k),
            (BinaryFn::Mod, true) => o.iter_mut().for_each(|a| *a = k % *a),
            (BinaryFn::LessThan, false) => o.iter_mut().for_each(|a| *a = (*a < k) as u8 as f32),
            (BinaryFn::LessThan, true) => o.iter_mut().for_each(|a| *a = (k < *a) as u8 as f32),
        }
    }
}

/// luminal's `Contiguous` through a strided view.
#[derive(Debug, Clone, PartialEq)]
pub struct FastContiguous;

impl Operator for FastContiguous {
    fn process(&mut self, mut inp: Vec<(InputTensor, ShapeTracker)>) -> Vec<Tensor> {
        let (x, v) = inp.pop().expect("one input");
        tensor(dense_input(x, &v))
    }
}

/// A reduction over one axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReduceFn {
    /// The sum.
    Sum,
    /// The maximum.
    Max,
}

/// luminal's `SumReduce` / `MaxReduce` over a strided view.
#[derive(Debug, Clone, PartialEq)]
pub struct FastReduce(pub ReduceFn, pub usize);

impl Operator for FastReduce {
    fn process(&mut self, mut inp: Vec<(InputTensor, ShapeTracker)>) -> Vec<Tensor> {
        let (x, v) = inp.pop().expect("one input");
        let view = Strided::new(&v);
        let shape: Vec<usize> = view.axes.iter().map(|a| a.len).collect();
        // Read in place when laid out in order; the copy otherwise goes back to the pool.
        let copy = (!view.is_identity()).then(|| Buffer(dense_from(&x, &view)));
        let x = match &copy {
            Some(c) => &c.0[..],
            None => &data(&x)[..view.len()],
        };
        let axis = self.1;
        let front: usize = shape[..axis].iter().product();
        let n = shape[axis];
        let back: usize = shape[axis + 1..].iter().product();
        tensor(reduce(self.0, x, front, n, back))
    }
}

/// Reduces `x: [front, n, back]` over its middle axis.
pub(crate) fn reduce(f: ReduceFn, x: &[f32], front: usize, n: usize, back: usize) -> Vec<f32> {
    let init = match f {
        ReduceFn::Sum => 0.0,
        ReduceFn::Max => f32::NEG_INFINITY,
    };
    let mut out = pool::take(front * back);
    out.fill(init);
    let one = |(o, xs): (&mut [f32], &[f32])| reduce_rows(f, o, xs);
    if back == 0 || n == 0 {
        return out;
    }
    if back == 1 {
        // Each output is one contiguous row of the input.
        let row = |(o, xs): (&mut f32, &[f32])| *o = reduce_row(f, xs);
        if front * n >= 2 * PAR_GRAIN {
            out.par_iter_mut().zip(x.par_chunks(n)).for_each(row);
        } else {
            out.iter_mut().zip(x.chunks(n)).for_each(row);
        }
        return out;
    }
    if front * n * back >= 2 * PAR_GRAIN && front > 1 {
        out.par_chunks_mut(back)
            .zip(x.par_chunks(n * back))
            .for_each(one);
    } else {
        out.chunks_mut(back).zip(x.chunks(n * back)).for_each(one);
    }
    out
}

kernel! {
    /// Folds the rows of `xs`, each as long as `o`, into `o`.
    fn reduce_rows(f: ReduceFn, o: &mut [f32], xs: &[f32]) {
        for row in xs.chunks(o.len().max(1)) {
            match f {
                ReduceFn::Sum => o.iter_mut().zip(row).for_each(|(a, b)| *a += b),
                ReduceFn::Max => o.iter_mut().zip(row).for_each(|(a, b)| *a = a.max(*b)),
            }
        }
    }
}

kernel! {
    /// One row of `xs` reduced to a value.
    fn reduce_row(f: ReduceFn, xs: &[f32]) -> f32 {
        match f {
            ReduceFn::Sum => xs.iter().sum(),
            ReduceFn::Max => xs.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)),
        }
    }
}
