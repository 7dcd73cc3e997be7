//! Every mistake `network!` catches, one file each under `tests/ui/`, with the exact message a
//! user sees. Regenerate the `.stderr` files with
//! `TRYBUILD=overwrite cargo test --release --test compile_fail`, then read every line.

#[test]
fn mistakes_are_reported_in_words() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*/*.rs");
}
