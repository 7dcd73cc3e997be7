//! The `network!` macro: a network declared once, its shapes checked while the crate compiles.
//!
//! The macro is a pipeline of passes, each in its own module and each testable without the
//! others' output being compiled:
//!
//! 1. `parse`: tokens to a syntax tree of stages, arguments and values (grammar only);
//! 2. `lower`: the syntax tree to typed layers with their settings and unique names;
//! 3. `infer`: an abstract interpreter that walks the layers with concrete shapes, computes
//!    every output shape and parameter count, and checks every shape rule;
//! 4. `summary` and `expand`: the Keras-style table and the emitted code.
//!
//! Every pass reports into one `Errors` list instead of stopping at the first problem, so a
//! user sees all of a block's mistakes at once; after any error the macro emits a stub of the
//! network instead of the real expansion, so they are not followed by a cascade of rustc errors
//! about a missing type.
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod args;
mod expand;
mod infer;
mod lower;
mod parse;
mod suggest;
mod summary;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use std::fmt::Display;

/// Declares a network whose shapes are checked at compile time.
///
/// ```ignore
/// luminet::network! {
///     /// The classic Keras MNIST convnet.
///     pub MnistCnn: [1, 28, 28] {
///         conv1: conv2d(32, 3) => relu,
///         max_pool2d(2),
///         conv2: conv2d(64, 3) => relu,
///         max_pool2d(2),
///         flatten,
///         dropout(0.5),
///         out: dense(10) => softmax,
///     }
/// }
/// assert_eq!(MnistCnn::OUTPUT_SHAPE, [10]);
/// assert_eq!(MnistCnn::PARAM_COUNT, 34_826);
/// ```
///
/// # Grammar
///
/// ```text
/// network  := attribute* visibility NAME ':' '[' dim (',' dim)* ']' '{' entries '}'
/// entries  := entry (',' entry)* ','?
/// entry    := stage ('=>' stage)*
/// stage    := (LABEL ':')? LAYER ('(' arguments ')')? ('{' entries '}')?
/// argument := value | KEY '=' value
/// value    := integer | '-' integer | float | true | false | WORD | '(' value ',' value ')'
///           | entry                                  (only for residual's shortcut)
/// ```
///
/// Doc comments and other attributes are carried to the generated struct. The input shape is
/// one sample without the batch: `[F]` flat features, `[T, F]` a sequence, `[C, H, W]` an image
/// (channels first). Arguments are positional in the order listed below or given by keyword;
/// positional ones come first. Every size must be an integer literal: the shapes are checked
/// before constants are known.
///
/// # Layers
///
/// Shapes are one sample's: `C`, `H`, `W` channels, height and width, `T` steps, `F` features.
///
/// - `dense(units, bias = true)`: `[F] -> [units]`, `[T, F] -> [T, units]`; `F * units`
///   weights plus `units` biases.
/// - `conv2d(filters, kernel, stride = 1, padding = valid, dilation = 1, bias = true)`:
///   `[C, H, W] -> [filters, H', W']`; `C * kh * kw * filters` weights plus `filters` biases.
/// - `max_pool2d(size, stride = size)`, `avg_pool2d(size, stride = size)`:
///   `[C, H, W] -> [C, H', W']`.
/// - `global_avg_pool`: `[C, H, W] -> [C]`.
/// - `flatten`: any shape of two or more dimensions to `[N]`.
/// - `dropout(rate)`: the shape unchanged; `rate` in `[0, 1)`.
/// - `batch_norm(momentum = 0.99, epsilon = 1e-3)`: the shape unchanged, normalized over the
///   first dimension of `[C, H, W]` or `[F]`; `2 * C` parameters plus `2 * C` moving statistics.
/// - `residual(shortcut = chain) { entries }`: `branch(x) + shortcut(x)`, the shortcut being
///   the identity when absent; the two must give the same shape.
/// - activations, as layers or in chains: `relu`, `sigmoid`, `tanh`, `softmax` (over the last
///   dimension), `leaky_relu(alpha = 0.01)`, `elu(alpha = 1.0)`.
///
/// `kernel`, `stride`, `dilation` and `size` take `3` or `(3, 5)` (height, width). `padding` is
/// `valid` (none), `same` (output `ceil(in / stride)`, split TensorFlow's way with any odd pixel
/// at the end), or a number or pair `p` of zero rows and columns added on both sides. Output
/// sizes are `(in + 2 * p - dilation * (kernel - 1) - 1) / stride + 1`, rounded down, with
/// `p = 0` for `valid`; pooling is `valid` with the window as kernel.
///
/// `dense` works on the last dimension of flat features and sequences but refuses an image: on
/// `[C, H, W]` it would mix only the width, which is never what a convnet wants, so the macro
/// asks for `flatten` first. `batch_norm` normalizes the first dimension and so refuses `[T, F]`.
///
/// # Chains and names
///
/// In `a => b => c`, an activation attaches to the layer before it, as Keras' `activation=`
/// does (one row of the summary, listed in that layer's `activations`); any other layer in a
/// chain becomes a layer of its own. An activation written first is a layer of its own.
/// `name:` names a layer; unnamed ones are named after their kind Keras' way (`conv2d`,
/// `conv2d_1`, ...), skipping the names the user chose. Names are unique across the network,
/// residual branches included.
///
/// # Generated items
///
/// A unit struct with the given visibility, and on it `SPEC` (a `luminet::spec::NetworkSpec`),
/// `INPUT_SHAPE`, `OUTPUT_SHAPE`, `PARAM_COUNT` (trainable parameters) and `summary()`, a
/// Keras-style table computed by the macro. In the table a residual block is one row whose
/// count covers the whole block, followed by its inner layers indented (its shortcut's marked
/// `shortcut:`); `Param #` includes batch norm's moving statistics, as Keras counts them.
///
/// # Errors
///
/// Every shape rule is checked with both shapes and a fix in the message, spanned on the layer
/// at fault, e.g. `residual block "block2" adds [64, 7, 7] to a shortcut of [32, 14, 14]; give
/// the shortcut a projection, e.g. shortcut = conv2d(64, 1, stride = 2)`. All the errors of a
/// block are reported at once; after a layer whose output is unknown, the shape checks of the
/// layers after it are skipped rather than guessed. The struct and its constants still exist,
/// with placeholder values, so code using the network adds no errors of its own.
#[proc_macro]
pub fn network(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    network_tokens(input.into()).into()
}

