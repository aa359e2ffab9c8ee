//! Static files: a path type that cannot leave its root, and a directory service answering `GET`
//! and `HEAD` with validators, conditional requests, ranges and precompressed variants.
//!
//! The RFC 9110 pieces [`Dir`] is built from are public, for any handler that serves a
//! representation of its own: [`conditional`] (preconditions, §13), [`range`] (byte ranges, §14)
//! and [`negotiate`] (`Accept-Encoding`, §12.5.3).
#![doc = include_str!("../../../docs/files.md")]

pub mod conditional;
mod dir;
mod fields;
mod mime;
pub mod negotiate;
mod open;
mod path;
pub mod range;

pub use dir::Dir;
pub use path::{PathError, SafePath};
