//! Matrix products: any `SumReduce(k)` of a broadcast `Mul` becomes a call to `gemm`.
//!
//! luminal writes `A @ B` as `sum_k(a[m, 1, k] * b[1, n, k])`, and the gradients of that
//! pattern are the same pattern with other axes broadcast or reduced. Rather than match each
//! layout, [`MatMulPass`] classifies every axis of the product by which operand is broadcast
//! along it: real in `a` only is an `M` axis, real in `b` only an `N` axis, the reduced axis is
//! `K`, real in both is a batch axis. The largest `M` and `N` axes go to `gemm` with the views'
//! own strides (so transposes cost nothing); any other axis is looped over.

use luminal::op::{Contiguous, InputTensor, Mul, Operator, SumReduce};
use luminal::prelude::{move_outgoing_edge, move_references};
use luminal::prelude::{petgraph::visit::EdgeRef, petgraph::Direction};
use luminal::prelude::{Graph, NodeIndex, ShapeTracker, Tensor, ToIdsMut};

use super::elementwise::data;
use super::view::Strided;

/// How a product axis maps to the operands and the output.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Dim {
    len: usize,
    a: isize,
    b: isize,
    out: isize,
}

/// `out[batch.., m, n] = sum_k a[.., m, k] * b[.., k, n]` for arbitrary strides.
#[derive(Debug, Clone, PartialEq)]
pub struct Gemm {
    /// Index of the reduced axis in the product's logical shape.
    pub k_axis: usize,
    /// Threads `gemm` may use.
    pub threads: usize,
    /// The order in which the output's axes (the product's, less `K`) are laid out,
    /// outermost first: row-major when `None`; otherwise the permutation a transposed
    /// consumer would copy it into (see [`MatMulPass`]).
    pub layout: Option<Vec<usize>>,
}

impl Operator for Gemm {
    fn process(&mut self, inp: Vec<(InputTensor, ShapeTracker)>) -> Vec<Tensor> {
        let (va, vb) = (Strided::new(&inp[0].1), Strided::new(&inp[1].1));
        let (a, b) = (data(&inp[0].0), data(&inp[1].0));

        // Output strides: the product's shape without the K axis, row-major in `order`.
        let shape: Vec<usize> = va.axes.iter().map(|x| x.len).collect();
        // The product's axes other than K, and the order they are written in.
        let out_axes: Vec<usize> = (0..shape.len()).filter(|&i| i != self.k_axis).collect();
        let order: Vec<usize> = match &self.layout {
            Some(order) => order.iter().map(|&o| out_axes[o]).collect(),
            None => out_axes,
        };
        let mut out_stride = vec![0isize; shape.len()];
        let mut acc = 1isize;
        for &i in order.iter().rev() {
            out_stride[i] = acc;
            acc *= shape[i] as isize;
        }
        let dims: Vec<Dim> = (0..shape.len())
            .map(|i| Dim {
                len: shape[i],
                a: va.axes[i].stride,
                b: vb.axes[i].stride,
                out: out_stride[i],
            })
            .collect();
        let k = dims[self.k_axis];
        let pick = |want: fn(&Dim) -> bool| {
            (0..dims.len())
                .filter(|&i| i != self.k_axis && want(&dims[i]))
                .max_by_key(|&i| dims[i].len)
        };
        let m_axis = pick(|d| d.a != 0 && d.b == 0);
        let n_axis = pick(|d| d.a == 0 && d.b != 0);
        let unit = Dim {
            len: 1,
            a: 0,
            b: 0,
            out: 0,
        };
        let m = m_axis.map_or(unit, |i| dims[i]);
        let n = n_axis.map_or(unit, |i| dims[i]);
        let batch: Vec<Dim> = (0..dims.len())
            .filter(|&i| i != self.k_axis && Some(i) != m_axis && Some(i) != n_axis)
            .map(|i| dims[i])
            .collect();

        let total: usize = shape
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != self.k_axis)
            .map(|(_, &l)| l)
            .product();
        let mut out = if k.len == 0 {
            super::pool::zeroed(total)
        } else {
            super::pool::take(total)
        };
        let (a0, b0) = (va.base(), vb.base());
        let large = m.len * n.len * k.len >= 1 << 16 && self.threads > 1;

