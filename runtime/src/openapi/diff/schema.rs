//! Two JSON Schemas of the same place in two documents, compared in the direction the data flows.
//!
//! What a client sends may not be narrowed (the server would reject what it accepted before); what
//! a client reads may not be widened (the client would meet values it was not written for). So the
//! same move of a constraint is breaking on one side and compatible on the other.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// Which way the data flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flow {
    /// From the client: parameters and request bodies.
    Request,
    /// To the client: response bodies.
    Response,
}

/// One difference, classified.
#[derive(Debug)]
pub(super) struct Found {
    pub(super) breaking: bool,
    pub(super) what: String,
}

/// How a constraint moved between the locked and the current schema.
#[derive(Clone, Copy)]
enum Move {
    Narrowed,
    Widened,
    /// Neither contains the other: breaking in both directions.
    Changed,
}

/// The bounds whose rise narrows, and those whose fall narrows.
const LOWER: [&str; 5] = ["minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"];
const UPPER: [&str; 5] = ["maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"];

/// Keys the rules read; any other key that differs is reported as a compatible change.
const HANDLED: [&str; 22] = [
    "$ref",
    "type",
    "format",
    "minimum",
    "exclusiveMinimum",
    "minLength",
    "minItems",
    "minProperties",
    "maximum",
    "exclusiveMaximum",
    "maxLength",
    "maxItems",
    "maxProperties",
    "enum",
    "const",
    "pattern",
    "properties",
    "required",
    "items",
    "anyOf",
    "oneOf",
    "allOf",
];

/// Refs deeper than this are not followed: a guard for documents whose refs nest without end.
const MAX_REF_DEPTH: usize = 64;

/// The differences between the schema `locked` (in the document `docs.0`) and `current` (in
/// `docs.1`), each message starting with `subject`; the `$ref`s followed are added to `seen`.
pub(super) fn compare(
    docs: (&Value, &Value),
    flow: Flow,
    subject: &str,
    locked: &Value,
    current: &Value,
    seen: &mut BTreeSet<String>,
) -> Vec<Found> {
    let mut walk = Walk { docs, flow, subject, refs: Vec::new(), seen, found: Vec::new() };
    walk.node("", locked, current);
    walk.found
}

/// `v` with its `$ref` followed one step (siblings of `$ref` kept over the target's keys, as
/// OpenAPI 3.1 allows), and the ref that was followed.
pub(super) fn resolve<'a>(doc: &'a Value, v: &'a Value) -> (Cow<'a, Value>, Option<&'a str>) {
    let Some(pointer) = v.get("$ref").and_then(Value::as_str) else { return (Cow::Borrowed(v), None) };
    let Some(target) = pointer.strip_prefix('#').and_then(|p| doc.pointer(p)) else {
        return (Cow::Borrowed(v), None);
    };
    match (v.as_object(), target.as_object()) {
        (Some(own), Some(target)) if own.len() > 1 => {
            let mut merged = target.clone();
            merged.extend(own.iter().filter(|(k, _)| *k != "$ref").map(|(k, v)| (k.clone(), v.clone())));
            (Cow::Owned(Value::Object(merged)), Some(pointer))
        }
        _ => (Cow::Borrowed(target), Some(pointer)),
    }
}

/// The keys of two objects that were added, removed or changed, skipping `skip`, as messages.
pub(super) fn changed_keys(locked: &Value, current: &Value, skip: &[&str]) -> Vec<String> {
    let empty = Map::new();
    let (l, c) = (locked.as_object().unwrap_or(&empty), current.as_object().unwrap_or(&empty));
    let keys: BTreeSet<&String> = l.keys().chain(c.keys()).filter(|k| !skip.contains(&k.as_str())).collect();
    keys.into_iter()
        .filter_map(|k| match (l.get(k), c.get(k)) {
            (Some(a), Some(b)) if a == b => None,
            (Some(a), Some(b)) => Some(match (short(a), short(b)) {
                (Some(a), Some(b)) => format!("`{k}` changed from `{a}` to `{b}`"),
                _ => format!("`{k}` changed"),
            }),
            (Some(_), None) => Some(format!("`{k}` removed")),
            _ => Some(format!("`{k}` added")),
        })
        .collect()
}

