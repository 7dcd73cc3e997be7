//! Meaning: stages become typed layers with their settings and unique names.
//!
//! This pass knows the catalogue of layers and their signatures. It resolves chains (an
//! activation after `=>` joins the layer before it), names every layer, and reports unknown
//! layers and ill-typed arguments. A stage it cannot understand becomes `Op::Invalid`, whose
//! output shape `infer` treats as unknown, so one typo does not hide the errors after it.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Ident, TokenStream};

use crate::args::Bound;
use crate::parse::{show, Entry, Network, Stage, Value, ValueKind};
use crate::Errors;
use catalogue::{is_activation, lookup, suggest_layer, Kind};

pub use ast::*;

mod ast;
mod catalogue;
#[cfg(test)]
mod tests;

pub fn lower(network: Network, errors: &mut Errors) -> Net {
    let mut taken = HashSet::new();
    user_names(&network.body, &mut taken, errors);
    let mut lowering = Lowering {
        errors,
        taken,
        next: HashMap::new(),
    };

    let input = network.input.and_then(|dims| lowering.input(&dims));
    let layers = lowering.entries(&network.body);
    let Network {
        header,
        input_tokens,
        brace,
        ..
    } = network;
    Net {
        header,
        input,
        input_tokens,
        layers,
        brace,
    }
}

/// Collects the names the user chose, everywhere, before any is generated.
fn user_names(entries: &[Entry], taken: &mut HashSet<String>, errors: &mut Errors) {
    for entry in entries {
        let Entry::Chain(stages) = entry else {
            continue;
        };
        for stage in stages {
            if let Some(label) = &stage.label {
                if !taken.insert(label.to_string()) {
                    let message = format!(
                        "the layer name \"{label}\" is already taken by an earlier layer; \
                         rename this one"
                    );
                    errors.at(label, message);
                }
            }
            for arg in stage.args.iter().flatten() {
                if let ValueKind::Chain(stages) = &arg.value.kind {
                    user_names(&[Entry::Chain(stages.clone())], taken, errors);
                }
            }
            user_names(stage.body.as_deref().unwrap_or_default(), taken, errors);
        }
    }
}

struct Lowering<'e> {
    errors: &'e mut Errors,
    taken: HashSet<String>,
    /// The next suffix to try for each generated base name.
    next: HashMap<&'static str, usize>,
}

