//! Tests of the whole pipeline: tokens in, then the checked network, the messages, or the
//! expansion out. The other modules' tests use `check` and `errors` to state their cases in
//! the macro's own syntax.

use proc_macro2::TokenStream;

use crate::infer::{self, Checked};
use crate::{lower, network_tokens, parse, Errors};

/// Parses, lowers and infers `source`, the inside of a `network!` block.
pub fn check(source: &str) -> Result<Checked, Vec<String>> {
    let tokens: TokenStream = source
        .parse()
        .map_err(|e| vec![format!("lex error: {e}")])?;
    let mut errors = Errors::default();
    let network = parse::parse(tokens, &mut errors).map_err(|_| errors.messages())?;
    let net = lower::lower(network, &mut errors);
    let checked = infer::infer(&net, &mut errors);
    match checked {
        Some(checked) if errors.is_empty() => Ok(checked),
        _ => Err(errors.messages()),
    }
}

/// The messages `source` gives, failing the test if it has none.
pub fn errors(source: &str) -> Vec<String> {
    match check(source) {
        Ok(_) => panic!("expected errors from {source}"),
        Err(messages) => messages,
    }
}

/// The single message `source` gives.
pub fn error(source: &str) -> String {
    let messages = errors(source);
    assert_eq!(messages.len(), 1, "expected one error, got {messages:#?}");
    messages.into_iter().next().unwrap_or_default()
}

pub const MNIST: &str = "
    /// The classic Keras MNIST convnet.
    pub MnistCnn: [1, 28, 28] {
        conv1: conv2d(32, 3) => relu,
        max_pool2d(2),
        conv2: conv2d(64, 3) => relu,
        max_pool2d(2),
        flatten,
        dropout(0.5),
        out: dense(10) => softmax,
    }";

fn expand(source: &str) -> String {
    let tokens: TokenStream = source.parse().unwrap_or_default();
    network_tokens(tokens).to_string()
}

#[test]
fn expansion_has_the_contract() {
    let code = expand(MNIST);
    for part in [
        "# [doc = \" The classic Keras MNIST convnet.\"]",
        "pub struct MnistCnn ;",
        "pub const SPEC : :: luminet :: spec :: NetworkSpec",
        "pub const INPUT_SHAPE : [:: core :: primitive :: usize ; 3usize] = [1 , 28 , 28]",
        "pub const OUTPUT_SHAPE : [:: core :: primitive :: usize ; 1usize] = [10]",
        "pub const PARAM_COUNT : :: core :: primitive :: usize = 34826usize",
        "activations : & [:: luminet :: spec :: Activation :: Softmax]",
        "rate : 0.5f32",
        "pub fn summary",
    ] {
        assert!(code.contains(part), "missing {part} in {code}");
    }
    assert!(syn::parse_str::<syn::File>(&code).is_ok());
}

#[test]
fn errors_come_with_a_stub() {
    let code = expand("pub Net: [784] { dense(0), dense(10) }");
    assert!(code.contains("compile_error"));
    assert!(code.contains("pub struct Net"));
    assert!(code.contains("pub const PARAM_COUNT"));
    assert!(syn::parse_str::<syn::File>(&code).is_ok());
}

#[test]
fn no_name_no_stub() {
    let code = expand("pub [784] { dense(10) }");
    assert!(code.contains("compile_error"));
    assert!(!code.contains("struct"));
}

/// A tiny deterministic generator, so the fuzz cases are the same on every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// Deletes, duplicates or replaces tokens at random, at every depth.
fn mutate(tokens: TokenStream, rng: &mut Lcg, pool: &[proc_macro2::TokenTree]) -> TokenStream {
    use proc_macro2::{Group, TokenTree};
    let mut out = Vec::new();
    for tree in tokens {
        let tree = match tree {
            TokenTree::Group(g) => {
                let mut inner = Group::new(g.delimiter(), mutate(g.stream(), rng, pool));
                inner.set_span(g.span());
                TokenTree::Group(inner)
            }
            tree => tree,
        };
        match rng.below(24) {
            0 => {}
            1 => out.extend([tree.clone(), tree]),
            2 => out.push(pool[rng.below(pool.len())].clone()),
            _ => out.push(tree),
        }
    }
    out.into_iter().collect()
}

#[test]
fn never_panics_and_always_expands_to_rust() {
    let pool: Vec<_> = "0 -1 1.5 \"x\" , => : = relu same residual { } (2, 0) [] dense(0) -"
        .parse::<TokenStream>()
        .map(|tokens| tokens.into_iter().collect())
        .unwrap_or_default();
    let residual = "Res: [3, 16, 16] { a: residual(shortcut = conv2d(8, 1, stride = 2) => \
        batch_norm) { conv2d(8, 3, stride = 2, padding = same) => relu, batch_norm } => relu, \
        global_avg_pool, dense(4, bias = false) => leaky_relu(alpha = 0.2) }";
    let mut rng = Lcg(7);
    for source in [MNIST, residual] {
        let tokens: TokenStream = source.parse().unwrap_or_default();
        for _ in 0..1500 {
            let mutated = mutate(tokens.clone(), &mut rng, &pool);
            let code = network_tokens(mutated.clone()).to_string();
            let parsed = syn::parse_str::<syn::File>(&code);
            assert!(parsed.is_ok(), "not Rust for {mutated}: {code}");
            assert!(
                !code.contains("luminet bug"),
                "unexplained failure for {mutated}"
            );
        }
    }
}
