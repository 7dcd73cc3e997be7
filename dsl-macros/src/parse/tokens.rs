//! Token-tree helpers: splitting at commas and arrows, and printing tokens back.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

pub fn is_colon(punct: &proc_macro2::Punct) -> bool {
    punct.as_char() == ':' && punct.spacing() == Spacing::Alone
}

pub fn is_assign(punct: &proc_macro2::Punct) -> bool {
    punct.as_char() == '=' && punct.spacing() == Spacing::Alone
}

/// Splices the contents of invisible groups, which `macro_rules!` wraps around fragments.
pub fn flatten(stream: TokenStream) -> Vec<TokenTree> {
    let mut out = Vec::new();
    for tree in stream {
        match tree {
            TokenTree::Group(g) if g.delimiter() == Delimiter::None => {
                out.extend(flatten(g.stream()))
            }
            tree => out.push(tree),
        }
    }
    out
}

/// The pieces between top-level commas, each with the comma that ends it; a trailing comma
/// leaves no empty last piece.
pub fn split_commas(tokens: &[TokenTree]) -> Vec<(&[TokenTree], Option<&TokenTree>)> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for (i, tree) in tokens.iter().enumerate() {
        if matches!(tree, TokenTree::Punct(p) if p.as_char() == ',') {
            pieces.push((tokens.get(start..i).unwrap_or_default(), Some(tree)));
            start = i + 1;
        }
    }
    let last = tokens.get(start..).unwrap_or_default();
    if !last.is_empty() {
        pieces.push((last, None));
    }
    pieces
}

/// The parts between `=>` arrows, each with the arrow after it (empty after the last part).
pub fn split_arrows(tokens: &[TokenTree]) -> Vec<(&[TokenTree], TokenStream)> {
    let mut parts = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < tokens.len() {
        let arrow = match (tokens.get(i), tokens.get(i + 1)) {
            (Some(TokenTree::Punct(eq)), Some(TokenTree::Punct(gt))) => {
                eq.as_char() == '=' && eq.spacing() == Spacing::Joint && gt.as_char() == '>'
            }
            _ => false,
        };
        if arrow {
            let part = tokens.get(start..i).unwrap_or_default();
            parts.push((part, collect(tokens.get(i..i + 2).unwrap_or_default())));
            start = i + 2;
            i += 2;
        } else {
            i += 1;
        }
    }
    parts.push((tokens.get(start..).unwrap_or_default(), TokenStream::new()));
    parts
}

pub fn collect(trees: &[TokenTree]) -> TokenStream {
    trees.iter().cloned().collect()
}

/// Tokens as a user would write them: `dense(10)`, `(3, 3)`, `-2`, where `TokenStream`'s own
/// display spaces every token apart.
pub fn show(tokens: &TokenStream) -> String {
    let mut out = String::new();
    let mut previous: Option<TokenTree> = None;
    for tree in tokens.clone() {
        let tight = match (&previous, &tree) {
            (None, _) => true,
            (_, TokenTree::Punct(p)) if matches!(p.as_char(), ',' | ':') => true,
            (Some(TokenTree::Ident(_)), TokenTree::Group(g)) => {
                g.delimiter() == Delimiter::Parenthesis
            }
            (Some(TokenTree::Punct(p)), _) => p.spacing() == Spacing::Joint || unary_minus(p, &out),
            _ => false,
        };
        if !tight {
            out.push(' ');
        }
        match &tree {
            TokenTree::Group(g) => {
                let inner = show(&g.stream());
                let text = match g.delimiter() {
                    Delimiter::Parenthesis => format!("({inner})"),
                    Delimiter::Bracket => format!("[{inner}]"),
                    Delimiter::Brace => format!("{{ {inner} }}"),
                    Delimiter::None => inner,
                };
                out.push_str(&text);
            }
            other => out.push_str(&other.to_string()),
        }
        previous = Some(tree);
    }
    // A path's `::` is two puncts, the second spaced from the name after it.
    out.replace(":: ", "::")
}

/// A `-` that opens the text or follows `(`, `,` or `=` is a sign, written against its number.
fn unary_minus(punct: &proc_macro2::Punct, before: &str) -> bool {
    let before = before.trim_end_matches('-').trim_end();
    punct.as_char() == '-' && (before.is_empty() || before.ends_with(['(', ',', '=']))
}
