//! Shape arithmetic, parameter counts, names, and every error rule, stated in the macro's syntax.

use super::residual::projection;
use super::{conv_dim, DimError, Row, RowKind};
use crate::tests::{check, error, errors, MNIST};

fn rows(source: &str) -> Vec<Row> {
    match check(source) {
        Ok(checked) => checked.rows,
        Err(messages) => panic!("unexpected errors: {messages:#?}"),
    }
}

fn shapes(rows: &[Row]) -> Vec<Vec<usize>> {
    rows.iter().map(|row| row.output.clone()).collect()
}

#[test]
fn convolution_arithmetic() {
    // valid: (28 - 3) / 1 + 1
    assert_eq!(conv_dim(28, 3, 1, 1, Some(0)), Ok((26, (0, 0))));
    assert_eq!(conv_dim(28, 3, 2, 1, Some(0)), Ok((13, (0, 0))));
    // dilation 2 makes a 3-kernel reach 5
    assert_eq!(conv_dim(7, 3, 1, 2, Some(0)), Ok((3, (0, 0))));
    assert_eq!(
        conv_dim(4, 3, 1, 2, Some(0)),
        Err(DimError::Overhang {
            reach: 5,
            padded: 4
        })
    );
    assert_eq!(conv_dim(3, 5, 1, 1, Some(1)), Ok((1, (1, 1))));
    assert_eq!(
        conv_dim(2, 5, 1, 1, Some(1)),
        Err(DimError::Overhang {
            reach: 5,
            padded: 4
        })
    );
    // same: ceil(in / stride), the odd padding pixel at the end as TensorFlow does
    assert_eq!(conv_dim(28, 3, 1, 1, None), Ok((28, (1, 1))));
    assert_eq!(conv_dim(28, 3, 2, 1, None), Ok((14, (0, 1))));
    assert_eq!(conv_dim(5, 4, 1, 1, None), Ok((5, (1, 2))));
    assert_eq!(conv_dim(7, 1, 2, 1, None), Ok((4, (0, 0))));
    assert_eq!(conv_dim(2, 5, 1, 1, None), Ok((2, (2, 2))));
    assert_eq!(
        conv_dim(usize::MAX, 3, 1, usize::MAX, None),
        Err(DimError::Overflow)
    );
}

#[test]
fn mnist_shapes_and_counts() {
    let checked = check(MNIST).unwrap_or_else(|e| panic!("{e:#?}"));
    let expected: Vec<Vec<usize>> = vec![
        vec![32, 26, 26],
        vec![32, 13, 13],
        vec![64, 11, 11],
        vec![64, 5, 5],
        vec![1600],
        vec![1600],
        vec![10],
    ];
    assert_eq!(shapes(&checked.rows), expected);
    let counts: Vec<usize> = checked.rows.iter().map(|row| row.params).collect();
    assert_eq!(counts, [320, 0, 18_496, 0, 0, 0, 16_010]);
    assert_eq!((checked.params, checked.frozen), (34_826, 0));
    assert_eq!(checked.output, [10]);
}

#[test]
fn counts_follow_the_settings() {
    let rows = rows(
        "N: [3, 8, 8] { conv2d(4, (3, 1), bias = false), batch_norm, flatten, \
        dense(5, bias = false) }",
    );
    let counts: Vec<(usize, usize)> = rows.iter().map(|row| (row.params, row.frozen)).collect();
    assert_eq!(counts, [(3 * 3 * 4, 0), (8, 8), (0, 0), (4 * 6 * 8 * 5, 0)]);
    assert_eq!(shapes(&rows)[0], [4, 6, 8]);
}

#[test]
fn dense_works_on_the_last_dimension_of_a_sequence() {
    let rows = rows("N: [12, 20] { dense(8) => tanh, flatten, dense(1) => sigmoid }");
    assert_eq!(shapes(&rows), [vec![12, 8], vec![96], vec![1]]);
    assert_eq!(rows[0].params, 20 * 8 + 8);
}

