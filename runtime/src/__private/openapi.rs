//! The OpenAPI plumbing that generated code calls: the public [`crate::openapi`] items, and the
//! probes that find a body type's schema, a handler's answers, a guard's refusals and scheme.

pub use crate::openapi::*;
use std::future::Future;

use serde_json::Value;

/// Finds what a type says of itself, through autoref specialization: the impl for `&Probe<B>`
/// (when `B` has the trait) wins over the one for every `Probe<B>`. Generated code calls
/// `(&&Probe::<B>::new()).schema(schemas)` for a body's schema (through `schemars` when the
/// feature is on and the type has one: `Json<T>` or `Form<T>` with `T: JsonSchema`), `.answers`
/// for a handler's output (see [`Probe::output`]) and `.security` for a guard's binding type.
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

/// A value of any type, for a closure that is never called: the route's bindings in the closure
/// that gives the compiler the handler's output type ([`Probe::output`]).
#[allow(clippy::missing_panics_doc, reason = "never called")]
pub fn never<T>() -> T {
    unreachable!("only gives a type; never called")
}

impl<T> Probe<T> {
    /// A probe for the output of the future that `make` returns; `make` is never called.
    pub fn output<C, F>(_make: &C) -> Self
    where
        C: FnOnce() -> F,
        F: Future<Output = T>,
    {
        Self::new()
    }
}

/// A handler output type that says which answers it gives.
pub trait ViaResponses {
    /// Its answers.
    fn answers(&self, out: &mut Answers, schemas: &mut Schemas);
}

impl<T: Responses> ViaResponses for &Probe<T> {
    fn answers(&self, out: &mut Answers, schemas: &mut Schemas) {
        T::responses(out, schemas);
    }
}

/// A handler output type that only implements `IntoResponse`: documented as `default`.
pub trait NoResponses {
    /// `default`.
    fn answers(&self, out: &mut Answers, schemas: &mut Schemas);
}

impl<T> NoResponses for Probe<T> {
    fn answers(&self, out: &mut Answers, _: &mut Schemas) {
        out.add_default("The handler's answer; its type does not say which statuses it gives.");
    }
}

/// Finds what a guard adds to the routes it covers: its error type's answers (`G`: the guard
/// expression's output; `T`: the binding's declared type), through autoref specialization, most
/// specific first: `Result<T, E>` with `E: Responses`, then `Result<T, E>` (a `default` answer),
/// then anything else (a guard that cannot refuse adds nothing).
#[derive(Debug)]
pub struct GuardProbe<G, T>(std::marker::PhantomData<(G, T)>);

impl<G, T> GuardProbe<G, T> {
    /// A probe for the output of the guard future that `make` returns; `make` is never called.
    pub fn output<C, F>(_make: &C) -> Self
    where
        C: FnOnce() -> F,
        F: Future<Output = G>,
    {
        Self(std::marker::PhantomData)
    }
}

/// A guard whose error type says which answers it gives.
pub trait GuardErrorResponses {
    /// The error's answers.
    fn guard_answers(&self, out: &mut Answers, schemas: &mut Schemas);
}

impl<T, E: Responses> GuardErrorResponses for &&GuardProbe<Result<T, E>, T> {
    fn guard_answers(&self, out: &mut Answers, schemas: &mut Schemas) {
        E::responses(out, schemas);
    }
}

/// A guard whose error type only implements `IntoResponse`: a `default` answer.
pub trait GuardErrorDefault {
    /// `default`.
    fn guard_answers(&self, out: &mut Answers, schemas: &mut Schemas);
}

impl<T, E> GuardErrorDefault for &GuardProbe<Result<T, E>, T> {
    fn guard_answers(&self, out: &mut Answers, _: &mut Schemas) {
        out.add_default("A guard's refusal; its type does not say which statuses it gives.");
    }
}

/// A guard that cannot refuse.
pub trait GuardNoError {
    /// Nothing.
    fn guard_answers(&self, out: &mut Answers, schemas: &mut Schemas);
}

impl<G, T> GuardNoError for GuardProbe<G, T> {
    fn guard_answers(&self, _: &mut Answers, _: &mut Schemas) {}
}

/// A binding type that is a security scheme: the route requires it.
pub trait ViaSecurity {
    /// Requires the scheme and declares it.
    fn security(&self, out: &mut Answers, schemas: &mut Schemas);
}

impl<T: Security> ViaSecurity for &Probe<T> {
    fn security(&self, out: &mut Answers, schemas: &mut Schemas) {
        schemas.security_scheme(T::NAME, T::scheme());
        out.require(T::NAME);
    }
}

/// Any other binding type.
pub trait NoSecurity {
    /// Nothing.
    fn security(&self, out: &mut Answers, schemas: &mut Schemas);
}

impl<T> NoSecurity for Probe<T> {
    fn security(&self, _: &mut Answers, _: &mut Schemas) {}
}
