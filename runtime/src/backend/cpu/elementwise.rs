//! Strided kernels for luminal's binary ops, reductions and copies.
//!
//! Each kernel reads its inputs through [`Strided`] views: contiguous inputs are used in
//! place, others are gathered row by row into a scratch buffer first. Large loops split across
//! rayon's threads.

use luminal::op::{InputTensor, Operator};
use luminal::prelude::{ShapeTracker, Tensor};
use rayon::prelude::*;

use super::view::{gather, Strided};

/// Elements per task below which a loop stays on one thread.
const PAR_GRAIN: usize = 1 << 15;

/// The buffer of a CPU input tensor.
pub(crate) fn data<'a>(t: &'a InputTensor) -> &'a [f32] {
    t.borrowed()
        .data
        .as_any()
        .downcast_ref::<Vec<f32>>()
        .expect("luminet's CPU kernels run on Vec<f32> tensors")
}

/// The input as a contiguous buffer in logical order, reusing it when it already is one.
pub(crate) fn dense_input(t: InputTensor, view: &ShapeTracker) -> Vec<f32> {
    let v = Strided::new(view);
    if v.is_identity() {
        if let InputTensor::Owned(mut owned) = t {
            if let Some(buf) = owned.data.as_any_mut().downcast_mut::<Vec<f32>>() {
                if buf.len() == v.len() {
                    return std::mem::take(buf);
                }
            }
            return dense_from(&InputTensor::Owned(owned), &v);
        }
    }
    dense_from(&t, &v)
}

fn dense_from(t: &InputTensor, v: &Strided) -> Vec<f32> {
    let mut out = vec![0.0; v.len()];
    gather(data(t), v, &mut out);
    out
}

pub(crate) fn tensor(v: Vec<f32>) -> Vec<Tensor> {
    vec![Tensor::new(v)]
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
        let mut out = dense_input(a, &va);
        let sb = Strided::new(&vb);
        let scalar = sb.axes.iter().all(|x| x.stride == 0) && sb.is_dense();
        if scalar {
            // A broadcast scalar, e.g. a constant: no scratch buffer at all.
            let k = data(&b)[sb.base() as usize];
            apply_scalar(self.0, &mut out, k);
        } else {
            let rhs = dense_input(b, &vb);
            apply(self.0, &mut out, &rhs);
        }
        tensor(out)
    }
}

fn apply(f: BinaryFn, out: &mut [f32], rhs: &[f32]) {
    let kernel = |(o, r): (&mut [f32], &[f32])| match f {
        BinaryFn::Add => o.iter_mut().zip(r).for_each(|(a, b)| *a += b),
        BinaryFn::Mul => o.iter_mut().zip(r).for_each(|(a, b)| *a *= b),
        BinaryFn::Mod => o.iter_mut().zip(r).for_each(|(a, b)| *a %= b),
        BinaryFn::LessThan => o
            .iter_mut()
            .zip(r)
            .for_each(|(a, b)| *a = (*a < *b) as u8 as f32),
    };
    if out.len() >= 2 * PAR_GRAIN {
        out.par_chunks_mut(PAR_GRAIN)
            .zip(rhs.par_chunks(PAR_GRAIN))
            .for_each(kernel);
    } else {
        kernel((out, rhs));
    }
}

fn apply_scalar(f: BinaryFn, out: &mut [f32], k: f32) {
    let kernel = |o: &mut [f32]| match f {
        BinaryFn::Add => o.iter_mut().for_each(|a| *a += k),
        BinaryFn::Mul => o.iter_mut().for_each(|a| *a *= k),
        BinaryFn::Mod => o.iter_mut().for_each(|a| *a %= k),
        BinaryFn::LessThan => o.iter_mut().for_each(|a| *a = (*a < k) as u8 as f32),
    };
    if out.len() >= 2 * PAR_GRAIN {
        out.par_chunks_mut(PAR_GRAIN).for_each(kernel);
    } else {
        kernel(out);
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
        let shape: Vec<usize> = Strided::new(&v).axes.iter().map(|a| a.len).collect();
        let x = dense_input(x, &v);
        let axis = self.1;
        let front: usize = shape[..axis].iter().product();
        let n = shape[axis];
        let back: usize = shape[axis + 1..].iter().product();
        tensor(reduce(self.0, &x, front, n, back))
    }
}

/// Reduces `x: [front, n, back]` over its middle axis.
pub(crate) fn reduce(f: ReduceFn, x: &[f32], front: usize, n: usize, back: usize) -> Vec<f32> {
    let init = match f {
        ReduceFn::Sum => 0.0,
        ReduceFn::Max => f32::NEG_INFINITY,
    };
    let mut out = vec![init; front * back];
    let one = |(o, xs): (&mut [f32], &[f32])| {
        for row in xs.chunks(back.max(1)) {
            match f {
                ReduceFn::Sum => o.iter_mut().zip(row).for_each(|(a, b)| *a += b),
                ReduceFn::Max => o.iter_mut().zip(row).for_each(|(a, b)| *a = a.max(*b)),
            }
        }
    };
    if back == 0 || n == 0 {
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
