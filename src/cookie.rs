#![doc = include_str!("../docs/cookies.md")]

pub use waymark_runtime::cookie::*;