#[test]
fn pooling_and_padding() {
    let rows = rows(
        "N: [3, 32, 32] { conv2d(8, 5, stride = 2, padding = same), max_pool2d(2, stride = 1), \
         avg_pool2d((2, 3)), conv2d(8, 3, padding = 1, dilation = 2), global_avg_pool }",
    );
    assert_eq!(
        shapes(&rows),
        [
            vec![8, 16, 16],
            vec![8, 15, 15],
            vec![8, 7, 5],
            vec![8, 5, 3],
            vec![8]
        ]
    );
    let RowKind::Conv2d { padding, .. } = rows[0].kind else {
        panic!("not a conv")
    };
    assert_eq!(padding, ((1, 2), (1, 2)));
}

#[test]
fn residual_block_with_projection() {
    let source =
        "N: [32, 14, 14] { block2: residual(shortcut = conv2d(64, 1, stride = 2) => batch_norm) \
        { conv2d(64, 3, stride = 2, padding = same) => batch_norm => relu, \
          conv2d(64, 3, padding = same) => batch_norm } => relu }";
    let rows = rows(source);
    let block = &rows[0];
    assert_eq!(block.name, "block2");
    assert_eq!(block.output, [64, 7, 7]);
    let RowKind::Residual { branch, shortcut } = &block.kind else {
        panic!("not residual")
    };
    let names: Vec<&str> = branch
        .iter()
        .chain(shortcut)
        .map(|row| row.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "conv2d",
            "batch_norm",
            "conv2d_1",
            "batch_norm_1",
            "conv2d_2",
            "batch_norm_2"
        ]
    );
    let branch_params = 32 * 9 * 64 + 64 + 128 + 64 * 9 * 64 + 64 + 128;
    let shortcut_params = 32 * 64 + 64 + 128;
    assert_eq!(block.params, branch_params + shortcut_params);
    assert_eq!(block.frozen, 3 * 128);
}

#[test]
fn identity_residual() {
    let rows = rows("N: [16] { residual { dense(16) => relu, dense(16) }, dense(2) => softmax }");
    assert_eq!(rows[0].params, 2 * (16 * 16 + 16));
}

#[test]
fn chains_attach_activations_and_split_layers() {
    let rows =
        rows("N: [4] { relu, dense(3) => relu => dropout(0.1) => sigmoid, batch_norm => elu }");
    let words = |row: &Row| row.acts.iter().map(|act| act.word()).collect::<Vec<_>>();
    let names: Vec<&str> = rows.iter().map(|row| row.name.as_str()).collect();
    assert_eq!(names, ["relu", "dense", "dropout", "batch_norm"]);
    assert_eq!(words(&rows[0]), ["relu"]);
    assert!(matches!(rows[0].kind, RowKind::Activation));
    assert_eq!(words(&rows[1]), ["relu"]);
    assert_eq!(words(&rows[2]), ["sigmoid"]);
    assert_eq!(words(&rows[3]), ["elu"]);
}

#[test]
fn generated_names_skip_chosen_ones() {
    let rows = rows("N: [4] { dense(4), dense_1: dense(4), dense(4), dense: relu }");
    let names: Vec<&str> = rows.iter().map(|row| row.name.as_str()).collect();
    assert_eq!(names, ["dense_2", "dense_1", "dense_3", "dense"]);
}

#[test]
fn projections_suggested() {
    assert_eq!(
        projection(&vec![32, 14, 14], &vec![64, 7, 7]).as_deref(),
        Some("conv2d(64, 1, stride = 2)")
    );
    assert_eq!(
        projection(&vec![32, 15, 8], &vec![64, 8, 8]).as_deref(),
        Some("conv2d(64, 1, stride = (2, 1))")
    );
    assert_eq!(
        projection(&vec![32, 7, 7], &vec![64, 7, 7]).as_deref(),
        Some("conv2d(64, 1)")
    );
    assert_eq!(projection(&vec![3, 7, 7], &vec![3, 9, 9]), None);
    assert_eq!(projection(&vec![16], &vec![8]).as_deref(), Some("dense(8)"));
}

