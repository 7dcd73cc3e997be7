//! The Keras-style summary table, written by the macro and emitted as a string literal, so
//! `summary()` needs no runtime code.
//!
//! It follows Keras 2's layout: `name (Type)`, the output shape with the batch as `None`, and
//! the parameter count, then the totals with thousands separators. Two choices are luminet's:
//! a layer's activations follow its type (`Conv2D, relu`), since `=> relu` folds them into one
//! row; and a residual block is a row counting the whole block, followed by its inner layers
//! indented, its shortcut's marked `shortcut:`. Counts include batch norm's moving statistics,
//! as Keras' do; the totals split them out as non-trainable.

use crate::infer::{Checked, Row, RowKind};

/// Keras' column widths (65 characters a line), kept as minimums so short tables match it.
const NAME_WIDTH: usize = 28;
const SHAPE_WIDTH: usize = 26;
const COUNT_WIDTH: usize = 10;

pub fn table(name: &str, checked: &Checked) -> String {
    let mut lines = Vec::new();
    flatten(&checked.rows, 0, "", &mut lines);
    let widest = |column: fn(&Line) -> &String, least: usize| {
        lines
            .iter()
            .map(|line| column(line).chars().count() + 1)
            .fold(least, usize::max)
    };
    let name_width = widest(|line| &line.0, NAME_WIDTH);
    let shape_width = widest(|line| &line.1, SHAPE_WIDTH);
    let width = 1 + name_width + shape_width + widest(|line| &line.2, COUNT_WIDTH);
    let row = |(a, b, c): (&str, &str, &str)| {
        let text = format!(" {a:<name_width$}{b:<shape_width$}{c}");
        text.trim_end().to_string()
    };

    let mut out = vec![format!("Model: \"{name}\""), "_".repeat(width)];
    out.push(row(("Layer (type)", "Output Shape", "Param #")));
    out.push("=".repeat(width));
    out.extend(lines.iter().map(|(a, b, c)| row((a, b, c))));
    out.push("=".repeat(width));
    let total = checked.params.saturating_add(checked.frozen);
    out.push(format!("Total params: {}", thousands(total)));
    out.push(format!("Trainable params: {}", thousands(checked.params)));
    out.push(format!(
        "Non-trainable params: {}",
        thousands(checked.frozen)
    ));
    out.push("_".repeat(width));
    if checked
        .rows
        .iter()
        .any(|row| matches!(row.kind, RowKind::Residual { .. }))
    {
        out.push(
            "Indented rows are inside the residual block above them, which counts them.".into(),
        );
    }
    out.join("\n")
}

/// A table line: the layer, its output shape, its count.
type Line = (String, String, String);

fn flatten(rows: &[Row], depth: usize, prefix: &str, out: &mut Vec<Line>) {
    for row in rows {
        let indent = "  ".repeat(depth);
        let label = format!("{indent}{prefix}{} ({})", row.name, type_name(row));
        out.push((
            label,
            shape(&row.output),
            thousands(row.params.saturating_add(row.frozen)),
        ));
        if let RowKind::Residual { branch, shortcut } = &row.kind {
            flatten(branch, depth + 1, "", out);
            flatten(shortcut, depth + 1, "shortcut: ", out);
        }
    }
}

fn type_name(row: &Row) -> String {
    let kind = match row.kind {
        RowKind::Dense { .. } => "Dense",
        RowKind::Conv2d { .. } => "Conv2D",
        RowKind::Pool { max: true, .. } => "MaxPooling2D",
        RowKind::Pool { max: false, .. } => "AveragePooling2D",
        RowKind::GlobalAvgPool => "GlobalAveragePooling2D",
        RowKind::Flatten => "Flatten",
        RowKind::Dropout { .. } => "Dropout",
        RowKind::BatchNorm { .. } => "BatchNormalization",
        RowKind::Activation => "Activation",
        RowKind::Residual { .. } => "Residual",
    };
    let mut parts = vec![kind];
    parts.extend(row.acts.iter().map(|act| act.word()));
    parts.join(", ")
}

/// A shape as Keras prints it, the batch as `None`: `(None, 32, 26, 26)`.
pub fn shape(dims: &[usize]) -> String {
    let mut parts = vec!["None".to_string()];
    parts.extend(dims.iter().map(ToString::to_string));
    format!("({})", parts.join(", "))
}

/// `34826` as `34,826`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_shapes() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(34_826), "34,826");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(shape(&[32, 26, 26]), "(None, 32, 26, 26)");
        assert_eq!(shape(&[1600]), "(None, 1600)");
    }
}
