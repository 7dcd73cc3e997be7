//! Layers, arguments and names: what each stage means, and the messages when it means nothing.

use proc_macro2::TokenStream;

use super::{lower, ActKind, Conv, Layer, Net, Op};
use crate::args::Padding;
use crate::parse::parse;
use crate::tests::error;
use crate::Errors;

fn lowered(source: &str) -> Net {
    let mut errors = Errors::default();
    let tokens: TokenStream = source.parse().unwrap_or_default();
    let Ok(network) = parse(tokens, &mut errors) else {
        panic!("no network in {source}")
    };
    let net = lower(network, &mut errors);
    assert!(errors.is_empty(), "{:#?}", errors.messages());
    net
}

fn ops(layers: &[Layer]) -> Vec<&Op> {
    layers.iter().map(|layer| &layer.op).collect()
}

#[test]
fn defaults_positions_and_keywords() {
    let net = lowered(
        "N: [3, 8, 8] { conv2d(8, 3), conv2d(8, (3, 5), 2, same, bias = false), \
         conv2d(filters = 4, kernel = 1, dilation = 2, padding = (1, 0)), max_pool2d(2), \
         avg_pool2d(3, stride = 1), dropout(rate = 0), batch_norm(0.9, 1e-5), dense(4, false) }",
    );
    let conv = |filters, kernel, stride, padding, dilation, bias| {
        Op::Conv2d(Conv {
            filters,
            kernel,
            stride,
            padding,
            dilation,
            bias,
        })
    };
    let expected = [
        conv(8, (3, 3), (1, 1), Padding::Valid, (1, 1), true),
        conv(8, (3, 5), (2, 2), Padding::Same, (1, 1), false),
        conv(4, (1, 1), (1, 1), Padding::Fixed((1, 0)), (2, 2), true),
        Op::Pool {
            max: true,
            size: (2, 2),
            stride: (2, 2),
        },
        Op::Pool {
            max: false,
            size: (3, 3),
            stride: (1, 1),
        },
        Op::Dropout { rate: 0.0 },
        Op::BatchNorm {
            momentum: 0.9,
            epsilon: 1e-5,
        },
        Op::Dense {
            units: 4,
            bias: false,
        },
    ];
    assert_eq!(ops(&net.layers), expected.iter().collect::<Vec<_>>());
}

#[test]
fn activations_and_their_arguments() {
    let net = lowered("N: [4] { leaky_relu, elu(0.5) => leaky_relu(alpha = -0.2) => tanh }");
    let kinds: Vec<Vec<ActKind>> = net
        .layers
        .iter()
        .map(|layer| layer.acts.iter().map(|act| act.kind).collect())
        .collect();
    assert_eq!(
        kinds,
        [
            vec![ActKind::LeakyRelu(0.01)],
            vec![ActKind::Elu(0.5), ActKind::LeakyRelu(-0.2), ActKind::Tanh],
        ]
    );
}

#[test]
fn residual_with_bare_and_chained_shortcuts() {
    let net = lowered("N: [4] { residual(shortcut = batch_norm) { dense(4) }, residual { relu } }");
    let Op::Residual { branch, shortcut } = &net.layers[0].op else {
        panic!("not residual")
    };
    assert_eq!((branch.len(), shortcut.len()), (1, 1));
    assert_eq!(shortcut[0].name, "batch_norm");
    let Op::Residual { shortcut, .. } = &net.layers[1].op else {
        panic!("not residual")
    };
    assert!(shortcut.is_empty());
    let names: Vec<&str> = net.layers.iter().map(|layer| layer.name.as_str()).collect();
    assert_eq!(names, ["residual", "residual_1"]);
}

