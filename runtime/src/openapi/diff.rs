//! Two OpenAPI documents of one API compared, each difference classified as breaking or compatible
//! for the API's clients: the comparison behind a contract lock ([`check_lock`]).

mod lock;
mod schema;

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};

pub use lock::{LockError, check_lock};
use schema::{Flow, changed_keys, resolve};

/// The differences between a locked OpenAPI document and the current one.
///
/// Breaking changes are those that can fail a client written against the locked document;
/// compatible ones cannot, but still make the locked document stale. Any difference at all,
/// even one no rule names, leaves the diff non-empty.
///
/// ```
/// use serde_json::json;
/// use waymark::openapi::diff;
///
/// let locked = json!({ "paths": { "/notes": { "get": {}, "delete": {} } } });
/// let current = json!({ "paths": { "/notes": { "get": {}, "post": {} } } });
/// let d = diff(&locked, &current);
/// assert!(d.is_breaking());
/// assert_eq!(d.to_string(), "breaking changes:\n  DELETE /notes: operation removed\ncompatible changes:\n  POST /notes: new operation");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diff {
    /// Changes that can fail an existing client.
    pub breaking: Vec<Change>,
    /// Every other difference.
    pub compatible: Vec<Change>,
}

impl Diff {
    /// Whether the documents are the same.
    ///
    /// ```
    /// let doc = serde_json::json!({ "openapi": "3.1.0", "paths": {} });
    /// assert!(waymark::openapi::diff(&doc, &doc).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.breaking.is_empty() && self.compatible.is_empty()
    }

    /// Whether any change can fail an existing client.
    ///
    /// ```
    /// use serde_json::json;
    ///
    /// let locked = json!({ "paths": { "/notes": { "get": {} } } });
    /// let current = json!({ "paths": {} });
    /// assert!(waymark::openapi::diff(&locked, &current).is_breaking());
    /// assert!(!waymark::openapi::diff(&current, &locked).is_breaking());
    /// ```
    pub fn is_breaking(&self) -> bool {
        !self.breaking.is_empty()
    }
}

/// Breaking changes first, then compatible ones, one a line, each list under its heading.
impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("no changes");
        }
        let mut first = true;
        for (heading, changes) in [("breaking changes:", &self.breaking), ("compatible changes:", &self.compatible)] {
            if changes.is_empty() {
                continue;
            }
            if !first {
                f.write_str("\n")?;
            }
            first = false;
            f.write_str(heading)?;
            for change in changes {
                write!(f, "\n  {change}")?;
            }
        }
        Ok(())
    }
}

/// One difference: where it is and what it is.
///
/// ```
/// use serde_json::json;
///
/// let param = |max: u32| json!({ "name": "limit", "in": "query", "schema": { "type": "integer", "maximum": max } });
/// let doc = |max| json!({ "paths": { "/notes": { "get": { "parameters": [param(max)] } } } });
/// let d = waymark::openapi::diff(&doc(100), &doc(50));
/// let change = &d.breaking[0];
/// assert_eq!(change.at, "GET /notes");
/// assert_eq!(change.what, "parameter `limit`: maximum lowered from 100 to 50");
/// assert_eq!(change.to_string(), "GET /notes: parameter `limit`: maximum lowered from 100 to 50");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Change {
    /// The operation (`GET /notes`), or the part of the document outside the operations
    /// (`components`, `info`, `document`, or a path for what its path item holds).
    pub at: String,
    /// The difference, naming the parameter, body, response or property it is in.
    pub what: String,
}

impl Change {
    fn new(at: &str, what: impl Into<String>) -> Self {
        Self { at: at.to_owned(), what: what.into() }
    }
}

/// `at: what`.
impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.what)
    }
}

