//! The catalogue: every layer's word, signature and kind, and the names users mistake for them.

use proc_macro2::Ident;

use crate::args::{suggest, Signature};

#[derive(Clone, Copy, PartialEq)]
pub enum Kind {
    Dense,
    Conv2d,
    MaxPool,
    AvgPool,
    GlobalAvgPool,
    Flatten,
    Dropout,
    BatchNorm,
    Residual,
    Relu,
    Sigmoid,
    Tanh,
    Softmax,
    LeakyRelu,
    Elu,
}

const fn sig(
    word: &'static str,
    params: &'static [&'static str],
    required: usize,
    example: &'static str,
) -> Signature {
    Signature {
        word,
        params,
        required,
        example,
        hint: "",
    }
}

pub const CATALOGUE: &[(Kind, Signature)] = &[
    (
        Kind::Dense,
        sig("dense", &["units", "bias"], 1, "dense(10)"),
    ),
    (
        Kind::Conv2d,
        sig(
            "conv2d",
            &["filters", "kernel", "stride", "padding", "dilation", "bias"],
            2,
            "conv2d(32, 3)",
        ),
    ),
    (
        Kind::MaxPool,
        sig("max_pool2d", &["size", "stride"], 1, "max_pool2d(2)"),
    ),
    (
        Kind::AvgPool,
        sig("avg_pool2d", &["size", "stride"], 1, "avg_pool2d(2)"),
    ),
    (
        Kind::GlobalAvgPool,
        Signature {
            hint: ", or avg_pool2d(2) to pool a window",
            ..sig("global_avg_pool", &[], 0, "")
        },
    ),
    (Kind::Flatten, sig("flatten", &[], 0, "flatten")),
    (Kind::Dropout, sig("dropout", &["rate"], 1, "dropout(0.5)")),
    (
        Kind::BatchNorm,
        sig(
            "batch_norm",
            &["momentum", "epsilon"],
            0,
            "batch_norm(momentum = 0.9)",
        ),
    ),
    (
        Kind::Residual,
        sig(
            "residual",
            &["shortcut"],
            0,
            "residual(shortcut = conv2d(64, 1)) { .. }",
        ),
    ),
    (
        Kind::Relu,
        Signature {
            hint: ", or leaky_relu(alpha = 0.1) for a slope below zero",
            ..sig("relu", &[], 0, "")
        },
    ),
    (Kind::Sigmoid, sig("sigmoid", &[], 0, "sigmoid")),
    (Kind::Tanh, sig("tanh", &[], 0, "tanh")),
    (Kind::Softmax, sig("softmax", &[], 0, "softmax")),
    (
        Kind::LeakyRelu,
        sig("leaky_relu", &["alpha"], 0, "leaky_relu(alpha = 0.1)"),
    ),
    (Kind::Elu, sig("elu", &["alpha"], 0, "elu(alpha = 1.0)")),
];

/// Names from Keras, PyTorch and habit, normalized as `suggest` compares them.
const LAYER_ALIASES: &[(&str, &str)] = &[
    ("linear", "dense"),
    ("fc", "dense"),
    ("fullyconnected", "dense"),
    ("conv", "conv2d"),
    ("convolution2d", "conv2d"),
    ("maxpool", "max_pool2d"),
    ("maxpooling2d", "max_pool2d"),
    ("avgpool", "avg_pool2d"),
    ("averagepooling2d", "avg_pool2d"),
    ("globalaveragepooling2d", "global_avg_pool"),
    ("adaptiveavgpool2d", "global_avg_pool"),
    ("batchnormalization", "batch_norm"),
    ("batchnorm2d", "batch_norm"),
    ("bn", "batch_norm"),
];

pub fn lookup(kind: &Ident) -> Option<&'static (Kind, Signature)> {
    CATALOGUE.iter().find(|(_, sig)| kind == sig.word)
}

pub fn is_activation(kind: Kind) -> bool {
    use Kind::*;
    matches!(kind, Relu | Sigmoid | Tanh | Softmax | LeakyRelu | Elu)
}

/// The fix for an unknown layer: the one meant, or the whole list.
pub fn suggest_layer(word: &str) -> String {
    let words: Vec<&str> = CATALOGUE.iter().map(|(_, sig)| sig.word).collect();
    if let Some(close) = suggest(word, &words, LAYER_ALIASES) {
        return format!("did you mean `{close}`?");
    }
    let list = |activations: bool| {
        let chosen = CATALOGUE
            .iter()
            .filter(|(kind, _)| is_activation(*kind) == activations);
        chosen
            .map(|(_, sig)| sig.word)
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "the layers are {}, and the activations {}",
        list(false),
        list(true)
    )
}