/// Each argument and naming rule, with the message a user sees.
#[test]
fn argument_errors() {
    let cases = [
        ("N: [4] { conv(8, 3) }", "unknown layer `conv`; did you mean `conv2d`?"),
        ("N: [4] { Dense(8) }", "unknown layer `Dense`; did you mean `dense`?"),
        ("N: [4] { MaxPooling2D(2) }", "unknown layer `MaxPooling2D`; did you mean `max_pool2d`?"),
        ("N: [4] { denes(8) }", "unknown layer `denes`; did you mean `dense`?"),
        ("N: [4] { lstm(8) }",
         "unknown layer `lstm`; the layers are dense, conv2d, max_pool2d, avg_pool2d, \
             global_avg_pool, flatten, dropout, batch_norm, residual, and the activations relu, \
             sigmoid, tanh, softmax, leaky_relu, elu"),
        ("N: [4, 8, 8] { c: conv2d(8, 3, strides = 2) }", "conv2d \"c\" has no argument \
            `strides`; did you mean `stride`?"),
        ("N: [4, 8, 8] { c: conv2d(8, kernel_size = 3) }", "conv2d \"c\" has no argument \
            `kernel_size`; did you mean `kernel`?"),
        ("N: [4, 8, 8] { c: conv2d(8, 3, groups = 2) }",
         "conv2d \"c\" has no argument `groups`; its arguments are filters, kernel, stride, \
             padding, dilation, bias"),
        ("N: [4] { d: dense(8, true, 3) }",
         "dense \"d\" takes at most 2 arguments (units, bias) but gets 3; remove the extra one"),
        ("N: [4] { d: dropout(0.5, 0.2) }", "dropout \"d\" takes 1 argument (rate) but gets 2; \
            remove the extra one"),
        ("N: [4] { d: dense(units = 8, true) }",
         "dense \"d\" gets `true` after a keyword argument; put positional arguments first, \
             e.g. `dense(10)`"),
        ("N: [4] { d: dense(8, units = 4) }", "dense \"d\" gets `units` twice; remove one of them"),
        ("N: [4] { d: dense }", "dense \"d\" needs `units`, e.g. `dense(10)`"),
        ("N: [4, 8, 8] { c: conv2d(8) }", "conv2d \"c\" needs `kernel`, e.g. `conv2d(32, 3)`"),
        ("N: [4] { dense(4) => relu(0.1) }",
         "relu after \"dense\" takes no arguments; write `relu`, or leaky_relu(alpha = 0.1) for a \
             slope below zero"),
        ("N: [4, 2, 2] { flatten(1) }", "flatten \"flatten\" takes no arguments; write `flatten`"),
        ("N: [4] { d: dense(8.5) }", "dense \"d\" needs a whole number for `units`, not `8.5`; \
            write e.g. `units = 8`"),
        ("N: [4] { d: dense(0.5) }", "dense \"d\" needs a whole number for `units`, not `0.5`; \
            write e.g. `units = 10`"),
        ("N: [4, 8, 8] { c: conv2d(8, 3, stride = -2) }",
         "conv2d \"c\" needs a whole number for `stride`, not `-2`; write e.g. `stride = 2`"),
        ("N: [4] { d: dense(\"8\") }",
         "dense \"d\" needs a whole number for `units`, not `\"8\"`; write the number without \
             quotes, e.g. `units = 10`"),
        ("N: [4] { d: dense(UNITS) }",
         "dense \"d\" needs a whole number for `units`, not `UNITS`; the macro checks shapes \
             before constants exist, so write the number itself, e.g. `units = 10`"),
        ("N: [4] { d: dense(99999999999999999999999) }",
         "dense \"d\" has `units` 99999999999999999999999, which is too large to count; use a \
             smaller number"),
        ("N: [4, 8, 8] { c: conv2d(8, (3, 3, 3)) }",
         "conv2d \"c\" takes one number or a pair (height, width) for `kernel`, not `(3, 3, 3)`; \
             write e.g. `kernel = (3, 3)`"),
        ("N: [4, 8, 8] { c: conv2d(8, 3, padding = \"same\") }", "conv2d \"c\" takes `padding = \
            same` without quotes"),
        ("N: [4, 8, 8] { c: conv2d(8, 3, padding = smae) }", "conv2d \"c\" has no padding `smae`; \
            did you mean `padding = same`?"),
        ("N: [4] { d: dense(8, bias = 1) }", "dense \"d\" takes true or false for `bias`, not \
            `1`; e.g. `bias = false`"),
        ("N: [4] { d: dropout(half) }", "dropout \"d\" needs a number for `rate`, not `half`; \
            write e.g. `rate = 0.5`"),
        ("N: [4] { b: residual(shortcut = 3) { relu } }",
         "residual block \"b\" takes a layer or a chain of layers for `shortcut`, not `3`; e.g. \
             `shortcut = conv2d(64, 1, stride = 2) => batch_norm`"),
        ("N: [4] { b: residual }",
         "residual block \"b\" needs its branch in braces, e.g. `residual { conv2d(32, 3, padding \
             = same) => relu }`"),
        ("N: [4] { dense(4) { relu } }", "dense only residual takes a { ... } block; remove the \
            braces after `dense(4)`"),
        ("N: [4] { dense(4) => act: relu }",
         "`act: relu` cannot be named: an activation in a chain belongs to the layer before it; \
             drop `act:`, or write `act: relu` as a layer of its own"),
        ("N: [4] { a: dense(4), a: dense(4) }", "the layer name \"a\" is already taken by an \
            earlier layer; rename this one"),
        ("N: [4] { a: dense(4), residual { a: dense(4) } }",
         "the layer name \"a\" is already taken by an earlier layer; rename this one"),
        ("N: [28.5] { relu }", "the input dimension `28.5` must be a whole number of at least 1, \
            e.g. [1, 28, 28]"),
        ("N: [-1] { relu }", "the input dimension `-1` must be a whole number of at least 1, e.g. \
            [1, 28, 28]"),
        ("N: [H] { relu }",
         "the input dimension `H` must be a number written out, e.g. [1, 28, 28]: the macro \
             checks shapes before constants exist"),
    ];
    for (source, expected) in cases {
        assert_eq!(error(source), expected, "for {source}");
    }
}