/// Compares the `locked` OpenAPI document of an API with its `current` one, as a client of the
/// locked document sees it.
///
/// Operations are matched by method and path, parameters by name and location, bodies by media
/// type, responses by status; schemas are compared through their `$ref`s, field by field. A
/// client sends parameters and request bodies, so there a narrower schema is breaking (a bound
/// tightened or added, a type changed, an `enum` value removed, a property newly
/// required); it reads responses, so there a wider one is (a type widened, a property removed or
/// made optional). Removed operations, parameters, media types and responses, new required
/// parameters and bodies, and a security requirement an operation's clients do not meet are
/// breaking too. Everything else that differs is compatible.
///
/// ```
/// use serde_json::json;
/// use waymark::openapi::diff;
///
/// let doc = |required: bool| json!({
///     "openapi": "3.1.0",
///     "paths": { "/notes": { "get": {
///         "parameters": [{ "name": "tag", "in": "query", "required": required, "schema": { "type": "string" } }],
///         "responses": { "200": { "description": "The notes." } },
///     } } },
/// });
/// assert!(diff(&doc(false), &doc(false)).is_empty());
///
/// let d = diff(&doc(false), &doc(true));
/// assert_eq!(d.to_string(), "breaking changes:\n  GET /notes: parameter `tag` made required");
///
/// let d = diff(&doc(true), &doc(false));
/// assert!(!d.is_breaking());
/// assert_eq!(d.compatible[0].what, "parameter `tag` made optional");
/// ```
pub fn diff(locked: &Value, current: &Value) -> Diff {
    let mut walk = Walk { docs: (locked, current), seen: BTreeSet::new(), out: Diff::default() };
    walk.paths();
    walk.components();
    for what in changed_keys(locked, current, &["paths", "components", "security", "info"]) {
        walk.compatible("document", what);
    }
    let (li, ci) = (locked.get("info").unwrap_or(&Value::Null), current.get("info").unwrap_or(&Value::Null));
    for what in changed_keys(li, ci, &[]) {
        walk.compatible("info", what);
    }
    // What the rules do not see (the order of `required`, a `security` no operation uses) still
    // makes the locked document stale.
    if walk.out.is_empty() && locked != current {
        walk.compatible("document", "changed in a way no rule names");
    }
    walk.out
}

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

struct Walk<'a> {
    docs: (&'a Value, &'a Value),
    /// The `$ref`s followed while comparing operations: their components are compared there.
    seen: BTreeSet<String>,
    out: Diff,
}

impl<'a> Walk<'a> {
    fn breaking(&mut self, at: &str, what: impl Into<String>) {
        self.out.breaking.push(Change::new(at, what));
    }

    fn compatible(&mut self, at: &str, what: impl Into<String>) {
        self.out.compatible.push(Change::new(at, what));
    }

    fn schema(&mut self, at: &str, flow: Flow, subject: &str, locked: &Value, current: &Value) {
        for found in schema::compare(self.docs, flow, subject, locked, current, &mut self.seen) {
            let list = if found.breaking { &mut self.out.breaking } else { &mut self.out.compatible };
            list.push(Change::new(at, found.what));
        }
    }

    /// `v` with its `$ref` into the components followed, the ref noted as seen.
    fn resolve(&mut self, side: usize, v: &'a Value) -> Value {
        let doc = if side == 0 { self.docs.0 } else { self.docs.1 };
        let (resolved, followed) = resolve(doc, v);
        self.seen.extend(followed.map(str::to_owned));
        resolved.into_owned()
    }

    fn paths(&mut self) {
        let (lp, cp) = (object(self.docs.0.get("paths")), object(self.docs.1.get("paths")));
        for (path, litem) in lp {
            let citem = cp.get(path);
            for method in METHODS {
                let at = format!("{} {path}", method.to_ascii_uppercase());
                match (litem.get(method), citem.and_then(|i| i.get(method))) {
                    (Some(_), None) => self.breaking(&at, "operation removed"),
                    (Some(lop), Some(cop)) => self.operation(&at, (litem, lop), (citem.unwrap_or(litem), cop)),
                    _ => {}
                }
            }
            if let Some(citem) = citem {
                let skip: Vec<&str> = METHODS.iter().copied().chain(["parameters"]).collect();
                for what in changed_keys(litem, citem, &skip) {
                    self.compatible(path, what);
                }
            }
        }
        for (path, citem) in cp {
            for method in METHODS.into_iter().filter(|m| citem.get(m).is_some()) {
                if lp.get(path).and_then(|i| i.get(method)).is_none() {
                    self.compatible(&format!("{} {path}", method.to_ascii_uppercase()), "new operation");
                }
            }
        }
    }

