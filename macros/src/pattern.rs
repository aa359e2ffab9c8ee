//! The mini-parser for pattern strings such as `"/users/{id: u64}?{limit: u32 = 20}"`.
//!
//! Pure functions over `&str`: errors are messages, and the caller puts them on the literal's span
//! (on stable Rust a span cannot point inside a string literal, so each message quotes the part
//! that is wrong).

use crate::range::{self, Range};

/// A parsed pattern: path segments, then query parameters.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pattern {
    pub(crate) segments: Vec<Segment>,
    pub(crate) query: Vec<QueryParam>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Segment {
    Literal(String),
    /// `{name}` (no type: a borrowed string) or `{name: Type}`.
    Param(Param),
    /// `{*name}` or `{*name: Type}`: the rest of the path, one or more segments.
    CatchAll(Param),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Param {
    pub(crate) name: String,
    /// The type as written, trimmed; `None` for an untyped parameter.
    pub(crate) ty: Option<String>,
    /// `in 1..=100`: the values it takes (checked against the type later).
    pub(crate) range: Option<Range>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QueryParam {
    pub(crate) name: String,
    pub(crate) ty: Option<String>,
    pub(crate) range: Option<Range>,
    /// The default as written (a literal, checked later).
    pub(crate) default: Option<String>,
}

impl Segment {
    pub(crate) fn param(&self) -> Option<&Param> {
        match self {
            Segment::Literal(_) => None,
            Segment::Param(p) | Segment::CatchAll(p) => Some(p),
        }
    }
}

/// The path template of `segments`, as OpenAPI and `RouteInfo::template` give it: `/users/{id}`
/// for `/users/{id: u64 in 1..}`, `/files/{path}` for `/files/{*path}`; no types, no query.
pub(crate) fn template(segments: &[Segment]) -> String {
    if segments.is_empty() {
        return "/".to_owned();
    }
    let mut out = String::new();
    for seg in segments {
        out.push('/');
        match seg {
            Segment::Literal(text) => out.push_str(text),
            Segment::Param(p) | Segment::CatchAll(p) => {
                out.push('{');
                out.push_str(&p.name);
                out.push('}');
            }
        }
    }
    out
}

/// Parses a whole pattern. `in_scope` allows the empty pattern (the scope's own path).
pub(crate) fn parse(src: &str, in_scope: bool) -> Result<Pattern, String> {
    let (path, query) = match src.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (src, None),
    };
    let segments = parse_path(path, in_scope)?;
    let query = match query {
        Some(q) => parse_query(q)?,
        None => Vec::new(),
    };
    let mut seen: Vec<&str> = Vec::new();
    let names = segments.iter().filter_map(Segment::param).map(|p| &p.name).chain(query.iter().map(|q| &q.name));
    for name in names {
        if seen.contains(&name.as_str()) {
            return Err(format!("parameter `{name}` is declared twice in `{src}`; give each parameter its own name"));
        }
        if ["req", "body", "next", "self", "Self"].contains(&name.as_str()) {
            return Err(format!(
                "parameter name `{name}` is reserved: `req`, `body` and `next` are bindings of their own; rename the parameter"
            ));
        }
        seen.push(name);
    }
    Ok(Pattern { segments, query })
}

/// Parses the path part: `""` (only in a scope), `/`, or `/seg/seg...`.
pub(crate) fn parse_path(path: &str, in_scope: bool) -> Result<Vec<Segment>, String> {
    if path.is_empty() && in_scope {
        return Ok(Vec::new());
    }
    let Some(rest) = path.strip_prefix('/') else {
        let hint = if path.is_empty() { "\"/\"".to_owned() } else { format!("\"/{path}\"") };
        return Err(format!("pattern `{path}` must start with `/`; write {hint}"));
    };
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    let raw: Vec<&str> = rest.split('/').collect();
    let last = raw.len() - 1;
    let mut segments = Vec::with_capacity(raw.len());
    for (i, seg) in raw.iter().enumerate() {
        // A trailing slash is a segment of its own (`/a/` is not `/a`); an empty one elsewhere is a typo.
        if seg.is_empty() && i != last {
            return Err(format!("empty segment (`//`) in `{path}`; remove the extra `/`"));
        }
        let segment = parse_segment(seg, path)?;
        if matches!(segment, Segment::CatchAll(_)) && i != last {
            return Err(format!(
                "catch-all `{seg}` must be the last segment of `{path}`; it takes the rest of the path"
            ));
        }
        segments.push(segment);
    }
    Ok(segments)
}

fn parse_segment(seg: &str, path: &str) -> Result<Segment, String> {
    let Some(open) = seg.find('{') else {
        if seg.contains('}') {
            return Err(format!("unmatched `}}` in segment `{seg}` of `{path}`"));
        }
        if let Some(c) = seg.chars().find(|&c| !is_pchar(c)) {
            return Err(format!(
                "literal segment `{seg}` contains `{}`, which a request path never carries unencoded; write it percent-encoded or remove it",
                c.escape_default()
            ));
        }
        return Ok(Segment::Literal(seg.to_owned()));
    };
    let Some(close) = seg.rfind('}').filter(|&c| c > open) else {
        return Err(format!("unclosed `{{` in segment `{seg}` of `{path}`; close it with `}}`"));
    };
    if open != 0 || close != seg.len() - 1 {
        return Err(format!(
            "segment `{seg}` mixes text and a parameter; a parameter must be a whole segment, e.g. `/files/{{name}}`"
        ));
    }
    let inner = &seg[1..close];
    if inner.contains(['{', '}']) {
        return Err(format!(
            "segment `{seg}` holds more than one parameter; a segment is one literal or one parameter, e.g. `/{{a}}/{{b}}`"
        ));
    }
    let (catch_all, inner) = match inner.strip_prefix('*') {
        Some(rest) => (true, rest),
        None => (false, inner),
    };
    let param = parse_param(inner, seg)?;
    Ok(if catch_all { Segment::CatchAll(param) } else { Segment::Param(param) })
}

/// `name` or `name: Type`, either followed by `in RANGE`.
fn parse_param(inner: &str, whole: &str) -> Result<Param, String> {
    let (inner, range) = match split_range(inner) {
        Some((decl, range)) => (decl, Some(range)),
        None => (inner, None),
    };
    let (name, ty) = match inner.split_once(':') {
        Some((name, ty)) => (name.trim(), Some(ty.trim())),
        None => (inner.trim(), None),
    };
    if name.is_empty() {
        return Err(format!("parameter `{whole}` has no name; name it, e.g. `{{id}}` or `{{id: u64}}`"));
    }
    if !is_ident(name) {
        return Err(format!("parameter name `{name}` in `{whole}` is not a Rust identifier"));
    }
    if ty == Some("") {
        return Err(format!("parameter `{whole}` has a `:` but no type; write e.g. `{{{name}: u64}}` or `{{{name}}}`"));
    }
    let range = range.map(|r| range::parse(r, name)).transpose()?;
    Ok(Param { name: name.to_owned(), ty: ty.map(str::to_owned), range })
}

/// Splits `id: u64 in 1..` at the word `in` (a keyword: no type or name holds it as a word).
fn split_range(decl: &str) -> Option<(&str, &str)> {
    decl.match_indices("in").map(|(i, _)| i).find_map(|i| {
        let (before, after) = (&decl[..i], &decl[i + 2..]);
        let word =
            before.ends_with(char::is_whitespace) && (after.is_empty() || after.starts_with(char::is_whitespace));
        word.then_some((before, after))
    })
}

fn parse_query(query: &str) -> Result<Vec<QueryParam>, String> {
    let mut params = Vec::new();
    for item in query.split('&') {
        let inner = item.strip_prefix('{').and_then(|i| i.strip_suffix('}')).ok_or_else(|| {
            format!(
                "query item `{item}` must be a parameter in braces, e.g. `?{{limit: u32 = 20}}&{{after: Option<u64>}}`"
            )
        })?;
        if inner.starts_with('*') {
            return Err(format!("query parameter `{item}` cannot be a catch-all"));
        }
        // The default follows the first `=` that is not the end of a range's `..=`.
        let (decl, default) = match inner.match_indices('=').find(|(i, _)| !inner[..*i].ends_with("..")) {
            Some((i, _)) => (&inner[..i], Some(inner[i + 1..].trim())),
            None => (inner, None),
        };
        if default == Some("") {
            return Err(format!("query parameter `{item}` has `=` but no default; write a literal after it"));
        }
        let Param { name, ty, range } = parse_param(decl, item)?;
        params.push(QueryParam { name, ty, range, default: default.map(str::to_owned) });
    }
    Ok(params)
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
        && s != "_"
        // An ASCII name is checked against the keyword list syn's `Ident` parser uses, without
        // running the parser (a large table has thousands of names); others go through syn.
        && if s.is_ascii() { !KEYWORDS.contains(&s) } else { syn::parse_str::<syn::Ident>(s).is_ok() }
}

/// The words syn's `Ident` parser refuses (syn 3, `ident::accept_as_ident`).
const KEYWORDS: [&str; 51] = [
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "if", "impl", "in", "let", "loop", "macro", "match", "mod",
    "move", "mut", "override", "priv", "pub", "ref", "return", "Self", "self", "static", "struct", "super", "trait",
    "true", "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// RFC 3986 `pchar` (unreserved, sub-delims, `:`, `@`, and `%` for escapes).
fn is_pchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@%".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_the_ones_syn_refuses() {
        for k in KEYWORDS {
            assert!(syn::parse_str::<syn::Ident>(k).is_err(), "{k}");
            assert!(!is_ident(k), "{k}");
        }
        for ok in ["id", "gen", "union", "raw", "x_1", "Self_", "\u{e9}t\u{e9}"] {
            assert_eq!(is_ident(ok), syn::parse_str::<syn::Ident>(ok).is_ok(), "{ok}");
        }
    }

    fn lit(s: &str) -> Segment {
        Segment::Literal(s.to_owned())
    }
    fn param(name: &str, ty: Option<&str>) -> Segment {
        Segment::Param(Param { name: name.to_owned(), ty: ty.map(str::to_owned), range: None })
    }

    #[test]
    fn parses_valid_patterns() {
        let cases: Vec<(&str, Vec<Segment>)> = vec![
            ("/", vec![]),
            ("/users", vec![lit("users")]),
            ("/users/", vec![lit("users"), lit("")]),
            ("/users/{id: u64}", vec![lit("users"), param("id", Some("u64"))]),
            ("/u/{name}/x", vec![lit("u"), param("name", None), lit("x")]),
            ("/ip/{a: std::net::IpAddr}", vec![lit("ip"), param("a", Some("std::net::IpAddr"))]),
            (
                "/files/{*path}",
                vec![lit("files"), Segment::CatchAll(Param { name: "path".into(), ty: None, range: None })],
            ),
            ("/a:b@c", vec![lit("a:b@c")]),
        ];
        for (src, want) in cases {
            assert_eq!(parse(src, false).map(|p| p.segments), Ok(want), "{src}");
        }
        assert_eq!(parse("", true).map(|p| p.segments), Ok(vec![]));
    }

    #[test]
    fn templates_have_names_only() {
        let cases = [
            ("/", "/"),
            ("/users/{id: u64}", "/users/{id}"),
            ("/f/{*path}?{q: u8 = 1}", "/f/{path}"),
            ("/a/{x}/b/{ y : std::net::IpAddr }/", "/a/{x}/b/{y}/"),
            ("/notes/{id: u64 in 1..}/v/{n: u8}", "/notes/{id}/v/{n}"),
        ];
        for (pattern, want) in cases {
            assert_eq!(template(&parse(pattern, false).unwrap().segments), want, "{pattern}");
        }
    }

    #[test]
    fn parses_query_parameters() {
        let p = parse("/u?{limit: u32 = 20}&{after: Option<u64>}&{q}", false).unwrap();
        let q: Vec<_> = p.query.iter().map(|q| (q.name.as_str(), q.ty.as_deref(), q.default.as_deref())).collect();
        assert_eq!(q, [("limit", Some("u32"), Some("20")), ("after", Some("Option<u64>"), None), ("q", None, None)]);
    }

    #[test]
    fn parses_ranges_after_the_type() {
        // (pattern, (name, type, range text, default) of each parameter)
        type Want<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>);
        let cases: [(&str, &[Want<'_>]); 7] = [
            ("/n/{id: u64 in 1..}", &[("id", Some("u64"), Some("1.."), None)]),
            ("/n/{t: i32 in -5..5}", &[("t", Some("i32"), Some("-5..5"), None)]),
            ("/n/{*x: u8 in ..=9}", &[("x", Some("u8"), Some("..=9"), None)]),
            ("/n?{limit: u32 in 1..=100 = 20}", &[("limit", Some("u32"), Some("1..=100"), Some("20"))]),
            ("/n?{limit: u32 in 1..=100}", &[("limit", Some("u32"), Some("1..=100"), None)]),
            (
                "/n?{x: f64 in 0.0..=1.0 = 0.5}&{y: Option<u8> in 1..}",
                &[("x", Some("f64"), Some("0.0..=1.0"), Some("0.5")), ("y", Some("Option<u8>"), Some("1.."), None)],
            ),
            (
                "/n/{name in 1..2}/{inner: Inner}",
                &[("name", None, Some("1..2"), None), ("inner", Some("Inner"), None, None)],
            ),
        ];
        for (src, want) in cases {
            let p = parse(src, false).unwrap_or_else(|e| panic!("{src}: {e}"));
            let path = p.segments.iter().filter_map(Segment::param).map(|p| (p, None));
            let query = p.query.iter().map(|q| (&q.name, &q.ty, &q.range, q.default.as_deref()));
            let got: Vec<Want<'_>> = path
                .map(|(p, d): (&Param, Option<&str>)| {
                    (p.name.as_str(), p.ty.as_deref(), p.range.as_ref().map(|r| r.text.as_str()), d)
                })
                .chain(query.map(|(n, t, r, d)| (n.as_str(), t.as_deref(), r.as_ref().map(|r| r.text.as_str()), d)))
                .collect();
            assert_eq!(got, want, "{src}");
        }
    }

    #[test]
    fn rejects_mistakes_with_a_message_naming_them() {
        let cases = [
            ("users", "must start with `/`", false),
            ("", "must start with `/`", false),
            ("/a//b", "empty segment", false),
            ("/a/{id", "unclosed `{`", false),
            ("/a/id}", "unmatched `}`", false),
            ("/a/{}", "has no name", false),
            ("/a/{: u64}", "has no name", false),
            ("/a/{id:}", "no type", false),
            ("/a/{*rest}/b", "must be the last segment", false),
            ("/a/{id}/{id: u64}", "declared twice", false),
            ("/a/{id}?{id: u32}", "declared twice", false),
            ("/a/{1x}", "not a Rust identifier", false),
            ("/a/{fn}", "not a Rust identifier", false),
            ("/a/x{id}", "mixes text", false),
            ("/a/{x}{y}", "more than one parameter", false),
            ("/a b", "contains ` `", false),
            ("/a?limit", "must be a parameter in braces", false),
            ("/a?{n: u32 =}", "no default", false),
            ("/a/{req}", "reserved", false),
            ("/a/{n: u32 in}", "range `` of parameter `n` is not a range", false),
            ("/a/{n: u32 in 1..=}", "has `..=` but no end", false),
            ("/a?{n: u32 in 1..x = 2}", "range `1..x` of parameter `n` is not a range", false),
        ];
        for (src, want, in_scope) in cases {
            let err = parse(src, in_scope).expect_err(src);
            assert!(err.contains(want), "{src}: {err}");
        }
    }
}
