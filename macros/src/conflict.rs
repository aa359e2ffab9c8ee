//! Conflicts between routes: a pure function over plain data.
//!
//! Two routes of the same method conflict when they have the same sequence of segment kinds with
//! the same literals: then some path matches both and the matching rules (literal over parameter
//! over catch-all) cannot order them. Parameter names and types do not matter, since a typed
//! parameter that fails to parse is not a way to choose between two routes someone declared on
//! purpose. `HEAD` is served by `GET` only when no explicit `HEAD` route matches, so the two never
//! conflict.

use crate::pattern::Segment;

/// What the conflict check needs of one route.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape<'a> {
    pub(crate) method: &'a str,
    pub(crate) segments: &'a [Segment],
}

/// Route `later` conflicts with the earlier route `earlier` (indices into the input).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Conflict {
    pub(crate) earlier: usize,
    pub(crate) later: usize,
    /// A request path both routes match, when one can be named without running user parsers.
    pub(crate) witness: Option<String>,
}

/// Every route that conflicts with an earlier one, each paired with the first earlier route it
/// conflicts with.
pub(crate) fn find(routes: &[Shape<'_>]) -> Vec<Conflict> {
    let mut out = Vec::new();
    for (later, b) in routes.iter().enumerate() {
        if let Some(earlier) = routes[..later].iter().position(|a| same_shape(a, b)) {
            out.push(Conflict { earlier, later, witness: witness(routes[earlier].segments, b.segments) });
        }
    }
    out
}

fn same_shape(a: &Shape<'_>, b: &Shape<'_>) -> bool {
    a.method == b.method
        && a.segments.len() == b.segments.len()
        && a.segments.iter().zip(b.segments).all(|pair| match pair {
            (Segment::Literal(x), Segment::Literal(y)) => x == y,
            (Segment::Param(_), Segment::Param(_)) | (Segment::CatchAll(_), Segment::CatchAll(_)) => true,
            _ => false,
        })
}

/// The shape of a pattern with parameters blanked: `/items/{_}`.
pub(crate) fn shape_text(segments: &[Segment]) -> String {
    join(segments.iter().map(|s| match s {
        Segment::Literal(l) => l.as_str(),
        Segment::Param(_) => "{_}",
        Segment::CatchAll(_) => "{*_}",
    }))
}

fn join<'a>(parts: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for p in parts {
        out.push('/');
        out.push_str(p);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// A concrete path matched by two routes of the same shape.
fn witness(a: &[Segment], b: &[Segment]) -> Option<String> {
    let mut parts = Vec::with_capacity(a.len());
    for (x, y) in a.iter().zip(b) {
        match (x.param(), y.param()) {
            (Some(p), Some(q)) => {
                let sample = SAMPLES.iter().find(|s| accepts(p.ty.as_deref(), s) && accepts(q.ty.as_deref(), s))?;
                parts.push(*sample);
            }
            _ => parts.push(match x {
                Segment::Literal(l) => l.as_str(),
                _ => unreachable!("same_shape pairs literals with literals"),
            }),
        }
    }
    Some(join(parts.into_iter()))
}

const SAMPLES: [&str; 3] = ["1", "true", "a"];

/// Whether a segment parses as `ty`, as far as the macro can tell; a user type is assumed to
/// accept anything (its parser runs only at request time).
fn accepts(ty: Option<&str>, sample: &str) -> bool {
    let Some(ty) = ty else { return true };
    let ty = ty.rsplit("::").next().unwrap_or(ty).trim();
    match ty {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => {
            sample.bytes().all(|b| b.is_ascii_digit())
        }
        "f32" | "f64" => sample.parse::<f64>().is_ok(),
        "bool" => sample.parse::<bool>().is_ok(),
        "char" => sample.chars().count() == 1,
        _ if ty.starts_with("NonZero") => sample.bytes().all(|b| b.is_ascii_digit()),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern;

    /// Runs the check over `(method, pattern)` pairs; returns `(earlier, later, witness)`.
    fn check(routes: &[(&str, &str)]) -> Vec<(usize, usize, Option<String>)> {
        let parsed: Vec<_> = routes.iter().map(|(_, p)| pattern::parse(p, false).expect(p).segments).collect();
        let shapes: Vec<_> =
            routes.iter().zip(&parsed).map(|((m, _), segments)| Shape { method: m, segments }).collect();
        find(&shapes).into_iter().map(|c| (c.earlier, c.later, c.witness)).collect()
    }

    #[test]
    fn table() {
        type Case = (&'static [(&'static str, &'static str)], &'static [(usize, usize, Option<&'static str>)]);
        let cases: &[Case] = &[
            // exact duplicate
            (&[("GET", "/users"), ("GET", "/users")], &[(0, 1, Some("/users"))]),
            // same shape, different parameter names and types
            (&[("GET", "/items/{id: u64}"), ("GET", "/items/{slug}")], &[(0, 1, Some("/items/1"))]),
            (&[("GET", "/a/{x: bool}"), ("GET", "/a/{y}")], &[(0, 1, Some("/a/true"))]),
            // types no value satisfies both: still the same shape, no witness
            (&[("GET", "/a/{x: bool}"), ("GET", "/a/{y: u8}")], &[(0, 1, None)]),
            // catch-alls
            (&[("GET", "/f/{*a}"), ("GET", "/f/{*b}")], &[(0, 1, Some("/f/1"))]),
            // ordered by the rules: no conflict
            (&[("GET", "/a/{x}"), ("GET", "/a/b")], &[]),
            (&[("GET", "/a/{x}"), ("GET", "/a/{*rest}")], &[]),
            (&[("GET", "/a/b"), ("GET", "/a/{*rest}")], &[]),
            (&[("GET", "/a/{x}/c"), ("GET", "/{y}/b/c")], &[]),
            // trailing slash is a different route
            (&[("GET", "/a"), ("GET", "/a/")], &[]),
            (&[("GET", "/"), ("GET", "/a")], &[]),
            // other methods never conflict; HEAD beside GET is an override, not a conflict
            (&[("GET", "/a/{x}"), ("POST", "/a/{y}")], &[]),
            (&[("GET", "/a"), ("HEAD", "/a")], &[]),
            (&[("HEAD", "/a/{x}"), ("HEAD", "/a/{y}")], &[(0, 1, Some("/a/1"))]),
            // each later route is paired with the first earlier one
            (&[("GET", "/x"), ("GET", "/x"), ("GET", "/x")], &[(0, 1, Some("/x")), (0, 2, Some("/x"))]),
            // the root
            (&[("GET", "/"), ("GET", "/")], &[(0, 1, Some("/"))]),
        ];
        for (routes, want) in cases {
            let want: Vec<_> = want.iter().map(|(a, b, s)| (*a, *b, s.map(str::to_owned))).collect();
            assert_eq!(check(routes), want, "{routes:?}");
        }
    }

    #[test]
    fn shape_text_blanks_parameters() {
        let segs = pattern::parse("/a/{id: u64}/{*rest}", false).unwrap().segments;
        assert_eq!(shape_text(&segs), "/a/{_}/{*_}");
        assert_eq!(shape_text(&[]), "/");
    }
}

#[cfg(test)]
#[path = "conflict/replay.rs"]
mod replay;
