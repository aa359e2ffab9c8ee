//! Compile-fail and compile-pass cases for `routes!`; see `tests/ui.rs`.
