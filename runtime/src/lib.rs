//! The runtime under `luminet`: graph building and autodiff on luminal, layers, losses,
//! optimizers, CPU kernels, data loading and the training loop.
#![warn(missing_docs)]

pub use luminal;

pub mod autodiff;
pub mod check;
pub mod backend;
pub mod ops;
pub mod rng;
pub mod session;
pub mod spec;

pub use backend::{set_threads, Device};
pub use session::{Session, Var};

/// The names most programs need.
pub mod prelude {
    pub use crate::backend::{set_threads, Device};
    pub use crate::session::{Session, Var};
    pub use crate::spec::*;
}
