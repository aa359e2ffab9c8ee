//! The range a numeric parameter may carry, `{limit: u32 in 1..=100}`: its syntax, read from the
//! pattern's text as [`pattern`](crate::pattern) reads the rest, and its checks against the
//! declared type (the bounds fit it, the range is not empty, a default lies inside).
//!
//! Pure functions over text: errors are messages that quote the range, since on stable Rust a
//! span cannot point inside the pattern's string literal.

use std::cmp::Ordering;

use syn::Lit;

/// A range as written after `in`: `1..=100`, `1..`, `..10`, `-0.5..0.5`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Range {
    /// The range as written, trimmed: what messages and the `400` answer quote.
    pub(crate) text: String,
    pub(crate) start: Option<Num>,
    pub(crate) end: Option<Num>,
    /// `..=`: the end is in the range.
    pub(crate) inclusive: bool,
}

/// A bound: an integer literal (with its sign apart, so that all of `i128` and `u128` fit), or a
/// float literal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    Int { neg: bool, mag: u128 },
    Float(f64),
}

/// What a numeric type allows: the integers between two bounds, or floats up to a magnitude.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    Int { min: Num, max: Num },
    Float { max: f64 },
}

/// Parses the text after `in`; `name` is the parameter's, for messages.
pub(crate) fn parse(text: &str, name: &str) -> Result<Range, String> {
    let text = text.trim();
    let malformed = || {
        format!("range `{text}` of parameter `{name}` is not a range; write e.g. `in 1..=100`, `in 1..` or `in ..10`")
    };
    let (start, rest) = text.split_once("..").ok_or_else(malformed)?;
    let (inclusive, end) = match rest.strip_prefix('=') {
        Some(end) => (true, end),
        None => (false, rest),
    };
    let (start, end) = (start.trim(), end.trim());
    if start.is_empty() && end.is_empty() {
        return Err(format!(
            "range `{text}` of parameter `{name}` has no bound; give it a start or an end, e.g. `in 1..` or `in ..=100`"
        ));
    }
    if inclusive && end.is_empty() {
        return Err(format!(
            "range `{text}` of parameter `{name}` has `..=` but no end; write e.g. `{start}..=100`, or `{start}..` for no end"
        ));
    }
    let bound = |b: &str| -> Result<Option<Num>, String> {
        if b.is_empty() {
            Ok(None)
        } else {
            number(b).map(Some).map_err(|why| format!("{} {why}", quote(b, text, name)))
        }
    };
    let (start, end) = (bound(start).map_err(|e| or(e, &malformed))?, bound(end).map_err(|e| or(e, &malformed))?);
    Ok(Range { text: text.to_owned(), start, end, inclusive })
}

/// A bound's own problem, or, for text that is no number at all, the range's.
fn or(e: String, malformed: &dyn Fn() -> String) -> String {
    if e.ends_with(NOT_A_NUMBER) { malformed() } else { e }
}

const NOT_A_NUMBER: &str = "is not a number";

fn quote(bound: &str, text: &str, name: &str) -> String {
    format!("bound `{bound}` of range `{text}` (parameter `{name}`)")
}

/// An integer or float literal as Rust writes them (`100`, `1_000`, `0xff`, `0.5`, `1e3`),
/// optionally negative, without a suffix.
fn number(text: &str) -> Result<Num, String> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, text),
    };
    if digits.starts_with(['-', '+']) {
        return Err(NOT_A_NUMBER.to_owned());
    }
    let num = match syn::parse_str::<Lit>(digits) {
        Ok(Lit::Int(i)) if i.suffix().is_empty() => {
            let mag = i.base10_parse::<u128>().map_err(|_| "does not fit in 128 bits".to_owned())?;
            Num::Int { neg: neg && mag != 0, mag }
        }
        Ok(Lit::Float(f)) if f.suffix().is_empty() => {
            let v = f.base10_parse::<f64>().map_err(|_| NOT_A_NUMBER.to_owned())?;
            Num::Float(if neg { -v } else { v })
        }
        Ok(Lit::Int(_) | Lit::Float(_)) => {
            return Err("has a suffix; write the number alone, the parameter's type gives it".to_owned());
        }
        _ => return Err(NOT_A_NUMBER.to_owned()),
    };
    Ok(num)
}

