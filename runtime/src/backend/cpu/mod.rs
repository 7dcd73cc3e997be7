//! luminet's CPU pipeline: luminal's generic passes, then luminet's kernels swapped in.
//!
//! Stock luminal 0.2.0 interprets an index expression per element and never fires its 2-D
//! matmul pass. [`CpuCompiler`] replaces matrix-product patterns with [`matmul::Gemm`] and every
//! binary op, reduction and copy with a strided kernel from [`elementwise`]. luminal's unary ops
//! stay: they already run a plain loop over the buffer.

pub mod elementwise;
pub mod matmul;
pub mod view;

use luminal::op::{Add, Contiguous, LessThan, MaxReduce, Mod, Mul, Operator, SumReduce};
use luminal::prelude::{Compiler, GenericCompiler, Graph, ToIdsMut};

use elementwise::{BinaryFn, FastBinary, FastContiguous, FastReduce, ReduceFn};

/// The whole CPU pipeline.
pub type CpuCompiler = (GenericCompiler, matmul::MatMulPass, FastOpsPass);

/// The CPU pipeline using `threads` threads for its GEMMs.
pub fn compiler(threads: usize) -> CpuCompiler {
    (GenericCompiler::default(), matmul::MatMulPass { threads }, FastOpsPass)
}

/// Swaps luminal's interpreted binary ops, reductions and copies for strided kernels, in place.
#[derive(Debug, Default, Clone, Copy)]
pub struct FastOpsPass;

impl Compiler for FastOpsPass {
    fn compile<T: ToIdsMut>(&self, graph: &mut Graph, _: T) {
        for node in graph.graph.node_indices().collect::<Vec<_>>() {
            let op = graph.graph.node_weight_mut(node).expect("listed node");
            if let Some(fast) = fast_op(op.as_any()) {
                *op = fast;
            }
        }
    }
}

fn fast_op(op: &dyn std::any::Any) -> Option<Box<dyn Operator>> {
    let binary = |f| Some(Box::new(FastBinary(f)) as Box<dyn Operator>);
    if op.is::<Add>() {
        binary(BinaryFn::Add)
    } else if op.is::<Mul>() {
        binary(BinaryFn::Mul)
    } else if op.is::<Mod>() {
        binary(BinaryFn::Mod)
    } else if op.is::<LessThan>() {
        binary(BinaryFn::LessThan)
    } else if let Some(s) = op.downcast_ref::<SumReduce>() {
        Some(Box::new(FastReduce(ReduceFn::Sum, s.0)))
    } else if let Some(m) = op.downcast_ref::<MaxReduce>() {
        Some(Box::new(FastReduce(ReduceFn::Max, m.0)))
    } else if op.is::<Contiguous>() {
        Some(Box::new(FastContiguous))
    } else {
        None
    }
}
