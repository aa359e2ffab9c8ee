//! `Idempotency-Key` on `POST /bookmarks`, so that a client may retry a create that timed out
//! or failed without making two bookmarks (after draft-ietf-httpapi-idempotency-key-header):
//! - a repeat with the same key and body gets the first answer again (`201`, the same bookmark
//!   and `Location`), and stores nothing;
//! - the same key with another body is a `422`; a malformed key a `400` that names the header;
//! - keys are kept in the database (storage.rs, `IDEMPOTENCY_TTL`: a day), in the transaction
//!   that stores the bookmark, so that the rule holds across restarts and instances; a retry
//!   that races its first try waits for it and gets its answer.
//!
//! The first answer's session cookie is not sent again: the key is the client's, not a
//! credential, so a repeat from another client must not get the first client's session.

use serde_json::{Value, json};
use waymark::{Request, StatusCode};

use super::ApiError;
use super::storage::IDEMPOTENCY_TTL;

/// The header, as the OpenAPI document and error messages spell it.
pub(crate) const HEADER: &str = "Idempotency-Key";
/// The longest key, in bytes: room for any UUID or hash a client would use.
pub(crate) const MAX_KEY: usize = 255;

/// The request's `Idempotency-Key`, if it sent one: 1 to 255 visible ASCII characters
/// (`!` to `~`), sent once. Anything else is a `400` that names the header.
pub(crate) fn key(req: &Request) -> Result<Option<String>, ApiError> {
    let mut values = req.headers().filter(|(name, _)| name.eq_ignore_ascii_case(HEADER.as_bytes()));
    let Some((_, value)) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(malformed(format!("send one `{HEADER}` header, not several")));
    }
    if value.is_empty() || value.len() > MAX_KEY || !value.iter().all(u8::is_ascii_graphic) {
        return Err(malformed(format!(
            "`{HEADER}` must be 1 to {MAX_KEY} visible ASCII characters (`!` to `~`), such as a UUID"
        )));
    }
    // Visible ASCII is UTF-8.
    Ok(Some(String::from_utf8_lossy(value).into_owned()))
}

fn malformed(message: String) -> ApiError {
    ApiError { status: StatusCode::BAD_REQUEST, message, field: Some(HEADER) }
}

/// The API's OpenAPI document: what `routes!` generates, plus the `Idempotency-Key` header of
/// `POST /bookmarks`, which the table does not declare (the handler reads it from the request).
pub(crate) fn document() -> Value {
    let mut doc = super::Api::openapi();
    let hours = IDEMPOTENCY_TTL.as_secs() / 3600;
    let parameter = json!({
        "name": HEADER,
        "in": "header",
        "required": false,
        "description": format!(
            "Makes the request safe to retry. A repeat with the same key and the same body within \
             {hours} hours gets the first answer again (the same `201`, bookmark and `Location`, \
             without the session cookie) and stores nothing; the same key with another body is a \
             `422`. Keys are kept in the database, so this holds across instances and restarts. \
             Use a new random key (a UUID) for each bookmark."
        ),
        "schema": { "type": "string", "minLength": 1, "maxLength": MAX_KEY, "pattern": "^[!-~]+$" },
    });
    if let Some(post) = doc.pointer_mut("/paths/~1bookmarks/post").and_then(Value::as_object_mut) {
        match post.get_mut("parameters").and_then(Value::as_array_mut) {
            Some(list) => list.push(parameter),
            None => {
                post.insert("parameters".into(), Value::Array(vec![parameter]));
            }
        }
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(values: &[&str]) -> Request {
        values.iter().fold(Request::new(waymark::Method::POST, "/bookmarks"), |req, v| req.with_header(HEADER, *v))
    }

    #[test]
    fn keys_are_visible_ascii_up_to_255_bytes() {
        assert_eq!(key(&with(&[])).map_err(|e| e.status), Ok(None));
        let longest = "k".repeat(MAX_KEY);
        for good in ["a", "8e03978e-40d5-43e8-bc93-6894a57f9324", "\"quoted\"", "!~", longest.as_str()] {
            assert_eq!(key(&with(&[good])).map_err(|e| e.status), Ok(Some(good.to_owned())), "{good:?}");
        }
        let too_long = "k".repeat(MAX_KEY + 1);
        for bad in [&[""][..], &["a b"], &["ü"], &["tab\there"], &[too_long.as_str()], &["a", "b"]] {
            let err = key(&with(bad)).expect_err(&format!("{bad:?}"));
            assert_eq!((err.status, err.field), (StatusCode::BAD_REQUEST, Some(HEADER)), "{bad:?}");
            assert!(err.message.contains("`Idempotency-Key`"), "{bad:?}: {}", err.message);
        }
    }

    #[test]
    fn the_document_has_the_header() {
        let doc = document();
        let params = doc.pointer("/paths/~1bookmarks/post/parameters").and_then(Value::as_array).expect("parameters");
        let header = params.iter().find(|p| p["name"] == HEADER).expect("the header");
        assert_eq!((header["in"].as_str(), header["schema"]["maxLength"].as_u64()), (Some("header"), Some(255)));
        assert!(header["description"].as_str().is_some_and(|d| d.contains("24 hours")));
    }
}
