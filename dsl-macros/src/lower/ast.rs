//! The typed layers that `lower` produces and `infer` walks.

use proc_macro2::{Span, TokenStream};

use crate::args::Padding;
use crate::parse::Header;

pub type Pair = (usize, usize);

pub struct Net {
    pub header: Header,
    /// `None` when a dimension is not a whole number (already reported).
    pub input: Option<Vec<usize>>,
    pub input_tokens: TokenStream,
    pub layers: Vec<Layer>,
    pub brace: Span,
}

pub struct Layer {
    pub name: String,
    /// The layer's word in the grammar, for messages: `conv2d`, `relu`, ...
    pub word: &'static str,
    pub op: Op,
    pub acts: Vec<Act>,
    /// What errors about the layer span.
    pub tokens: TokenStream,
}

pub struct Act {
    pub kind: ActKind,
    pub tokens: TokenStream,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ActKind {
    Relu,
    Sigmoid,
    Tanh,
    Softmax,
    LeakyRelu(f32),
    Elu(f32),
}

impl ActKind {
    pub fn word(self) -> &'static str {
        match self {
            ActKind::Relu => "relu",
            ActKind::Sigmoid => "sigmoid",
            ActKind::Tanh => "tanh",
            ActKind::Softmax => "softmax",
            ActKind::LeakyRelu(_) => "leaky_relu",
            ActKind::Elu(_) => "elu",
        }
    }
}

#[derive(Debug, PartialEq)]
pub enum Op {
    Dense {
        units: usize,
        bias: bool,
    },
    Conv2d(Conv),
    Pool {
        max: bool,
        size: Pair,
        stride: Pair,
    },
    GlobalAvgPool,
    Flatten,
    Dropout {
        rate: f32,
    },
    BatchNorm {
        momentum: f32,
        epsilon: f32,
    },
    /// A stand-alone activation; the activation itself is the layer's first in `acts`.
    Activation,
    Residual {
        branch: Vec<Layer>,
        shortcut: Vec<Layer>,
    },
    /// Not understood; the reason is reported, and the shape after it is unknown.
    Invalid,
}

#[derive(Debug, PartialEq)]
pub struct Conv {
    pub filters: usize,
    pub kernel: Pair,
    pub stride: Pair,
    pub padding: Padding,
    pub dilation: Pair,
    pub bias: bool,
}

impl Layer {
    /// How messages name the layer: `conv2d "conv1"`, `residual block "block2"`.
    pub fn what(&self) -> String {
        match self.op {
            Op::Residual { .. } => format!("residual block \"{}\"", self.name),
            _ => format!("{} \"{}\"", self.word, self.name),
        }
    }
}

// `Layer` holds `TokenStream`s, which have no equality; tests compare what matters.
impl std::fmt::Debug for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "{} {:?} {:?}",
            self.name,
            self.op,
            self.acts.iter().map(|a| a.kind).collect::<Vec<_>>()
        )
    }
}

impl PartialEq for Layer {
    fn eq(&self, other: &Layer) -> bool {
        let acts = |layer: &Layer| layer.acts.iter().map(|a| a.kind).collect::<Vec<_>>();
        self.name == other.name && self.op == other.op && acts(self) == acts(other)
    }
}
