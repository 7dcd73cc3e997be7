//! Arguments: a stage's arguments bound to a layer's parameters, then read as typed values.
//!
//! Binding follows Python's rules, which Keras users already know: positional arguments in the
//! order of the signature, then keywords, each parameter at most once. Reading checks types
//! only (a whole number, a pair, a flag); whether a value makes sense, such as a stride of 0,
//! is a shape rule and belongs to `infer`.

use crate::parse::{show, Stage, Value, ValueKind};
pub use crate::suggest::suggest;
use crate::Errors;
use proc_macro2::TokenStream;

/// A layer's parameters: the first `required` have no default.
pub struct Signature {
    pub word: &'static str,
    pub params: &'static [&'static str],
    pub required: usize,
    pub example: &'static str,
    /// Appended to "takes no arguments", for layers that take none.
    pub hint: &'static str,
}

/// Names Keras and PyTorch users reach for, mapped to luminet's.
pub(crate) const KEYWORD_ALIASES: &[(&str, &str)] = &[
    ("kernel_size", "kernel"),
    ("pool_size", "size"),
    ("use_bias", "bias"),
    ("out_features", "units"),
    ("out_channels", "filters"),
    ("p", "rate"),
    ("eps", "epsilon"),
    ("negative_slope", "alpha"),
];

/// A stage's arguments matched to the parameters of its layer.
pub struct Bound<'a> {
    /// How errors name the layer, e.g. `conv2d "conv1"`.
    what: String,
    sig: &'static Signature,
    slots: Vec<Option<&'a Value>>,
    /// Whether every argument found its parameter; when not, the settings are guesses.
    pub sound: bool,
}

impl<'a> Bound<'a> {
    pub fn bind(
        stage: &'a Stage,
        sig: &'static Signature,
        what: String,
        errors: &mut Errors,
    ) -> Self {
        let before = errors.count();
        let mut slots = vec![None; sig.params.len()];
        let args = stage.args.as_deref().unwrap_or_default();
        let word = sig.word;

        if sig.params.is_empty() && !args.is_empty() {
            let message = format!("{what} takes no arguments; write `{word}`{}", sig.hint);
            errors.at(stage.args_tokens(), message);
            return Bound {
                what,
                sig,
                slots,
                sound: false,
            };
        }
        let mut keyword_seen = false;
        let mut suggested = Vec::new();
        let mut misplaced = false;
        for (i, arg) in args.iter().enumerate() {
            let Some(key) = &arg.key else {
                if keyword_seen {
                    let message = format!(
                        "{what} gets `{}` after a keyword argument; put positional arguments \
                         first, e.g. `{}`",
                        show(&arg.tokens),
                        sig.example
                    );
                    errors.at(&arg.tokens, message);
                    misplaced = true;
                } else if let Some(slot) = slots.get_mut(i) {
                    // Positional arguments come first, so the `i`th fills the `i`th slot.
                    *slot = Some(&arg.value);
                } else {
                    let extra: TokenStream =
                        args.iter().skip(i).map(|a| a.tokens.clone()).collect();
                    let given = args.iter().filter(|a| a.key.is_none()).count();
                    let n = sig.params.len();
                    let takes = match n {
                        1 => "1 argument".to_string(),
                        n => format!("at most {n} arguments"),
                    };
                    let ones = if given - n == 1 { "one" } else { "ones" };
                    let message = format!(
                        "{what} takes {takes} ({}) but gets {given}; remove the extra {ones}",
                        sig.params.join(", ")
                    );
                    errors.at(extra, message);
                    break;
                }
                continue;
            };

            keyword_seen = true;
            let name = key.to_string();
            match sig.params.iter().position(|p| *p == name) {
                Some(slot) if slots.get(slot).is_some_and(Option::is_some) => {
                    let message = format!("{what} gets `{name}` twice; remove one of them");
                    errors.at(&arg.tokens, message);
                }
                Some(slot) => {
                    if let Some(slot) = slots.get_mut(slot) {
                        *slot = Some(&arg.value);
                    }
                }
                None => {
                    let close = suggest(&name, sig.params, KEYWORD_ALIASES);
                    suggested.extend(close);
                    let fix = match close {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => format!("its arguments are {}", sig.params.join(", ")),
                    };
                    errors.at(key, format!("{what} has no argument `{name}`; {fix}"));
                }
            }
        }

        // A required parameter that a misspelled keyword or a misplaced argument was meant for
        // is reported once, there.
        for (param, slot) in sig.params.iter().zip(&slots).take(sig.required) {
            if slot.is_none() && !suggested.contains(param) && !misplaced {
                let message = format!("{what} needs `{param}`, e.g. `{}`", sig.example);
                errors.at(&stage.tokens, message);
            }
        }
        let sound = errors.count() == before;
        Bound {
            what,
            sig,
            slots,
            sound,
        }
    }