        let count: usize = batch.iter().map(|d| d.len).product();
        for flat in 0..count {
            let (mut oa, mut ob, mut oo) = (a0, b0, 0isize);
            let mut rest = flat;
            for d in batch.iter().rev() {
                let i = (rest % d.len) as isize;
                rest /= d.len;
                oa += i * d.a;
                ob += i * d.b;
                oo += i * d.out;
            }
            let (a, b) = (Operand(a, oa, m.a, k.a), Operand(b, ob, k.b, n.b));
            let dst = out[oo as usize..].as_mut_ptr();
            // SAFETY: the views were built over these buffers, and the output strides span
            // exactly `total` elements: every index read or written is inside.
            unsafe {
                if large {
                    split_gemm((m, n, k.len), dst, a, b, self.threads);
                } else {
                    run_gemm((m, n, k.len), dst, a, b);
                }
            }
        }
        super::elementwise::tensor(out)
    }
}

/// A GEMM operand: data, offset of its first element, row and column strides.
#[derive(Clone, Copy)]
struct Operand<'a>(&'a [f32], isize, isize, isize);

/// `dst[m, n] = a[m, k] b[k, n]`, `dst` strided as `m.out`, `n.out`, on one thread.
///
/// # Safety
/// Every index the lengths and strides reach must lie inside the operands and `dst`.
unsafe fn run_gemm((m, n, k): (Dim, Dim, usize), dst: *mut f32, a: Operand, b: Operand) {
    gemm::gemm(
        m.len,
        n.len,
        k,
        dst,
        n.out,
        m.out,
        false,
        a.0.as_ptr().offset(a.1),
        a.3,
        a.2,
        b.0.as_ptr().offset(b.1),
        b.3,
        b.2,
        0.0,
        1.0,
        false,
        false,
        false,
        gemm::Parallelism::None,
    );
}

/// [`run_gemm`] with the longer of `M` and `N` cut into one band per thread, each band a
/// whole number of the microkernel's 16 rows: `gemm`'s own threading leaves a core idle on
/// the small products of a dense layer (e.g. `x^T g` with `K` the batch).
///
/// # Safety
/// As for [`run_gemm`].
unsafe fn split_gemm(
    (m, n, k): (Dim, Dim, usize),
    dst: *mut f32,
    a: Operand,
    b: Operand,
    threads: usize,
) {
    use rayon::prelude::*;
    let along_m = m.len >= n.len;
    let len = if along_m { m.len } else { n.len };
    let band = len.div_ceil(threads).next_multiple_of(16);
    let dst = dst as usize;
    (0..len.div_ceil(band)).into_par_iter().for_each(|i| {
        let (lo, hi) = (i * band, ((i + 1) * band).min(len));
        let cut = |d: Dim| Dim { len: hi - lo, ..d };
        let at = lo as isize;
        // SAFETY: each band writes its own rows (or columns) of `dst` and reads a sub-range
        // of the operands that the whole product reads.
        unsafe {
            if along_m {
                let a = Operand(a.0, a.1 + at * a.2, a.2, a.3);
                let dst = (dst as *mut f32).offset(at * m.out);
                run_gemm((cut(m), n, k), dst, a, b);
            } else {
                let b = Operand(b.0, b.1 + at * b.3, b.2, b.3);
                let dst = (dst as *mut f32).offset(at * n.out);
                run_gemm((m, cut(n), k), dst, a, b);
            }
        }
    });
}

/// Replaces each `SumReduce` of a broadcast `Mul` with one [`Gemm`].
#[derive(Debug, Clone, Copy)]
pub struct MatMulPass {
    /// Threads each GEMM may use.
    pub threads: usize,
}

impl luminal::prelude::Compiler for MatMulPass {
    fn compile<T: ToIdsMut>(&self, graph: &mut Graph, mut remap: T) {
        let nodes: Vec<_> = graph.graph.node_indices().collect();
        let mut gemms = vec![];
        for reduce in nodes {
            let Some(k_axis) = graph
                .graph
                .node_weight(reduce)
                .and_then(|op| op.as_any().downcast_ref::<SumReduce>())
                .map(|s| s.0)
            else {
                continue;
            };
            let srcs = graph.get_sources(reduce);
            let (mul, _, read) = srcs[0];
            let is_mul = graph
                .graph
                .node_weight(mul)
                .is_some_and(|op| op.as_any().is::<Mul>());
            let private = graph
                .graph
                .edges_directed(mul, Direction::Outgoing)
                .filter(|e| !e.weight().is_schedule())
                .count()
                == 1
                && !graph.no_delete.contains(&mul);
            if !is_mul || !private || !crate::session::is_plain(&read) {
                continue;
            }
            let operands = graph.get_sources(mul);
            let (a, b) = (operands[0].2, operands[1].2);
            if !matmul_shaped(&a, &b, k_axis) {
                continue;
            }

            let gemm = graph
                .add_op(Gemm {
                    k_axis,
                    threads: self.threads,
                    layout: None,
                })
                .input(operands[0].0, operands[0].1, a)
                .input(operands[1].0, operands[1].1, b)
                .finish();
            move_outgoing_edge(reduce, gemm, &mut graph.graph);
            move_references(
                &mut remap,
                &mut graph.no_delete,
                &mut graph.to_retrieve,
                reduce,
                gemm,
            );
            graph.graph.remove_node(reduce);
            graph.graph.remove_node(mul);
            gemms.push(gemm);
        }
        for gemm in gemms {
            fold_transpose(graph, &mut remap, gemm);
        }
    }
}