/// A scalar short enough to quote in a message.
fn short(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if s.len() <= 40 && !s.contains('\n') => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) => Some(v.to_string()),
        _ => None,
    }
}

struct Walk<'a, 's> {
    docs: (&'a Value, &'a Value),
    flow: Flow,
    subject: &'a str,
    /// The ref pairs being compared, outermost first: a pair met again is a recursive schema.
    refs: Vec<(String, String)>,
    seen: &'s mut BTreeSet<String>,
    found: Vec<Found>,
}

impl Walk<'_, '_> {
    /// The subject, followed by `: property` and the path when the path is not the root.
    fn label(&self, path: &str) -> String {
        if path.is_empty() { self.subject.to_owned() } else { format!("{}: property `{path}`", self.subject) }
    }

    fn push(&mut self, path: &str, breaking: bool, what: impl std::fmt::Display) {
        let what = format!("{}: {what}", self.label(path));
        self.found.push(Found { breaking, what });
    }

    fn moved(&mut self, path: &str, how: Move, what: impl std::fmt::Display) {
        let breaking = match (how, self.flow) {
            (Move::Changed, _) | (Move::Narrowed, Flow::Request) | (Move::Widened, Flow::Response) => true,
            (Move::Narrowed, Flow::Response) | (Move::Widened, Flow::Request) => false,
        };
        self.push(path, breaking, what);
    }

    fn node(&mut self, path: &str, locked: &Value, current: &Value) {
        let (l, lref) = resolve(self.docs.0, locked);
        let (c, cref) = resolve(self.docs.1, current);
        if lref.is_some() || cref.is_some() {
            let pair = (lref.unwrap_or_default().to_owned(), cref.unwrap_or_default().to_owned());
            if self.refs.contains(&pair) || self.refs.len() >= MAX_REF_DEPTH {
                return;
            }
            self.seen.extend(lref.into_iter().chain(cref).map(str::to_owned));
            self.refs.push(pair);
            // The target may itself be a ref: the next call follows it.
            self.node(path, &l, &c);
            self.refs.pop();
            return;
        }
        if !self.types(path, &l, &c) {
            return;
        }
        self.format(path, &l, &c);
        self.bounds(path, &l, &c);
        self.enums(path, &l, &c);
        self.pattern(path, &l, &c);
        self.properties(path, &l, &c);
        if let (Some(li), Some(ci)) = (l.get("items"), c.get("items")) {
            self.node(&format!("{path}[]"), li, ci);
        }
        self.alternatives(path, &l, &c);
        for what in changed_keys(&l, &c, &HANDLED) {
            self.push(path, false, what);
        }
    }

    /// Compares `type`; false when the types differ so much that the rest is not worth comparing.
    fn types(&mut self, path: &str, l: &Value, c: &Value) -> bool {
        let (lt, ct) = (types(l), types(c));
        let (lt, ct) = match (lt, ct) {
            (None, None) => return true,
            (None, Some(ct)) => {
                self.moved(path, Move::Narrowed, format_args!("type {} added", list(&ct)));
                return true;
            }
            (Some(lt), None) => {
                self.moved(path, Move::Widened, format_args!("type {} removed", list(&lt)));
                return true;
            }
            (Some(lt), Some(ct)) => (lt, ct),
        };
        // A number accepts every integer: integer to number widens.
        let covers = |set: &BTreeSet<&str>, t: &str| set.contains(t) || t == "integer" && set.contains("number");
        let widened = lt.iter().all(|t| covers(&ct, t));
        let narrowed = ct.iter().all(|t| covers(&lt, t));
        let (from, to) = (list(&lt), list(&ct));
        match (widened, narrowed) {
            (true, true) => true,
            (true, false) => {
                self.moved(path, Move::Widened, format_args!("type widened from {from} to {to}"));
                true
            }
            (false, true) => {
                self.moved(path, Move::Narrowed, format_args!("type narrowed from {from} to {to}"));
                true
            }
            (false, false) => {
                self.moved(path, Move::Changed, format_args!("type changed from {from} to {to}"));
                false
            }
        }
    }

