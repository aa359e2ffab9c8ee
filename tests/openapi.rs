//! The OpenAPI document of a table that uses every feature: checked by a real validator
//! (`openapi-spec-validator`, from PyPI, installed into a virtualenv under `target/`), and
//! against `ROUTES`.

use std::path::PathBuf;
use std::process::Command;

use waymark::{Bytes, Form, Json, routes};

#[path = "support/venv.rs"]
mod venv;

#[derive(serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
struct NewBookmark {
    #[allow(dead_code, reason = "read by the schema only")]
    url: String,
    #[allow(dead_code, reason = "read by the schema only")]
    tags: Vec<String>,
}

struct Admin;

async fn admin() -> Result<Admin, waymark::StatusCode> {
    Ok(Admin)
}

mod tools {
    waymark::routes! {
        /// Mounted tools.
        pub(crate) Tools at "/tools";
        /// Liveness.
        GET "/ping" as ping => async { "pong" },
        GET "/files/{*path}" => async { "" },
    }
}

routes! {
    /// Every feature the document describes.
    pub(crate) Api;
    /// The home page.
    GET "/" as home => async { "home" },
    /// A page of bookmarks.
    ///
    /// Oldest first; `tag` may repeat.
    GET "/bookmarks?{limit: u8 = 20}&{offset: u32 = 0}&{tag: Vec<String>}&{q: Option<String>}&{sort: String = \"new\"}"
        as bookmarks => async { "" },
    GET "/bookmarks/{id: u64}?{full: bool = false}&{format: Option<char>}" as bookmark => async { "" },
    POST "/bookmarks" body: Json<NewBookmark> as create => async { "" },
    PUT "/bookmarks/{id: std::num::NonZero<u32>}" body: Form<NewBookmark> limit 1 MiB => async { "" },
    DELETE "/bookmarks/{id: i64}?{reason: String}" => async { "" },
    PATCH "/notes/{slug}" body: String => async { "" },
    POST "/raw/{ratio: f64}/{*rest}" body: Bytes => async { "" },
    GET "/notes?{limit: u32 in 1..=100 = 20}&{near: Vec<i16> in -5..5}" => async { "" },
    GET "/notes/{id: u64 in 1..}/{ratio: f32 in 0.0..1.0}" => async { "" },
    scope "/admin" {
        guard _admin: Admin = admin();
        GET "/stats/{day: u16}/{x: std::net::IpAddr}" => async { "" },
    }
    mount tools::Tools = tools::Tools::new();
}

#[test]
fn every_route_appears_once_and_nothing_else() {
    let doc = Api::openapi();
    let mut listed: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            listed.push((method.to_ascii_uppercase(), path.clone()));
        }
    }
    let mut routes: Vec<(String, String)> =
        Api::ROUTES.iter().map(|r| (r.method.to_owned(), r.template.to_owned())).collect();
    listed.sort();
    routes.sort();
    assert_eq!(listed, routes);
    assert_eq!(routes.len(), 13);
}

#[test]
fn parameters_bodies_and_docs_follow_the_table() {
    let doc = Api::openapi();
    let list = &doc["paths"]["/bookmarks"]["get"];
    assert_eq!(list["summary"], "A page of bookmarks.");
    assert_eq!(list["description"], "Oldest first; `tag` may repeat.");
    let params = list["parameters"].as_array().unwrap();
    let by_name = |n: &str| params.iter().find(|p| p["name"] == n).unwrap().clone();
    assert_eq!(
        by_name("limit")["schema"],
        serde_json::json!({ "type": "integer", "format": "int32", "minimum": 0, "maximum": 255, "default": 20 })
    );
    assert_eq!(by_name("tag")["schema"], serde_json::json!({ "type": "array", "items": { "type": "string" } }));
    assert_eq!(
        (by_name("q")["required"].as_bool(), by_name("sort")["schema"]["default"].as_str()),
        (Some(false), Some("new"))
    );
    let put = &doc["paths"]["/bookmarks/{id}"]["put"];
    assert_eq!(put["parameters"][0]["schema"]["minimum"], 1);
    assert!(put["requestBody"]["content"]["application/x-www-form-urlencoded"].is_object());
    assert!(put["responses"]["415"].is_object() && put["responses"]["413"].is_object());
    let raw = &doc["paths"]["/raw/{ratio}/{rest}"]["post"];
    assert_eq!(raw["parameters"][0]["schema"]["format"], "double");
    assert!(raw["requestBody"]["content"]["*/*"].is_object() && raw["responses"]["415"].is_null());
    assert!(doc["paths"]["/"]["get"]["responses"]["400"].is_null());
    assert_eq!(doc["paths"]["/tools/ping"]["get"]["operationId"], "ping");
    let create = &doc["paths"]["/bookmarks"]["post"]["requestBody"]["content"]["application/json"];
    if cfg!(feature = "schemars") {
        assert_eq!(create["schema"]["$ref"], "#/components/schemas/NewBookmark");
        assert_eq!(doc["components"]["schemas"]["NewBookmark"]["properties"]["tags"]["type"], "array");
    } else {
        assert_eq!(create, &serde_json::json!({}));
    }
}

