//! Compile-fail and compile-pass cases for `routes!` and `#[derive(Responses)]`. Each `.stderr`
//! is what a user sees; regenerate with `TRYBUILD=overwrite cargo test -p waymark-ui-tests` and
//! read every change before committing.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("pattern/*.rs");
    t.compile_fail("conflict/*.rs");
    t.compile_fail("handler/*.rs");
    t.compile_fail("grow/*.rs");
    t.compile_fail("derive/*.rs");
    t.compile_fail("range/*.rs");
    t.compile_fail("tower/*.rs");
    t.pass("pass/*.rs");
    t.pass("derive/pass/*.rs");
}
