//! Route shapes: the one definition of what makes two routes of a
//! [waymark](https://docs.rs/waymark) table conflict, and how to say so.
//!
//! The `routes!` macro uses it to build its trie (and to word in-table conflicts); the runtime
//! uses the same functions in `const` evaluation to check routes of different tables against each
//! other, so that a conflict across a `mount` is a compile error although the tables are declared
//! in different macro calls. Everything here is `const fn` and `no_std`, with no dependency.
#![no_std]
#![forbid(unsafe_code)]

/// One segment of a route pattern, as far as matching cares: its kind, and a literal's text.
///
/// The kinds are tried in this order (the "Matching rules"): a literal before a parameter, a
/// parameter before a catch-all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seg<'a> {
    /// `users`
    Literal(&'a str),
    /// `{id: u64}`; `accepts` is the set of [`SAMPLES`] its type parses (a bit per sample).
    Param {
        /// Bit `i` is set when the parameter's type accepts `SAMPLES[i]`.
        accepts: u8,
    },
    /// `{*rest}`: one or more remaining segments.
    CatchAll {
        /// Bit `i` is set when the parameter's type accepts `SAMPLES[i]`.
        accepts: u8,
    },
}

/// Values tried, in this order, to name a path that two routes of the same shape both match.
pub const SAMPLES: [&str; 3] = ["1", "true", "a"];

/// Accepts every sample: an untyped parameter, a `String`, or a user type (whose parser the macro
/// cannot run).
pub const ACCEPTS_ANY: u8 = 0b111;

impl Seg<'_> {
    /// The order in which matching tries segment kinds: literal 0, parameter 1, catch-all 2.
    pub const fn rank(&self) -> u8 {
        match self {
            Seg::Literal(_) => 0,
            Seg::Param { .. } => 1,
            Seg::CatchAll { .. } => 2,
        }
    }

    /// Whether matching cannot tell the two apart: two literals with the same text, two
    /// parameters, or two catch-alls. Parameter names and types do not order routes.
    pub const fn same(&self, other: &Seg<'_>) -> bool {
        match (self, other) {
            (Seg::Literal(a), Seg::Literal(b)) => str_eq(a, b),
            (Seg::Param { .. }, Seg::Param { .. }) | (Seg::CatchAll { .. }, Seg::CatchAll { .. }) => true,
            _ => false,
        }
    }
}

/// The segments of a shape written as one string, as `routes!` emits them (one short string per
/// route costs the build far fewer tokens than a slice of `Seg` values): `N` segments separated by
/// `/`, a literal as itself, a parameter as `{` and a catch-all as `}`, each followed by its
/// `accepts` bits as one digit. A literal never holds `/`, `{` or `}` (the DSL allows only
/// RFC 3986 `pchar`s in one).
///
/// # Panics
/// When `encoded` does not hold `N` segments in that form: in `const` evaluation, a compile error.
pub const fn segments<const N: usize>(encoded: &str) -> [Seg<'_>; N] {
    let mut out = [Seg::Literal(""); N];
    let mut rest = encoded.as_bytes();
    let mut i = 0;
    while i < N {
        let mut end = 0;
        while end < rest.len() && rest[end] != b'/' {
            end += 1;
        }
        let (seg, tail) = rest.split_at(end);
        out[i] = match seg {
            [b'{', d @ b'0'..=b'7'] => Seg::Param { accepts: *d - b'0' },
            [b'}', d @ b'0'..=b'7'] => Seg::CatchAll { accepts: *d - b'0' },
            _ => match core::str::from_utf8(seg) {
                Ok(text) => Seg::Literal(text),
                Err(_) => panic!("an encoded shape is cut inside a character"),
            },
        };
        rest = match tail {
            [b'/', tail @ ..] => tail,
            _ => tail,
        };
        i += 1;
    }
    assert!(rest.is_empty(), "an encoded shape has more segments than it declares");
    out
}

/// A route as the conflict rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The full pattern as written, with base path and scope prefixes, for messages.
    pub pattern: &'a str,
    /// The path's segments (empty for `/`).
    pub segments: &'a [Seg<'a>],
}

/// Whether two routes conflict: the same method and, segment by segment, the
/// [same](Seg::same) segments. `HEAD` beside `GET` is an override, not a conflict.
pub const fn conflict(a: &Shape<'_>, b: &Shape<'_>) -> bool {
    if !str_eq(a.method, b.method) || a.segments.len() != b.segments.len() {
        return false;
    }
    let mut i = 0;
    while i < a.segments.len() {
        if !a.segments[i].same(&b.segments[i]) {
            return false;
        }
        i += 1;
    }
    true
}