/// A range narrows the type's `minimum` and `maximum`: an integer range's left-out end is the
/// integer below it, a float's is `exclusiveMaximum`; a repeated parameter's range is its items'.
#[test]
fn ranges_give_minimum_and_maximum() {
    use serde_json::json;
    let doc = Api::openapi();
    let notes = &doc["paths"]["/notes"]["get"]["parameters"];
    assert_eq!(
        notes[0]["schema"],
        json!({ "type": "integer", "format": "int64", "minimum": 1, "maximum": 100, "default": 20 })
    );
    assert_eq!(
        notes[1]["schema"],
        json!({ "type": "array", "items": { "type": "integer", "format": "int32", "minimum": -5, "maximum": 4 } })
    );
    let note = &doc["paths"]["/notes/{id}/{ratio}"]["get"]["parameters"];
    assert_eq!(note[0]["schema"], json!({ "type": "integer", "minimum": 1, "maximum": u64::MAX }));
    assert_eq!(
        note[1]["schema"],
        json!({ "type": "number", "format": "float", "minimum": 0.0, "exclusiveMaximum": 1.0 })
    );
}

/// A virtualenv with the validator, made once under `target/`.
fn validator() -> PathBuf {
    venv::python_with("venv-openapi", "openapi_spec_validator", "openapi-spec-validator==0.7.*")
}

#[test]
fn a_real_validator_accepts_the_document() {
    let doc = Api::openapi();
    let file = std::env::temp_dir().join(format!("waymark-openapi-{}.json", std::process::id()));
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let script = "import json, sys\nfrom openapi_spec_validator import validate\nvalidate(json.load(open(sys.argv[1])))\nprint('valid')";
    let out = Command::new(validator()).args(["-c", script]).arg(&file).output().expect("the validator runs");
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success() && out.stdout.starts_with(b"valid"),
        "openapi-spec-validator refused the document:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

mod answers {
    use waymark::{Created, Html, IntoResponse, Json, NoContent, Response, StatusCode, routes};

    pub(crate) struct Store;

    /// An answer type that only implements `IntoResponse`.
    pub(crate) struct Opaque;

    impl IntoResponse for Opaque {
        fn into_response(self) -> Response {
            Response::text("?")
        }
    }

    pub(crate) struct User;

    async fn user() -> Result<User, StatusCode> {
        Ok(User)
    }

    async fn one(_: &Store, _: u64) -> Option<Json<u32>> {
        None
    }

    async fn create(_: &Store, _: &User, _: Json<u32>, _: Option<u8>) -> Result<Created<Json<u32>>, StatusCode> {
        Ok(Created(Json(1)))
    }

    async fn remove(_: &Store, _: &str) -> Result<NoContent, Html<String>> {
        Ok(NoContent)
    }

    routes! {
        /// Each kind of answer, with every kind of binding in scope of the handlers.
        pub(crate) Answers(state: Store);
        GET "/text" => async { "text" },
        GET "/one/{id: u64}" => one(state, id),
        GET "/opaque" => async { Opaque },
        GET "/response/{n}" => async move { Response::text(n.to_owned()) },
        scope "/admin" {
            guard user: User = user();
            POST "/items?{dry: Option<u8>}" body: Json<u32> => create(state, &user, body, dry),
            DELETE "/items/{name}" => remove(state, name),
        }
        scope {
            guard token: waymark::auth::Bearer = waymark::auth::Bearer::from_request(req);
            guard _again: User = user();
            GET "/me" => async move { token.token().to_owned() },
        }
    }
}

#[test]
fn answers_come_from_the_handler_output_type() {
    let doc = answers::Answers::openapi();
    let statuses = |path: &str, method: &str| -> Vec<String> {
        let responses = doc["paths"][path][method]["responses"].as_object().expect("responses");
        responses.keys().cloned().collect()
    };
    // Text: 200; no parameter that can fail, so no 400; no 404 or 405 from the router, which
    // never gives them for this method and path.
    assert_eq!(statuses("/text", "get"), ["200"]);
    assert_eq!(
        doc["paths"]["/text"]["get"]["responses"]["200"]["content"]["text/plain; charset=utf-8"]["schema"]["type"],
        "string"
    );
    // Option<Json<T>>: 200 JSON, 404 for `None`; 400 for an `id` that is not a u64.
    assert_eq!(statuses("/one/{id}", "get"), ["200", "400", "404"]);
    assert!(doc["paths"]["/one/{id}"]["get"]["responses"]["200"]["content"]["application/json"].is_object());
    // A type with no `Responses`, and one whose status is known at run time only: `default`.
    assert_eq!(statuses("/opaque", "get"), ["default"]);
    assert_eq!(statuses("/response/{n}", "get"), ["default"]);
    // Created behind a guard, with a body: 201, the error's `default`, and the router's 400,
    // 413 and 415.
    assert_eq!(statuses("/admin/items", "post"), ["201", "400", "413", "415", "default"]);
    // NoContent or a page: 204 and 200 (text/html); the block's guard refuses with a
    // `StatusCode`, known at run time only: `default`.
    assert_eq!(statuses("/admin/items/{name}", "delete"), ["200", "204", "default"]);
    let page = &doc["paths"]["/admin/items/{name}"]["delete"]["responses"]["200"]["content"];
    assert!(page["text/html; charset=utf-8"].is_object(), "{page}");
    // A scope without a prefix: its guards cover its routes. The Bearer guard adds its 401 and
    // the security requirement; the second guard adds its error's answer.
    assert_eq!(statuses("/me", "get"), ["200", "401", "default"]);
    assert_eq!(doc["paths"]["/me"]["get"]["security"], serde_json::json!([{ "bearer": [] }]));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"],
        serde_json::json!({ "type": "http", "scheme": "bearer" })
    );
    assert!(doc["paths"]["/text"]["get"].get("security").is_none());
}

#[test]
fn typed_answers_are_what_the_server_sends() {
    use waymark::{IntoResponse, StatusCode};
    assert_eq!(waymark::Created("made").into_response().status(), StatusCode::CREATED);
    assert_eq!(waymark::NoContent.into_response().status(), StatusCode::NO_CONTENT);
    assert_eq!(None::<&str>.into_response().status(), StatusCode::NOT_FOUND);
}
