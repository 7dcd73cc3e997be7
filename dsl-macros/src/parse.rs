//! Syntax: the macro's tokens become a tree of stages, arguments and values.
//!
//! This pass knows the grammar but not the layers: `conv2d(32, 3)` and `conv9(x)` parse alike,
//! and `lower` decides what they mean. It cuts token trees by hand rather than driving a `syn`
//! parse stream, so that one malformed layer costs only itself: the body is split at its
//! top-level commas, each piece is parsed alone, and a piece that fails leaves a `Broken` entry
//! in its place, which later passes treat as a layer of unknown shape.

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use syn::parse::{ParseStream, Parser};
use syn::{Attribute, Token, Visibility};

use crate::Errors;
use tokens::{collect, flatten, is_colon, split_commas};

pub use tokens::show;

mod body;
#[cfg(test)]
mod tests;
mod tokens;

/// Deeper nesting than this is surely a mistake, and refusing it keeps recursion bounded.
const MAX_DEPTH: usize = 32;

/// What the struct needs: enough to expand a stub even when nothing after the name parses.
pub struct Header {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
}

pub struct Network {
    pub header: Header,
    /// `None` when a dimension had a syntax error, already reported.
    pub input: Option<Vec<Value>>,
    /// The bracketed input shape, for errors about it as a whole.
    pub input_tokens: TokenStream,
    pub body: Vec<Entry>,
    pub brace: Span,
}

/// One comma-separated item: a stage and the `=>` chain after it.
#[derive(Clone)]
pub enum Entry {
    Chain(Vec<Stage>),
    /// A piece whose syntax error is already reported.
    Broken,
}

#[derive(Clone)]
pub struct Stage {
    pub label: Option<Ident>,
    pub kind: Ident,
    pub args: Option<Vec<Arg>>,
    pub body: Option<Vec<Entry>>,
    /// The label, kind and arguments, without the body: what an error about the stage spans.
    pub tokens: TokenStream,
}

impl Stage {
    /// A stage written as a bare word, as a shortcut may be.
    pub fn bare(kind: Ident, tokens: TokenStream) -> Stage {
        Stage {
            label: None,
            kind,
            args: None,
            body: None,
            tokens,
        }
    }

    /// The arguments inside the parentheses, for errors about all of them.
    pub fn args_tokens(&self) -> TokenStream {
        self.args
            .iter()
            .flatten()
            .map(|arg| arg.tokens.clone())
            .collect()
    }
}

#[derive(Clone)]
pub struct Arg {
    pub key: Option<Ident>,
    pub value: Value,
    pub tokens: TokenStream,
}

#[derive(Clone)]
pub struct Value {
    pub kind: ValueKind,
    pub tokens: TokenStream,
}

#[derive(Clone)]
pub enum ValueKind {
    /// `value` is `None` when the digits overflow `usize`.
    Int {
        negative: bool,
        value: Option<usize>,
    },
    Float(f64),
    Bool(bool),
    Str(String),
    Word(Ident),
    Tuple(Vec<Value>),
    Chain(Vec<Stage>),
    /// Tokens that fit no value form; `lower` says what was expected instead.
    Other,
}

/// Parses the whole macro input. `Err` carries the header when the name was read, so the
/// caller can still expand a stub.
pub fn parse(input: TokenStream, errors: &mut Errors) -> Result<Network, Option<Header>> {
    if input.is_empty() {
        let example = "e.g. `pub Net: [784] { dense(10) }`";
        errors.span(
            Span::call_site(),
            format!("network! is empty; declare a network, {example}"),
        );
        return Err(None);
    }
    let (header, rest) = match header.parse2(input) {
        Ok(parsed) => parsed,
        Err(error) => {
            errors.push(error);
            return Err(None);
        }
    };

    let rest = flatten(rest);
    let mut syntax = Syntax { errors, depth: 0 };
    match syntax.shape_and_body(&header, &rest) {
        Some((input, input_tokens, body)) => {
            let brace = body.span();
            let body = syntax.entries(body.stream());
            Ok(Network {
                header,
                input,
                input_tokens,
                body,
                brace,
            })
        }
        None => Err(Some(header)),
    }
}

fn header(input: ParseStream) -> syn::Result<(Header, TokenStream)> {
    let attrs = input.call(Attribute::parse_outer)?;
    let vis: Visibility = input.parse()?;
    if input.peek(Token![struct]) {
        let message = "write the network without `struct`, e.g. `pub Net: [784] { dense(10) }`";
        return Err(input.error(message));
    }
    let name = input.parse::<Ident>().map_err(|error| {
        let example = "e.g. `pub MnistCnn: [1, 28, 28] { ... }`";
        syn::Error::new(
            error.span(),
            format!("expected the network's name, {example}"),
        )
    })?;
    let rest = input.parse()?;
    Ok((Header { attrs, vis, name }, rest))
}

struct Syntax<'e> {
    errors: &'e mut Errors,
    depth: usize,
}

impl Syntax<'_> {
    fn shape_and_body(
        &mut self,
        header: &Header,
        rest: &[TokenTree],
    ) -> Option<(Option<Vec<Value>>, TokenStream, Group)> {
        let name = &header.name;
        // A group is pointed at by its opening delimiter, not underlined over many lines.
        let span_of = |token: Option<&TokenTree>| match token {
            Some(TokenTree::Group(group)) => group.span_open(),
            Some(token) => token.span(),
            None => name.span(),
        };
        if !matches!(rest.first(), Some(TokenTree::Punct(p)) if is_colon(p)) {
            let example = format!("e.g. `{name}: [1, 28, 28] {{ ... }}`");
            let message = format!("expected `:` and the input shape after `{name}`, {example}");
            self.errors.span(span_of(rest.first()), message);
            return None;
        }
        let shape = match rest.get(1) {
            Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Bracket => g,
            other => {
                let message = format!(
                    "expected the input shape in brackets after `{name}:`, \
                     e.g. [1, 28, 28] for images or [784] for flat features"
                );
                self.errors.span(span_of(other), message);
                return None;
            }
        };
        let body = match rest.get(2) {
            Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => g,
            other => {
                let message = format!(
                    "expected the layers of `{name}` in braces after its input shape, \
                     e.g. `{{ dense(10) }}`"
                );
                self.errors.span(span_of(other), message);
                return None;
            }
        };
        if let Some(extra) = rest.get(3..).filter(|extra| !extra.is_empty()) {
            let message = format!(
                "unexpected tokens after the layers of `{name}`; \
                 a network! block declares one network, so end it after its closing brace"
            );
            self.errors.at(collect(extra), message);
        }

        let dims = flatten(shape.stream());
        let pieces = split_commas(&dims).into_iter();
        let input = pieces
            .map(|(piece, comma)| self.value(piece, comma))
            .collect();
        Some((input, TokenTree::Group(shape.clone()).into(), body.clone()))
    }
}