    /// One operation in both documents, each with its path item.
    fn operation(&mut self, at: &str, locked: (&'a Value, &'a Value), current: (&'a Value, &'a Value)) {
        self.parameters(at, parameters(locked), parameters(current));
        self.request_body(at, locked.1.get("requestBody"), current.1.get("requestBody"));
        self.responses(at, locked.1.get("responses"), current.1.get("responses"));
        self.security(at, locked.1, current.1);
        for what in changed_keys(locked.1, current.1, &["parameters", "requestBody", "responses", "security"]) {
            self.compatible(at, what);
        }
    }

    fn parameters(&mut self, at: &str, locked: Vec<&'a Value>, current: Vec<&'a Value>) {
        let locked: Vec<Value> = locked.into_iter().map(|p| self.resolve(0, p)).collect();
        let current: Vec<Value> = current.into_iter().map(|p| self.resolve(1, p)).collect();
        let key = |p: &Value| (p.get("in").cloned(), p.get("name").cloned());
        let name_of = |p: &Value| p.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
        // A path parameter is required whatever `required` says.
        let required = |p: &Value| p.get("required") == Some(&Value::Bool(true)) || p["in"] == "path";
        for lp in &locked {
            let name = name_of(lp);
            let Some(cp) = current.iter().find(|cp| key(cp) == key(lp)) else {
                self.breaking(at, format!("parameter `{name}` removed"));
                continue;
            };
            match (required(lp), required(cp)) {
                (false, true) => self.breaking(at, format!("parameter `{name}` made required")),
                (true, false) => self.compatible(at, format!("parameter `{name}` made optional")),
                _ => {}
            }
            let subject = format!("parameter `{name}`");
            if let (Some(ls), Some(cs)) = (lp.get("schema"), cp.get("schema")) {
                self.schema(at, Flow::Request, &subject, ls, cs);
            }
            for what in changed_keys(lp, cp, &["name", "in", "required", "schema"]) {
                self.compatible(at, format!("{subject}: {what}"));
            }
        }
        for cp in current.iter().filter(|cp| !locked.iter().any(|lp| key(lp) == key(cp))) {
            let name = name_of(cp);
            if required(cp) {
                self.breaking(at, format!("new required parameter `{name}`"));
            } else {
                self.compatible(at, format!("new optional parameter `{name}`"));
            }
        }
    }

    fn request_body(&mut self, at: &str, locked: Option<&'a Value>, current: Option<&'a Value>) {
        let required = |b: &Value| b.get("required") == Some(&Value::Bool(true));
        let (l, c) = match (locked, current) {
            (Some(l), Some(c)) => (self.resolve(0, l), self.resolve(1, c)),
            (None, Some(c)) if required(&self.resolve(1, c)) => {
                self.breaking(at, "new required request body");
                return;
            }
            (None, Some(_)) => {
                self.compatible(at, "new optional request body");
                return;
            }
            (Some(_), None) => {
                self.compatible(at, "request body removed");
                return;
            }
            (None, None) => return,
        };
        match (required(&l), required(&c)) {
            (false, true) => self.breaking(at, "request body made required"),
            (true, false) => self.compatible(at, "request body made optional"),
            _ => {}
        }
        self.content(at, Flow::Request, "request body", &l, &c);
        for what in changed_keys(&l, &c, &["required", "content"]) {
            self.compatible(at, format!("request body: {what}"));
        }
    }