/// Each rule, with the message a user sees.
#[test]
fn shape_rules() {
    let cases = [
        ("N: [1, 8, 8] { conv2d(4, 3), conv2d(4, 7) }",
         "conv2d \"conv2d_1\" has a 7x7 kernel but its input [4, 6, 6] is only 6x6; use a smaller \
             kernel or padding = same, or downsample less before it"),
        ("N: [1, 4, 4] { conv2d(4, 3, padding = 1, dilation = 3) }",
         "conv2d \"conv2d\" has a 3x3 kernel dilated to 7x7 but its input [1, 4, 4] is only 6x6 \
             with padding 1; use a smaller kernel or padding = same, or downsample less before it"),
        ("N: [1, 8, 8] { c: conv2d(4, 3, stride = 0) }",
         "conv2d \"c\" has stride 0; a stride must be at least 1, e.g. stride = 1, the default"),
        ("N: [1, 8, 8] { c: conv2d(4, (0, 3)) }",
         "conv2d \"c\" has a 0x3 kernel; each side of a kernel must be at least 1, e.g. kernel = \
             3"),
        ("N: [1, 8, 8] { c: conv2d(0, 3) }", "conv2d \"c\" has 0 filters; give it at least one, \
            e.g. conv2d(32, 3)"),
        ("N: [1, 8, 8] { c: conv2d(2, 3, dilation = (1, 0)) }",
         "conv2d \"c\" has dilation (1, 0); a dilation must be at least 1, e.g. dilation = 1"),
        ("N: [4, 1, 1] { p: max_pool2d(2) }",
         "max_pool2d \"p\" has a 2x2 window but its input [4, 1, 1] is only 1x1; use a smaller \
             window, or remove it"),
        ("N: [4, 4, 4] { p: avg_pool2d(0) }",
         "avg_pool2d \"p\" has a 0x0 window; each side of a window must be at least 1, e.g. \
             avg_pool2d(2)"),
        ("N: [4, 4, 4] { p: max_pool2d(2, stride = 0) }",
         "max_pool2d \"p\" has stride 0; a stride must be at least 1, e.g. stride = 2, or leave \
             it out to step by the window"),
        ("N: [784] { fc: dense(0) }", "dense \"fc\" has 0 units; give it at least one, e.g. \
            dense(10)"),
        ("N: [8, 5, 5] { fc: dense(10) }",
         "dense \"fc\" gets the image [8, 5, 5], but dense works on flat features [F] or \
             sequences [T, F]; add flatten (or global_avg_pool) before it"),
        ("N: [784] { flatten }", "flatten \"flatten\" gets [784], which is already flat; remove \
            it"),
        ("N: [784] { c: conv2d(8, 3) }",
         "conv2d \"c\" needs an image [C, H, W] but gets the flat features [784]; move it before \
             flatten, or give the network an image input such as [1, 28, 28]"),
        ("N: [10, 4] { p: max_pool2d(2) }",
         "max_pool2d \"p\" needs an image [C, H, W] but gets the sequence [10, 4]; give the \
             network an image input such as [1, 28, 28]"),
        ("N: [64] { g: global_avg_pool }",
         "global_avg_pool \"g\" needs an image [C, H, W] but gets the flat features [64]; remove \
             it: the features are already flat"),
        ("N: [10, 4] { bn: batch_norm }",
         "batch_norm \"bn\" gets the sequence [10, 4], but it normalizes the channels of an image \
             [C, H, W] or the features of [F]; flatten before it"),
        ("N: [32, 14, 14] { block2: residual { conv2d(64, 3, stride = 2, padding = same) } }",
         "residual block \"block2\" adds [64, 7, 7] to a shortcut of [32, 14, 14]; give the \
             shortcut a projection, e.g. shortcut = conv2d(64, 1, stride = 2)"),
        ("N: [32, 14, 14] { b: residual(shortcut = conv2d(64, 1)) { conv2d(64, 3, stride = 2, \
            padding = same) } }",
         "residual block \"b\" adds [64, 7, 7] to a shortcut of [64, 14, 14]; make the shortcut \
             end in [64, 7, 7], e.g. shortcut = conv2d(64, 1, stride = 2)"),
        ("N: [4, 4, 4] { b: residual { flatten } }",
         "residual block \"b\" turns [4, 4, 4] into [64], a different rank, so the identity \
             shortcut cannot be added to it; keep layers that change the rank, such as flatten, \
             outside residual blocks"),
        ("N: [16] { b: residual {} }",
         "residual block \"b\" has an empty branch; put its layers in the braces, e.g. residual { \
             conv2d(32, 3, padding = same) }"),
        ("N: [4, 6, 6] { softmax }",
         "softmax \"softmax\" would normalize over the width of the image [4, 6, 6], one row at a \
             time; flatten and add a dense layer before it"),
        ("N: [8] { out: dense(1) => softmax }",
         "softmax after \"out\" on [1] always gives 1.0, since it normalizes over a single value; \
             use sigmoid for one output, or give the layer 2 or more units"),
        ("N: [8] { d: dropout(1) }",
         "dropout \"d\" has rate 1, but the rate is the fraction of values dropped and must be in \
             [0, 1); e.g. dropout(0.5)"),
        ("N: [8] { bn: batch_norm(momentum = 1.5) }",
         "batch_norm \"bn\" has momentum 1.5, but the momentum weighs the old statistics and must \
             be in [0, 1]; e.g. momentum = 0.99"),
        ("N: [8] { bn: batch_norm(epsilon = 0) }",
         "batch_norm \"bn\" has epsilon 0, but epsilon keeps the division by the deviation safe \
             and must be above 0; e.g. epsilon = 0.001"),
        ("N: [8] { }", "the network \"N\" has no layers; add some in its braces, e.g. `{ \
            dense(10) }`"),
        ("N: [] { dense(1) }",
         "the input shape of \"N\" is empty; give the shape of one sample, e.g. [784] for flat \
             features or [1, 28, 28] for images"),
        ("N: [1, 0, 28] { dense(1) }",
         "the input shape [1, 0, 28] of \"N\" has a zero dimension; every dimension must be at \
             least 1"),
        ("N: [64, 1, 28, 28] { dense(1) }",
         "the input shape [64, 1, 28, 28] of \"N\" has 4 dimensions, but one sample is [F], [T, \
             F] or [C, H, W]; leave out the batch dimension, e.g. [1, 28, 28]"),
        ("N: [8] { d: dense(usize::MAX), dense(2) }", "dense \"d\" needs a whole number for \
            `units`, not `usize::MAX`; write e.g. `units = 10`"),
        ("N: [18446744073709551615] { d: dense(18446744073709551615) }",
         "dense \"d\" is too large: its sizes multiply past what usize can count; use smaller \
             sizes"),
    ];
    for (source, expected) in cases {
        assert_eq!(error(source), expected, "for {source}");
    }
}

#[test]
fn all_errors_are_collected_without_a_cascade() {
    let messages = errors(
        "N: [1, 8, 8] { conv2d(4, 9), flatten, flatten, dense(0), d: dropout(2), c: conv9(3) }",
    );
    assert_eq!(messages.len(), 4, "{messages:#?}");
    assert!(messages[0].starts_with("unknown layer `conv9`"));
    assert!(messages[1].contains("9x9 kernel"));
    assert!(messages[2].starts_with("dense \"dense\" has 0 units"));
    assert!(messages[3].starts_with("dropout \"d\" has rate 2"));
}

#[test]
fn settings_errors_keep_the_shape_known() {
    // The bad rate does not stop the check of the dense layer after it.
    let messages = errors("N: [1, 8, 8] { dropout(7), dense(3) }");
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert!(messages[1].contains("gets the image [1, 8, 8]"));
}