/// When a product's only reader copies it transposed (`Contiguous` through a permuted view,
/// e.g. a weight gradient `x^T g` computed as `(g^T x)^T` and laid out for the optimizer), the
/// GEMM writes that layout directly and the copy goes.
fn fold_transpose<T: ToIdsMut>(graph: &mut Graph, remap: &mut T, gemm: NodeIndex) {
    let mut readers = graph
        .graph
        .edges_directed(gemm, Direction::Outgoing)
        .filter(|e| !e.weight().is_schedule());
    let (Some(edge), None) = (readers.next(), readers.next()) else {
        return;
    };
    let (copy, view) = (edge.target(), edge.weight().as_data().map(|(_, _, v)| v));
    let Some(view) = view else { return };
    let is_copy = graph
        .graph
        .node_weight(copy)
        .is_some_and(|op| op.as_any().is::<Contiguous>());
    let permuted = !view.is_padded()
        && !view.is_sliced()
        && view.fake.iter().all(|f| !f)
        && view.indexes.iter().enumerate().any(|(a, &i)| a != i);
    if !is_copy || !permuted || graph.no_delete.contains(&gemm) {
        return;
    }
    let order = view.indexes.to_vec();
    if let Some(g) = graph
        .graph
        .node_weight_mut(gemm)
        .and_then(|op| op.as_any_mut().downcast_mut::<Gemm>())
    {
        g.layout = Some(order);
    }
    move_outgoing_edge(copy, gemm, &mut graph.graph);
    move_references(
        remap,
        &mut graph.no_delete,
        &mut graph.to_retrieve,
        copy,
        gemm,
    );
    graph.graph.remove_node(copy);
}

/// Whether `sum_k(a * b)` is a (batched) matrix product: dense views, `K` real in both, and at
/// least one axis broadcast in exactly one operand.
fn matmul_shaped(a: &ShapeTracker, b: &ShapeTracker, k: usize) -> bool {
    if a.is_padded() || b.is_padded() || a.is_sliced() || b.is_sliced() {
        return false;
    }
    if a.dims
        .iter()
        .chain(b.dims.iter())
        .any(|d| d.to_usize().is_none())
    {
        return false;
    }
    let fake = |t: &ShapeTracker, i: usize| t.fake[t.indexes[i]];
    let n = a.indexes.len();
    if fake(a, k) || fake(b, k) {
        return false;
    }
    (0..n).any(|i| i != k && fake(a, i) != fake(b, i))
}

#[cfg(test)]
mod tests {
    use super::Gemm;
    use crate::check::random;
    use crate::session::Session;

    /// Forward and both backward products of a dense layer all become GEMMs.
    #[test]
    fn the_pass_fires_on_a_dense_layer_and_its_gradients() {
        let mut s = Session::new();
        let x = s.input("x", &[8, 5]);
        let w = s.input("w", &[5, 3]);
        let y = s.matmul(x, w);
        let y = s.sin(y);
        let loss = s.sum_all(y);
        let mut g = s.grad(loss, &[x, w]);
        for v in &g {
            s.retrieve(*v);
        }
        s.compile(crate::Device::Cpu, &mut g);
        let gemms = s
            .graph()
            .graph
            .node_weights()
            .filter(|op| op.as_any().is::<Gemm>())
            .count();
        assert_eq!(gemms, 3);
        let (_, xd) = random(&[8, 5], 1);
        let (_, wd) = random(&[5, 3], 2);
        s.set(x, xd);
        s.set(w, wd);
        s.run();
        assert_eq!(s.take(g[1]).len(), 15);
    }
}
