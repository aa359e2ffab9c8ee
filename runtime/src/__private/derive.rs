//! What `#[derive(Responses)]` calls: a variant's status from the number the macro checked, and
//! the description of a variant without a doc comment.

use http::StatusCode;

/// The status of `#[response(status = N)]`. The macro accepts only 100 to 599, all of which
/// `StatusCode` takes; anything else would be a bug in the macro, answered as a 500.
pub fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The description of an undocumented variant: the status's reason phrase (RFC 9110 §15), or
/// its class for a status without one.
pub fn reason(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or(match status.as_u16() {
        100..=199 => "Informational.",
        200..=299 => "Success.",
        300..=399 => "Redirection.",
        400..=499 => "Client error.",
        _ => "Server error.",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_by_status() {
        let cases =
            [(404, "Not Found"), (409, "Conflict"), (299, "Success."), (499, "Client error."), (599, "Server error.")];
        for (code, want) in cases {
            assert_eq!(reason(status(code)), want, "{code}");
        }
        assert_eq!(status(100), StatusCode::CONTINUE);
    }
}
