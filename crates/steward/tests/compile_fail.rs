//! The messages a user gets for common mistakes with the macros.

#[test]
fn macro_mistakes_have_clear_messages() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
