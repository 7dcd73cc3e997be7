//! What `network!` emits, read through the facade: shapes, counts, the spec and the summary.
//!
//! The MNIST figures are Keras' own for the same network (`model.summary()` of the classic
//! Keras example): 320, 18,496 and 16,010 parameters, 34,826 in all.

use luminet::network;
use luminet::spec::{Activation, LayerKind, LayerSpec};

network! {
    /// The classic Keras MNIST convnet.
    pub MnistCnn: [1, 28, 28] {
        conv1: conv2d(32, 3) => relu,
        max_pool2d(2),
        conv2: conv2d(64, 3) => relu,
        max_pool2d(2),
        flatten,
        dropout(0.5),
        out: dense(10) => softmax,
    }
}

network! {
    /// A stem and one residual block that halves the image with a projection shortcut.
    pub(crate) TinyResNet: [1, 28, 28] {
        stem: conv2d(32, 3, stride = 2, padding = same) => batch_norm => relu,
        block2: residual(shortcut = conv2d(64, 1, stride = 2) => batch_norm) {
            conv2d(64, 3, stride = 2, padding = same) => batch_norm => relu,
            conv2d(64, 3, padding = same) => batch_norm,
        } => relu,
        global_avg_pool,
        out: dense(10) => softmax,
    }
}

fn outputs(layers: &[LayerSpec]) -> Vec<&[usize]> {
    layers.iter().map(|layer| layer.output).collect()
}

fn names(layers: &[LayerSpec]) -> Vec<&str> {
    layers.iter().map(|layer| layer.name).collect()
}

#[test]
fn mnist_shapes_and_counts() {
    assert_eq!(MnistCnn::INPUT_SHAPE, [1, 28, 28]);
    assert_eq!(MnistCnn::OUTPUT_SHAPE, [10]);
    assert_eq!(MnistCnn::PARAM_COUNT, 34_826);

    let spec = MnistCnn::SPEC;
    assert_eq!(
        (spec.name, spec.input, spec.output, spec.params),
        ("MnistCnn", &[1, 28, 28][..], &[10][..], 34_826)
    );
    let expected: [&[usize]; 7] = [
        &[32, 26, 26],
        &[32, 13, 13],
        &[64, 11, 11],
        &[64, 5, 5],
        &[1600],
        &[1600],
        &[10],
    ];
    assert_eq!(outputs(spec.layers), expected);
    let names = names(spec.layers);
    assert_eq!(
        names,
        [
            "conv1",
            "max_pool2d",
            "conv2",
            "max_pool2d_1",
            "flatten",
            "dropout",
            "out"
        ]
    );
    let counts: Vec<usize> = spec.layers.iter().map(|layer| layer.params).collect();
    assert_eq!(counts, [320, 0, 18_496, 0, 0, 0, 16_010]);
}

#[test]
fn mnist_layer_settings() {
    let layers = MnistCnn::SPEC.layers;
    let conv = LayerKind::Conv2d {
        filters: 32,
        kernel: (3, 3),
        stride: (1, 1),
        padding: ((0, 0), (0, 0)),
        dilation: (1, 1),
        bias: true,
    };
    assert_eq!(layers[0].kind, conv);
    assert_eq!(layers[0].activations, [Activation::Relu]);
    assert_eq!(layers[0].input, [1, 28, 28]);
    assert_eq!(
        layers[1].kind,
        LayerKind::MaxPool2d {
            size: (2, 2),
            stride: (2, 2)
        }
    );
    assert_eq!(layers[5].kind, LayerKind::Dropout { rate: 0.5 });
    assert_eq!(
        layers[6].kind,
        LayerKind::Dense {
            units: 10,
            bias: true
        }
    );
    assert_eq!(layers[6].activations, [Activation::Softmax]);
}

#[test]
fn mnist_summary() {
    let summary = MnistCnn::summary();
    for line in [
        "Model: \"MnistCnn\"",
        " Layer (type)                Output Shape              Param #",
        " conv1 (Conv2D, relu)        (None, 32, 26, 26)        320",
        " max_pool2d_1 (MaxPooling2D) (None, 64, 5, 5)          0",
        " flatten (Flatten)           (None, 1600)              0",
        " out (Dense, softmax)        (None, 10)                16,010",
        "Total params: 34,826",
        "Trainable params: 34,826",
        "Non-trainable params: 0",
    ] {
        assert!(
            summary.lines().any(|l| l == line),
            "no line {line:?} in\n{summary}"
        );
    }
    assert_eq!(summary.lines().filter(|l| l.contains("(None")).count(), 7);
}

#[test]
fn residual_block_with_projection() {
    assert_eq!(TinyResNet::OUTPUT_SHAPE, [10]);
    let layers = TinyResNet::SPEC.layers;
    assert_eq!(
        names(layers),
        ["stem", "batch_norm", "block2", "global_avg_pool", "out"]
    );
    let expected: [&[usize]; 5] = [&[32, 14, 14], &[32, 14, 14], &[64, 7, 7], &[64], &[10]];
    assert_eq!(outputs(layers), expected);
    assert_eq!(layers[1].activations, [Activation::Relu]);

    let block = &layers[2];
    assert_eq!(block.input, [32, 14, 14]);
    assert_eq!(block.activations, [Activation::Relu]);
    let LayerKind::Residual { branch, shortcut } = block.kind else {
        panic!("not residual")
    };
    assert_eq!(
        names(branch),
        ["conv2d", "batch_norm_1", "conv2d_1", "batch_norm_2"]
    );
    assert_eq!(names(shortcut), ["conv2d_2", "batch_norm_3"]);
    assert!(outputs(branch)
        .iter()
        .chain(&outputs(shortcut))
        .all(|shape| *shape == [64, 7, 7]));
    // 'same' on 14 with stride 2: output 7, one padding pixel, at the end.
    let LayerKind::Conv2d { padding, .. } = branch[0].kind else {
        panic!("not conv")
    };
    assert_eq!(padding, ((0, 1), (0, 1)));

    let branch_params = (32 * 9 * 64 + 64) + 128 + (64 * 9 * 64 + 64) + 128;
    let shortcut_params = (32 * 64 + 64) + 128;
    assert_eq!(block.params, branch_params + shortcut_params);
    assert_eq!(TinyResNet::PARAM_COUNT, 320 + 64 + block.params + 650);
}

#[test]
fn residual_summary() {
    let summary = TinyResNet::summary();
    for part in [
        "block2 (Residual, relu)",
        "  conv2d (Conv2D)",
        "  batch_norm_1 (BatchNormalization, relu)",
        "  shortcut: conv2d_2 (Conv2D)",
        "Total params: 59,402",
        "Trainable params: 58,954",
        "Non-trainable params: 448",
        "Indented rows are inside the residual block above them",
    ] {
        assert!(summary.contains(part), "no {part:?} in\n{summary}");
    }
}

#[test]
fn networks_in_functions_and_sequences() {
    network! {
        Tagger: [12, 20] {
            dense(8, bias = false) => leaky_relu(alpha = 0.2),
            flatten,
            dense(1) => sigmoid,
        }
    }
    assert_eq!(Tagger::SPEC.layers[0].output, [12, 8]);
    assert_eq!(
        Tagger::SPEC.layers[0].activations,
        [Activation::LeakyRelu(0.2)]
    );
    assert_eq!(Tagger::PARAM_COUNT, 20 * 8 + 96 + 1);
}