impl Lowering<'_> {
    fn name(&mut self, label: Option<&Ident>, base: &'static str) -> String {
        if let Some(label) = label {
            return label.to_string();
        }
        loop {
            let n = self.next.entry(base).or_insert(0);
            let name = if *n == 0 {
                base.to_string()
            } else {
                format!("{base}_{n}")
            };
            *n += 1;
            if self.taken.insert(name.clone()) {
                return name;
            }
        }
    }

    fn input(&mut self, dims: &[Value]) -> Option<Vec<usize>> {
        let mut shape = Some(Vec::new());
        for dim in dims {
            let given = show(&dim.tokens);
            let fix = match dim.kind {
                ValueKind::Int {
                    negative: false,
                    value: Some(n),
                } => {
                    if let Some(shape) = shape.as_mut() {
                        shape.push(n);
                    }
                    continue;
                }
                ValueKind::Int { value: None, .. } => "is too large; use a smaller size",
                ValueKind::Word(_) => {
                    "must be a number written out, e.g. [1, 28, 28]: the macro checks shapes \
                     before constants exist"
                }
                _ => "must be a whole number of at least 1, e.g. [1, 28, 28]",
            };
            self.errors
                .at(&dim.tokens, format!("the input dimension `{given}` {fix}"));
            shape = None;
        }
        shape
    }

    fn entries(&mut self, entries: &[Entry]) -> Vec<Layer> {
        let mut layers = Vec::new();
        for entry in entries {
            match entry {
                Entry::Chain(stages) => self.chain(stages, &mut layers),
                Entry::Broken => layers.push(invalid("layer".into(), TokenStream::new())),
            }
        }
        layers
    }

    fn chain(&mut self, stages: &[Stage], layers: &mut Vec<Layer>) {
        for (i, stage) in stages.iter().enumerate() {
            let activation = lookup(&stage.kind).filter(|(kind, _)| is_activation(*kind));
            let (Some((kind, sig)), Some(previous), true) = (activation, layers.last_mut(), i > 0)
            else {
                let layer = self.layer(stage);
                layers.push(layer);
                continue;
            };

            let word = sig.word;
            if let Some(label) = &stage.label {
                let message = format!(
                    "`{label}: {word}` cannot be named: an activation in a chain belongs to the \
                     layer before it; drop `{label}:`, or write `{label}: {word}` as a layer of \
                     its own"
                );
                self.errors.at(&stage.tokens, message);
            }
            self.no_body(stage, word);
            let what = format!("{word} after \"{}\"", previous.name);
            let bound = Bound::bind(stage, sig, what, self.errors);
            let kind = activation_kind(*kind, &bound, self.errors);
            previous.acts.push(Act {
                kind,
                tokens: stage.tokens.clone(),
            });
        }
    }

    fn layer(&mut self, stage: &Stage) -> Layer {
        let Some((kind, sig)) = lookup(&stage.kind) else {
            self.unknown(stage);
            let name = stage
                .label
                .as_ref()
                .map_or(stage.kind.to_string(), ToString::to_string);
            return invalid(name, stage.tokens.clone());
        };
        let name = self.name(stage.label.as_ref(), sig.word);
        let mut layer = invalid(name, stage.tokens.clone());
        layer.word = sig.word;
        let what = match kind {
            Kind::Residual => format!("residual block \"{}\"", layer.name),
            _ => format!("{} \"{}\"", sig.word, layer.name),
        };
        let errors = &mut *self.errors;
        let bound = Bound::bind(stage, sig, what.clone(), errors);
        // A misplaced argument may be one that changes the shape, so the shape after a layer
        // with one is unknown; the layers that keep their input's shape stay checkable.
        let keeps_shape = matches!(kind, Kind::Dropout | Kind::BatchNorm | Kind::Flatten)
            || is_activation(*kind)
            || *kind == Kind::Residual;
        if !bound.sound && !keeps_shape {
            self.no_body(stage, sig.word);
            return layer;
        }

        layer.op = match kind {
            Kind::Dense => match bound.whole("units", None, errors) {
                Some(units) => Op::Dense {
                    units,
                    bias: bound.flag("bias", true, errors).unwrap_or(true),
                },
                None => Op::Invalid,
            },
            Kind::Conv2d => conv(&bound, errors).map_or(Op::Invalid, Op::Conv2d),
            Kind::MaxPool | Kind::AvgPool => {
                let size = bound.pair("size", None, errors);
                match (size, bound.pair("stride", size, errors)) {
                    (Some(size), Some(stride)) => Op::Pool {
                        max: *kind == Kind::MaxPool,
                        size,
                        stride,
                    },
                    _ => Op::Invalid,
                }
            }
            Kind::GlobalAvgPool => Op::GlobalAvgPool,
            Kind::Flatten => Op::Flatten,
            // A bad rate leaves the shape known, so the shapes after it are still checked.
            Kind::Dropout => Op::Dropout {
                rate: bound.real("rate", None, errors).unwrap_or(0.0),
            },
            Kind::BatchNorm => Op::BatchNorm {
                momentum: bound.real("momentum", Some(0.99), errors).unwrap_or(0.99),
                epsilon: bound.real("epsilon", Some(1e-3), errors).unwrap_or(1e-3),
            },
            Kind::Residual => {
                // Unsound arguments leave the shortcut unknown, and the block with it.
                let shortcut = bound.stages("shortcut", errors).filter(|_| bound.sound);
                return self.residual(layer, stage, shortcut, &what);
            }
            activation => {
                let kind = activation_kind(*activation, &bound, errors);
                layer.acts.push(Act {
                    kind,
                    tokens: stage.tokens.clone(),
                });
                Op::Activation
            }
        };
        self.no_body(stage, sig.word);
        layer
    }

    fn residual(
        &mut self,
        mut layer: Layer,
        stage: &Stage,
        shortcut: Option<Vec<Stage>>,
        what: &str,
    ) -> Layer {
        // Branch before shortcut: names are generated in the order the summary lists them.
        let branch = stage.body.as_deref().map(|body| self.entries(body));
        let mut projection = Vec::new();
        self.chain(shortcut.as_deref().unwrap_or_default(), &mut projection);
        layer.op = match (branch, shortcut) {
            (Some(branch), Some(_)) => Op::Residual {
                branch,
                shortcut: projection,
            },
            (None, _) => {
                let message = format!(
                    "{what} needs its branch in braces, \
                     e.g. `residual {{ conv2d(32, 3, padding = same) => relu }}`"
                );
                self.errors.at(&stage.tokens, message);
                Op::Invalid
            }
            (Some(_), None) => Op::Invalid,
        };
        layer
    }

    fn no_body(&mut self, stage: &Stage, word: &str) {
        if stage.body.is_some() {
            let message = format!(
                "only residual takes a {{ ... }} block; remove the braces after `{}`",
                show(&stage.tokens)
            );
            self.errors.at(&stage.tokens, format!("{word} {message}"));
        }
    }

    fn unknown(&mut self, stage: &Stage) {
        let word = stage.kind.to_string();
        let fix = suggest_layer(&word);
        self.errors
            .at(&stage.kind, format!("unknown layer `{word}`; {fix}"));
    }
}

fn conv(bound: &Bound, errors: &mut Errors) -> Option<Conv> {
    let filters = bound.whole("filters", None, errors);
    let kernel = bound.pair("kernel", None, errors);
    let stride = bound.pair("stride", Some((1, 1)), errors);
    let padding = bound.padding(errors);
    let dilation = bound.pair("dilation", Some((1, 1)), errors);
    let bias = bound.flag("bias", true, errors).unwrap_or(true);
    Some(Conv {
        filters: filters?,
        kernel: kernel?,
        stride: stride?,
        padding: padding?,
        dilation: dilation?,
        bias,
    })
}

fn activation_kind(kind: Kind, bound: &Bound, errors: &mut Errors) -> ActKind {
    match kind {
        Kind::Sigmoid => ActKind::Sigmoid,
        Kind::Tanh => ActKind::Tanh,
        Kind::Softmax => ActKind::Softmax,
        Kind::LeakyRelu => {
            ActKind::LeakyRelu(bound.real("alpha", Some(0.01), errors).unwrap_or(0.01))
        }
        Kind::Elu => ActKind::Elu(bound.real("alpha", Some(1.0), errors).unwrap_or(1.0)),
        _ => ActKind::Relu,
    }
}

fn invalid(name: String, tokens: TokenStream) -> Layer {
    Layer {
        name,
        word: "layer",
        op: Op::Invalid,
        acts: Vec::new(),
        tokens,
    }
}