/// Orders two routes that both match one path by the matching rules: the one whose segment kinds
/// come first, left to right, wins: `true` when `first` wins.
pub const fn precedes(first: &[Seg<'_>], second: &[Seg<'_>]) -> bool {
    let mut at = 0;
    while at < first.len() && at < second.len() {
        let (x, y) = (first[at].rank(), second[at].rank());
        if x != y {
            return x < y;
        }
        at += 1;
    }
    first.len() < second.len()
}

/// The longest message this crate builds; longer ones are cut at a piece boundary.
pub const MSG_CAP: usize = 1024;

/// A message built in `const` evaluation, where there is no allocator.
#[derive(Debug, Clone, Copy)]
pub struct Msg {
    buf: [u8; MSG_CAP],
    len: usize,
}

impl Msg {
    /// An empty message.
    pub const fn new() -> Self {
        Self { buf: [0; MSG_CAP], len: 0 }
    }

    /// Appends `s`, or nothing if it does not fit (so the text stays valid UTF-8).
    #[must_use]
    pub const fn push(mut self, s: &str) -> Self {
        let bytes = s.as_bytes();
        if self.len + bytes.len() > MSG_CAP {
            return self;
        }
        let mut i = 0;
        while i < bytes.len() {
            self.buf[self.len + i] = bytes[i];
            i += 1;
        }
        self.len += bytes.len();
        self
    }

    /// The text so far.
    pub const fn as_str(&self) -> &str {
        match core::str::from_utf8(self.buf.split_at(self.len).0) {
            Ok(s) => s,
            Err(_) => "",
        }
    }
}

impl Default for Msg {
    fn default() -> Self {
        Self::new()
    }
}

/// What two conflicting routes have in common, in words: `` both match `/a/1` `` when a path that
/// both match can be named from their types, else `` both have the shape `/a/{_}` ``.
pub const fn common_path(msg: Msg, first: &Shape<'_>, second: &Shape<'_>) -> Msg {
    let (xs, ys) = (first.segments, second.segments);
    let mut named = true;
    let mut at = 0;
    while at < xs.len() && at < ys.len() {
        if let (Some(x), Some(y)) = (accepts(&xs[at]), accepts(&ys[at]))
            && x & y == 0
        {
            named = false;
        }
        at += 1;
    }
    let mut msg = msg.push(if named { "both match `" } else { "both have the shape `" });
    if xs.is_empty() {
        msg = msg.push("/");
    }
    let mut at = 0;
    while at < xs.len() {
        msg = msg.push("/");
        msg = match (&xs[at], ys.split_at(at).1.first()) {
            (Seg::Literal(l), _) => msg.push(l),
            (seg, Some(other)) if named => match (accepts(seg), accepts(other)) {
                (Some(x), Some(y)) => msg.push(SAMPLES[(x & y).trailing_zeros() as usize]),
                _ => msg,
            },
            (Seg::Param { .. }, _) => msg.push("{_}"),
            (_, _) => msg.push("{*_}"),
        };
        at += 1;
    }
    msg.push("`")
}

const fn accepts(seg: &Seg<'_>) -> Option<u8> {
    match seg {
        Seg::Literal(_) => None,
        Seg::Param { accepts } | Seg::CatchAll { accepts } => Some(*accepts),
    }
}

/// `` `GET /a/{x}` `` into a message.
pub const fn route(msg: Msg, r: &Shape<'_>) -> Msg {
    msg.push("`").push(r.method).push(" ").push(r.pattern).push("`")
}

/// The first pair `(i, j)` such that `a[i]` and `b[j]` conflict, in the order of `b`, then `a`.
pub const fn find_conflict(a: &[Shape<'_>], b: &[Shape<'_>]) -> Option<(usize, usize)> {
    let mut j = 0;
    while j < b.len() {
        let mut i = 0;
        while i < a.len() {
            if conflict(&a[i], &b[j]) {
                return Some((i, j));
            }
            i += 1;
        }
        j += 1;
    }
    None
}

/// The first conflict between a route of `a` and a route of `b`, as a message naming both routes
/// and a path both match; `None` when there is none. `a_name` and `b_name` name the tables.
pub const fn first_conflict(a_name: &str, a: &[Shape<'_>], b_name: &str, b: &[Shape<'_>]) -> Option<Msg> {
    let Some((i, j)) = find_conflict(a, b) else { return None };
    let msg = route(Msg::new().push("route "), &b[j]).push(" of `").push(b_name);
    let msg = route(msg.push("` conflicts with "), &a[i]).push(" of `").push(a_name).push("`: ");
    let msg = common_path(msg, &a[i], &b[j]);
    Some(msg.push(
        "; a route of one table and a route of a table mounted beside it may not have the same shape: remove one, or make a literal segment differ",
    ))
}

