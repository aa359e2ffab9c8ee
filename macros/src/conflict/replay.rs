//! Replays two peer routers' conflict suites through our pattern parser and conflict check.
//!
//! - `testdata/matchit_insert_cases.txt`: matchit's `tests/insert.rs`. Each group is inserted in
//!   order into a fresh set, all as `GET`; a route we reject (pattern error or conflict) stays out
//!   of the set, as a rejected insert stays out of matchit's router.
//! - `testdata/rocket_collision_cases.txt`: Rocket's collider pairs, translated (`<x>` to `{x}`,
//!   `<x..>` to `{*x}`, `?<a>` to `?{a}`; the query is parsed but takes no part in the shape).
//!
//! Each case is accepted, a conflict (with which earlier route), or a syntax error (any message
//! agrees with any of matchit's `Invalid*` errors). Every case where we differ is listed, with a
//! reason ([`Why`]), in [`MATCHIT_DIFFERENCES`] or [`ROCKET_DIFFERENCES`]; the tests fail on a
//! difference not listed, on a listed case that agrees, and on a reason that does not fit its case.
//!
//! Counts (asserted by `summary_in_the_module_docs_is_true`):
//!
//! | | cases | agree (accepted / conflict / syntax error) | differ |
//! |---|---|---|---|
//! | matchit | 297 | 122 (96 / 12 / 14) | 175 |
//! | Rocket | 95 | 61 (42 / 19 / 0) | 34 |
//!
//! matchit differences: `SegmentParamUnsupported` 150 (`/x/prefix{a}`, including later inserts
//! that matchit rejects as conflicts with such a route), `MissingLeadingSlash` 15 (7 of them are
//! `escaped_param` routes that also use `{{`/`}}`), `EscapedBraceUnsupported` 6,
//! `OrderedNotRejected` 4 (`/src/{*filepath}` then `/src/{file}`, and the like).
//!
//! Rocket differences: `OrderedNotRejected` 20 (unranked Rocket collides `/<a>` with `/b`; we order
//! them), `EmptySegmentRejected` 6, `CatchAllOneOrMore` 2, `StaticQueryUnsupported` 2,
//! `RootHasNoSegment` 1, `UnderscoreParamRejected` 1, `DuplicateParamName` 1,
//! `QueryIgnoredInMatching` 1.
//!
//! Of the 14 syntax errors that agree with matchit, 4 (`invalid_param`: `{`, `}`, `x{y`, `x}`) are
//! rejected by us for the missing leading `/` rather than for the brace.

use crate::pattern::{self, Segment};
use crate::trie;

const MATCHIT: &str = include_str!("../../../testdata/matchit_insert_cases.txt");
const ROCKET: &str = include_str!("../../../testdata/rocket_collision_cases.txt");

/// What a router does with a route.
#[derive(Debug, Clone, PartialEq)]
enum Verdict {
    /// Accepted, no conflict.
    Accepted,
    /// Rejected as conflicting with this earlier route (as the peer's file writes it).
    Conflict(String),
    /// Rejected as malformed: the peer's error name, or our message.
    Invalid(String),
}

impl Verdict {
    /// Same outcome; two syntax errors agree whatever their messages say.
    fn agrees(&self, other: &Verdict) -> bool {
        matches!((self, other), (Verdict::Invalid(_), Verdict::Invalid(_))) || self == other
    }

    fn describe(&self) -> String {
        match self {
            Verdict::Accepted => "accepted".to_owned(),
            Verdict::Conflict(with) => format!("conflict with `{with}`"),
            Verdict::Invalid(why) => format!("rejected: {why}"),
        }
    }
}

/// How two parsed routes relate, left to right.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Relation {
    /// Same kinds, same literals: a conflict for us.
    SameShape,
    /// Two different literals at one position: no path matches both.
    Disjoint,
    /// Different kinds at one position: literal > parameter > catch-all orders them.
    Ordered,
    /// One is the other plus one trailing segment of this kind.
    OneMore(Kind),
    /// One is the other plus several segments.
    Longer,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Literal,
    Param,
    CatchAll,
}

