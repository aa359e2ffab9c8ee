//! A handler's answers from its output type: the [`Responses`] trait, and its impls for the
//! types handlers return.
//!
//! `routes!` cannot name a handler's output type, but the compiler infers it: the table's
//! description holds, per route, a function that calls `Responses::responses` for that type when
//! it implements the trait, and documents a `default` answer when it does not (so a handler whose
//! output only implements [`IntoResponse`](crate::IntoResponse) still compiles).

use std::collections::BTreeMap;

use bytes::Bytes;
use http::StatusCode;
use serde_json::{Map, Value, json};

use crate::openapi::Schemas;
use crate::{Body, Created, Html, Json, NoContent, Response};

/// The answers a type can give, for the OpenAPI document: each status with its description,
/// media type and schema. `routes!` documents each route from its handler's output type through
/// this trait; implement it for your own answer types (or derive it, with `Responses` on an enum).
///
/// ```
/// use waymark::openapi::{Answers, Responses, Schemas};
/// use waymark::{Json, StatusCode};
///
/// let mut answers = Answers::default();
/// <Option<Json<u32>> as Responses>::responses(&mut answers, &mut Schemas::default());
/// let doc = answers.into_value();
/// assert!(doc["200"]["content"]["application/json"].is_object());
/// assert_eq!(doc["404"]["description"], "Not found.");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not say which answers it gives",
    note = "implement `waymark::openapi::Responses` for `{Self}`; without it the route's answer is documented as `default`"
)]
pub trait Responses {
    /// Adds this type's answers to `out`, their schemas to `schemas`.
    fn responses(out: &mut Answers, schemas: &mut Schemas);
}

/// The responses of one operation, being collected: status (or `default`) to response object.
#[derive(Debug, Default)]
pub struct Answers {
    by_status: BTreeMap<String, Value>,
    /// The security schemes the operation requires, all of them (see [`Security`](crate::openapi::Security)).
    required: Vec<&'static str>,
}

impl Answers {
    /// Adds an answer with `status`; with `content`, its media type and schema. A status already
    /// there keeps its description and gains the media type.
    pub fn add(&mut self, status: StatusCode, description: &str, content: Option<(&str, Option<Value>)>) {
        self.insert(status.as_str().to_owned(), description, content);
    }

    /// Adds an answer with `status` that carries what `T` carries when it succeeds: the media
    /// types and schemas of `T`'s first `2xx` answer (none if `T` has no `2xx` answer). This is
    /// how `#[derive(Responses)]` documents a variant that holds a value, such as
    /// `#[response(status = 409)] Duplicate(Json<Problem>)`.
    ///
    /// ```
    /// use waymark::openapi::{Answers, Schemas};
    /// use waymark::{Json, StatusCode};
    ///
    /// let mut answers = Answers::default();
    /// answers.add_as::<Json<u32>>(StatusCode::CONFLICT, "Taken.", &mut Schemas::default());
    /// let doc = answers.into_value();
    /// assert_eq!(doc["409"]["description"], "Taken.");
    /// assert!(doc["409"]["content"]["application/json"].is_object());
    /// assert!(doc.get("200").is_none());
    /// ```
    pub fn add_as<T: Responses>(&mut self, status: StatusCode, description: &str, schemas: &mut Schemas) {
        let mut own = Answers::default();
        T::responses(&mut own, schemas);
        let success = own.by_status.into_iter().find(|(key, _)| key.starts_with('2')).map(|(_, answer)| answer);
        let content = success.and_then(|mut answer| answer.get_mut("content").map(Value::take));
        match content {
            Some(Value::Object(media)) if !media.is_empty() => {
                for (media, entry) in media {
                    let schema = match entry {
                        Value::Object(mut entry) => entry.remove("schema"),
                        _ => None,
                    };
                    self.add(status, description, Some((&media, schema)));
                }
            }
            _ => self.add(status, description, None),
        }
    }

    /// Adds the `default` answer: one whose status is known only at run time.
    pub fn add_default(&mut self, description: &str) {
        self.insert("default".to_owned(), description, None);
    }

    /// Requires the security scheme `name` for the operation (declared with
    /// [`Schemas::security_scheme`]).
    pub fn require(&mut self, name: &'static str) {
        if !self.required.contains(&name) {
            self.required.push(name);
        }
    }

