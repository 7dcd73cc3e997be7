//! The grammar: what parses into what, and the syntax errors with their messages.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};

use super::{parse, Entry, Network, Stage, ValueKind};
use crate::Errors;

fn parsed(source: &str) -> Network {
    let mut errors = Errors::default();
    let tokens: TokenStream = source.parse().unwrap_or_default();
    match parse(tokens, &mut errors) {
        Ok(network) if errors.is_empty() => network,
        _ => panic!("syntax errors in {source}: {:#?}", errors.messages()),
    }
}

/// The syntax errors alone, and whether a header survived for a stub.
fn syntax_errors(source: &str) -> (Vec<String>, bool) {
    let mut errors = Errors::default();
    let tokens: TokenStream = source.parse().unwrap_or_default();
    let stub = match parse(tokens, &mut errors) {
        Ok(_) => true,
        Err(header) => header.is_some(),
    };
    (errors.messages(), stub)
}

fn stages(entry: &Entry) -> &[Stage] {
    match entry {
        Entry::Chain(stages) => stages,
        Entry::Broken => panic!("broken entry"),
    }
}

#[test]
fn header_and_input() {
    let network = parsed("/// Docs.\n#[derive(Debug)] pub(crate) Net: [1, 28, 28,] { dense(10) }");
    assert_eq!(network.header.name, "Net");
    assert_eq!(network.header.attrs.len(), 2);
    assert!(matches!(network.header.vis, syn::Visibility::Restricted(_)));
    let dims = network.input.unwrap_or_default();
    let sizes: Vec<_> = dims.iter().map(|dim| &dim.kind).collect();
    assert!(matches!(
        sizes[..],
        [
            ValueKind::Int { value: Some(1), .. },
            ValueKind::Int {
                value: Some(28),
                ..
            },
            ValueKind::Int {
                value: Some(28),
                ..
            },
        ]
    ));
}

#[test]
fn layers_labels_and_chains() {
    let network = parsed("N: [4] { a: dense(3) => relu => bn: batch_norm, flatten, }");
    assert_eq!(network.body.len(), 2);
    let chain = stages(&network.body[0]);
    let words: Vec<String> = chain.iter().map(|stage| stage.kind.to_string()).collect();
    assert_eq!(words, ["dense", "relu", "batch_norm"]);
    let labels: Vec<Option<String>> = chain
        .iter()
        .map(|stage| stage.label.as_ref().map(ToString::to_string))
        .collect();
    assert_eq!(labels, [Some("a".into()), None, Some("bn".into())]);
    assert!(chain[1].args.is_none());
    assert_eq!(chain[0].tokens.to_string(), "a : dense (3)");
}

#[test]
fn argument_values() {
    let source = "N: [4] { residual(-2, 1.5, true, \"same\", same, (3, 5), (7), x + 1, \
                  shortcut = conv2d(8, 1) => batch_norm) { relu } }";
    let network = parsed(source);
    let stage = &stages(&network.body[0])[0];
    assert_eq!(stage.body.as_ref().map(Vec::len), Some(1));
    let args = stage.args.as_deref().unwrap_or_default();
    let kinds: Vec<&ValueKind> = args.iter().map(|arg| &arg.value.kind).collect();
    assert!(matches!(
        kinds[0],
        ValueKind::Int {
            negative: true,
            value: Some(2)
        }
    ));
    assert!(matches!(kinds[1], ValueKind::Float(x) if *x == 1.5));
    assert!(matches!(kinds[2], ValueKind::Bool(true)));
    assert!(matches!(kinds[3], ValueKind::Str(text) if text == "same"));
    assert!(matches!(kinds[4], ValueKind::Word(word) if word == "same"));
    assert!(matches!(kinds[5], ValueKind::Tuple(items) if items.len() == 2));
    assert!(matches!(kinds[6], ValueKind::Int { value: Some(7), .. }));
    assert!(matches!(kinds[7], ValueKind::Other));
    assert!(matches!(kinds[8], ValueKind::Chain(chain) if chain.len() == 2));
    assert_eq!(
        args[8].key.as_ref().map(ToString::to_string).as_deref(),
        Some("shortcut")
    );
}

#[test]
fn huge_and_suffixed_numbers() {
    let network = parsed("N: [99999999999999999999999, 3usize, 1e3] { relu }");
    let dims = network.input.unwrap_or_default();
    assert!(matches!(dims[0].kind, ValueKind::Int { value: None, .. }));
    assert!(matches!(
        dims[1].kind,
        ValueKind::Int { value: Some(3), .. }
    ));
    assert!(matches!(dims[2].kind, ValueKind::Float(x) if x == 1000.0));
}