    fn slot(&self, name: &str) -> Option<&'a Value> {
        let index = self.sig.params.iter().position(|p| *p == name)?;
        self.slots.get(index).copied().flatten()
    }

    /// A whole number, or `default` when absent (`None` for a required one, already reported).
    pub fn whole(&self, name: &str, default: Option<usize>, errors: &mut Errors) -> Option<usize> {
        match self.slot(name) {
            Some(value) => self.read_whole(name, value, errors),
            None => default,
        }
    }

    fn read_whole(&self, name: &str, value: &Value, errors: &mut Errors) -> Option<usize> {
        let what = &self.what;
        let given = show(&value.tokens);
        let example = example_value(name);
        let fix = match &value.kind {
            ValueKind::Int {
                negative: false,
                value: Some(n),
            } => return Some(*n),
            ValueKind::Int {
                negative: true,
                value: Some(0),
            } => return Some(0),
            ValueKind::Int { value: None, .. } => {
                let message = format!("{what} has `{name}` {given}, which is too large to count");
                errors.at(&value.tokens, format!("{message}; use a smaller number"));
                return None;
            }
            ValueKind::Int {
                negative: true,
                value: Some(n),
            } => format!("write e.g. `{name} = {n}`"),
            ValueKind::Float(x) if x.is_finite() && *x >= 1.0 => {
                format!("write e.g. `{name} = {}`", x.trunc())
            }
            ValueKind::Word(_) => format!(
                "the macro checks shapes before constants exist, so write the number itself, \
                 e.g. `{name} = {example}`"
            ),
            ValueKind::Str(_) => {
                format!("write the number without quotes, e.g. `{name} = {example}`")
            }
            _ => format!("write e.g. `{name} = {example}`"),
        };
        let message = format!("{what} needs a whole number for `{name}`, not `{given}`; {fix}");
        errors.at(&value.tokens, message);
        None
    }

    /// A height and width, written `3` or `(3, 5)`.
    pub fn pair(
        &self,
        name: &str,
        default: Option<(usize, usize)>,
        errors: &mut Errors,
    ) -> Option<(usize, usize)> {
        match self.slot(name) {
            Some(value) => self.read_pair(name, value, errors),
            None => default,
        }
    }

    fn read_pair(&self, name: &str, value: &Value, errors: &mut Errors) -> Option<(usize, usize)> {
        match &value.kind {
            ValueKind::Tuple(items) if items.len() == 2 => {
                let h = items.first().and_then(|v| self.read_whole(name, v, errors));
                let w = items.get(1).and_then(|v| self.read_whole(name, v, errors));
                Some((h?, w?))
            }
            ValueKind::Tuple(_) => {
                let message = format!(
                    "{} takes one number or a pair (height, width) for `{name}`, not `{}`; \
                     write e.g. `{name} = ({n}, {n})`",
                    self.what,
                    show(&value.tokens),
                    n = example_value(name)
                );
                errors.at(&value.tokens, message);
                None
            }
            _ => self.read_whole(name, value, errors).map(|n| (n, n)),
        }
    }

    /// `valid`, `same`, or zero rows and columns added on each side.
    pub fn padding(&self, errors: &mut Errors) -> Option<Padding> {
        let Some(value) = self.slot("padding") else {
            return Some(Padding::Valid);
        };
        let what = &self.what;
        match &value.kind {
            ValueKind::Word(word) if word == "valid" => Some(Padding::Valid),
            ValueKind::Word(word) if word == "same" => Some(Padding::Same),
            ValueKind::Word(word) => {
                let fix = match suggest(&word.to_string(), &["same", "valid"], &[]) {
                    Some(close) => format!("did you mean `padding = {close}`?"),
                    None => "write valid, same, a number or a pair (height, width)".to_string(),
                };
                errors.at(word, format!("{what} has no padding `{word}`; {fix}"));
                None
            }
            ValueKind::Str(text) if text == "same" || text == "valid" => {
                let message = format!("{what} takes `padding = {text}` without quotes");
                errors.at(&value.tokens, message);
                None
            }
            _ => self.read_pair("padding", value, errors).map(Padding::Fixed),
        }
    }

    pub fn flag(&self, name: &str, default: bool, errors: &mut Errors) -> Option<bool> {
        let Some(value) = self.slot(name) else {
            return Some(default);
        };
        if let ValueKind::Bool(flag) = value.kind {
            return Some(flag);
        }
        let message = format!(
            "{} takes true or false for `{name}`, not `{}`; e.g. `{name} = {}`",
            self.what,
            show(&value.tokens),
            !default
        );
        errors.at(&value.tokens, message);
        None
    }

    /// Any number; ranges are `infer`'s to check.
    pub fn real(&self, name: &str, default: Option<f32>, errors: &mut Errors) -> Option<f32> {
        let Some(value) = self.slot(name) else {
            return default;
        };
        let number = match value.kind {
            ValueKind::Int {
                negative,
                value: Some(n),
            } if negative => Some(-(n as f64)),
            ValueKind::Int { value: Some(n), .. } => Some(n as f64),
            ValueKind::Float(x) => Some(x),
            _ => None,
        };
        // The emitted f32 literal must be finite, so out-of-range numbers stop here.
        if let Some(x) = number.filter(|x| (x.abs() as f32).is_finite()) {
            return Some(x as f32);
        }
        let message = format!(
            "{} needs a number for `{name}`, not `{}`; write e.g. `{name} = {}`",
            self.what,
            show(&value.tokens),
            example_value(name)
        );
        errors.at(&value.tokens, message);
        None
    }

    /// A chain of stages; an absent one is empty.
    pub fn stages(&self, name: &str, errors: &mut Errors) -> Option<Vec<Stage>> {
        let Some(value) = self.slot(name) else {
            return Some(Vec::new());
        };
        match &value.kind {
            ValueKind::Chain(stages) => Some(stages.clone()),
            ValueKind::Word(kind) => Some(vec![Stage::bare(kind.clone(), value.tokens.clone())]),
            _ => {
                let message = format!(
                    "{} takes a layer or a chain of layers for `{name}`, not `{}`; \
                     e.g. `{name} = conv2d(64, 1, stride = 2) => batch_norm`",
                    self.what,
                    show(&value.tokens)
                );
                errors.at(&value.tokens, message);
                None
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Padding {
    Valid,
    Same,
    Fixed((usize, usize)),
}

/// A plausible value for a parameter, for the examples in messages.
fn example_value(name: &str) -> &'static str {
    match name {
        "units" => "10",
        "filters" => "32",
        "kernel" => "3",
        "rate" => "0.5",
        "momentum" => "0.99",
        "epsilon" => "0.001",
        "alpha" => "0.1",
        "padding" => "1",
        _ => "2",
    }
}