    fn responses(&mut self, at: &str, locked: Option<&'a Value>, current: Option<&'a Value>) {
        let (lr, cr) = (object(locked), object(current));
        for (status, l) in lr {
            let Some(c) = cr.get(status) else {
                self.breaking(at, format!("response `{status}` removed"));
                continue;
            };
            let (l, c) = (self.resolve(0, l), self.resolve(1, c));
            let label = format!("response `{status}`");
            self.content(at, Flow::Response, &label, &l, &c);
            for what in changed_keys(&l, &c, &["content"]) {
                self.compatible(at, format!("{label}: {what}"));
            }
        }
        for status in cr.keys().filter(|s| !lr.contains_key(*s)) {
            self.compatible(at, format!("new response `{status}`"));
        }
    }

    /// The media types of a request body or a response (`label`) and their schemas.
    fn content(&mut self, at: &str, flow: Flow, label: &str, l: &Value, c: &Value) {
        let (lc, cc) = (object(l.get("content")), object(c.get("content")));
        for (media, lm) in lc {
            let Some(cm) = cc.get(media) else {
                // A server that now reads `*/*` still reads what clients send; a client cannot
                // read a media type it was not written for.
                let covered = flow == Flow::Request && cc.keys().any(|range| covers(range, media));
                let what = format!("{label}: media type `{media}` removed");
                if covered {
                    self.compatible(at, what);
                } else {
                    self.breaking(at, what);
                }
                continue;
            };
            let subject = format!("{label} `{media}`");
            match (lm.get("schema"), cm.get("schema")) {
                (Some(ls), Some(cs)) => self.schema(at, flow, &subject, ls, cs),
                // No schema is an undocumented body, not any body: documenting one (the
                // `schemars` feature turned on) is not a break, forgetting a response's is.
                (Some(_), None) if flow == Flow::Response => self.breaking(at, format!("{subject}: schema removed")),
                (Some(_), None) => self.compatible(at, format!("{subject}: schema removed")),
                (None, Some(_)) => self.compatible(at, format!("{subject}: schema added")),
                (None, None) => {}
            }
            for what in changed_keys(lm, cm, &["schema"]) {
                self.compatible(at, format!("{subject}: {what}"));
            }
        }
        for media in cc.keys().filter(|m| !lc.contains_key(*m)) {
            self.compatible(at, format!("{label}: new media type `{media}`"));
        }
    }

    /// Breaking when a client that met one of the locked requirements meets none of the current
    /// ones (no requirement at all is met by every client).
    fn security(&mut self, at: &str, locked: &Value, current: &Value) {
        let (l, c) = (requirements(self.docs.0, locked), requirements(self.docs.1, current));
        let mut broke = false;
        for req in &l {
            if c.iter().any(|cur| cur.iter().all(|(scheme, scopes)| meets(req, scheme, scopes))) {
                continue;
            }
            broke = true;
            if req.is_empty() {
                let needed: Vec<String> = c.iter().map(|r| names(r)).collect();
                self.breaking(at, format!("security requirement added: {}", needed.join(" or ")));
            } else {
                self.breaking(at, format!("security requirement {} no longer accepted", names(req)));
            }
        }
        if !broke && l != c {
            self.compatible(at, "security requirements changed");
        }
    }

    fn components(&mut self) {
        let (lc, cc) = (object(self.docs.0.get("components")), object(self.docs.1.get("components")));
        let sections: BTreeSet<&String> = lc.keys().chain(cc.keys()).collect();
        for section in sections {
            let kind = match section.as_str() {
                "schemas" => "schema",
                "securitySchemes" => "security scheme",
                "parameters" => "parameter",
                "responses" => "response",
                "requestBodies" => "request body",
                other => other,
            };
            let (ls, cs) = (object(lc.get(section)), object(cc.get(section)));
            let names: BTreeSet<&String> = ls.keys().chain(cs.keys()).collect();
            for name in names {
                let what = match (ls.get(name), cs.get(name)) {
                    (Some(a), Some(b)) if a == b => continue,
                    // Compared where an operation refers to it.
                    (Some(_), Some(_)) if self.seen.contains(&pointer(section, name)) => continue,
                    (Some(_), Some(_)) => "changed",
                    (Some(_), None) => "removed",
                    _ => "added",
                };
                self.compatible("components", format!("{kind} `{name}` {what}"));
            }
        }
    }
}