    fn format(&mut self, path: &str, l: &Value, c: &Value) {
        // A format is read against its type: integer `int64` to number `double` is the type's move.
        if types(l) != types(c) {
            return;
        }
        let (lf, cf) = (l.get("format").and_then(Value::as_str), c.get("format").and_then(Value::as_str));
        match (lf, cf) {
            (Some(a), Some(b)) if a == b => {}
            (None, None) => {}
            (None, Some(f)) => self.moved(path, Move::Narrowed, format_args!("format `{f}` added")),
            (Some(f), None) => self.moved(path, Move::Widened, format_args!("format `{f}` removed")),
            (Some(a), Some(b)) => {
                let how = match (width(a), width(b)) {
                    (Some((fa, wa)), Some((fb, wb))) if fa == fb => {
                        if wb < wa {
                            Move::Narrowed
                        } else {
                            Move::Widened
                        }
                    }
                    _ => Move::Changed,
                };
                let verb = match how {
                    Move::Narrowed => "narrowed",
                    Move::Widened => "widened",
                    Move::Changed => "changed",
                };
                self.moved(path, how, format_args!("format {verb} from `{a}` to `{b}`"));
            }
        }
    }

    fn bounds(&mut self, path: &str, l: &Value, c: &Value) {
        let keys = LOWER.iter().map(|k| (k, true)).chain(UPPER.iter().map(|k| (k, false)));
        for (key, lower) in keys {
            match (l.get(key), c.get(key)) {
                (None, None) => {}
                (None, Some(v)) => self.moved(path, Move::Narrowed, format_args!("{key} {v} added")),
                (Some(v), None) => self.moved(path, Move::Widened, format_args!("{key} {v} removed")),
                (Some(a), Some(b)) => match numbers(a, b) {
                    Some(Ordering::Equal) => {}
                    Some(order) => {
                        let raised = order == Ordering::Less;
                        let how = if raised == lower { Move::Narrowed } else { Move::Widened };
                        let verb = if raised { "raised" } else { "lowered" };
                        self.moved(path, how, format_args!("{key} {verb} from {a} to {b}"));
                    }
                    // OpenAPI 3.0's boolean `exclusiveMinimum`: no order to read.
                    None if a != b => self.moved(path, Move::Changed, format_args!("{key} changed from {a} to {b}")),
                    None => {}
                },
            }
        }
    }

    fn enums(&mut self, path: &str, l: &Value, c: &Value) {
        match (allowed(l), allowed(c)) {
            (None, None) => {}
            (None, Some(values)) => {
                self.moved(path, Move::Narrowed, format_args!("enum {} added", values_list(&values)));
            }
            (Some(_), None) => self.moved(path, Move::Widened, "enum removed"),
            (Some(lv), Some(cv)) => {
                let removed: Vec<&Value> = lv.iter().copied().filter(|v| !cv.contains(v)).collect();
                let added: Vec<&Value> = cv.iter().copied().filter(|v| !lv.contains(v)).collect();
                if !removed.is_empty() {
                    let what = format_args!("enum {} removed", values_list(&removed));
                    self.moved(path, Move::Narrowed, what);
                }
                if !added.is_empty() {
                    self.moved(path, Move::Widened, format_args!("enum {} added", values_list(&added)));
                }
            }
        }
    }

    fn pattern(&mut self, path: &str, l: &Value, c: &Value) {
        match (l.get("pattern"), c.get("pattern")) {
            (Some(a), Some(b)) if a == b => {}
            (None, None) => {}
            (None, Some(p)) => self.moved(path, Move::Narrowed, format_args!("pattern `{}` added", text(p))),
            (Some(p), None) => self.moved(path, Move::Widened, format_args!("pattern `{}` removed", text(p))),
            (Some(a), Some(b)) => {
                self.moved(path, Move::Changed, format_args!("pattern changed from `{}` to `{}`", text(a), text(b)));
            }
        }
    }