fn kind(s: &Segment) -> Kind {
    match s {
        Segment::Literal(_) => Kind::Literal,
        Segment::Param(_) => Kind::Param,
        Segment::CatchAll(_) => Kind::CatchAll,
    }
}

fn relation(a: &[Segment], b: &[Segment]) -> Relation {
    for (x, y) in a.iter().zip(b) {
        match (x, y) {
            (Segment::Literal(x), Segment::Literal(y)) if x != y => return Relation::Disjoint,
            _ if kind(x) != kind(y) => return Relation::Ordered,
            _ => {}
        }
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    match &long[short.len()..] {
        [] => Relation::SameShape,
        [extra] => Relation::OneMore(kind(extra)),
        _ => Relation::Longer,
    }
}

/// One replayed case.
#[derive(Debug)]
struct Case {
    group: String,
    /// The route as the peer's file writes it (Rocket: `A || B`).
    route: String,
    peer: Verdict,
    ours: Verdict,
    /// The route against the one the peer says it conflicts with, when we parse both.
    relation: Option<Relation>,
    /// Our verdict with the routes split into two tables, one mounted beside the other (the
    /// check the runtime runs in `const` evaluation); `None` for a pattern error.
    across: Option<Verdict>,
}

/// The shapes of `routes` as the runtime's cross-table check sees them.
fn shapes<'a>(routes: &'a [(&'a str, &'a str, Vec<waymark_shape::Seg<'a>>)]) -> Vec<waymark_shape::Shape<'a>> {
    routes.iter().map(|(method, pattern, segments)| waymark_shape::Shape { method, pattern, segments }).collect()
}

/// Why we differ from a peer on a case. Each reason checks that it fits the case it is listed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Why {
    /// The peer rejects two routes whose kinds differ at some position; we order them (literal >
    /// parameter > catch-all per segment, left to right).
    OrderedNotRejected,
    /// Rocket's `<x..>` matches zero segments, so `/<x..>` overlaps `/`; our `{*x}` needs one or
    /// more, so `/{*x}` and `/` never match the same path.
    CatchAllOneOrMore,
    /// Rocket's `/` is one empty segment, which `<a>` matches; our `/` has no segment, so `/{a}`
    /// and `/` never match the same path.
    RootHasNoSegment,
    /// matchit allows a parameter inside a segment (`/{foo}suffix`, `/x/prefix{a}`); ours must be a
    /// whole segment: a pattern error.
    SegmentParamUnsupported,
    /// matchit allows a route without the leading `/`; we reject it.
    MissingLeadingSlash,
    /// matchit escapes braces as `{{` and `}}`; we have no escape, and reject them.
    EscapedBraceUnsupported,
    /// Rocket allows empty segments (`//bob`); we reject `//`.
    EmptySegmentRejected,
    /// Rocket's ignored parameter `<_..>`; `_` is not a parameter name for us.
    UnderscoreParamRejected,
    /// Rocket's collider takes `/a/<b>/<b..>`; we reject a name declared twice.
    DuplicateParamName,
    /// Rocket's static query `?a`; our query items are parameters in braces only.
    StaticQueryUnsupported,
    /// Rocket ranks a route with a query after one without; the query never takes part in our
    /// matching, so `/` and `/?{a}` conflict.
    QueryIgnoredInMatching,
}

impl Why {
    fn fits(self, case: &Case) -> bool {
        let error = |part: &str| matches!(&case.ours, Verdict::Invalid(m) if m.contains(part));
        let ordered_instead = |r: Relation| {
            matches!(case.peer, Verdict::Conflict(_)) && case.ours == Verdict::Accepted && case.relation == Some(r)
        };
        match self {
            Why::OrderedNotRejected => ordered_instead(Relation::Ordered),
            Why::CatchAllOneOrMore => ordered_instead(Relation::OneMore(Kind::CatchAll)),
            Why::RootHasNoSegment => ordered_instead(Relation::OneMore(Kind::Param)),
            Why::SegmentParamUnsupported => error("mixes text and a parameter"),
            Why::MissingLeadingSlash => error("must start with `/`"),
            Why::EscapedBraceUnsupported => {
                matches!(case.ours, Verdict::Invalid(_)) && (case.route.contains("{{") || case.route.contains("}}"))
            }
            Why::EmptySegmentRejected => error("empty segment (`//`)"),
            Why::UnderscoreParamRejected => error("parameter name `_`"),
            Why::DuplicateParamName => error("is declared twice"),
            Why::StaticQueryUnsupported => error("must be a parameter in braces"),
            Why::QueryIgnoredInMatching => {
                case.peer == Verdict::Accepted
                    && matches!(case.ours, Verdict::Conflict(_))
                    && case.relation == Some(Relation::SameShape)
                    && case.route.contains('?')
            }
        }
    }
}

/// Replays matchit's insert groups: each group goes into a fresh route set; a route we reject (a
/// pattern error or a conflict) stays out of the set, as a rejected insert stays out of matchit's.
fn matchit_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut group = String::new();
    let mut accepted: Vec<(&str, Vec<Segment>)> = Vec::new();
    for line in MATCHIT.lines() {
        if let Some(name) = line.strip_prefix("## test ") {
            group = name.to_owned();
            accepted.clear();
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (route, want) = line.split_once(" => ").unwrap_or_else(|| panic!("bad matchit line: {line}"));
        let peer = match want {
            "Ok" => Verdict::Accepted,
            w => match w.strip_prefix("Conflict(with=").and_then(|w| w.strip_suffix(')')) {
                Some(with) => Verdict::Conflict(with.to_owned()),
                None => Verdict::Invalid(w.to_owned()),
            },
        };
        let parsed = pattern::parse(route, false);
        let relation = match (&peer, &parsed) {
            (Verdict::Conflict(with), Ok(p)) => {
                pattern::parse(with, false).ok().map(|w| relation(&w.segments, &p.segments))
            }
            _ => None,
        };
        let across = parsed.as_ref().ok().map(|p| {
            let table: Vec<_> = accepted.iter().map(|(r, segments)| ("GET", *r, trie::shape(segments))).collect();
            let mounted = [("GET", route, trie::shape(&p.segments))];
            match waymark_shape::find_conflict(&shapes(&table), &shapes(&mounted)) {
                Some((i, _)) => Verdict::Conflict(accepted[i].0.to_owned()),
                None => Verdict::Accepted,
            }
        });
        let ours = match parsed {
            Err(e) => Verdict::Invalid(e),
            Ok(p) => {
                let mut shapes: Vec<_> = accepted.iter().map(|(_, segments)| ("GET", trie::shape(segments))).collect();
                shapes.push(("GET", trie::shape(&p.segments)));
                let later = shapes.len() - 1;
                match trie::build(&shapes).conflicts.into_iter().find(|c| c.1 == later) {
                    Some((earlier, _)) => Verdict::Conflict(accepted[earlier].0.to_owned()),
                    None => {
                        accepted.push((route, p.segments));
                        Verdict::Accepted
                    }
                }
            }
        };
        cases.push(Case { group: group.clone(), route: route.to_owned(), peer, ours, relation, across });
    }
    cases
}

/// Rocket's `<x>`, `<x..>`, `?<a>` in our syntax: `{x}`, `{*x}`, `?{a}`.
fn from_rocket(route: &str) -> String {
    let mut out = String::new();
    let mut rest = route;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let close = open + rest[open..].find('>').unwrap_or_else(|| panic!("unclosed `<` in {route}"));
        let inner = &rest[open + 1..close];
        match inner.strip_suffix("..") {
            Some(name) => out.extend(["{*", name, "}"]),
            None => out.extend(["{", inner, "}"]),
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Replays Rocket's collider pairs: `A || B`, each `[METHOD] path`, GET when no method is given.
fn rocket_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for line in ROCKET.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (collide, rest) = match line.split_once(' ') {
            Some(("COLLIDE", rest)) => (true, rest.trim()),
            Some(("NO_COLLIDE", rest)) => (false, rest.trim()),
            _ => panic!("bad rocket line: {line}"),
        };
        let (ranked, rest) = match rest.strip_prefix("ranked ") {
            Some(rest) => (true, rest.trim()),
            None => (false, rest),
        };
        let (a, b) = rest.split_once("||").unwrap_or_else(|| panic!("bad rocket line: {line}"));
        let (a, b) = (a.trim(), b.trim());
        let [(ma, pa), (mb, pb)] = [a, b].map(|side| {
            let (method, path) = side.split_once(' ').unwrap_or(("GET", side));
            (method.to_ascii_uppercase(), pattern::parse(&from_rocket(path), false))
        });
        let relation = match (&pa, &pb) {
            (Ok(pa), Ok(pb)) => Some(relation(&pa.segments, &pb.segments)),
            _ => None,
        };
        let across = match (&pa, &pb) {
            (Ok(pa), Ok(pb)) => {
                let (table, mounted) =
                    ([(ma.as_str(), a, trie::shape(&pa.segments))], [(mb.as_str(), b, trie::shape(&pb.segments))]);
                Some(match waymark_shape::find_conflict(&shapes(&table), &shapes(&mounted)) {
                    Some(_) => Verdict::Conflict(a.to_owned()),
                    None => Verdict::Accepted,
                })
            }
            _ => None,
        };
        let ours = match (pa, pb) {
            (Err(e), _) => Verdict::Invalid(format!("`{a}`: {e}")),
            (_, Err(e)) => Verdict::Invalid(format!("`{b}`: {e}")),
            (Ok(pa), Ok(pb)) => {
                // Queries never take part in our matching: only the segments make the shape.
                let shapes = [(ma.as_str(), trie::shape(&pa.segments)), (mb.as_str(), trie::shape(&pb.segments))];
                if trie::build(&shapes).conflicts.is_empty() {
                    Verdict::Accepted
                } else {
                    Verdict::Conflict(a.to_owned())
                }
            }
        };
        let peer = if collide { Verdict::Conflict(a.to_owned()) } else { Verdict::Accepted };
        let group = match (collide, ranked) {
            (true, _) => "collisions",
            (false, false) => "non_collisions",
            (false, true) => "non_collisions (ranked)",
        };
        cases.push(Case { group: group.to_owned(), route: format!("{a} || {b}"), peer, ours, relation, across });
    }
    cases
}

/// A listed disagreement: the peer's group (test name), the route as the peer writes it, and why.
type Listed = (&'static str, &'static str, Why);

/// Agreeing cases by outcome: both accept, both report the same conflict, both reject the syntax.
#[derive(Debug, Default, PartialEq)]
struct Agree {
    accepted: usize,
    conflict: usize,
    invalid: usize,
}

/// Checks the cases against the list of disagreements. Returns one line per problem (a
/// disagreement not listed, listed under a reason that does not fit, or a listed case that
/// agrees), the agreeing cases, and the reason of each disagreement.
fn check(file: &str, cases: &[Case], listed: &[Listed]) -> (Vec<String>, Agree, Vec<Why>) {
    let mut problems = Vec::new();
    let mut used = vec![false; listed.len()];
    let mut agree = Agree::default();
    let mut whys = Vec::new();
    for case in cases {
        if case.peer.agrees(&case.ours) {
            match case.ours {
                Verdict::Accepted => agree.accepted += 1,
                Verdict::Conflict(_) => agree.conflict += 1,
                Verdict::Invalid(_) => agree.invalid += 1,
            }
            continue;
        }
        let at = |why: &str| {
            format!(
                "{file} [{}] `{}`: peer {}; ours {}; {why}",
                case.group,
                case.route,
                case.peer.describe(),
                case.ours.describe()
            )
        };
        let entry = (0..listed.len()).find(|&i| !used[i] && listed[i].0 == case.group && listed[i].1 == case.route);
        match entry {
            None => problems.push(at("a disagreement not in the list")),
            Some(i) => {
                used[i] = true;
                let why = listed[i].2;
                whys.push(why);
                if !why.fits(case) {
                    problems.push(at(&format!("listed as {why:?}, which does not fit (relation {:?})", case.relation)));
                }
            }
        }
    }
    for (i, (group, route, why)) in listed.iter().enumerate() {
        if !used[i] {
            let gone = "but no such disagreement (the case agrees, or is gone)";
            problems.push(format!("{file} [{group}] `{route}`: listed as {why:?}, {gone}"));
        }
    }
    (problems, agree, whys)
}

/// `(cases, agreeing, [(reason, disagreeing cases)])`.
fn summary(file: &str, cases: &[Case], listed: &[Listed]) -> (usize, Agree, Vec<(Why, usize)>) {
    let (_, agree, mut whys) = check(file, cases, listed);
    whys.sort();
    let mut counts: Vec<(Why, usize)> = Vec::new();
    for why in whys {
        match counts.last_mut() {
            Some((w, n)) if *w == why => *n += 1,
            _ => counts.push((why, 1)),
        }
    }
    (cases.len(), agree, counts)
}

/// Every case where we differ from matchit, in file order (a route listed twice in a group is two
/// inserts).
const MATCHIT_DIFFERENCES: &[Listed] = &[
    ("missing_leading_slash_suffix (group 1)", "/{foo}suffix", Why::SegmentParamUnsupported),
    ("missing_leading_slash_suffix (group 2)", "{foo}", Why::MissingLeadingSlash),
    ("missing_leading_slash_suffix (group 2)", "{foo}suffix", Why::MissingLeadingSlash),
    ("missing_leading_slash_conflict (group 1)", "{foo}/", Why::MissingLeadingSlash),
    ("missing_leading_slash_conflict (group 1)", "foo/", Why::MissingLeadingSlash),
    ("missing_leading_slash_conflict (group 2)", "foo/", Why::MissingLeadingSlash),
    ("missing_leading_slash_conflict (group 2)", "{foo}/", Why::MissingLeadingSlash),
    ("wildcard_conflict", "/cmd/{*path}", Why::OrderedNotRejected),
    ("wildcard_conflict", "/src/{file}", Why::OrderedNotRejected),
    ("wildcard_conflict", "/src2{*filepath}", Why::SegmentParamUnsupported),
    ("wildcard_conflict", "/user_{name}", Why::SegmentParamUnsupported),
    ("wildcard_conflict", "/user_{bar}", Why::SegmentParamUnsupported),
    ("wildcard_conflict", "/id{id}", Why::SegmentParamUnsupported),
    ("wildcard_conflict", "/x/{id}y", Why::SegmentParamUnsupported),
    ("wildcard_conflict", "/x/{id}y/", Why::SegmentParamUnsupported),
    ("wildcard_conflict", "/x/{id}y", Why::SegmentParamUnsupported),
    ("wildcard_conflict", "/x/x{id}", Why::SegmentParamUnsupported),
    ("wildcard_conflict", "/x/x{id}y", Why::SegmentParamUnsupported),
    ("wildcard_conflict", "/y/y{id}", Why::SegmentParamUnsupported),
    ("wildcard_conflict", "/y/y{id}/", Why::SegmentParamUnsupported),
    ("wildcard_conflict", "/y/{id}y", Why::SegmentParamUnsupported),
    ("wildcard_conflict", "/y/{id}y/", Why::SegmentParamUnsupported),
    ("wildcard_conflict", "/y/x{id}y", Why::SegmentParamUnsupported),
    ("wildcard_conflict", "/z/x{id}y", Why::SegmentParamUnsupported),
    ("wildcard_conflict", "/z/{id}y", Why::SegmentParamUnsupported),
    ("wildcard_conflict", "/z/x{id}", Why::SegmentParamUnsupported),
    ("wildcard_conflict", "/z/y{id}", Why::SegmentParamUnsupported),
    ("wildcard_conflict", "/z/x{id}z", Why::SegmentParamUnsupported),
    ("wildcard_conflict", "/z/z{id}y", Why::SegmentParamUnsupported),
    ("wildcard_conflict", "/bar/x{id}y", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x1/{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x1/prefix{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x1/prefix{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x1/suffix{a}prefix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x1/{a}suffix/", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x2/{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x2/prefix{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x2/prefix{a}suff", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x2/prefix{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x2/prefix{a}suffixy", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x2/{a}suffix/", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x3/prefix{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x3/{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x3/prefix{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x3/prefix{a}/", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x4/prefix{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x4/{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x4/suffix{a}p", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x4/suffix{a}prefix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x4/prefix{a}/", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x5/prefix1{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x5/prefix2{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x5/{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x5/prefix{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x5/prefix1{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x5/prefix2{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x5/prefix3{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x5/prefix1{a}/", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x5/prefix2{a}/", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x5/prefix3{a}/", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x6/prefix1{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x6/prefix2{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x6/{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x6/prefix{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x6/prefix1{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x6/prefix2{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x6/prefix3{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x6/prefix1{a}/", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x6/prefix2{a}/", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x6/prefix3{a}/", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x7/prefix{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x7/{a}suff", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x7/{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x7/{a}suffixy", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x7/{a}prefix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x7/suffix{a}prefix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x7/prefix{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x7/another{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x7/suffix{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x7/prefix{a}/", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x7/prefix{a}suff", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x7/prefix{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x7/prefix{a}suffixy", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x7/prefix1{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x7/prefix{a}/", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x7/{a}suffix/", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x7/prefix{a}suffix/", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x8/prefix{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x8/{a}suff", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x8/{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x8/{a}suffixy", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x8/prefix{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x8/prefix{a}/", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x8/prefix{a}suff", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x8/prefix{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x8/prefix{a}suffixy", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x8/prefix1{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x8/prefix{a}/", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x8/{a}suffix/", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x8/prefix{a}suffix/", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x9/prefix{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x9/{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x9/prefix{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x9/prefixabc{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x9/pre{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x10/prefix{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x10/{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x10/prefix{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x10/prefixabc{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x10/pre{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x11/{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x11/prx11fix{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x11/prx11fix{a}suff", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x11/prx11fix{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x11/prx11fix{a}suffixabc", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x12/prefix{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x12/pre{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x12/prefix{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x12/prefixabc{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x12/pre{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x12/prefix{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x12/prefixabc{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x12/prefix{a}suff", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x12/prefix{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x12/prefix{a}suffixabc", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x12/{a}suff", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x12/{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x12/{a}suffixabc", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x13/prefix{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x13/pre{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x13/prefix{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x13/prefixabc{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x13/pre{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x13/prefix{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x13/prefixabc{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x13/prefix{a}suff", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x13/prefix{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x13/prefix{a}suffixabc", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x13/{a}suff", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x13/{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x13/{a}suffixabc", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x15/{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x15/{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x15/prefix{a}", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x16/prefix{a}suffix", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x17/prefix{a}/z", Why::SegmentParamUnsupported),
    ("prefix_suffix_conflict", "/x18/prefix{a}/z", Why::SegmentParamUnsupported),
    ("invalid_catchall", "/non-leading-{*catchall}", Why::SegmentParamUnsupported),
    ("invalid_catchall", "/foo/bar{*catchall}", Why::SegmentParamUnsupported),
    ("child_conflict", "/user_{name}", Why::SegmentParamUnsupported),
    ("child_conflict", "/id{id}", Why::SegmentParamUnsupported),
    ("child_conflict", "/{*filepath}", Why::OrderedNotRejected),
    ("duplicates", "/user_{name}", Why::SegmentParamUnsupported),
    ("duplicates", "/user_{name}", Why::SegmentParamUnsupported),
    ("more_conflicts", "/con{tact}", Why::SegmentParamUnsupported),
    ("more_conflicts", "/con{nection}", Why::SegmentParamUnsupported),
    ("catchall_static_overlap (group 2)", "/{xxx}", Why::OrderedNotRejected),
    ("catchall_static_overlap (group 3)", "/bar_{x}", Why::SegmentParamUnsupported),
    ("catchall_static_overlap (group 3)", "/bar_{x}", Why::SegmentParamUnsupported),
    ("catchall_static_overlap (group 3)", "/bar_{x}/y", Why::SegmentParamUnsupported),
    ("escaped_param", "{{", Why::MissingLeadingSlash),
    ("escaped_param", "}}", Why::MissingLeadingSlash),
    ("escaped_param", "xx}}", Why::MissingLeadingSlash),
    ("escaped_param", "}}yy", Why::MissingLeadingSlash),
    ("escaped_param", "}}yy{{}}", Why::MissingLeadingSlash),
    ("escaped_param", "}}yy{{}}{{}}y{{", Why::MissingLeadingSlash),
    ("escaped_param", "}}yy{{}}{{}}y{{", Why::MissingLeadingSlash),
    ("escaped_param", "/{{yy", Why::EscapedBraceUnsupported),
    ("escaped_param", "/foo/{{", Why::EscapedBraceUnsupported),
    ("escaped_param", "/foo/{{/{x}", Why::EscapedBraceUnsupported),
    ("escaped_param", "/foo/{ba{{r}", Why::EscapedBraceUnsupported),
    ("escaped_param", "/bar/{ba}}r}", Why::EscapedBraceUnsupported),
    ("escaped_param", "/xxx/{x{{}}y}", Why::EscapedBraceUnsupported),
    ("bare_catchall", "{*foo}", Why::MissingLeadingSlash),
    ("bare_catchall", "foo/{*bar}", Why::MissingLeadingSlash),
];

/// Every case where we differ from Rocket, in file order.
const ROCKET_DIFFERENCES: &[Listed] = &[
    ("non_collisions (ranked)", "/ || /?a", Why::StaticQueryUnsupported),
    ("non_collisions (ranked)", "/ || /?<a>", Why::QueryIgnoredInMatching),
    ("non_collisions (ranked)", "/a/<b> || /a/<b>?d", Why::StaticQueryUnsupported),
    ("collisions", "/<a> || /", Why::RootHasNoSegment),
    ("collisions", "/hello/<a> || /hello/", Why::OrderedNotRejected),
    ("collisions", "/<a> || /b", Why::OrderedNotRejected),
    ("collisions", "/<name>/hi/there || /dude/<name>/there", Why::OrderedNotRejected),
    ("collisions", "/<a..> || /hi", Why::OrderedNotRejected),
    ("collisions", "/<a..> || /hi/hey", Why::OrderedNotRejected),
    ("collisions", "/<a..> || /hi/hey/hayo", Why::OrderedNotRejected),
    ("collisions", "/a/<a..> || /a/hi/hey/hayo", Why::OrderedNotRejected),
    ("collisions", "/a/<b>/<a..> || /a/hi/hey/hayo", Why::OrderedNotRejected),
    ("collisions", "/a/<b>/<c>/<a..> || /a/hi/hey/hayo", Why::OrderedNotRejected),
    ("collisions", "/<b>/<c>/<a..> || /a/hi/hey/hayo", Why::OrderedNotRejected),
    ("collisions", "/<b>/<c>/hey/hayo || /a/hi/hey/hayo", Why::OrderedNotRejected),
    ("collisions", "/<a..> || /foo", Why::OrderedNotRejected),
    ("collisions", "/ || /<a..>", Why::CatchAllOneOrMore),
    ("collisions", "/a/ || /a/<a..>", Why::OrderedNotRejected),
    ("collisions", "/<a>/ || /a/<a..>", Why::OrderedNotRejected),
    ("collisions", "/<a>/bar/ || /a/<a..>", Why::OrderedNotRejected),
    ("collisions", "/hello/<name> || /hello/bob", Why::OrderedNotRejected),
    ("collisions", "/<name> || //bob", Why::EmptySegmentRejected),
    ("collisions", "/<a..> || ///a///", Why::EmptySegmentRejected),
    ("collisions", "/<a..> || //a/bcjdklfj//<c>", Why::EmptySegmentRejected),
    ("collisions", "/a/<a..> || //a/bcjdklfj//<c>", Why::EmptySegmentRejected),
    ("collisions", "/a/<b>/<c..> || //a/bcjdklfj//<c>", Why::EmptySegmentRejected),
    ("collisions", "/<a..> || /", Why::CatchAllOneOrMore),
    ("collisions", "/ || /<_..>", Why::UnderscoreParamRejected),
    ("collisions", "/a/b/<a..> || /a/<b..>", Why::OrderedNotRejected),
    ("collisions", "/a/b/<a..> || /a/<b>/<b..>", Why::DuplicateParamName),
    ("collisions", "/hi/<a..> || /hi/", Why::OrderedNotRejected),
    ("collisions", "/<a..> || //////", Why::EmptySegmentRejected),
    ("collisions", "/<a>/b/c?<d> || /a/b/<c>?<d>", Why::OrderedNotRejected),
    ("collisions", "/a/hi/<a..> || /a/hi/", Why::OrderedNotRejected),
];

#[test]
fn matchit_insert_cases_agree_except_the_listed_differences() {
    let (problems, _, _) = check("matchit_insert_cases.txt", &matchit_cases(), MATCHIT_DIFFERENCES);
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn rocket_collision_cases_agree_except_the_listed_differences() {
    let (problems, _, _) = check("rocket_collision_cases.txt", &rocket_cases(), ROCKET_DIFFERENCES);
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn summary_in_the_module_docs_is_true() {
    let matchit = summary("matchit_insert_cases.txt", &matchit_cases(), MATCHIT_DIFFERENCES);
    let want = (
        297,
        Agree { accepted: 96, conflict: 12, invalid: 14 },
        vec![
            (Why::OrderedNotRejected, 4),
            (Why::SegmentParamUnsupported, 150),
            (Why::MissingLeadingSlash, 15),
            (Why::EscapedBraceUnsupported, 6),
        ],
    );
    assert_eq!(matchit, want, "matchit: update the module docs along with this test");
    let rocket = summary("rocket_collision_cases.txt", &rocket_cases(), ROCKET_DIFFERENCES);
    let want = (
        95,
        Agree { accepted: 42, conflict: 19, invalid: 0 },
        vec![
            (Why::OrderedNotRejected, 20),
            (Why::CatchAllOneOrMore, 2),
            (Why::RootHasNoSegment, 1),
            (Why::EmptySegmentRejected, 6),
            (Why::UnderscoreParamRejected, 1),
            (Why::DuplicateParamName, 1),
            (Why::StaticQueryUnsupported, 2),
            (Why::QueryIgnoredInMatching, 1),
        ],
    );
    assert_eq!(rocket, want, "Rocket: update the module docs along with this test");
}

/// Every conflicting pair of both suites, split into two tables across a `mount`: the verdicts
/// of the runtime's `const` check are those of the trie within one table.
#[test]
fn verdicts_are_unchanged_across_a_mount_boundary() {
    let (mut compared, mut conflicts) = (0, 0);
    for case in matchit_cases().iter().chain(&rocket_cases()) {
        if let Some(across) = &case.across {
            assert_eq!(across, &case.ours, "{} {}", case.group, case.route);
            compared += 1;
            conflicts += usize::from(matches!(across, Verdict::Conflict(_)));
        }
    }
    assert_eq!((compared, conflicts), (CROSS_COMPARED, CROSS_CONFLICTS));
}

/// Cases where both routes parse, and how many of them conflict.
const CROSS_COMPARED: usize = 197;
const CROSS_CONFLICTS: usize = 32;
