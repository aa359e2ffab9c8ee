//! The OpenAPI 3.1 document of a `routes!` table, built from the table itself.
//!
//! `routes!` records, for every route, what the table already says: method, path, each parameter
//! with its declared type, required or optional or defaulted, the body type, the doc comment, and
//! the route's name. `Api::openapi()` turns that into an OpenAPI 3.1 document (a
//! `serde_json::Value`), mounted tables included, so the description cannot drift from the routes.
//!
//! - Parameter schemas come from the declared types: `u8`..`u64`, `i8`..`i64` (and `usize`,
//!   `isize`, `NonZero*`) are integers with their `format` and range, `f32`/`f64` numbers, `bool`
//!   booleans, anything else a string (a `FromStr` type is parsed from text). `Option<T>` is not
//!   required, `= literal` is the schema's `default`, `Vec<T>` an array (`?tag=a&tag=b`).
//! - A catch-all `{*path}` is a path parameter `{path}` whose value may hold `/`: OpenAPI has no
//!   multi-segment parameter, so the document says so in its description.
//! - The request body has the media type of its [`FromBody`](crate::FromBody) type; with the
//!   `schemars` feature, `Json<T>` and `Form<T>` bodies for `T: JsonSchema` get their schema (in
//!   `components.schemas`); without it, the body is described by its media type only.
//! - Responses: `200` (the handler's answer, no schema: a handler's output type is not part of the
//!   table), and the answers the router gives on its own: `400` when a parameter or the body can
//!   fail to parse, `413` and `415` for bodies, `404` and `405`.
//! - The first line of a route's doc comment is its `summary`, the rest its `description`; its
//!   name (`as NAME`) is its `operationId`.
//!
//! ```
//! use waymark::routes;
//!
//! routes! {
//!     pub Api;
//!     /// One bookmark.
//!     ///
//!     /// 404 when there is none.
//!     GET "/bookmarks/{id: u64}?{full: bool = false}" as bookmark => async { "" },
//! }
//!
//! let doc = Api::openapi();
//! assert_eq!(doc["openapi"], "3.1.0");
//! let op = &doc["paths"]["/bookmarks/{id}"]["get"];
//! assert_eq!(op["summary"], "One bookmark.");
//! assert_eq!(op["operationId"], "bookmark");
//! assert_eq!(op["parameters"][0]["schema"]["maximum"], u64::MAX); // no `int64`: it would not hold it
//! assert_eq!(op["parameters"][1]["schema"]["default"], false);
//! ```

use serde_json::{Map, Value, json};

/// Where a parameter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    /// A path segment.
    Path,
    /// The rest of the path (a catch-all).
    Rest,
    /// The query string.
    Query,
}

/// How many values a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    /// Exactly one.
    Required,
    /// At most one.
    Optional,
    /// At most one, with this default (as JSON text).
    Default(&'static str),
    /// Any number (`Vec<T>`).
    Repeated,
}

/// A parameter's scalar type, as far as the schema cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    /// An integer type: its format (`int32` or `int64` when its range fits one), and its range
    /// (none past 64 bits).
    Integer {
        /// `int32` or `int64`.
        format: Option<&'static str>,
        /// The smallest value.
        min: Option<i64>,
        /// The largest value.
        max: Option<u64>,
    },
    /// `f32` (`float`) or `f64` (`double`).
    Number(&'static str),
    /// `bool`.
    Boolean,
    /// Anything parsed from text.
    String,
}

/// One parameter of a route.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Its name.
    pub name: &'static str,
    /// Where it is sent.
    pub at: In,
    /// Its type.
    pub scalar: Scalar,
    /// How many values.
    pub arity: Arity,
    /// The declared type, as written.
    pub ty: &'static str,
}

/// Adds a body type's schema to the document's components, if it has one; `None` otherwise.
pub type SchemaFn = fn(&mut Schemas) -> Option<Value>;

/// One route, as the document needs it.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// `GET`, ...
    pub method: &'static str,
    /// The full pattern, as written.
    pub pattern: &'static str,
    /// The route's name.
    pub name: Option<&'static str>,
    /// The doc comment, lines joined with `\n`.
    pub doc: &'static str,
    /// Its parameters, path first.
    pub params: &'static [Param],
    /// Its body: the media type (`None` for any) and the schema.
    pub body: Option<(Option<&'static str>, SchemaFn)>,
}

impl Operation {
    /// A route with no name, doc comment or body, as most routes are: the short form generated
    /// code uses, so that a large table's description costs few tokens per route.
    #[doc(hidden)]
    pub const fn plain(method: &'static str, pattern: &'static str, params: &'static [Param]) -> Self {
        Self { method, pattern, name: None, doc: "", params, body: None }
    }
}

/// The `components.schemas` being collected.
#[derive(Debug, Default)]
pub struct Schemas {
    #[cfg(feature = "schemars")]
    generator: Option<schemars::SchemaGenerator>,
    #[cfg(not(feature = "schemars"))]
    _none: (),
}

#[cfg(feature = "schemars")]
impl Schemas {
    /// The schema of `T`, its definitions added to the components.
    pub fn schema_for<T: schemars::JsonSchema>(&mut self) -> Value {
        let generator = self.generator.get_or_insert_with(|| {
            schemars::generate::SchemaSettings::draft2020_12()
                .with(|s| s.definitions_path = "#/components/schemas".into())
                .into_generator()
        });
        generator.subschema_for::<T>().to_value()
    }

