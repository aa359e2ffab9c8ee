//! `#[derive(waymark::Responses)]` on a handler's error type: what `Api::openapi()` says of it
//! and what the server answers for each variant agree.

use serde_json::json;
use waymark::test::TestClient;
use waymark::{Created, Json, StatusCode, routes};

/// The derive's expansion names only `::waymark::__private` paths: these items of the user's own
/// do not change it.
mod shadowed {
    #![allow(dead_code, reason = "here only to shadow the names an expansion could use")]
    mod http {}
    mod openapi {}
    struct Response;
    struct Answers;
    struct Schemas;
    struct StatusCode;
    trait IntoResponse {}
    trait Responses {}

    #[derive(waymark::Responses)]
    pub(crate) enum Shadowed {
        #[response(status = 400)]
        Bad(String),
    }
}

#[derive(serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
struct Problem {
    detail: String,
}

#[derive(serde::Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
struct Note {
    id: u64,
}

#[derive(waymark::Responses)]
enum NoteError {
    /// No note has that id.
    #[response(status = 404)]
    Missing,
    /// A note with that URL
    /// exists.
    ///
    /// Not part of the description.
    #[response(status = 409)]
    Duplicate(Json<Problem>),
    /// The URL is too long.
    #[response(status = 409)]
    Reused(String),
    #[response(status = 422)]
    Undocumented,
    #[response(status = 400)]
    Shadowed(shadowed::Shadowed),
}

async fn create(url: &str) -> Result<Created<Json<Note>>, NoteError> {
    match url {
        "missing" => Err(NoteError::Missing),
        "duplicate" => Err(NoteError::Duplicate(Json(Problem { detail: "see note 7".into() }))),
        "reused" => Err(NoteError::Reused("reused".into())),
        "undocumented" => Err(NoteError::Undocumented),
        "shadowed" => Err(NoteError::Shadowed(shadowed::Shadowed::Bad("shadowed".into()))),
        _ => Ok(Created(Json(Note { id: 8 }))),
    }
}

routes! {
    Api;
    POST "/notes/{url}" => create(url),
}

#[test]
fn the_document_lists_each_variant() {
    let doc = Api::openapi();
    let responses = &doc["paths"]["/notes/{url}"]["post"]["responses"];
    let statuses: Vec<&String> = responses.as_object().unwrap().keys().collect();
    assert_eq!(statuses, ["201", "400", "404", "409", "422"], "{responses}");
    assert!(responses["201"]["content"]["application/json"].is_object(), "{responses}");

    assert_eq!(responses["404"], json!({ "description": "No note has that id." }));
    // Two variants with one status: the first one's description, both media types.
    assert_eq!(responses["409"]["description"], "A note with that URL exists.");
    let media: Vec<&String> = responses["409"]["content"].as_object().unwrap().keys().collect();
    assert_eq!(media, ["application/json", "text/plain; charset=utf-8"], "{responses}");
    assert_eq!(responses["409"]["content"]["text/plain; charset=utf-8"]["schema"]["type"], "string");
    #[cfg(feature = "schemars")]
    assert_eq!(responses["409"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/Problem");
    // Without a doc comment, the status's reason phrase.
    assert_eq!(responses["422"], json!({ "description": "Unprocessable Entity" }));
    // A variant holding another derived enum: its success answer has none, so no content.
    assert_eq!(responses["400"], json!({ "description": "Bad Request" }));
}

#[tokio::test]
async fn the_server_answers_each_variant_with_its_status_and_body() {
    let client = TestClient::new(Api::new());
    let cases = [
        ("ok", StatusCode::CREATED, r#"{"id":8}"#),
        ("missing", StatusCode::NOT_FOUND, ""),
        ("duplicate", StatusCode::CONFLICT, r#"{"detail":"see note 7"}"#),
        ("reused", StatusCode::CONFLICT, "reused"),
        ("undocumented", StatusCode::UNPROCESSABLE_ENTITY, ""),
        ("shadowed", StatusCode::BAD_REQUEST, "shadowed"),
    ];
    for (url, status, body) in cases {
        let res = client.post(&format!("/notes/{url}")).send().await;
        assert_eq!(res.status(), status, "{url}");
        assert_eq!(res.text(), body, "{url}");
    }
    let res = client.post("/notes/duplicate").send().await;
    res.assert_header("content-type", "application/json");
}