/// The parameters of an operation: its path item's, overridden by its own of the same name and
/// location.
fn parameters<'a>((item, op): (&'a Value, &'a Value)) -> Vec<&'a Value> {
    let list = |v: &'a Value| v.get("parameters").and_then(Value::as_array).into_iter().flatten();
    let own: Vec<&Value> = list(op).collect();
    let same = |a: &Value, b: &Value| a.get("name") == b.get("name") && a.get("in") == b.get("in");
    let mut all: Vec<&Value> = list(item).filter(|p| !own.iter().any(|o| same(o, p))).collect();
    all.extend(own);
    all
}

/// The security requirements of an operation: its own, or else the document's; none is one
/// empty requirement, met by every client.
fn requirements<'a>(doc: &'a Value, op: &'a Value) -> Vec<&'a Map<String, Value>> {
    static NONE: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
    let list = op.get("security").or_else(|| doc.get("security")).and_then(Value::as_array);
    let reqs: Vec<&Map<String, Value>> = list.into_iter().flatten().filter_map(Value::as_object).collect();
    if reqs.is_empty() { vec![&*NONE] } else { reqs }
}

/// Whether a client that meets `req` holds `scheme` with every scope in `scopes`.
fn meets(req: &Map<String, Value>, scheme: &str, scopes: &Value) -> bool {
    let held = req.get(scheme).and_then(Value::as_array);
    let wanted = scopes.as_array().into_iter().flatten();
    held.is_some_and(|held| wanted.into_iter().all(|s| held.contains(s)))
}

fn names(req: &Map<String, Value>) -> String {
    req.keys().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(" + ")
}

/// Whether a media range (`*/*`, `text/*`) or type takes `media`.
fn covers(range: &str, media: &str) -> bool {
    let essence = |m: &str| m.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let (range, media) = (essence(range), essence(media));
    range == "*/*" || range == media || range.strip_suffix("/*").is_some_and(|ty| media.split('/').next() == Some(ty))
}

/// `#/components/{section}/{name}`, with the name escaped as a JSON pointer (RFC 6901).
fn pointer(section: &str, name: &str) -> String {
    format!("#/components/{section}/{}", name.replace('~', "~0").replace('/', "~1"))
}