/// The numeric type `ty` names (as written in the pattern), if it is one.
pub(crate) fn kind(ty: &str) -> Option<Kind> {
    let ty = ty.strip_prefix("std::primitive::").or_else(|| ty.strip_prefix("core::primitive::")).unwrap_or(ty);
    let unsigned = |bits: u32| Kind::Int { min: Num::Int { neg: false, mag: 0 }, max: uint(u128::MAX >> (128 - bits)) };
    let signed = |bits: u32| Kind::Int {
        min: Num::Int { neg: true, mag: 1u128 << (bits - 1) },
        max: uint((1u128 << (bits - 1)) - 1),
    };
    // `usize` and `isize` are checked as 64 bits; on a 32-bit target, rustc's `overflowing_literals`
    // refuses a bound past them.
    Some(match ty {
        "u8" => unsigned(8),
        "u16" => unsigned(16),
        "u32" => unsigned(32),
        "u64" | "usize" => unsigned(64),
        "u128" => unsigned(128),
        "i8" => signed(8),
        "i16" => signed(16),
        "i32" => signed(32),
        "i64" | "isize" => signed(64),
        "i128" => signed(128),
        "f32" => Kind::Float { max: f64::from(f32::MAX) },
        "f64" => Kind::Float { max: f64::MAX },
        _ => return None,
    })
}

fn uint(mag: u128) -> Num {
    Num::Int { neg: false, mag }
}

/// Checks `range` against the parameter's type (`None`: untyped) and its default.
pub(crate) fn check(range: &Range, name: &str, ty: Option<&str>, default: Option<&Lit>) -> Result<(), String> {
    let text = &range.text;
    let Some(ty) = ty else {
        return Err(format!(
            "parameter `{name}` has a range (`in {text}`) but no type; give it a number type, e.g. `{{{name}: u32 in {text}}}`"
        ));
    };
    let Some(kind) = kind(ty) else {
        return Err(format!(
            "parameter `{name}` of type `{ty}` has a range (`in {text}`), but only numbers take one; use an integer or float type, e.g. `{{{name}: u32 in {text}}}`, or remove the range"
        ));
    };
    for b in [range.start, range.end].into_iter().flatten() {
        let shown = show(b);
        let bound = quote(&shown, text, name);
        match (kind, b) {
            (Kind::Int { .. }, Num::Float(_)) => {
                return Err(format!("{bound} is not an integer, but `{name}` is a `{ty}`; write a whole number"));
            }
            (Kind::Int { min, max }, b) if cmp(b, min).is_lt() || cmp(b, max).is_gt() => {
                return Err(format!(
                    "{bound} does not fit `{ty}` ({}..={}); narrow the range or use a wider type",
                    show(min),
                    show(max)
                ));
            }
            (Kind::Float { max }, b) if !value(b).is_finite() || value(b).abs() > max => {
                return Err(format!("{bound} does not fit `{ty}`; narrow the range or use a wider type"));
            }
            _ => {}
        }
    }
    let empty = match (range.start, range.end, kind) {
        (Some(s), Some(e), _) if range.inclusive => cmp(s, e).is_gt(),
        (Some(s), Some(e), _) => cmp(s, e).is_ge(),
        (None, Some(e), Kind::Int { min, .. }) if !range.inclusive => cmp(e, min).is_le(),
        _ => false,
    };
    if empty {
        return Err(format!(
            "range `{text}` of parameter `{name}` is empty: no `{ty}` lies in it; the start must be below the end (`a..b` leaves the end out, `a..=b` keeps it)"
        ));
    }
    if let Some(default) = default.and_then(lit_num)
        && !contains(range, default)
    {
        return Err(format!(
            "default `{}` of parameter `{name}` is outside its range `{text}`; pick a default in the range, or widen the range",
            show(default)
        ));
    }
    Ok(())
}