    fn properties(&mut self, path: &str, l: &Value, c: &Value) {
        let empty = Map::new();
        let lp = l.get("properties").and_then(Value::as_object).unwrap_or(&empty);
        let cp = c.get("properties").and_then(Value::as_object).unwrap_or(&empty);
        let (lreq, creq) = (required(l), required(c));
        let request = self.flow == Flow::Request;
        for (name, ls) in lp {
            let child = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
            let Some(cs) = cp.get(name) else {
                // A client reads response fields; a server ignores a request field it no longer reads.
                self.push(path, !request, format_args!("property `{child}` removed"));
                continue;
            };
            match (lreq.contains(name.as_str()), creq.contains(name.as_str())) {
                (false, true) => self.push(path, request, format_args!("property `{child}` made required")),
                (true, false) => self.push(path, !request, format_args!("property `{child}` made optional")),
                _ => {}
            }
            self.node(&child, ls, cs);
        }
        for name in cp.keys().filter(|name| !lp.contains_key(*name)) {
            let child = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
            match (self.flow, creq.contains(name.as_str())) {
                (Flow::Request, true) => self.push(path, true, format_args!("new required property `{child}`")),
                (Flow::Request, false) => self.push(path, false, format_args!("new optional property `{child}`")),
                (Flow::Response, _) => self.push(path, false, format_args!("new property `{child}`")),
            }
        }
    }

    /// `anyOf`, `oneOf` and `allOf` side by side, schema by schema. An alternative removed
    /// narrows and one added widens; for `allOf`, where every schema applies, the reverse.
    fn alternatives(&mut self, path: &str, l: &Value, c: &Value) {
        for (key, noun) in [("anyOf", "alternatives"), ("oneOf", "alternatives"), ("allOf", "schemas")] {
            let (la, ca) = match (l.get(key).and_then(Value::as_array), c.get(key).and_then(Value::as_array)) {
                (None, None) => continue,
                (Some(_), None) => {
                    self.moved(path, Move::Changed, format_args!("`{key}` removed"));
                    continue;
                }
                (None, Some(_)) => {
                    self.moved(path, Move::Changed, format_args!("`{key}` added"));
                    continue;
                }
                (Some(la), Some(ca)) => (la, ca),
            };
            for (ls, cs) in la.iter().zip(ca) {
                self.node(path, ls, cs);
            }
            let all = key == "allOf";
            match la.len().cmp(&ca.len()) {
                Ordering::Equal => {}
                Ordering::Greater => {
                    let how = if all { Move::Widened } else { Move::Narrowed };
                    self.moved(path, how, format_args!("{} `{key}` {noun} removed", la.len() - ca.len()));
                }
                Ordering::Less => {
                    let how = if all { Move::Narrowed } else { Move::Widened };
                    self.moved(path, how, format_args!("{} `{key}` {noun} added", ca.len() - la.len()));
                }
            }
        }
    }
}

