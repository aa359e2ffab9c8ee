//! The OpenAPI plumbing that generated code calls: the public [`crate::openapi`] items, and the
//! probe that finds a body type's schema.

pub use crate::openapi::*;
use serde_json::Value;

/// Finds a body type's schema, through `schemars` when the feature is on and the type has one
/// (`Json<T>` or `Form<T>` with `T: JsonSchema`). Generated code calls
/// `(&&Probe::<B>::new()).schema(schemas)`: the impl for `&Probe<Json<T>>` wins over the one for
/// every `Probe<B>` when it applies (autoref specialization).
#[derive(Debug)]
pub struct Probe<B>(std::marker::PhantomData<B>);

impl<B> Probe<B> {
    /// A probe for `B`.
    pub fn new() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<B> Default for Probe<B> {
    fn default() -> Self {
        Self::new()
    }
}

/// A body type without a schema.
pub trait NoSchema {
    /// `None`.
    fn schema(&self, schemas: &mut Schemas) -> Option<Value>;
}

impl<B> NoSchema for Probe<B> {
    fn schema(&self, _: &mut Schemas) -> Option<Value> {
        None
    }
}

/// A body type with a schema (feature `schemars`).
pub trait ViaSchemars {
    /// The body's schema.
    fn schema(&self, schemas: &mut Schemas) -> Option<Value>;
}

#[cfg(feature = "schemars")]
impl<T: schemars::JsonSchema> ViaSchemars for &Probe<crate::Json<T>> {
    fn schema(&self, schemas: &mut Schemas) -> Option<Value> {
        Some(schemas.schema_for::<T>())
    }
}

#[cfg(feature = "schemars")]
impl<T: schemars::JsonSchema> ViaSchemars for &Probe<crate::Form<T>> {
    fn schema(&self, schemas: &mut Schemas) -> Option<Value> {
        Some(schemas.schema_for::<T>())
    }
}
