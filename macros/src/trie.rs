//! Route shapes and the per-method trie: the one place where routes are compared.
//!
//! A route's shape is its list of [`Seg`]s (from `waymark-shape`, which the runtime also uses to
//! compare routes of different tables in `const` evaluation). Inserting a route into the trie of
//! its method either adds a leaf or finds the earlier route with the same shape: that is a
//! conflict. The expander walks the same trie to emit the matcher and the `400` check.

use syn::Type;
use waymark_shape::{ACCEPTS_ANY, SAMPLES, Seg};

use crate::pattern::Segment;

/// A trie node: the route whose path ends here, and the children by segment, in insertion order
/// (the expander takes them in the order of [`Seg::rank`]).
#[derive(Default)]
pub(crate) struct Node<'a> {
    pub(crate) terminal: Option<usize>,
    pub(crate) children: Vec<(Seg<'a>, Node<'a>)>,
}

impl<'a> Node<'a> {
    /// Inserts route `route`, or returns the earlier route of the same shape.
    pub(crate) fn insert(&mut self, route: usize, shape: &[Seg<'a>]) -> Result<(), usize> {
        let mut node = self;
        for seg in shape {
            let at = match node.children.iter().position(|(k, _)| k.same(seg)) {
                Some(at) => at,
                None => {
                    node.children.push((*seg, Node::default()));
                    node.children.len() - 1
                }
            };
            node = &mut node.children[at].1;
        }
        match node.terminal {
            Some(earlier) => Err(earlier),
            None => {
                node.terminal = Some(route);
                Ok(())
            }
        }
    }

    /// The children of one kind, in insertion order.
    pub(crate) fn of_rank(&self, rank: u8) -> impl Iterator<Item = &(Seg<'a>, Node<'a>)> {
        self.children.iter().filter(move |(k, _)| k.rank() == rank)
    }
}

/// One trie per method, and the conflicts found building them.
pub(crate) struct Tries<'a> {
    pub(crate) by_method: Vec<(String, Node<'a>)>,
    /// `(earlier, later)`: the later route is left out of its trie.
    pub(crate) conflicts: Vec<(usize, usize)>,
}

/// Builds one trie per method from `(method, shape)` pairs in declaration order.
pub(crate) fn build<'a>(routes: &[(&str, Vec<Seg<'a>>)]) -> Tries<'a> {
    let mut tries: Vec<(String, Node<'a>)> = Vec::new();
    let mut conflicts = Vec::new();
    for (i, (method, shape)) in routes.iter().enumerate() {
        let at = match tries.iter().position(|(m, _)| m == method) {
            Some(at) => at,
            None => {
                tries.push(((*method).to_owned(), Node::default()));
                tries.len() - 1
            }
        };
        if let Err(earlier) = tries[at].1.insert(i, shape) {
            conflicts.push((earlier, i));
        }
    }
    Tries { by_method: tries, conflicts }
}

/// The shape of a parsed pattern.
pub(crate) fn shape(segments: &[Segment]) -> Vec<Seg<'_>> {
    segments
        .iter()
        .map(|s| {
            let accepts = || {
                let ty = s.param().and_then(|p| p.ty.as_deref()).and_then(|t| syn::parse_str::<Type>(t).ok());
                ty.as_ref().map_or(ACCEPTS_ANY, accepts)
            };
            match s {
                Segment::Literal(l) => Seg::Literal(l),
                Segment::Param(_) => Seg::Param { accepts: accepts() },
                Segment::CatchAll(_) => Seg::CatchAll { accepts: accepts() },
            }
        })
        .collect()
}

/// A shape's segments as the one string [`waymark_shape::segments`] reads back: far fewer tokens
/// in the expansion than a slice of `Seg` values.
pub(crate) fn encode(shape: &[Seg<'_>]) -> String {
    let mut out = String::new();
    for (i, seg) in shape.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        let (mark, accepts) = match seg {
            Seg::Literal(l) => {
                out.push_str(l);
                continue;
            }
            Seg::Param { accepts } => ('{', accepts),
            Seg::CatchAll { accepts } => ('}', accepts),
        };
        out.push(mark);
        out.push(char::from(b'0' + accepts));
    }
    out
}