/// Checks that no route of `a` conflicts with a route of `b`.
///
/// # Panics
/// At the first conflict, with [`first_conflict`]'s message: a compile error when evaluated in a
/// `const`, which is how `routes!` uses it at each `mount`.
pub const fn assert_no_conflict(a_name: &str, a: &[Shape<'_>], b_name: &str, b: &[Shape<'_>]) {
    if let Some(msg) = first_conflict(a_name, a, b_name, b) {
        panic!("{}", msg.as_str());
    }
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Seg<'static> = Seg::Param { accepts: ACCEPTS_ANY };
    const U64: Seg<'static> = Seg::Param { accepts: 0b001 };
    const BOOL: Seg<'static> = Seg::Param { accepts: 0b010 };

    fn shape<'a>(method: &'a str, pattern: &'a str, segments: &'a [Seg<'a>]) -> Shape<'a> {
        Shape { method, pattern, segments }
    }

    #[test]
    fn conflicts_and_their_common_path() {
        let cases: &[(&[Seg<'_>], &[Seg<'_>], Option<&str>)] = &[
            (&[Seg::Literal("a"), U64], &[Seg::Literal("a"), P], Some("both match `/a/1`")),
            (&[Seg::Literal("a"), BOOL], &[Seg::Literal("a"), P], Some("both match `/a/true`")),
            (&[Seg::Literal("a"), BOOL], &[Seg::Literal("a"), U64], Some("both have the shape `/a/{_}`")),
            (&[], &[], Some("both match `/`")),
            (&[Seg::Literal("a"), P], &[Seg::Literal("a"), Seg::Literal("b")], None),
            (&[Seg::Literal("a")], &[Seg::Literal("a"), Seg::Literal("")], None),
            (&[Seg::CatchAll { accepts: ACCEPTS_ANY }], &[P], None),
        ];
        for (a, b, want) in cases {
            let (x, y) = (shape("GET", "x", a), shape("GET", "y", b));
            let got = conflict(&x, &y).then(|| common_path(Msg::new(), &x, &y));
            assert_eq!(got.as_ref().map(Msg::as_str), *want, "{a:?} {b:?}");
            assert!(!conflict(&x, &shape("POST", "y", b)));
        }
    }

    #[test]
    fn segments_from_their_encoding() {
        const IN_CONST: [Seg<'static>; 2] = segments("t/{2");
        assert_eq!(IN_CONST, [Seg::Literal("t"), BOOL]);
        assert_eq!(segments::<0>(""), []);
        assert_eq!(segments::<1>(""), [Seg::Literal("")]);
        assert_eq!(segments::<2>("a/"), [Seg::Literal("a"), Seg::Literal("")]);
        assert_eq!(
            segments::<4>("users/{1/f\u{e9}/}7"),
            [Seg::Literal("users"), U64, Seg::Literal("f\u{e9}"), Seg::CatchAll { accepts: ACCEPTS_ANY }]
        );
    }

    #[test]
    #[should_panic(expected = "more segments")]
    fn segments_refuse_a_wrong_count() {
        let _ = segments::<1>("a/b");
    }

    #[test]
    fn precedence_follows_the_matching_rules() {
        let lit = Seg::Literal("x");
        let all = Seg::CatchAll { accepts: ACCEPTS_ANY };
        assert!(precedes(&[lit, P], &[P, lit]));
        assert!(precedes(&[P], &[all]));
        assert!(precedes(&[lit, P], &[lit, all]));
        assert!(!precedes(&[all], &[lit, lit]));
    }

    #[test]
    fn messages_name_both_routes_and_stop_at_the_cap() {
        let (a, b) = (
            [shape("GET", "/t/{x}", &[Seg::Literal("t"), P])],
            [shape("GET", "/t/{y: u64}", &[Seg::Literal("t"), U64])],
        );
        let msg = first_conflict("Api", &a, "Tools", &b).expect("conflict");
        assert!(
            msg.as_str().starts_with(
                "route `GET /t/{y: u64}` of `Tools` conflicts with `GET /t/{x}` of `Api`: both match `/t/1`;"
            ),
            "{}",
            msg.as_str()
        );
        let long = "x".repeat(MSG_CAP);
        assert_eq!(Msg::new().push("ab").push(&long).as_str(), "ab");
    }
}
