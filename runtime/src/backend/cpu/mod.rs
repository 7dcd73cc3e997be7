//! luminet's CPU pipeline: luminal's generic passes, then luminet's kernels swapped in.
//!
//! Stock luminal 0.2.0 interprets an index expression per element and never fires its 2-D
//! matmul pass. [`CpuCompiler`] first replaces each recorded fused subgraph (convolution,
//! pooling, batch normalization, the rectifier, the optimizer's update) with one
//! [`fused::FusedKernel`], prunes what that left unread, runs luminal's generic passes, then
//! replaces matrix-product patterns with [`matmul::Gemm`] and every other op with a kernel from
//! [`elementwise`]. Every kernel writes into a recycled [`pool::Buffer`].

/// Defines a kernel compiled twice: for AVX2 with FMA, run where the processor has them, and
/// for the baseline `x86_64` (SSE2) or other targets, so that the compiler vectorizes it eight
/// wide. Helpers it calls are `#[inline(always)]` so that they compile inside it. Kernels are
/// the leaves that a parallel loop's body calls: a closure handed to rayon compiles without
/// the features, and what it calls from a kernel's body would not inline. Both builds round
/// alike: the AVX2 one only packs the same operations in wider registers.
macro_rules! kernel {
    (
        $(#[$attr:meta])*
        $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block
    ) => {
        $(#[$attr])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                fn wide($($arg: $ty),*) $(-> $ret)? $body
                if $crate::backend::cpu::lanes::avx2_fma() {
                    // SAFETY: the processor has the features `wide` is compiled for.
                    return unsafe { wide($($arg),*) };
                }
            }
            $body
        }
    };
}

#[macro_use]
mod lanes;
pub mod conv;
pub mod elementwise;
pub mod fused;
pub mod matmul;
pub mod norm;
pub mod pointwise;
pub mod pool;
pub mod profile;
pub mod view;
pub mod winograd;

use luminal::op::{Add, Contiguous, LessThan, MaxReduce, Mod, Mul, Operator, SumReduce};
use luminal::op::{Exp2, Log2, Recip, Sin, Sqrt};
use std::collections::HashMap;

use luminal::prelude::{move_outgoing_edge, move_references, petgraph::Direction};
use luminal::prelude::{Compiler, GenericCompiler, Graph, NodeIndex, ToIdsMut};

use crate::fused::Region;

use elementwise::{BinaryFn, FastBinary, FastContiguous, FastReduce, FastUnary, ReduceFn, UnaryFn};

/// The whole CPU pipeline.
pub type CpuCompiler = (
    FusedPass,
    Prune,
    GenericCompiler,
    matmul::MatMulPass,
    FastOpsPass,
);

/// The CPU pipeline for a graph with fused subgraphs `regions`, using `threads` threads for
/// its GEMMs.
pub fn compiler(threads: usize, regions: Vec<Region>) -> CpuCompiler {
    let fused = FusedPass { regions };
    (
        fused,
        Prune,
        GenericCompiler::default(),
        matmul::MatMulPass { threads },
        FastOpsPass,
    )
}

/// Replaces each recorded fused subgraph by one [`fused::FusedKernel`]; its primitives, now
/// unread, go to [`Prune`].
#[derive(Debug, Default, Clone)]
pub struct FusedPass {
    /// The subgraphs, in the order they were built.
    pub regions: Vec<Region>,
}

impl Compiler for FusedPass {
    fn compile<T: ToIdsMut>(&self, graph: &mut Graph, mut remap: T) {
        let mut moved: HashMap<NodeIndex, NodeIndex> = HashMap::new();
        for r in &self.regions {
            let mut new = graph.add_op(fused::FusedKernel(r.op));
            for x in &r.inputs {
                let node = moved.get(&x.node()).copied().unwrap_or(x.node());
                new = new.input(node, 0, x.view);
            }
            let new = new.finish();
            let old = r.output.node();
            move_outgoing_edge(old, new, &mut graph.graph);
            move_references(
                &mut remap,
                &mut graph.no_delete,
                &mut graph.to_retrieve,
                old,
                new,
            );
            graph.graph.remove_node(old);
            moved.insert(old, new);
        }
    }
}

/// Removes every node whose output nobody reads or retrieves, transitively (luminal's own
/// `RemoveUnusedNodes` removes one layer per run).
#[derive(Debug, Default, Clone, Copy)]
pub struct Prune;

impl Compiler for Prune {
    fn compile<T: ToIdsMut>(&self, graph: &mut Graph, _: T) {
        let mut work: Vec<_> = graph.graph.node_indices().collect();
        while let Some(node) = work.pop() {
            let dead = graph.graph.contains_node(node)
                && !graph.no_delete.contains(&node)
                && graph
                    .graph
                    .edges_directed(node, Direction::Outgoing)
                    .next()
                    .is_none();
            if dead {
                work.extend(graph.graph.neighbors_directed(node, Direction::Incoming));
                graph.graph.remove_node(node);
            }
        }
    }
}

/// Swaps luminal's interpreted binary ops, reductions and copies for strided kernels, and its
/// unary ops for ones over pooled buffers, in place.
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
    let unary = |f| Some(Box::new(FastUnary(f)) as Box<dyn Operator>);
    if op.is::<Log2>() {
        unary(UnaryFn::Log2)
    } else if op.is::<Exp2>() {
        unary(UnaryFn::Exp2)
    } else if op.is::<Sin>() {
        unary(UnaryFn::Sin)
    } else if op.is::<Recip>() {
        unary(UnaryFn::Recip)
    } else if op.is::<Sqrt>() {
        unary(UnaryFn::Sqrt)
    } else if op.is::<Add>() {
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