/// A default literal as a number, if it is one (rustc reports a default of the wrong type).
fn lit_num(lit: &Lit) -> Option<Num> {
    let digits = match lit {
        Lit::Int(i) => i.base10_digits(),
        Lit::Float(f) => f.base10_digits(),
        _ => return None,
    };
    number(digits).ok().or_else(|| match lit {
        Lit::Int(i) => i.base10_parse::<i128>().ok().map(|v| Num::Int { neg: v < 0, mag: v.unsigned_abs() }),
        Lit::Float(f) => f.base10_parse::<f64>().ok().map(Num::Float),
        _ => None,
    })
}

fn contains(range: &Range, n: Num) -> bool {
    let above = range.start.is_none_or(|s| cmp(n, s).is_ge());
    let below = range.end.is_none_or(|e| if range.inclusive { cmp(n, e).is_le() } else { cmp(n, e).is_lt() });
    above && below
}

/// Orders two bounds; an integer against a float compares as floats.
fn cmp(a: Num, b: Num) -> Ordering {
    match (a, b) {
        (Num::Int { neg: an, mag: am }, Num::Int { neg: bn, mag: bm }) => match (an, bn) {
            (false, false) => am.cmp(&bm),
            (true, true) => bm.cmp(&am),
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
        },
        _ => value(a).total_cmp(&value(b)),
    }
}

#[allow(clippy::cast_precision_loss, reason = "an integer bound of a float range: as rustc would read it")]
pub(crate) fn value(n: Num) -> f64 {
    match n {
        Num::Int { neg, mag } => {
            let v = mag as f64;
            if neg { -v } else { v }
        }
        Num::Float(v) => v,
    }
}

/// A bound as decimal text (JSON number text, too).
pub(crate) fn show(n: Num) -> String {
    match n {
        Num::Int { neg: true, mag } => format!("-{mag}"),
        Num::Int { neg: false, mag } => mag.to_string(),
        Num::Float(v) => format!("{v:?}"),
    }
}