    /// The `responses` object and the security schemes required.
    pub(crate) fn finish(self) -> (Value, Vec<&'static str>) {
        (Value::Object(self.by_status.into_iter().collect::<Map<_, _>>()), self.required)
    }

    /// Whether no answer was added.
    pub fn is_empty(&self) -> bool {
        self.by_status.is_empty()
    }

    /// The answers as an OpenAPI `responses` object.
    pub fn into_value(self) -> Value {
        self.finish().0
    }

    /// Moves the `200` answer, if any, to `status` (for [`Created`]).
    fn restatus(&mut self, from: StatusCode, to: StatusCode, description: &str) {
        if let Some(mut answer) = self.by_status.remove(from.as_str()) {
            answer["description"] = description.into();
            self.by_status.insert(to.as_str().to_owned(), answer);
        }
    }

    fn insert(&mut self, key: String, description: &str, content: Option<(&str, Option<Value>)>) {
        let answer = self.by_status.entry(key).or_insert_with(|| json!({ "description": description }));
        if let Some((media, schema)) = content {
            let entry = schema.map_or_else(|| json!({}), |schema| json!({ "schema": schema }));
            // A missing `content` is indexed into being (`Null` becomes an object).
            let all = &mut answer["content"];
            if all.get(media).is_none() {
                all[media] = entry;
            }
        }
    }
}

fn text(out: &mut Answers) {
    out.add(StatusCode::OK, "Text.", Some(("text/plain; charset=utf-8", Some(json!({ "type": "string" })))));
}

fn octets(out: &mut Answers) {
    out.add(StatusCode::OK, "Bytes.", Some(("application/octet-stream", None)));
}

fn runtime_status(out: &mut Answers) {
    out.add_default("The handler's answer; its status is known only at run time.");
}

impl Responses for &'static str {
    fn responses(out: &mut Answers, _: &mut Schemas) {
        text(out);
    }
}

impl Responses for String {
    fn responses(out: &mut Answers, _: &mut Schemas) {
        text(out);
    }
}

impl Responses for Vec<u8> {
    fn responses(out: &mut Answers, _: &mut Schemas) {
        octets(out);
    }
}

impl Responses for &'static [u8] {
    fn responses(out: &mut Answers, _: &mut Schemas) {
        octets(out);
    }
}

impl Responses for Bytes {
    fn responses(out: &mut Answers, _: &mut Schemas) {
        octets(out);
    }
}

impl Responses for () {
    fn responses(out: &mut Answers, _: &mut Schemas) {
        out.add(StatusCode::OK, "An empty answer.", None);
    }
}

impl<T> Responses for Html<T> {
    fn responses(out: &mut Answers, _: &mut Schemas) {
        out.add(StatusCode::OK, "A page.", Some(("text/html; charset=utf-8", Some(json!({ "type": "string" })))));
    }
}

/// With the `schemars` feature, `Json<T>` needs `T: JsonSchema` to be documented with its schema;
/// a `T` without one makes the route's answer `default`.
#[cfg(feature = "schemars")]
impl<T: schemars::JsonSchema> Responses for Json<T> {
    fn responses(out: &mut Answers, schemas: &mut Schemas) {
        let schema = schemas.schema_for::<T>();
        out.add(StatusCode::OK, "JSON.", Some(("application/json", Some(schema))));
    }
}

#[cfg(not(feature = "schemars"))]
impl<T> Responses for Json<T> {
    fn responses(out: &mut Answers, _: &mut Schemas) {
        out.add(StatusCode::OK, "JSON.", Some(("application/json", None)));
    }
}

impl<T: Responses> Responses for Created<T> {
    fn responses(out: &mut Answers, schemas: &mut Schemas) {
        let mut inner = Answers::default();
        T::responses(&mut inner, schemas);
        inner.restatus(StatusCode::OK, StatusCode::CREATED, "Created.");
        for (status, answer) in inner.by_status {
            out.by_status.entry(status).or_insert(answer);
        }
    }
}

impl Responses for NoContent {
    fn responses(out: &mut Answers, _: &mut Schemas) {
        out.add(StatusCode::NO_CONTENT, "Done; no content.", None);
    }
}

impl<T: Responses> Responses for Option<T> {
    fn responses(out: &mut Answers, schemas: &mut Schemas) {
        T::responses(out, schemas);
        out.add(StatusCode::NOT_FOUND, "Not found.", None);
    }
}

