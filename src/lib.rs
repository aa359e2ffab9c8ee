//! waymark