impl Range {
    /// The bounds of the parameter's schema, as JSON number text: `minimum`, `maximum`, and
    /// whether the maximum is exclusive. An integer range's excluded end is given as the integer
    /// below it; a float's as `exclusiveMaximum`.
    pub(crate) fn schema(&self, float: bool) -> (Option<String>, Option<String>, bool) {
        let min = self.start.map(|s| if float { show(Num::Float(value(s))) } else { show(s) });
        let (max, exclusive) = match self.end {
            None => (None, false),
            Some(e) if float => (Some(show(Num::Float(value(e)))), !self.inclusive),
            Some(e) if self.inclusive => (Some(show(e)), false),
            Some(Num::Int { neg: false, mag: 0 }) => (Some("-1".to_owned()), false),
            Some(Num::Int { neg: true, mag }) => (Some(format!("-{}", mag + 1)), false),
            Some(Num::Int { neg: false, mag }) => (Some((mag - 1).to_string()), false),
            Some(e @ Num::Float(_)) => (Some(show(e)), true),
        };
        (min, max, exclusive)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(v: i128) -> Num {
        Num::Int { neg: v < 0, mag: v.unsigned_abs() }
    }

    #[test]
    fn parses_ranges() {
        let (f, int) = (|v: f64| Some(Num::Float(v)), |v: i128| Some(int(v)));
        let cases = [
            ("1..=100", int(1), int(100), true),
            ("1..", int(1), None, false),
            ("..=100", None, int(100), true),
            ("..5", None, int(5), false),
            ("-5..5", int(-5), int(5), false),
            ("- 5 .. 5", int(-5), int(5), false),
            ("0.0..=1.0", f(0.0), f(1.0), true),
            ("-0.5..0.5", f(-0.5), f(0.5), false),
            ("1e3..", f(1000.0), None, false),
            ("0x10..=1_000", int(16), int(1000), true),
            (" 1 ..= 2 ", int(1), int(2), true),
        ];
        for (src, start, end, inclusive) in cases {
            let got = parse(src, "n").unwrap_or_else(|e| panic!("{src}: {e}"));
            assert_eq!((got.start, got.end, got.inclusive), (start, end, inclusive), "{src}");
            assert_eq!(got.text, src.trim(), "{src}");
        }
    }

    #[test]
    fn rejects_malformed_ranges() {
        let cases = [
            ("", "is not a range"),
            ("5", "is not a range"),
            ("a..b", "is not a range"),
            ("1...5", "is not a range"),
            ("1..2..3", "is not a range"),
            ("1..=", "has `..=` but no end"),
            ("..", "has no bound"),
            ("..=", "has no bound"),
            ("1u8..5", "bound `1u8` of range `1u8..5` (parameter `n`) has a suffix"),
            ("--1..5", "is not a range"),
            ("1..340282366920938463463374607431768211456", "does not fit in 128 bits"),
        ];
        for (src, want) in cases {
            let err = parse(src, "n").expect_err(src);
            assert!(err.contains(want), "{src}: {err}");
        }
    }

    #[test]
    fn checks_against_the_type() {
        // (range, type, default, the error wanted)
        type Case<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>);
        let cases: [Case<'_>; 20] = [
            ("1..=100", Some("u32"), Some("20"), None),
            ("0..=255", Some("u8"), None, None),
            ("-128..=127", Some("i8"), None, None),
            ("1..", Some("u128"), None, None),
            ("..=-1", Some("i128"), None, None),
            ("0.0..1.0", Some("f64"), Some("0.5"), None),
            ("0..1", Some("f32"), None, None),
            ("-5..5", Some("i32"), Some("-5"), None),
            ("1..1", Some("u32"), None, Some("range `1..1` of parameter `n` is empty")),
            ("5..=4", Some("u32"), None, Some("is empty")),
            ("..0", Some("u32"), None, Some("is empty")),
            ("1.0..1.0", Some("f64"), None, Some("is empty")),
            (
                "0..=300",
                Some("u8"),
                None,
                Some("bound `300` of range `0..=300` (parameter `n`) does not fit `u8` (0..=255)"),
            ),
            ("-1..5", Some("u32"), None, Some("bound `-1` of range `-1..5` (parameter `n`) does not fit `u32`")),
            ("0.5..1", Some("u32"), None, Some("is not an integer")),
            ("1e39..", Some("f32"), None, Some("does not fit `f32`")),
            ("1..=100", Some("u32"), Some("0"), Some("default `0` of parameter `n` is outside its range `1..=100`")),
            ("1..100", Some("u32"), Some("100"), Some("is outside its range")),
            ("1..5", Some("String"), None, Some("of type `String` has a range (`in 1..5`), but only numbers take one")),
            ("1..2", None, None, Some("parameter `n` has a range (`in 1..2`) but no type")),
        ];
        for (src, ty, default, want) in cases {
            let range = parse(src, "n").unwrap_or_else(|e| panic!("{src}: {e}"));
            let default: Option<Lit> = default.map(|d| syn::parse_str(d).unwrap());
            match (check(&range, "n", ty, default.as_ref()), want) {
                (Ok(()), None) => {}
                (Err(e), Some(want)) => assert!(e.contains(want), "{src} {ty:?}: {e}"),
                (got, want) => panic!("{src} {ty:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn schema_bounds() {
        let cases = [
            ("1..=100", false, (Some("1"), Some("100"), false)),
            ("1..100", false, (Some("1"), Some("99"), false)),
            ("-5..0", false, (Some("-5"), Some("-1"), false)),
            ("-5..-2", false, (Some("-5"), Some("-3"), false)),
            ("1..", false, (Some("1"), None, false)),
            ("0.0..1.0", true, (Some("0.0"), Some("1.0"), true)),
            ("0..=1", true, (Some("0.0"), Some("1.0"), false)),
            ("..=0.5", true, (None, Some("0.5"), false)),
        ];
        for (src, float, (min, max, exclusive)) in cases {
            let (got_min, got_max, got_exclusive) = parse(src, "n").unwrap().schema(float);
            assert_eq!((got_min.as_deref(), got_max.as_deref(), got_exclusive), (min, max, exclusive), "{src}");
        }
    }
}