/// The whole pipeline over `proc_macro2` tokens, so that tests can run it outside a compiler.
fn network_tokens(input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let network = match parse::parse(input, &mut errors) {
        Ok(network) => network,
        Err(Some(header)) => return stub(&header, 0, None, errors),
        Err(None) => return errors.into_tokens(),
    };

    let net = lower::lower(network, &mut errors);
    let checked = infer::infer(&net, &mut errors);

    match checked {
        Some(checked) if errors.is_empty() => expand::expand(&net, &checked),
        checked => {
            let output = checked.as_ref().map(|c| c.output.as_slice());
            let rank = net.input.as_ref().map_or(0, Vec::len);
            stub(&net.header, rank, output, errors)
        }
    }
}

fn stub(
    header: &parse::Header,
    rank: usize,
    output: Option<&[usize]>,
    errors: Errors,
) -> TokenStream {
    let mut tokens = errors.into_tokens();
    // Unreachable unless a pass forgot to report why it failed; say so rather than emit a stub
    // that would compile silently.
    if tokens.is_empty() {
        let bug = "luminet bug: network! failed without saying why; please report it";
        tokens = syn::Error::new_spanned(&header.name, bug).to_compile_error();
    }
    tokens.extend(expand::stub(header, rank, output));
    tokens
}

/// Every error of one macro call, in the order found.
#[derive(Default)]
pub(crate) struct Errors(Vec<syn::Error>);

impl Errors {
    /// An error spanning `tokens`, from the first to the last.
    pub fn at(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.0.push(syn::Error::new_spanned(tokens, message));
    }

    pub fn span(&mut self, span: Span, message: impl Display) {
        self.0.push(syn::Error::new(span, message));
    }

    pub fn push(&mut self, error: syn::Error) {
        self.0.push(error);
    }

    pub fn count(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn into_tokens(self) -> TokenStream {
        let mut all = self.0.into_iter();
        let Some(mut first) = all.next() else {
            return TokenStream::new();
        };
        all.for_each(|error| first.combine(error));
        first.to_compile_error()
    }

    #[cfg(test)]
    pub fn messages(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

#[cfg(test)]
mod tests;
