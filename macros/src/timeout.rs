//! `timeout 5 s`: the check of one declaration (a whole number of a known unit, not zero, not
//! absurd), and which timer a route gets from its own declaration and its blocks'.

use proc_macro2::Span;

use crate::ast::Timeout;

/// The longest timeout a table may declare: a day. A route that may take longer has no use for a
/// timeout; the server's own limits (idle, send) still apply to its connection.
pub(crate) const MAX_MS: u64 = 24 * 60 * 60 * 1000;

/// The timeout in milliseconds, or the error and where it goes.
pub(crate) fn check(t: &Timeout) -> Result<u64, (Span, String)> {
    let Some(unit) = &t.unit else {
        let (digits, suffix) = (t.amount.base10_digits(), t.amount.suffix());
        return Err((
            t.amount.span(),
            format!("write the number and the unit apart: `timeout {digits} {suffix}`, not `{digits}{suffix}`"),
        ));
    };
    let factor: u64 = match unit.to_string().as_str() {
        "ms" => 1,
        "s" => 1000,
        "min" => 60 * 1000,
        other => {
            let hint = match other {
                "h" | "hour" | "hours" => "; write hours as minutes, e.g. `90 min`",
                "sec" | "secs" | "seconds" => "; seconds are `s`",
                "mins" | "minutes" | "m" => "; minutes are `min`",
                _ => "",
            };
            return Err((unit.span(), format!("unknown time unit `{other}`; use `ms`, `s` or `min`{hint}")));
        }
    };
    let ms = t.amount.base10_parse::<u64>().ok().and_then(|n| n.checked_mul(factor));
    match ms {
        Some(0) => Err((
            t.amount.span(),
            "a timeout of 0 leaves no time to answer; remove the timeout, or give the time the route needs".into(),
        )),
        Some(ms) if ms <= MAX_MS => Ok(ms),
        _ => Err((
            t.amount.span(),
            format!(
                "a timeout of `{} {unit}` is over a day, which is no timeout; remove it, or give at most `1440 min`",
                t.amount
            ),
        )),
    }
}

/// Where a route's timer goes and how long it is, from the timeouts of its blocks (outermost
/// first) and its own: the timer sits in the outermost block that declares one (`index` into the
/// route's layers; the number of layers for the route's own), and lasts as long as the innermost
/// declaration says. A timeout further in changes the length, never what is timed. `None`: no
/// declaration, no timer.
pub(crate) fn placement(blocks: impl IntoIterator<Item = Option<u64>>, own: Option<u64>) -> Option<(usize, u64)> {
    let mut found: Option<(usize, u64)> = None;
    let mut count = 0;
    for (i, ms) in blocks.into_iter().enumerate() {
        count = i + 1;
        if let Some(ms) = ms {
            found = Some((found.map_or(i, |(at, _)| at), ms));
        }
    }
    match (found, own) {
        (Some((at, _)), Some(ms)) => Some((at, ms)),
        (None, Some(ms)) => Some((count, ms)),
        (found, None) => found,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeout(src: &str) -> Timeout {
        let mut words = src.split_whitespace();
        let amount: syn::LitInt = syn::parse_str(words.next().unwrap()).unwrap();
        let unit = words.next().map(|u| syn::Ident::new(u, Span::call_site()));
        Timeout { kw: syn::Ident::new("timeout", Span::call_site()), amount, unit }
    }

    #[test]
    fn units_and_bounds() {
        let cases: [(&str, Result<u64, &str>); 10] = [
            ("250 ms", Ok(250)),
            ("5 s", Ok(5000)),
            ("2 min", Ok(120_000)),
            ("1440 min", Ok(MAX_MS)),
            ("1441 min", Err("is over a day")),
            ("99999999999999999999 s", Err("is over a day")),
            ("0 s", Err("a timeout of 0")),
            ("5 sec", Err("unknown time unit `sec`; use `ms`, `s` or `min`; seconds are `s`")),
            ("1 h", Err("write hours as minutes")),
            ("5s", Err("write the number and the unit apart: `timeout 5 s`, not `5s`")),
        ];
        for (src, want) in cases {
            match (check(&timeout(src)), want) {
                (Ok(ms), Ok(want)) => assert_eq!(ms, want, "{src}"),
                (Err((_, msg)), Err(want)) => assert!(msg.contains(want), "{src}: {msg}"),
                (got, want) => panic!("{src}: got {:?}, want {want:?}", got.map_err(|(_, m)| m)),
            }
        }
    }

    #[test]
    fn the_outermost_declaration_places_the_timer_and_the_innermost_sets_its_length() {
        /// The blocks' timeouts, the route's own, and the timer.
        type Case = (&'static [Option<u64>], Option<u64>, Option<(usize, u64)>);
        let cases: [Case; 7] = [
            (&[None, None], None, None),
            (&[None, None], Some(7), Some((2, 7))),
            (&[], Some(7), Some((0, 7))),
            (&[None, Some(5)], None, Some((1, 5))),
            (&[Some(9), Some(5)], None, Some((0, 5))),
            (&[None, Some(5)], Some(60), Some((1, 60))),
            (&[Some(9), None], Some(1), Some((0, 1))),
        ];
        for (blocks, own, want) in cases {
            assert_eq!(placement(blocks.iter().copied(), own), want, "{blocks:?} {own:?}");
        }
    }
}
