//! The runtime under `luminet`: graph building and autodiff on luminal, layers, losses,
//! optimizers, CPU kernels, data loading and the training loop.
#![warn(missing_docs)]

pub use luminal;

pub mod spec;

/// The names most programs need.
pub mod prelude {
    pub use crate::spec::*;
}