impl<T: Responses, E: Responses> Responses for Result<T, E> {
    fn responses(out: &mut Answers, schemas: &mut Schemas) {
        T::responses(out, schemas);
        E::responses(out, schemas);
    }
}

impl Responses for Response {
    fn responses(out: &mut Answers, _: &mut Schemas) {
        runtime_status(out);
    }
}

impl Responses for StatusCode {
    fn responses(out: &mut Answers, _: &mut Schemas) {
        runtime_status(out);
    }
}

impl Responses for Body {
    fn responses(out: &mut Answers, _: &mut Schemas) {
        out.add(StatusCode::OK, "The handler's answer.", None);
    }
}

impl<T> Responses for (StatusCode, T) {
    fn responses(out: &mut Answers, _: &mut Schemas) {
        runtime_status(out);
    }
}

impl Responses for crate::Rejection {
    fn responses(out: &mut Answers, _: &mut Schemas) {
        runtime_status(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers<T: Responses>() -> Value {
        let mut out = Answers::default();
        T::responses(&mut out, &mut Schemas::default());
        out.into_value()
    }

    fn statuses(v: &Value) -> Vec<&str> {
        v.as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default()
    }

    #[test]
    fn each_output_type_gives_its_statuses() {
        let cases: [(Value, &[&str]); 12] = [
            (answers::<String>(), &["200"]),
            (answers::<&'static str>(), &["200"]),
            (answers::<Json<u8>>(), &["200"]),
            (answers::<Html<String>>(), &["200"]),
            (answers::<Created<Json<u8>>>(), &["201"]),
            (answers::<NoContent>(), &["204"]),
            (answers::<Option<Json<u8>>>(), &["200", "404"]),
            (answers::<Result<Created<Json<u8>>, StatusCode>>(), &["201", "default"]),
            (answers::<Result<NoContent, Option<String>>>(), &["200", "204", "404"]),
            (answers::<Response>(), &["default"]),
            (answers::<(StatusCode, String)>(), &["default"]),
            (answers::<()>(), &["200"]),
        ];
        for (i, (got, want)) in cases.iter().enumerate() {
            assert_eq!(statuses(got), *want, "case {i}: {got}");
        }
    }

    #[test]
    fn media_types_and_schemas() {
        let json = answers::<Json<u8>>();
        assert!(json["200"]["content"]["application/json"].is_object(), "{json}");
        let created = answers::<Created<String>>();
        assert_eq!(created["201"]["content"]["text/plain; charset=utf-8"]["schema"]["type"], "string");
        assert_eq!(created["201"]["description"], "Created.");
        let none = answers::<NoContent>();
        assert!(none["204"].get("content").is_none(), "204 has no body: {none}");
        // One status from both sides of a `Result`: the media types are united.
        let both = answers::<Result<String, Html<String>>>();
        let media: Vec<&String> = both["200"]["content"].as_object().unwrap().keys().collect();
        assert_eq!(media, ["text/html; charset=utf-8", "text/plain; charset=utf-8"]);
    }

    #[test]
    fn add_as_takes_the_success_content_under_another_status() {
        let mut out = Answers::default();
        let schemas = &mut Schemas::default();
        out.add_as::<Created<String>>(StatusCode::CONFLICT, "Taken.", schemas);
        out.add_as::<Option<Html<String>>>(StatusCode::CONFLICT, "Other.", schemas);
        out.add_as::<NoContent>(StatusCode::GONE, "Gone.", schemas);
        out.add_as::<Response>(StatusCode::IM_A_TEAPOT, "Teapot.", schemas);
        let doc = out.into_value();
        assert_eq!(statuses(&doc), ["409", "410", "418"], "{doc}");
        // One status twice: the first description stays, the media types are united.
        assert_eq!(doc["409"]["description"], "Taken.");
        let media: Vec<&String> = doc["409"]["content"].as_object().unwrap().keys().collect();
        assert_eq!(media, ["text/html; charset=utf-8", "text/plain; charset=utf-8"]);
        assert_eq!(doc["409"]["content"]["text/plain; charset=utf-8"]["schema"]["type"], "string");
        assert!(doc["410"].get("content").is_none(), "{doc}");
        assert!(doc["418"].get("content").is_none(), "only `default`, no success content: {doc}");
    }
}
