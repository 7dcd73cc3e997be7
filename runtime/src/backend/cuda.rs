//! The CUDA arm: the same primitive graph, compiled by `luminal_cuda`.
//!
//! Every op luminet emits is a luminal primitive, so luminal_cuda's passes cover the whole
//! graph, backward pass and optimizer step included. Its compiler opens the GPU, so compiling
//! needs one; without a CUDA toolkit, `--features cuda-ci-check` still type-checks this path.

use luminal::prelude::GenericCompiler;

use super::cpu::Prune;

/// luminal's generic passes, then luminal_cuda's, for `f32`.
pub fn compiler() -> (GenericCompiler, Prune, luminal_cuda::CudaCompiler<f32>) {
    Default::default()
}