/// The `type` of a schema as a set; `None` for any type.
fn types(schema: &Value) -> Option<BTreeSet<&str>> {
    match schema.get("type")? {
        Value::String(t) => Some(BTreeSet::from([t.as_str()])),
        Value::Array(ts) => Some(ts.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

fn list(types: &BTreeSet<&str>) -> String {
    types.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(" or ")
}

/// A format's family and width, for the formats whose widths are ordered.
fn width(format: &str) -> Option<(&'static str, u8)> {
    match format {
        "int32" => Some(("integer", 32)),
        "int64" => Some(("integer", 64)),
        "float" => Some(("number", 32)),
        "double" => Some(("number", 64)),
        _ => None,
    }
}

/// Exact for any two integers JSON holds (`u64::MAX` included), `f64` otherwise.
fn numbers(a: &Value, b: &Value) -> Option<Ordering> {
    let int = |v: &Value| v.as_i64().map(i128::from).or_else(|| v.as_u64().map(i128::from));
    match (int(a), int(b)) {
        (Some(a), Some(b)) => Some(a.cmp(&b)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// The values `enum` or `const` allows; `None` when the schema has neither.
fn allowed(schema: &Value) -> Option<Vec<&Value>> {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return Some(values.iter().collect());
    }
    schema.get("const").map(|v| vec![v])
}

/// A string as it is, anything else as JSON.
fn text(v: &Value) -> Cow<'_, str> {
    v.as_str().map_or_else(|| Cow::Owned(v.to_string()), Cow::Borrowed)
}

fn values_list(values: &[&Value]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    format!("{} {}", if values.len() == 1 { "value" } else { "values" }, quoted.join(", "))
}

fn required(schema: &Value) -> BTreeSet<&str> {
    schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::tests::{body, limit, object, response, run, with_schemas};

    #[test]
    fn rules() {
        let int = json!({ "type": "integer" });
        let string = json!({ "type": "string" });
        let note = |required: &[&str], props: serde_json::Value| object(required, &props);
        let note_ref = json!({ "$ref": "#/components/schemas/Note" });
        #[rustfmt::skip]
        run(vec![
            // What a client sends may not narrow.
            ("type changed", limit(false, &int), limit(false, &string),
                &["GET /notes: parameter `limit`: type changed from `integer` to `string`"], &[]),
            ("integer to number widens", limit(false, &int), limit(false, &json!({ "type": "number" })),
                &[], &["GET /notes: parameter `limit`: type widened from `integer` to `number`"]),
            ("number to integer narrows", limit(false, &json!({ "type": "number" })), limit(false, &int),
                &["GET /notes: parameter `limit`: type narrowed from `number` to `integer`"], &[]),
            ("null no longer accepted", limit(false, &json!({ "type": ["integer", "null"] })), limit(false, &int),
                &["GET /notes: parameter `limit`: type narrowed from `integer` or `null` to `integer`"], &[]),
            ("format narrowed", limit(false, &json!({ "type": "integer", "format": "int64" })),
                limit(false, &json!({ "type": "integer", "format": "int32" })),
                &["GET /notes: parameter `limit`: format narrowed from `int64` to `int32`"], &[]),
            ("format widened", limit(false, &json!({ "type": "number", "format": "float" })),
                limit(false, &json!({ "type": "number", "format": "double" })),
                &[], &["GET /notes: parameter `limit`: format widened from `float` to `double`"]),
            ("format added", limit(false, &string), limit(false, &json!({ "type": "string", "format": "date" })),
                &["GET /notes: parameter `limit`: format `date` added"], &[]),
            ("minimum raised", limit(false, &json!({ "type": "integer", "minimum": 0 })),
                limit(false, &json!({ "type": "integer", "minimum": 1 })),
                &["GET /notes: parameter `limit`: minimum raised from 0 to 1"], &[]),
            ("maximum lowered", limit(false, &json!({ "type": "integer", "maximum": 100 })),
                limit(false, &json!({ "type": "integer", "maximum": 50 })),
                &["GET /notes: parameter `limit`: maximum lowered from 100 to 50"], &[]),
            ("maximum raised", limit(false, &json!({ "type": "integer", "maximum": 100 })),
                limit(false, &json!({ "type": "integer", "maximum": u64::MAX })),
                &[], &["GET /notes: parameter `limit`: maximum raised from 100 to 18446744073709551615"]),
            ("maximum added", limit(false, &int), limit(false, &json!({ "type": "integer", "maximum": 10 })),
                &["GET /notes: parameter `limit`: maximum 10 added"], &[]),
            ("minimum removed", limit(false, &json!({ "type": "integer", "minimum": 1 })), limit(false, &int),
                &[], &["GET /notes: parameter `limit`: minimum 1 removed"]),
            ("exclusive bounds tightened",
                limit(false, &json!({ "type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1.5 })),
                limit(false, &json!({ "type": "number", "exclusiveMinimum": 0.5, "exclusiveMaximum": 1 })),
                &["GET /notes: parameter `limit`: exclusiveMinimum raised from 0 to 0.5",
                  "GET /notes: parameter `limit`: exclusiveMaximum lowered from 1.5 to 1"], &[]),
            ("lengths tightened", limit(false, &json!({ "type": "string", "minLength": 1, "maxLength": 64 })),
                limit(false, &json!({ "type": "string", "minLength": 2, "maxLength": 32 })),
                &["GET /notes: parameter `limit`: minLength raised from 1 to 2",
                  "GET /notes: parameter `limit`: maxLength lowered from 64 to 32"], &[]),
            ("enum value removed, one added", limit(false, &json!({ "type": "string", "enum": ["a", "b"] })),
                limit(false, &json!({ "type": "string", "enum": ["a", "c"] })),
                &["GET /notes: parameter `limit`: enum value `\"b\"` removed"],
                &["GET /notes: parameter `limit`: enum value `\"c\"` added"]),
            ("pattern changed", limit(false, &json!({ "type": "string", "pattern": "^a" })),
                limit(false, &json!({ "type": "string", "pattern": "^b" })),
                &["GET /notes: parameter `limit`: pattern changed from `^a` to `^b`"], &[]),
            // Request body properties.
            ("body property newly required",
                body(true, "application/json", &note(&[], json!({ "title": string }))),
                body(true, "application/json", &note(&["title"], json!({ "title": string }))),
                &["GET /notes: request body `application/json`: property `title` made required"], &[]),
            ("new body properties",
                body(true, "application/json", &note(&[], json!({}))),
                body(true, "application/json", &note(&["tags"], json!({ "tags": { "type": "array" }, "pinned": { "type": "boolean" } }))),
                &["GET /notes: request body `application/json`: new required property `tags`"],
                &["GET /notes: request body `application/json`: new optional property `pinned`"]),
            ("body property removed", body(true, "application/json", &note(&[], json!({ "title": string }))),
                body(true, "application/json", &note(&[], json!({}))),
                &[], &["GET /notes: request body `application/json`: property `title` removed"]),
            ("body property narrowed",
                body(true, "application/json", &note(&[], json!({ "tags": { "type": "array", "items": { "type": "string", "maxLength": 9 } } }))),
                body(true, "application/json", &note(&[], json!({ "tags": { "type": "array", "items": { "type": "string", "maxLength": 8 } } }))),
                &["GET /notes: request body `application/json`: property `tags[]`: maxLength lowered from 9 to 8"], &[]),
            // What a client reads may not widen or lose a field.
            ("response property removed", response("200", &note(&["id", "title"], json!({ "id": int, "title": string }))),
                response("200", &note(&["id"], json!({ "id": int }))),
                &["GET /notes: response `200` `application/json`: property `title` removed"], &[]),
            ("response property type changed", response("200", &note(&[], json!({ "id": int }))),
                response("200", &note(&[], json!({ "id": string }))),
                &["GET /notes: response `200` `application/json`: property `id`: type changed from `integer` to `string`"], &[]),
            ("response property widened", response("200", &note(&[], json!({ "id": int }))),
                response("200", &note(&[], json!({ "id": { "type": "number" } }))),
                &["GET /notes: response `200` `application/json`: property `id`: type widened from `integer` to `number`"], &[]),
            ("response property made optional", response("200", &note(&["id"], json!({ "id": int }))),
                response("200", &note(&[], json!({ "id": int }))),
                &["GET /notes: response `200` `application/json`: property `id` made optional"], &[]),
            ("new response property", response("200", &note(&[], json!({}))),
                response("200", &note(&["id"], json!({ "id": int }))),
                &[], &["GET /notes: response `200` `application/json`: new property `id`"]),
            // Through `$ref`s, recursive ones included.
            ("ref'd schema", with_schemas(&response("200", &note_ref), &json!({ "Note": note(&[], json!({ "title": string })) })),
                with_schemas(&response("200", &note_ref), &json!({ "Note": note(&[], json!({})) })),
                &["GET /notes: response `200` `application/json`: property `title` removed"], &[]),
            ("recursive schema",
                with_schemas(&response("200", &note_ref),
                    &json!({ "Note": note(&[], json!({ "id": int, "replies": { "type": "array", "items": note_ref } })) })),
                with_schemas(&response("200", &note_ref),
                    &json!({ "Note": note(&[], json!({ "id": string, "replies": { "type": "array", "items": note_ref } })) })),
                &["GET /notes: response `200` `application/json`: property `id`: type changed from `integer` to `string`"], &[]),
        ]);
    }
}