fn object(v: Option<&Value>) -> &Map<String, Value> {
    static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
    v.and_then(Value::as_object).unwrap_or(&EMPTY)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A case: its name, the locked and current documents (an operation stands for a document
    /// whose only operation is `GET /notes`), and the breaking and compatible changes wanted.
    pub(super) type Case = (&'static str, Value, Value, &'static [&'static str], &'static [&'static str]);

    pub(super) fn run(cases: Vec<Case>) {
        let doc = |v: &Value| match v.get("paths") {
            Some(_) => v.clone(),
            None => {
                json!({ "openapi": "3.1.0", "info": { "title": "notes", "version": "1" }, "paths": { "/notes": { "get": v } } })
            }
        };
        for (case, locked, current, breaking, compatible) in cases {
            let d = diff(&doc(&locked), &doc(&current));
            let got = |list: &[Change]| list.iter().map(ToString::to_string).collect::<Vec<_>>();
            assert_eq!(got(&d.breaking), breaking, "{case}: breaking");
            assert_eq!(got(&d.compatible), compatible, "{case}: compatible");
        }
    }

    /// `GET /notes` with one query parameter `limit`.
    pub(super) fn limit(required: bool, schema: &Value) -> Value {
        json!({ "parameters": [{ "name": "limit", "in": "query", "required": required, "schema": schema }] })
    }

    pub(super) fn body(required: bool, media: &str, schema: &Value) -> Value {
        json!({ "requestBody": { "required": required, "content": { media: { "schema": schema } } } })
    }

    pub(super) fn response(status: &str, schema: &Value) -> Value {
        json!({ "responses": { status: { "description": "ok", "content": { "application/json": { "schema": schema } } } } })
    }

    pub(super) fn object(required: &[&str], properties: &Value) -> Value {
        json!({ "type": "object", "required": required, "properties": properties })
    }

    /// `op` in a document with these `components.schemas`.
    pub(super) fn with_schemas(op: &Value, schemas: &Value) -> Value {
        json!({ "paths": { "/notes": { "get": op } }, "components": { "schemas": schemas } })
    }

    #[test]
    fn rules() {
        let int = json!({ "type": "integer" });
        let string = json!({ "type": "string" });
        #[rustfmt::skip]
        run(vec![
            ("identical", limit(false, &int), limit(false, &int), &[], &[]),
            // Operations.
            ("operation removed",
                json!({ "paths": { "/notes": { "get": {}, "delete": {} } } }), json!({ "paths": { "/notes": { "get": {} } } }),
                &["DELETE /notes: operation removed"], &[]),
            ("path removed", json!({ "paths": { "/notes": { "get": {} } } }), json!({ "paths": {} }),
                &["GET /notes: operation removed"], &[]),
            ("new operation", json!({ "paths": {} }), json!({ "paths": { "/notes": { "post": {} } } }),
                &[], &["POST /notes: new operation"]),
            // Parameters.
            ("parameter removed", limit(false, &int), json!({}), &["GET /notes: parameter `limit` removed"], &[]),
            ("parameter made required", limit(false, &int), limit(true, &int),
                &["GET /notes: parameter `limit` made required"], &[]),
            ("parameter made optional", limit(true, &int), limit(false, &int),
                &[], &["GET /notes: parameter `limit` made optional"]),
            ("new required parameter", json!({}), limit(true, &int), &["GET /notes: new required parameter `limit`"], &[]),
            ("new optional parameter", json!({}), limit(false, &int), &[], &["GET /notes: new optional parameter `limit`"]),
            ("path parameters are required", json!({}), json!({ "parameters": [{ "name": "id", "in": "path", "schema": int }] }),
                &["GET /notes: new required parameter `id`"], &[]),
            ("parameter description", limit(false, &int),
                json!({ "parameters": [{ "name": "limit", "in": "query", "required": false, "schema": int, "description": "at most" }] }),
                &[], &["GET /notes: parameter `limit`: `description` added"]),
            // Request bodies.
            ("new required body", json!({}), body(true, "application/json", &string),
                &["GET /notes: new required request body"], &[]),
            ("new optional body", json!({}), body(false, "application/json", &string), &[], &["GET /notes: new optional request body"]),
            ("body made required", body(false, "application/json", &string), body(true, "application/json", &string),
                &["GET /notes: request body made required"], &[]),
            ("body media type removed", body(true, "application/json", &string), body(true, "text/plain", &string),
                &["GET /notes: request body: media type `application/json` removed"],
                &["GET /notes: request body: new media type `text/plain`"]),
            ("body media type taken by a range", body(true, "application/json", &string), body(true, "application/*", &string),
                &[], &["GET /notes: request body: media type `application/json` removed",
                       "GET /notes: request body: new media type `application/*`"]),
            ("body schema documented", json!({ "requestBody": { "required": true, "content": { "application/json": {} } } }),
                body(true, "application/json", &string),
                &[], &["GET /notes: request body `application/json`: schema added"]),
            // Responses.
            ("response removed", response("404", &string), json!({ "responses": {} }), &["GET /notes: response `404` removed"], &[]),
            ("new response", json!({ "responses": {} }), response("418", &string), &[], &["GET /notes: new response `418`"]),
            ("response media type removed", response("200", &string),
                json!({ "responses": { "200": { "description": "ok", "content": { "text/plain": {} } } } }),
                &["GET /notes: response `200`: media type `application/json` removed"],
                &["GET /notes: response `200`: new media type `text/plain`"]),
            ("response description", json!({ "responses": { "200": { "description": "ok" } } }),
                json!({ "responses": { "200": { "description": "the notes" } } }),
                &[], &["GET /notes: response `200`: `description` changed from `ok` to `the notes`"]),
            // Components no operation refers to.
            ("unused schema", with_schemas(&json!({}), &json!({ "Old": int })), with_schemas(&json!({}), &json!({ "Old": string })),
                &[], &["components: schema `Old` changed"]),
            // Security.
            ("security added", json!({}), json!({ "security": [{ "bearer": [] }] }),
                &["GET /notes: security requirement added: `bearer`"], &[]),
            ("security added to the document", json!({ "paths": { "/notes": { "get": {} } } }),
                json!({ "security": [{ "key": [] }], "paths": { "/notes": { "get": {} } } }),
                &["GET /notes: security requirement added: `key`"], &[]),
            ("security made optional", json!({ "security": [{ "bearer": [] }] }), json!({ "security": [{ "bearer": [] }, {}] }),
                &[], &["GET /notes: security requirements changed"]),
            ("scope added", json!({ "security": [{ "oauth": ["read"] }] }), json!({ "security": [{ "oauth": ["read", "write"] }] }),
                &["GET /notes: security requirement `oauth` no longer accepted"], &[]),
            // Documentation, and what no rule names.
            ("summary and description", json!({ "summary": "a", "description": "b" }),
                json!({ "summary": "Notes.", "description": "All of them,\nnewest first." }),
                &[], &["GET /notes: `description` changed", "GET /notes: `summary` changed from `a` to `Notes.`"]),
            ("info", json!({ "paths": {}, "info": { "version": "1" } }), json!({ "paths": {}, "info": { "version": "2" } }),
                &[], &["info: `version` changed from `1` to `2`"]),
            ("order of required", response("200", &object(&["a", "b"], &json!({ "a": int, "b": int }))),
                response("200", &object(&["b", "a"], &json!({ "a": int, "b": int }))),
                &[], &["document: changed in a way no rule names"]),

        ]);
    }

    /// Documents as the builder makes them: a `u32` parameter that became a `u16`.
    #[test]
    fn builder_documents() {
        use crate::openapi::{Arity, In, Operation, Param, Scalar, document};

        let op = |ty, format, max| {
            let scalar = Scalar::Integer { format: Some(format), min: Some(0), max: Some(max) };
            let params = Box::leak(Box::new([Param::new("limit", In::Query, scalar, Arity::Optional, ty)]));
            document("notes", "1", &[Operation::new("GET", "/notes?{limit}", "/notes", None, "", params, None)])
        };
        let (locked, current) = (op("u32", "int64", u32::MAX.into()), op("u16", "int32", u16::MAX.into()));
        assert_eq!(
            diff(&locked, &current).to_string(),
            "breaking changes:\n  \
             GET /notes: parameter `limit`: format narrowed from `int64` to `int32`\n  \
             GET /notes: parameter `limit`: maximum lowered from 4294967295 to 65535"
        );
        assert_eq!(
            diff(&current, &locked).to_string(),
            "compatible changes:\n  \
             GET /notes: parameter `limit`: format widened from `int32` to `int64`\n  \
             GET /notes: parameter `limit`: maximum raised from 65535 to 4294967295"
        );
    }

    #[test]
    fn display() {
        assert_eq!(Diff::default().to_string(), "no changes");
        let d = Diff { breaking: vec![], compatible: vec![Change::new("GET /a", "new operation")] };
        assert_eq!(d.to_string(), "compatible changes:\n  GET /a: new operation");
    }
}