    fn take(&mut self) -> Map<String, Value> {
        self.generator.as_mut().map(|g| g.take_definitions(true)).unwrap_or_default()
    }
}

#[cfg(not(feature = "schemars"))]
impl Schemas {
    #[allow(clippy::unused_self, reason = "the same call with or without the feature")]
    fn take(&mut self) -> Map<String, Value> {
        Map::new()
    }
}

/// The OpenAPI 3.1 document of `operations`, titled `title`.
pub fn document(title: &str, version: &str, operations: &[Operation]) -> Value {
    let mut schemas = Schemas::default();
    let mut paths = Map::new();
    for op in operations {
        let item = paths.entry(template(op.pattern)).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(item) = item {
            item.insert(op.method.to_ascii_lowercase(), operation(op, &mut schemas));
        }
    }
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": { "title": title, "version": version },
        "paths": paths,
    });
    let defined = schemas.take();
    if !defined.is_empty() {
        doc["components"] = json!({ "schemas": defined });
    }
    doc
}

/// `/users/{id: u64}/files/{*path}?{q}` → `/users/{id}/files/{path}`.
pub fn template(pattern: &str) -> String {
    let path = pattern.split_once('?').map_or(pattern, |(p, _)| p);
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        let inner = rest[open + 1..close].trim_start_matches('*');
        let name = inner.split(':').next().unwrap_or(inner).trim();
        out.push('{');
        out.push_str(name);
        out.push('}');
        rest = rest.get(close + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

fn operation(op: &Operation, schemas: &mut Schemas) -> Value {
    let mut out = Map::new();
    let doc = op.doc.trim();
    if !doc.is_empty() {
        let (summary, description) = doc.split_once("\n\n").map_or((doc, ""), |(s, d)| (s, d));
        out.insert("summary".into(), summary.replace('\n', " ").into());
        if !description.trim().is_empty() {
            out.insert("description".into(), description.trim().into());
        }
    }
    if let Some(name) = op.name {
        out.insert("operationId".into(), name.into());
    }
    if !op.params.is_empty() {
        out.insert("parameters".into(), op.params.iter().map(parameter).collect());
    }
    let can_fail =
        op.params.iter().any(|p| p.scalar != Scalar::String || p.arity == Arity::Required && p.at == In::Query);
    let mut responses = Map::new();
    responses.insert("200".into(), json!({ "description": "The handler's answer." }));
    if can_fail || op.body.is_some() {
        responses.insert(
            "400".into(),
            json!({ "description": "A parameter or the body does not parse as its declared type; the message names it." }),
        );
    }
    if let Some((media, schema)) = op.body {
        let mut content = Map::new();
        if let Some(schema) = schema(schemas) {
            content.insert("schema".into(), schema);
        }
        out.insert("requestBody".into(), json!({ "required": true, "content": { media.unwrap_or("*/*"): content } }));
        responses.insert("413".into(), json!({ "description": "The body is over the route's limit." }));
        if media.is_some() {
            responses
                .insert("415".into(), json!({ "description": "The body is not of the media type the route reads." }));
        }
    }
    responses.insert("404".into(), json!({ "description": "No route has the path's shape." }));
    responses
        .insert("405".into(), json!({ "description": "Routes of other methods take the path; `Allow` lists them." }));
    out.insert("responses".into(), Value::Object(responses));
    Value::Object(out)
}

fn parameter(p: &Param) -> Value {
    let mut schema = scalar_schema(p.scalar);
    if let Arity::Default(default) = p.arity
        && let Ok(value) = serde_json::from_str::<Value>(default)
    {
        schema["default"] = value;
    }
    if p.arity == Arity::Repeated {
        schema = json!({ "type": "array", "items": schema });
    }
    let mut out = json!({
        "name": p.name,
        "in": if p.at == In::Query { "query" } else { "path" },
        "required": p.at != In::Query || p.arity == Arity::Required,
        "schema": schema,
    });
    if p.at == In::Rest {
        out["description"] =
            format!("The rest of the path (`{}`), one or more segments: it may hold `/`.", p.ty).into();
    }
    if p.arity == Arity::Repeated {
        out["style"] = "form".into();
        out["explode"] = true.into();
    }
    out
}

fn scalar_schema(scalar: Scalar) -> Value {
    match scalar {
        Scalar::Integer { format, min, max } => {
            let mut schema = json!({ "type": "integer" });
            if let Some(format) = format {
                schema["format"] = format.into();
            }
            if let Some(min) = min {
                schema["minimum"] = min.into();
            }
            if let Some(max) = max {
                schema["maximum"] = max.into();
            }
            schema
        }
        Scalar::Number(format) => json!({ "type": "number", "format": format }),
        Scalar::Boolean => json!({ "type": "boolean" }),
        Scalar::String => json!({ "type": "string" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        let cases = [
            ("/", "/"),
            ("/users/{id: u64}", "/users/{id}"),
            ("/f/{*path}?{q: u8 = 1}", "/f/{path}"),
            ("/a/{x}/b/{ y : std::net::IpAddr }/", "/a/{x}/b/{y}/"),
        ];
        for (pattern, want) in cases {
            assert_eq!(template(pattern), want, "{pattern}");
        }
    }
}
