//! The runtime under `luminet`: graph building and autodiff on luminal, layers, losses,
//! optimizers, CPU kernels, data loading and the training loop.
#![warn(missing_docs)]

pub use luminal;

pub mod autodiff;
pub mod backend;
pub mod check;
pub mod data;
pub mod error;
pub mod fused;
pub mod init;
pub mod layers;
pub mod loss;
pub mod ops;
pub mod optim;
pub mod rng;
pub mod session;
pub mod spec;
pub mod train;

pub use backend::{set_threads, Device};
pub use error::{Error, Result};
pub use session::{Session, Var};

/// The names most programs need.
pub mod prelude {
    pub use crate::backend::{set_threads, Device};
    pub use crate::data::Dataset;
    pub use crate::error::{Error, Result};
    pub use crate::layers::{Mode, Param};
    pub use crate::loss::Loss;
    pub use crate::optim::Optimizer;
    pub use crate::rng::Rng;
    pub use crate::session::{Session, Var};
    pub use crate::spec::*;
    pub use crate::train::callbacks::{ReduceLrOnPlateau, TerminateOnNaN};
    pub use crate::train::ensemble::Ensemble;
    pub use crate::train::schedule::{
        CosineWithWarmup, ExponentialDecay, FnSchedule, LrSchedule, PiecewiseConstant, Schedule,
    };
    pub use crate::train::{Callback, EarlyStopping, ModelCheckpoint, Monitor};
    pub use crate::train::{Fit, History, Metrics, Model, Validation};
}