/// Which of [`SAMPLES`] a parameter type parses, as far as the macro can tell from the type: a
/// user type is assumed to accept anything (its parser runs only at request time).
fn accepts(ty: &Type) -> u8 {
    let Type::Path(p) = ty else { return ACCEPTS_ANY };
    let Some(last) = p.path.segments.last() else { return ACCEPTS_ANY };
    let name = last.ident.to_string();
    let ok: fn(&str) -> bool = match name.as_str() {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => {
            |s| s.bytes().all(|b| b.is_ascii_digit())
        }
        n if n.starts_with("NonZero") => |s| s.bytes().all(|b| b.is_ascii_digit()),
        "f32" | "f64" => |s| s.parse::<f64>().is_ok(),
        "bool" => |s| s.parse::<bool>().is_ok(),
        "char" => |s| s.chars().count() == 1,
        _ => return ACCEPTS_ANY,
    };
    SAMPLES.iter().enumerate().filter(|(_, s)| ok(s)).fold(0, |mask, (i, _)| mask | 1 << i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern;

    #[test]
    fn encoded_shapes_read_back() {
        let cases: [(&str, &[Seg<'_>]); 3] = [
            ("/", &[]),
            ("/a/", &[Seg::Literal("a"), Seg::Literal("")]),
            (
                "/u/{id: u64}/{*rest}",
                &[Seg::Literal("u"), Seg::Param { accepts: 0b001 }, Seg::CatchAll { accepts: ACCEPTS_ANY }],
            ),
        ];
        for (pattern, want) in cases {
            let parsed = pattern::parse(pattern, false).expect(pattern).segments;
            let got = shape(&parsed);
            assert_eq!(got, want, "{pattern}");
            let text = encode(&got);
            let back: Vec<Seg<'_>> = match got.len() {
                0 => waymark_shape::segments::<0>(&text).to_vec(),
                2 => waymark_shape::segments::<2>(&text).to_vec(),
                _ => waymark_shape::segments::<3>(&text).to_vec(),
            };
            assert_eq!(back, got, "{pattern}: {text}");
        }
    }

    fn conflicts(routes: &[(&str, &str)]) -> Vec<(usize, usize)> {
        let parsed: Vec<_> = routes.iter().map(|(_, p)| pattern::parse(p, false).expect(p).segments).collect();
        let shapes: Vec<_> = routes.iter().zip(&parsed).map(|((m, _), s)| (*m, shape(s))).collect();
        build(&shapes).conflicts
    }

    #[test]
    fn insertion_reports_conflicts() {
        type Case = (&'static [(&'static str, &'static str)], &'static [(usize, usize)]);
        let cases: &[Case] = &[
            (&[("GET", "/users"), ("GET", "/users")], &[(0, 1)]),
            // same shape, different parameter names and types
            (&[("GET", "/items/{id: u64}"), ("GET", "/items/{slug}")], &[(0, 1)]),
            (&[("GET", "/a/{x: bool}"), ("GET", "/a/{y: u8}")], &[(0, 1)]),
            (&[("GET", "/f/{*a}"), ("GET", "/f/{*b}")], &[(0, 1)]),
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
            (&[("HEAD", "/a/{x}"), ("HEAD", "/a/{y}")], &[(0, 1)]),
            // each later route is paired with the first earlier one
            (&[("GET", "/x"), ("GET", "/x"), ("GET", "/x")], &[(0, 1), (0, 2)]),
            (&[("GET", "/"), ("GET", "/")], &[(0, 1)]),
        ];
        for (routes, want) in cases {
            assert_eq!(conflicts(routes), *want, "{routes:?}");
        }
    }

    #[test]
    fn types_accept_samples() {
        let cases = [
            ("u64", 0b001),
            ("std::num::NonZero<u32>", 0b001),
            ("bool", 0b010),
            ("char", 0b101),
            ("f64", 0b001),
            ("String", 0b111),
            ("MyId", 0b111),
        ];
        for (ty, want) in cases {
            assert_eq!(accepts(&syn::parse_str(ty).unwrap()), want, "{ty}");
        }
    }
}