#[test]
fn invisible_groups_are_looked_through() {
    // What `macro_rules!` makes of `$units:literal`.
    let units = Group::new(Delimiter::None, "10".parse().unwrap_or_default());
    let mut args = TokenStream::new();
    args.extend([TokenTree::Group(units)]);
    let call = TokenTree::Group(Group::new(Delimiter::Parenthesis, args));
    let mut body: TokenStream = "dense".parse().unwrap_or_default();
    body.extend([call]);
    let mut source: TokenStream = "N: [4]".parse().unwrap_or_default();
    source.extend([TokenTree::Group(Group::new(Delimiter::Brace, body))]);

    let mut errors = Errors::default();
    assert!(parse(source, &mut errors).is_ok());
    assert!(errors.is_empty(), "{:?}", errors.messages());
}

#[test]
fn syntax_errors_with_their_fixes() {
    let cases = [
        ("", false, "network! is empty; declare a network, e.g. `pub Net: [784] { dense(10) }`"),
        ("pub [784] { dense(10) }", false,
         "expected the network's name, e.g. `pub MnistCnn: [1, 28, 28] { ... }`"),
        ("pub struct Net: [784] { dense(10) }", false,
         "write the network without `struct`, e.g. `pub Net: [784] { dense(10) }`"),
        ("Net [784] { dense(10) }", true,
         "expected `:` and the input shape after `Net`, e.g. `Net: [1, 28, 28] { ... }`"),
        ("Net: 784 { dense(10) }", true,
         "expected the input shape in brackets after `Net:`, e.g. [1, 28, 28] for images or [784] \
             for flat features"),
        ("Net: [784] dense(10)", true,
         "expected the layers of `Net` in braces after its input shape, e.g. `{ dense(10) }`"),
        ("Net: [784] { dense(10) } Other: [3] {}", true,
         "unexpected tokens after the layers of `Net`; a network! block declares one network, so \
             end it after its closing brace"),
        ("Net: [784] { dense(10) relu }", true,
         "expected `,` or `=>` after `dense(10)`, found `relu`; separate layers with commas and \
             chain activations with `=>`"),
        ("Net: [784] { dense(10) => }", true,
         "`=>` needs a layer on each side, e.g. `dense(10) => relu`"),
        ("Net: [784] { => => relu }", true,
         "`=>` needs a layer on each side, e.g. `dense(10) => relu`"),
        ("Net: [784] { dense(10),, relu }", true,
         "expected a layer before this comma; remove the extra comma"),
        ("Net: [784] { dense(10,, bias = true) }", true,
         "expected a value before this comma; remove the extra comma"),
        ("Net: [784] { dense(units =) }", true, "expected a value after `units =`, e.g. `units = \
            2`"),
        ("Net: [784] { 3 }", true, "expected a layer such as dense(10) or relu, found `3`"),
        ("Net: [784] { out: }", true, "expected a layer after `out:`, e.g. `out: dense(10)`"),
        ("Net: [,] { relu }", true, "expected a value before this comma; remove the extra comma"),
    ];
    for (source, stub, expected) in cases {
        let (messages, has_header) = syntax_errors(source);
        assert_eq!(messages, [expected], "for {source}");
        assert_eq!(has_header, stub, "header for {source}");
    }
}

#[test]
fn one_broken_layer_leaves_the_others() {
    let mut errors = Errors::default();
    let tokens: TokenStream = "N: [4] { dense(3) relu, dense(2), (x) }"
        .parse()
        .unwrap_or_default();
    let network = parse(tokens, &mut errors).unwrap_or_else(|_| panic!("no network"));
    assert_eq!(errors.messages().len(), 2);
    let broken: Vec<bool> = network
        .body
        .iter()
        .map(|e| matches!(e, Entry::Broken))
        .collect();
    assert_eq!(broken, [true, false, true]);
}

#[test]
fn nesting_is_bounded() {
    let source = format!(
        "N: [4] {{ {}relu{} }}",
        "residual { ".repeat(40),
        " }".repeat(40)
    );
    let (messages, _) = syntax_errors(&source);
    assert_eq!(
        messages,
        ["this nests more than 32 levels deep; flatten it"]
    );
}
