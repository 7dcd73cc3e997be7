//! The layers' part of the grammar: entries, chains, stages, arguments and values.

use proc_macro2::{Delimiter, Group, Spacing, TokenStream, TokenTree};
use syn::Lit;

use super::tokens::{collect, flatten, is_assign, is_colon, show, split_arrows, split_commas};
use super::{Arg, Entry, Stage, Syntax, Value, ValueKind, MAX_DEPTH};

impl Syntax<'_> {
    pub(super) fn entries(&mut self, stream: TokenStream) -> Vec<Entry> {
        let tokens = flatten(stream);
        let mut entries = Vec::new();
        for (piece, comma) in split_commas(&tokens) {
            if piece.is_empty() {
                let message = "expected a layer before this comma; remove the extra comma";
                self.errors.at(comma, message);
                continue;
            }
            match self.chain(piece) {
                Some(stages) => entries.push(Entry::Chain(stages)),
                None => entries.push(Entry::Broken),
            }
        }
        entries
    }

    pub(super) fn chain(&mut self, piece: &[TokenTree]) -> Option<Vec<Stage>> {
        let parts = split_arrows(piece);
        let mut stages = Vec::new();
        let mut whole = true;
        let (mut before, mut reported) = (TokenStream::new(), false);
        for (part, after) in parts {
            if part.is_empty() {
                // An empty part sits next to an arrow: the one before it, or after it when first.
                if !reported {
                    reported = true;
                    let arrow = if before.is_empty() {
                        after.clone()
                    } else {
                        before.clone()
                    };
                    let message = "`=>` needs a layer on each side, e.g. `dense(10) => relu`";
                    self.errors.at(arrow, message);
                }
                whole = false;
                before = after;
                continue;
            }
            before = after;
            match self.stage(part) {
                Some(stage) => stages.push(stage),
                None => whole = false,
            }
        }
        whole.then_some(stages)
    }

    fn stage(&mut self, part: &[TokenTree]) -> Option<Stage> {
        let (label, mut next) = match part {
            [TokenTree::Ident(label), TokenTree::Punct(colon), ..] if is_colon(colon) => {
                (Some(label.clone()), 2)
            }
            _ => (None, 0),
        };
        let kind = match part.get(next) {
            Some(TokenTree::Ident(kind)) => kind.clone(),
            Some(other) => {
                let message =
                    format!("expected a layer such as dense(10) or relu, found `{other}`");
                self.errors.at(other, message);
                return None;
            }
            None => {
                let label = label.as_ref().map_or(String::new(), ToString::to_string);
                let message =
                    format!("expected a layer after `{label}:`, e.g. `{label}: dense(10)`");
                self.errors.at(collect(part), message);
                return None;
            }
        };
        next += 1;

        let mut args = None;
        if let Some(TokenTree::Group(group)) = part.get(next) {
            if group.delimiter() == Delimiter::Parenthesis {
                args = Some(self.nested(group, Self::arguments)?);
                next += 1;
            }
        }
        let head: TokenStream = collect(part.get(..next).unwrap_or_default());
        let mut body = None;
        if let Some(TokenTree::Group(group)) = part.get(next) {
            if group.delimiter() == Delimiter::Brace {
                body =
                    Some(self.nested(group, |syntax, group| Some(syntax.entries(group.stream())))?);
                next += 1;
            }
        }

        if let Some(extra) = part.get(next) {
            let message = format!(
                "expected `,` or `=>` after `{}`, found `{extra}`; \
                 separate layers with commas and chain activations with `=>`",
                show(&head)
            );
            self.errors.at(extra, message);
            return None;
        }
        Some(Stage {
            label,
            kind,
            args,
            body,
            tokens: head,
        })
    }

    /// Runs `inside` on a group one level deeper, refusing absurd nesting.
    fn nested<T>(
        &mut self,
        group: &Group,
        inside: fn(&mut Self, &Group) -> Option<T>,
    ) -> Option<T> {
        if self.depth >= MAX_DEPTH {
            let message = format!("this nests more than {MAX_DEPTH} levels deep; flatten it");
            self.errors.span(group.span(), message);
            return None;
        }
        self.depth += 1;
        let result = inside(self, group);
        self.depth -= 1;
        result
    }

    fn arguments(&mut self, group: &Group) -> Option<Vec<Arg>> {
        let tokens = flatten(group.stream());
        let mut args = Vec::new();
        let mut whole = true;
        for (piece, comma) in split_commas(&tokens) {
            let tokens = collect(piece);
            let arg = match piece {
                [TokenTree::Ident(key), TokenTree::Punct(eq), rest @ ..] if is_assign(eq) => {
                    if rest.is_empty() {
                        let message = format!("expected a value after `{key} =`, e.g. `{key} = 2`");
                        self.errors.at(&tokens, message);
                        None
                    } else {
                        self.value(rest, None).map(|value| Arg {
                            key: Some(key.clone()),
                            value,
                            tokens,
                        })
                    }
                }
                _ => self.value(piece, comma).map(|value| Arg {
                    key: None,
                    value,
                    tokens,
                }),
            };
            match arg {
                Some(arg) => args.push(arg),
                None => whole = false,
            }
        }
        whole.then_some(args)
    }

    /// One value; `comma` is the comma after it, where an empty value is reported.
    pub(super) fn value(
        &mut self,
        piece: &[TokenTree],
        comma: Option<&TokenTree>,
    ) -> Option<Value> {
        let tokens = collect(piece);
        let kind = match piece {
            [] => {
                let message = "expected a value before this comma; remove the extra comma";
                self.errors.at(comma, message);
                return None;
            }
            [TokenTree::Literal(lit)] => literal(lit, false),
            [TokenTree::Punct(minus), TokenTree::Literal(lit)] if minus.as_char() == '-' => {
                literal(lit, true)
            }
            [TokenTree::Ident(word)] if word == "true" || word == "false" => {
                ValueKind::Bool(word == "true")
            }
            [TokenTree::Ident(word)] => ValueKind::Word(word.clone()),
            [TokenTree::Group(group)] if group.delimiter() == Delimiter::Parenthesis => {
                let mut items = self.nested(group, Self::tuple)?;
                // `(3)` is just 3, as in Rust.
                match items.len() {
                    1 => items.pop().map_or(ValueKind::Other, |item| item.kind),
                    _ => ValueKind::Tuple(items),
                }
            }
            [TokenTree::Ident(_), second, ..] if starts_stage_rest(second) => {
                ValueKind::Chain(self.chain(piece)?)
            }
            _ => ValueKind::Other,
        };
        Some(Value { kind, tokens })
    }

    fn tuple(&mut self, group: &Group) -> Option<Vec<Value>> {
        let tokens = flatten(group.stream());
        let mut items = Vec::new();
        for (piece, comma) in split_commas(&tokens) {
            items.push(self.value(piece, comma)?);
        }
        Some(items)
    }
}

fn literal(lit: &proc_macro2::Literal, negative: bool) -> ValueKind {
    match Lit::new(lit.clone()) {
        Lit::Int(int) => ValueKind::Int {
            negative,
            value: int.base10_digits().parse().ok(),
        },
        Lit::Float(float) => match float.base10_digits().parse::<f64>() {
            Ok(value) if negative => ValueKind::Float(-value),
            Ok(value) => ValueKind::Float(value),
            Err(_) => ValueKind::Other,
        },
        Lit::Str(text) if !negative => ValueKind::Str(text.value()),
        _ => ValueKind::Other,
    }
}

/// Whether the token after a leading word makes a stage (`conv2d(..)`, `a: b`, `bn => relu`).
fn starts_stage_rest(second: &TokenTree) -> bool {
    match second {
        TokenTree::Group(g) => matches!(g.delimiter(), Delimiter::Parenthesis | Delimiter::Brace),
        TokenTree::Punct(p) => is_colon(p) || (p.as_char() == '=' && p.spacing() == Spacing::Joint),
        _ => false,
    }
}
