#![doc = include_str!("../docs/multipart.md")]

pub use waymark_runtime::multipart::*;
