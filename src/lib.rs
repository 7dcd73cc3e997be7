//! luminet: networks declared in a [`network!`] block, shape-checked while your crate compiles,
//! built as [`luminal`](luminet_runtime::luminal) graphs and trained by a Keras-like runtime.

// Lets code that `network!` emits (`::luminet::...`) resolve inside this crate too.
extern crate self as luminet;

pub use luminet_macros::network;
pub use luminet_runtime::*;

/// The names most programs need.
pub mod prelude {
    pub use luminet_macros::network;
    pub use luminet_runtime::prelude::*;
}
