//! The bookmarks API: store, validation, handlers, middleware and the `routes!` table.
//!
//! Shared by `examples/api.rs` (which serves it) and `tests/api.rs` (which calls it in-process),
//! so everything here is `pub(crate)`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::watch;
use waymark::fs::Dir;
// The example turns on the facade's `cookies` and `schemars` features through a dev-dependency,
// so that `cargo run --example api` needs no `--features`.
use waymark::auth::Bearer;
use waymark::cookie::{Cookie, Key, SameSite, sign, time};
use waymark::header::{self, HeaderValue};
use waymark::openapi::{Answers, Responses, Schemas, Security};
use waymark::sse::{Event, Receiver, Sse};
use waymark::{Created, Html, IntoResponse, Json, Next, NoContent, Rejection, Request, Response, StatusCode, routes};

routes! {
    /// The bookmarks API. `Api::new(store)` builds it; serve it, or call it in-process in tests.
    pub(crate) Api(state: Store);

    wrap log_requests;
    // A request the database cannot answer within 10 s gets a 503 (the log line still sees it);
    // an event stream is timed only until its response starts.
    timeout 10 s;
    guard session: Option<Session> = session(state, req);

    GET    "/"                                                                  as home      => state.assets.serve("index.html", req),
    GET    "/bookmarks?{limit: u32 in 1..=100 = 20}&{offset: u32 = 0}&{tag: Option<String>}" as bookmarks => list(state, limit, offset, tag, session),
    GET    "/bookmarks/{id: u64}"                                               as bookmark  => get_one(state, id, session),
    /// The list rendered on the server (askama), for browsers without JavaScript.
    GET    "/bookmarks.html?{limit: u32 in 1..=100 = 20}&{offset: u32 = 0}&{tag: Option<String>}" as bookmarks_page => page_html(state, limit, offset, tag, session),
    /// Adds a bookmark; with an `Idempotency-Key`, safe to retry (see idempotency.rs).
    POST   "/bookmarks"           body: Json<NewBookmark>                       => create(state, session, req, body),
    PUT    "/bookmarks/{id: u64}" body: Json<NewBookmark>                       => replace(state, id, session, body),
    DELETE "/bookmarks/{id: u64}"                                               => delete(state, id),
    GET    "/tags"                                                              => tags(state),
    GET    "/tags/{name}"                                                       => by_tag(state, name, session),
    /// Server-sent events: `added`, `updated` and `deleted` as they happen, from any client.
    GET    "/events"                                                            as events    => events(state),
    GET    "/static/{*path}"                                                    as asset     => state.assets.serve(path, req),

    scope "/admin" {
        guard admin: Admin = admin(state, req);
        GET "/stats"  => stats(state, admin, req),
        GET "/routes" => route_table(admin),
        /// Request counts and latencies by route, in the OpenMetrics text format, for Prometheus
        /// (which sends the admin token from its scrape config).
        GET "/metrics" => async { Api::metrics().response() },
    }

    /// This API's OpenAPI 3.1 document, generated from this table.
    GET    "/openapi.json"                                                      => async { Json(idempotency::document()) },

    fallback => not_found(req),
    rejection => rejected(rejection),
}

/// Most tags on one bookmark.
pub(crate) const MAX_TAGS: usize = 8;
/// Longest title, in characters.
pub(crate) const MAX_TITLE: usize = 200;
/// Longest URL, in characters (of printable ASCII).
pub(crate) const MAX_URL: usize = 2000;
/// Longest tag, in bytes.
pub(crate) const MAX_TAG: usize = 30;

// ---------------------------------------------------------------------------------------------
// Data

/// A stored bookmark, as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct Bookmark {
    pub(crate) id: u64,
    pub(crate) url: String,
    pub(crate) title: String,
    pub(crate) tags: Vec<String>,
    /// Its own address in this API, built by `Api::bookmark_url` (clients follow it, they do not
    /// build it).
    pub(crate) href: String,
    /// Whether the browser asking added it: its session cookie is the bookmark's owner.
    pub(crate) mine: bool,
}

impl Bookmark {
    pub(crate) fn new(id: u64, url: String, title: String, tags: Vec<String>) -> Self {
        Self { href: Api::bookmark_url(id), id, url, title, tags, mine: false }
    }

    /// As every client may see it (in events, which go to all of them): not anybody's own.
    fn for_everyone(&self) -> Self {
        Self { mine: false, ..self.clone() }
    }
}

/// The body of `POST /bookmarks` and `PUT /bookmarks/{id}`, before validation.
///
/// The schema says exactly what [`NewBookmark::validate`] accepts, so that a schema-valid body is
/// never refused and a schema-violating one never accepted: a URL of printable ASCII with a host,
/// a title with a visible character, at most eight tags of letters, digits and `-`; each may have
/// the whitespace around it that validation trims (the class below is `char::is_whitespace`'s).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewBookmark {
    #[schemars(
        length(max = 2000),
        regex(
            pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*https?://[!-.0-~][!-~]*[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
        )
    )]
    pub(crate) url: String,
    #[schemars(
        length(max = 200),
        regex(pattern = r"[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
    )]
    pub(crate) title: String,
    #[serde(default)]
    #[schemars(
        length(max = 8),
        inner(regex(
            pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[A-Za-z0-9-]{1,30}[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
        ))
    )]
    pub(crate) tags: Vec<String>,
}

/// A [`NewBookmark`] that passed [`NewBookmark::validate`]: trimmed, tags lowercased, sorted and
/// deduplicated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Valid {
    url: String,
    title: String,
    tags: Vec<String>,
}

impl NewBookmark {
    /// Checks and normalises the input, or says what is wrong with which field.
    pub(crate) fn validate(self) -> Result<Valid, ApiError> {
        let invalid = |field, message: String| Err(ApiError::invalid(field, message));

        let url = self.url.trim();
        let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
        if rest.is_none_or(|host| host.is_empty() || host.starts_with('/')) {
            return invalid("url", "url must start with `http://` or `https://` and name a host".into());
        }
        if self.url.chars().count() > MAX_URL || !url.bytes().all(|b| b.is_ascii_graphic()) {
            return invalid(
                "url",
                format!("url must be at most {MAX_URL} characters of printable ASCII, without spaces"),
            );
        }

        let title = self.title.trim();
        if title.is_empty() {
            return invalid("title", "title must not be empty".into());
        }
        if self.title.chars().count() > MAX_TITLE {
            return invalid("title", format!("title must be at most {MAX_TITLE} characters"));
        }

        if self.tags.len() > MAX_TAGS {
            return invalid("tags", format!("at most {MAX_TAGS} tags"));
        }
        let mut tags = Vec::with_capacity(self.tags.len());
        for tag in &self.tags {
            let tag = tag.trim().to_ascii_lowercase();
            if !is_tag(&tag) {
                return invalid(
                    "tags",
                    format!("tag {tag:?} must be 1 to {MAX_TAG} characters of `a-z`, `0-9` and `-`"),
                );
            }
            tags.push(tag);
        }
        tags.sort();
        tags.dedup();

        Ok(Valid { url: url.to_owned(), title: title.to_owned(), tags })
    }
}

fn is_tag(tag: &str) -> bool {
    (1..=MAX_TAG).contains(&tag.len()) && tag.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[path = "idempotency.rs"]
pub(crate) mod idempotency;
#[path = "startup.rs"]
pub(crate) mod startup;
#[path = "storage.rs"]
pub(crate) mod storage;

pub(crate) use storage::{Db, DbError, Inserted, Keyed, Sqlite};

/// Where the page, its script and its style sheet are: `examples/api/assets/`, each with a
/// `.gz` beside it (made by `gzip -9nk`; a test checks that each still matches its file).
pub(crate) const ASSETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/api/assets");

/// The application state: the database, the static files and the admin token.
#[derive(Debug)]
pub(crate) struct Store {
    pub(crate) db: Db,
    /// Files with `ETag`, `Last-Modified`, ranges, and the `.gz` sibling when the client takes
    /// gzip; no path can leave the directory.
    pub(crate) assets: Dir,
    admin_token: String,
    /// Every change, for each open `/events` stream.
    changes: broadcast::Sender<Change>,
    /// Set at shutdown, so that open event streams end and the server can stop.
    closing: Arc<watch::Sender<bool>>,
}

impl Store {
    /// The database at `path` (a file, created if missing, or `:memory:`), with the example
    /// bookmarks if it has none; `/admin` accepts `Authorization: Bearer <admin_token>`.
    ///
    /// This blocks while it opens the file: call it before serving.
    #[allow(dead_code, reason = "the tests use it; the examples open through startup.rs")]
    pub(crate) fn open(path: &str, admin_token: impl Into<String>) -> Result<Self, DbError> {
        let (changes, _) = broadcast::channel(CHANGES_BUFFERED);
        Ok(Self::with_db(Arc::new(Sqlite::open(path, true, None)?), admin_token.into(), changes))
    }

    /// An empty in-memory store, for tests.
    #[cfg(test)]
    pub(crate) fn new(admin_token: impl Into<String>) -> Self {
        Self::in_memory(admin_token, false)
    }

    /// An in-memory store with the three example bookmarks, for tests and `examples/tls.rs`.
    #[allow(dead_code, reason = "examples/api.rs opens a file instead")]
    pub(crate) fn with_examples(admin_token: impl Into<String>) -> Self {
        Self::in_memory(admin_token, true)
    }

    #[allow(dead_code, reason = "examples/api.rs opens a file instead")]
    fn in_memory(admin_token: impl Into<String>, seed: bool) -> Self {
        let db = Sqlite::open(":memory:", seed, None).unwrap_or_else(|e| panic!("an in-memory database: {e}"));
        let (changes, _) = broadcast::channel(CHANGES_BUFFERED);
        Self::with_db(Arc::new(db), admin_token.into(), changes)
    }

    /// A store on `db`, whose `/events` streams read `changes` (the channel `db` was opened
    /// with, when it [shares changes](storage::Storage::shares_changes)).
    pub(crate) fn with_db(db: Db, admin_token: String, changes: broadcast::Sender<Change>) -> Self {
        let (closing, _) = watch::channel(false);
        Self { db, assets: Dir::new(ASSETS), admin_token, changes, closing: Arc::new(closing) }
    }

    /// Tells every open `/events` stream about a change; nobody listening is fine. A database
    /// that shares changes between instances delivers them itself.
    fn publish(&self, change: Change) {
        if !self.db.shares_changes() {
            let _ = self.changes.send(change);
        }
    }

    /// What ends the open event streams at shutdown: call [`Closer::close`] when the shutdown
    /// signal comes, or the server waits for them until its grace period is over.
    #[allow(dead_code, reason = "examples/tls.rs shares this file and does not use it")]
    pub(crate) fn closer(&self) -> Closer {
        Closer(Arc::clone(&self.closing))
    }

    /// Whether `token` is the admin token, compared in constant time (`subtle`): the time
    /// taken says nothing of where they differ (only whether their lengths do).
    pub(crate) fn is_admin_token(&self, token: &str) -> bool {
        subtle::ConstantTimeEq::ct_eq(token.as_bytes(), self.admin_token.as_bytes()).into()
    }
}

/// Changes an `/events` stream may fall behind by before it is told to reload instead.
pub(crate) const CHANGES_BUFFERED: usize = 64;

/// Ends the open `/events` streams; see [`Store::closer`].
#[derive(Debug, Clone)]
#[allow(dead_code, reason = "examples/tls.rs shares this file and does not use it")]
pub(crate) struct Closer(Arc<watch::Sender<bool>>);

impl Closer {
    #[allow(dead_code, reason = "examples/tls.rs shares this file and does not use it")]
    pub(crate) fn close(&self) {
        self.0.send_replace(true);
    }
}

/// One change to the bookmarks, as an `/events` stream sends it.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    Added(Bookmark),
    Updated(Bookmark),
    Deleted(u64),
    /// Changes may have been missed (the database connection that hears them was lost): the
    /// client should reload.
    #[cfg_attr(not(feature = "example-postgres"), allow(dead_code, reason = "only PostgreSQL loses changes"))]
    Reload,
}

impl Change {
    /// `event: added|updated` with the bookmark as data, or `event: deleted` with `{"id": N}`.
    fn event(&self) -> Event {
        let (kind, data) = match self {
            Change::Added(b) => ("added", serde_json::to_string(b)),
            Change::Updated(b) => ("updated", serde_json::to_string(b)),
            Change::Deleted(id) => ("deleted", serde_json::to_string(&serde_json::json!({ "id": id }))),
            Change::Reload => ("reload", Ok("{}".to_owned())),
        };
        // Serializing these plain structs cannot fail; if it ever did, a reload is still right.
        data.map_or_else(|_| Event::new().event("reload").data("{}"), |data| Event::new().event(kind).data(data))
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

/// An error a client can show: a status and `{"error": "...", "field": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    pub(crate) field: Option<&'static str>,
}

/// The JSON shape of every error this API returns.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct ErrorBody {
    pub(crate) error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) field: Option<String>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), field: None }
    }

    /// `422 Unprocessable Content`: the JSON parsed, but a field's value is not acceptable.
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self { status: StatusCode::UNPROCESSABLE_ENTITY, message: message.into(), field: Some(field) }
    }

    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, what)
    }
}

/// A database failure is the server's fault: a `500` that says so, or a `503` when the database
/// is out of reach for now (the request may be tried again), with the details in the log only
/// (they may name files and SQL).
impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        eprintln!("database error: {e}");
        if e.is_unavailable() {
            return Self::new(StatusCode::SERVICE_UNAVAILABLE, "the bookmarks database is unavailable; try again");
        }
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "the bookmarks database failed; see the server log")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: self.message, field: self.field.map(str::to_owned) };
        (self.status, Json(body)).into_response()
    }
}

/// The statuses the handlers' errors take, in the OpenAPI document: an `ApiError`'s status is
/// chosen at run time, so the list is written here, beside the constructors that choose it.
impl Responses for ApiError {
    fn responses(out: &mut Answers, schemas: &mut Schemas) {
        let schema = schemas.schema_for::<ErrorBody>();
        let body = || Some(("application/json", Some(schema.clone())));
        out.add(StatusCode::NOT_FOUND, "No bookmark with that id.", body());
        out.add(StatusCode::UNPROCESSABLE_ENTITY, "A field's value is not acceptable; `field` names it.", body());
        out.add(StatusCode::INTERNAL_SERVER_ERROR, "The database failed.", body());
        out.add(StatusCode::SERVICE_UNAVAILABLE, "The database is out of reach for now; try again.", body());
    }
}

// ---------------------------------------------------------------------------------------------
// Handlers: plain async functions of plain values.

/// One page of `GET /bookmarks`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct Page {
    pub(crate) items: Vec<Bookmark>,
    pub(crate) total: usize,
    pub(crate) limit: u32,
    pub(crate) offset: u32,
    /// The link to the next page, `null` on the last one.
    pub(crate) next: Option<String>,
}

/// `GET /bookmarks?limit&offset&tag`: bookmarks oldest first, optionally only those with `tag`.
pub(crate) async fn list(
    store: &Store,
    limit: u32,
    offset: u32,
    tag: Option<String>,
    session: Option<Session>,
) -> Result<Json<Page>, ApiError> {
    let tag = tag.map(|t| t.trim().to_ascii_lowercase());
    let (items, total) = store.db.page(limit as usize, offset as usize, tag.clone(), Session::id(session)).await?;
    let after = offset as usize + items.len();
    // `after` fits: it is at most `total`, which came from a `u32` offset plus a page.
    let next = (after < total).then(|| Api::bookmarks_url(Some(limit), u32::try_from(after).ok(), tag));
    Ok(Json(Page { items, total, limit, offset, next }))
}

/// `GET /bookmarks/{id}`.
pub(crate) async fn get_one(store: &Store, id: u64, session: Option<Session>) -> Result<Json<Bookmark>, ApiError> {
    store.db.get(id, Session::id(session)).await?.map(Json).ok_or_else(|| missing(id))
}

/// `POST /bookmarks`: `201 Created` with the stored bookmark and its `Location`. The bookmark is
/// the session's; a request without one gets a new session, and its cookie. With an
/// `Idempotency-Key`, a repeat gets the first answer again (see idempotency.rs).
pub(crate) async fn create(
    store: &Store,
    session: Option<Session>,
    req: &Request,
    body: Json<NewBookmark>,
) -> Result<NewBookmarkCreated, ApiError> {
    create_keyed(store, session, idempotency::key(req)?, body).await
}

/// [`create`] with the request's `Idempotency-Key`, if any.
pub(crate) async fn create_keyed(
    store: &Store,
    session: Option<Session>,
    key: Option<String>,
    Json(new): Json<NewBookmark>,
) -> Result<NewBookmarkCreated, ApiError> {
    let keyed = key.map(|key| Keyed { key, request: serde_json::to_string(&new).unwrap_or_default() });
    let valid = new.validate()?;
    let (session, is_new) = match session {
        Some(session) => (session, false),
        None => (Session::new(), true),
    };
    let bookmark = match store.db.insert(valid, Some(session.0.clone()), keyed).await? {
        Inserted::New(bookmark) => bookmark,
        Inserted::Replayed(bookmark) => return Ok(NewBookmarkCreated { bookmark, cookie: None }),
        Inserted::KeyReused => {
            let message = "this `Idempotency-Key` was used for another request; use a new key for a new bookmark";
            return Err(ApiError::invalid(idempotency::HEADER, message));
        }
    };
    store.publish(Change::Added(bookmark.for_everyone()));
    let cookie = is_new.then(|| session.cookie(store.db.cookie_key()));
    Ok(NewBookmarkCreated { bookmark, cookie })
}

/// What `POST /bookmarks` answers: [`Created`] with the bookmark, plus its `Location` and, for a
/// new session, the session's cookie.
#[derive(Debug)]
pub(crate) struct NewBookmarkCreated {
    bookmark: Bookmark,
    cookie: Option<Cookie<'static>>,
}

impl IntoResponse for NewBookmarkCreated {
    fn into_response(self) -> Response {
        let location = HeaderValue::from_str(&Api::bookmark_url(self.bookmark.id)).ok();
        let mut res = Created(Json(self.bookmark)).into_response();
        if let Some(location) = location {
            res.insert_header(header::LOCATION, location);
        }
        if let Some(cookie) = self.cookie {
            res.add_cookie(cookie);
        }
        res
    }
}

/// Documented as what it sends: `Created<Json<Bookmark>>`, and the `400` of a malformed
/// `Idempotency-Key`.
impl Responses for NewBookmarkCreated {
    fn responses(out: &mut Answers, schemas: &mut Schemas) {
        <Created<Json<Bookmark>>>::responses(out, schemas);
        let schema = schemas.schema_for::<ErrorBody>();
        out.add(
            StatusCode::BAD_REQUEST,
            "A parameter or the body does not parse as its declared type, or the `Idempotency-Key` is malformed; the message names it.",
            Some(("application/json", Some(schema))),
        );
    }
}

/// `PUT /bookmarks/{id}`: replaces an existing bookmark (it does not create one).
pub(crate) async fn replace(
    store: &Store,
    id: u64,
    session: Option<Session>,
    Json(new): Json<NewBookmark>,
) -> Result<Json<Bookmark>, ApiError> {
    let valid = new.validate()?;
    let bookmark = store.db.replace(id, valid, Session::id(session)).await?.ok_or_else(|| missing(id))?;
    store.publish(Change::Updated(bookmark.for_everyone()));
    Ok(Json(bookmark))
}

/// `DELETE /bookmarks/{id}`: `204 No Content`.
pub(crate) async fn delete(store: &Store, id: u64) -> Result<NoContent, ApiError> {
    if !store.db.remove(id).await? {
        return Err(missing(id));
    }
    store.publish(Change::Deleted(id));
    Ok(NoContent)
}

fn missing(id: u64) -> ApiError {
    ApiError::not_found(format!("no bookmark with id {id}"))
}

/// `GET /events`: a server-sent event for every change, until the client goes away or the
/// server shuts down. It starts with a `retry` of one second, so a page reconnects quickly after a
/// restart; a stream that fell behind gets `event: reload` (the page reloads its list, as it does
/// after every reconnect).
pub(crate) async fn events(store: &Store) -> Sse<Receiver> {
    let mut changes = store.changes.subscribe();
    let mut closing = store.closing.subscribe();
    let (tx, sse) = Sse::channel(CHANGES_BUFFERED);
    tokio::spawn(async move {
        let mut next = Some(Event::new().retry(Duration::from_secs(1)).comment("live"));
        while let Some(event) = next.take() {
            if tx.send(event).await.is_err() {
                break; // the client went away
            }
            next = tokio::select! {
                change = changes.recv() => match change {
                    Ok(change) => Some(change.event()),
                    Err(RecvError::Lagged(_)) => Some(Event::new().event("reload").data("{}")),
                    Err(RecvError::Closed) => None,
                },
                _ = closing.wait_for(|closing| *closing) => None,
                () = tx.closed() => None,
            };
        }
    });
    sse
}

/// `GET /bookmarks.html`: one page of the list as HTML, from `templates/bookmarks.html`. askama
/// checks the template against this struct at compile time and escapes every value for HTML.
#[derive(Debug, askama::Template)]
#[template(path = "bookmarks.html", config = "examples/api/askama.toml")]
pub(crate) struct PageHtml {
    items: Vec<RowHtml>,
    total: usize,
    tag: Option<String>,
    prev: Option<String>,
    next: Option<String>,
    home_url: String,
    style_url: String,
    self_url: String,
}

/// One bookmark of [`PageHtml`], with a link for each tag.
#[derive(Debug)]
struct RowHtml {
    url: String,
    title: String,
    mine: bool,
    tags: Vec<(String, String)>,
}

/// `GET /bookmarks.html?limit&offset&tag`: what `GET /bookmarks` returns, as a page with links to
/// the previous and next pages and to each tag. An empty `tag` (the form's "All") is no filter.
pub(crate) async fn page_html(
    store: &Store,
    limit: u32,
    offset: u32,
    tag: Option<String>,
    session: Option<Session>,
) -> Result<Html<String>, ApiError> {
    let tag = tag.map(|t| t.trim().to_ascii_lowercase()).filter(|t| !t.is_empty());
    let Json(page) = list(store, limit, offset, tag.clone(), session).await?;
    let link = |offset: u32| Api::bookmarks_page_url(Some(limit), Some(offset), tag.clone());
    let html = PageHtml {
        items: page
            .items
            .into_iter()
            .map(|b| RowHtml {
                tags: b
                    .tags
                    .iter()
                    .map(|t| (t.clone(), Api::bookmarks_page_url(None, None, Some(t.clone()))))
                    .collect(),
                url: b.url,
                title: b.title,
                mine: b.mine,
            })
            .collect(),
        total: page.total,
        prev: (offset > 0).then(|| link(offset.saturating_sub(limit))),
        next: page.next.is_some().then(|| link(offset.saturating_add(limit))),
        tag,
        home_url: Api::home_url(),
        style_url: Api::asset_url("style.css"),
        self_url: Api::bookmarks_page_url(None, None, None),
    };
    match askama::Template::render(&html) {
        Ok(text) => Ok(Html(text)),
        Err(e) => {
            eprintln!("rendering bookmarks.html: {e}");
            Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered"))
        }
    }
}

/// One entry of `GET /tags`.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub(crate) struct TagCount {
    pub(crate) tag: String,
    pub(crate) count: usize,
}

/// `GET /tags`: every tag in use, with how many bookmarks have it.
pub(crate) async fn tags(store: &Store) -> Result<Json<Vec<TagCount>>, ApiError> {
    Ok(Json(store.db.tag_counts().await?.into_iter().map(|(tag, count)| TagCount { tag, count }).collect()))
}

/// `GET /tags/{name}`: every bookmark with this tag; 404 when none has it.
pub(crate) async fn by_tag(
    store: &Store,
    name: &str,
    session: Option<Session>,
) -> Result<Json<Vec<Bookmark>>, ApiError> {
    let tag = name.to_ascii_lowercase();
    let (items, _) = store.db.page(usize::MAX, 0, Some(tag.clone()), Session::id(session)).await?;
    if items.is_empty() {
        return Err(ApiError::not_found(format!("no bookmark is tagged {tag:?}")));
    }
    Ok(Json(items))
}

/// `GET /admin/stats`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct Stats {
    pub(crate) bookmarks: u64,
    pub(crate) tags: u64,
    pub(crate) created: u64,
    pub(crate) deleted: u64,
    /// The address of the caller, when it came over a socket.
    pub(crate) client: Option<String>,
}

/// `GET /admin/stats`: counters, and who is asking. Only the `admin` guard makes an [`Admin`].
pub(crate) async fn stats(store: &Store, _: Admin, req: &Request) -> Result<Json<Stats>, ApiError> {
    let (bookmarks, tags, created) = store.db.counts().await?;
    Ok(Json(Stats {
        bookmarks,
        tags,
        created,
        // Ids are never reused, so every id handed out and not in use now was deleted.
        deleted: created.saturating_sub(bookmarks),
        client: req.peer_addr().map(|a| a.to_string()),
    }))
}

/// One row of `GET /admin/routes`.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub(crate) struct RouteRow {
    pub(crate) method: String,
    pub(crate) pattern: String,
    pub(crate) handler: String,
}

/// `GET /admin/routes`: the route table, as the `routes!` block declared it.
pub(crate) async fn route_table(_: Admin) -> Json<Vec<RouteRow>> {
    Json(
        Api::ROUTES
            .iter()
            .map(|r| RouteRow { method: r.method.into(), pattern: r.pattern.into(), handler: r.handler.into() })
            .collect(),
    )
}

/// The fallback: a JSON 404 naming what was asked for.
pub(crate) async fn not_found(req: &Request) -> ApiError {
    ApiError::not_found(format!("no route for {} {}", req.method(), req.path()))
}

// ---------------------------------------------------------------------------------------------
// Middleware

/// Logs one line per request to stderr: method, target, the route that answered (its template,
/// `http.route`: `-` when none did), status, time taken.
pub(crate) async fn log_requests(req: &Request, next: Next<'_>) -> Response {
    let start = Instant::now();
    let res = next.run().await;
    let route = req.route().map_or("-", |r| r.template);
    eprintln!(
        "{} {} http.route={route} -> {} ({:.1?})",
        req.method(),
        req.target(),
        res.status().as_u16(),
        start.elapsed()
    );
    res
}

/// The router's own refusals (a bad id, a bad query parameter, malformed JSON, a wrong content
/// type, an unknown method) in the same JSON shape as the handlers' [`ApiError`]s, naming the
/// parameter; a 405 keeps its `Allow`.
pub(crate) async fn rejected(rejection: Rejection) -> Response {
    let allow = match &rejection {
        Rejection::MethodNotAllowed { allow } => HeaderValue::from_str(&allow.join(", ")).ok(),
        _ => None,
    };
    let error = ApiError { status: rejection.status(), message: rejection.to_string(), field: rejection.param() };
    let mut res = error.into_response();
    if let Some(allow) = allow {
        res.insert_header(header::ALLOW, allow);
    }
    res
}

/// The name of the session cookie.
pub(crate) const SESSION_COOKIE: &str = "session";
/// How long a browser keeps its session cookie: 400 days, the most browsers accept (RFC 6265bis).
const SESSION_DAYS: i64 = 400;

/// A browser's session: the random id in its signed `session` cookie. It marks the bookmarks the
/// browser added (`"mine": true`). It is not a login: any client may still change any bookmark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session(String);

impl Session {
    /// A new session with 128 random bits (from the cookie crate's key generator, a CSPRNG).
    fn new() -> Self {
        use std::fmt::Write as _;
        let random = Key::generate();
        let mut id = String::with_capacity(32);
        for byte in &random.signing()[..16] {
            let _ = write!(id, "{byte:02x}"); // writing to a String cannot fail
        }
        Self(id)
    }

    fn id(session: Option<Session>) -> Option<String> {
        session.map(|s| s.0)
    }

    /// The `Set-Cookie` for this session, signed with the server's key (HMAC-SHA256), so that a
    /// client cannot claim another id. `HttpOnly`: the page's script never needs it. No `Secure`:
    /// the example serves plain HTTP on localhost; behind TLS, add it.
    fn cookie(&self, key: &Key) -> Cookie<'static> {
        let cookie = Cookie::build((SESSION_COOKIE, self.0.clone()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .max_age(time::Duration::days(SESSION_DAYS));
        sign(key, cookie)
    }
}

/// The `session` guard: the session of a request whose `session` cookie this server signed. A
/// missing, forged or malformed one is no session, never an error.
pub(crate) async fn session(store: &Store, req: &Request) -> Option<Session> {
    let cookie = req.signed_cookie(store.db.cookie_key(), SESSION_COOKIE)?;
    let id = cookie.value();
    (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| Session(id.to_owned()))
}

/// Proof that the request carried the admin token: only [`admin`] makes one, so a handler that
/// takes an `Admin` cannot be reached without it (the compiler checks that the route is in the
/// guard's scope). In the OpenAPI document, the routes it guards require the `adminToken` scheme.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Admin(());

impl Security for Admin {
    const NAME: &'static str = "adminToken";

    fn scheme() -> serde_json::Value {
        serde_json::json!({ "type": "http", "scheme": "bearer", "description": "The server's admin token: `ADMIN_TOKEN`, or the random one it printed at start." })
    }
}

/// The `/admin` guard's refusals, each a `401` with `WWW-Authenticate`; the derive documents them
/// and answers them.
#[derive(Debug, waymark::Responses)]
pub(crate) enum NotAdmin {
    /// No `Authorization: Bearer` header.
    #[response(status = 401)]
    Missing(Challenge),
    /// A bearer token that is not the admin token.
    #[response(status = 401)]
    Wrong(Challenge),
}

/// An error body with the `WWW-Authenticate` challenge (RFC 9110 §11.6.1).
#[derive(Debug)]
pub(crate) struct Challenge(&'static str);

impl IntoResponse for Challenge {
    fn into_response(self) -> Response {
        let mut res = ApiError::new(StatusCode::UNAUTHORIZED, self.0).into_response();
        res.insert_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"admin\""));
        res
    }
}

/// Documented as the body it sends.
impl Responses for Challenge {
    fn responses(out: &mut Answers, schemas: &mut Schemas) {
        <Json<ErrorBody>>::responses(out, schemas);
    }
}

/// The `/admin` guard: `Authorization: Bearer <admin token>` gives an [`Admin`]; anything else is
/// a `401` with `WWW-Authenticate`, and no handler runs.
pub(crate) async fn admin(store: &Store, req: &Request) -> Result<Admin, NotAdmin> {
    match Bearer::from_request(req).await {
        Ok(bearer) if store.is_admin_token(bearer.token()) => Ok(Admin(())),
        Ok(_) => Err(NotAdmin::Wrong(Challenge("wrong admin token"))),
        Err(_) => Err(NotAdmin::Missing(Challenge("this needs `Authorization: Bearer <admin token>`"))),
    }
}

// ---------------------------------------------------------------------------------------------
// The handlers are plain functions, so they are tested as plain functions: no server, no router.

#[cfg(test)]
mod tests {
    use super::*;

    fn new(url: &str, title: &str, tags: &[&str]) -> NewBookmark {
        NewBookmark { url: url.into(), title: title.into(), tags: tags.iter().map(|t| (*t).into()).collect() }
    }

    #[test]
    fn validation_normalises_good_input() {
        let valid = new("  https://example.com/a  ", " A title ", &["Rust", "web", "rust", " x-1 "]).validate();
        assert_eq!(
            valid,
            Ok(Valid {
                url: "https://example.com/a".into(),
                title: "A title".into(),
                tags: vec!["rust".into(), "web".into(), "x-1".into()],
            })
        );
    }

    #[test]
    fn validation_names_the_bad_field() {
        let long_title = "t".repeat(MAX_TITLE + 1);
        let long_url = format!("https://example.com/{}", "a".repeat(MAX_URL));
        let nine_tags = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        let cases = [
            (new("ftp://example.com", "t", &[]), "url"),
            (new("https://", "t", &[]), "url"),
            (new("http:///path", "t", &[]), "url"),
            (new("example.com", "t", &[]), "url"),
            (new("https://exa mple.com", "t", &[]), "url"),
            (new(&long_url, "t", &[]), "url"),
            (new("https://example.com", "   ", &[]), "title"),
            (new("https://example.com", &long_title, &[]), "title"),
            (new("https://example.com", "t", &["no spaces"]), "tags"),
            (new("https://example.com", "t", &[""]), "tags"),
            (new("https://example.com", "t", &["ünï"]), "tags"),
            (new("https://example.com", "t", &nine_tags), "tags"),
        ];
        for (input, field) in cases {
            let shown = format!("{input:?}");
            let err = input.validate().expect_err(&shown);
            assert_eq!((err.status, err.field), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{shown}");
            assert!(!err.message.is_empty());
        }
        // Exactly at the limits is fine: the limits count what was sent, as the schema does.
        let title = "t".repeat(MAX_TITLE);
        let tags = nine_tags[..MAX_TAGS].to_vec();
        assert!(new("http://h", &title, &tags).validate().is_ok());
        // Past them, even when trimming or merging duplicates would bring them back within.
        let padded = format!("{title} ");
        assert_eq!(new("http://h", &padded, &[]).validate().map_err(|e| e.field), Err(Some("title")));
        let mut repeated = tags.clone();
        repeated.push("A");
        assert_eq!(new("http://h", "t", &repeated).validate().map_err(|e| e.field), Err(Some("tags")));
        // A non-ASCII URL is refused (encode it): the schema allows printable ASCII only.
        assert_eq!(new("https://exämple.com", "t", &[]).validate().map_err(|e| e.field), Err(Some("url")));
    }

    #[tokio::test]
    async fn create_get_replace_delete() {
        let store = Store::new("t");
        let res = create_keyed(&store, None, None, Json(new("https://a.example", "A", &["x"])))
            .await
            .unwrap()
            .into_response();
        assert_eq!(res.status(), StatusCode::CREATED);
        assert_eq!(res.header("location"), Some("/bookmarks/1"));

        let Json(got) = get_one(&store, 1, None).await.unwrap();
        assert_eq!(got, Bookmark::new(1, "https://a.example".into(), "A".into(), vec!["x".into()]));
        assert_eq!(got.href, "/bookmarks/1");

        let Json(replaced) = replace(&store, 1, None, Json(new("https://b.example", "B", &[]))).await.unwrap();
        assert_eq!((replaced.id, replaced.title.as_str(), replaced.tags.len()), (1, "B", 0));
        assert_eq!(store.db.get(1, None).await.unwrap(), Some(replaced));

        assert_eq!(delete(&store, 1).await, Ok(NoContent));
        assert_eq!(get_one(&store, 1, None).await.unwrap_err().status, StatusCode::NOT_FOUND);
        assert_eq!(delete(&store, 1).await.unwrap_err().status, StatusCode::NOT_FOUND);
        assert_eq!(
            replace(&store, 1, None, Json(new("https://c.example", "C", &[]))).await.unwrap_err().status,
            StatusCode::NOT_FOUND
        );

        // Ids are never reused.
        create_keyed(&store, None, None, Json(new("https://d.example", "D", &[]))).await.unwrap().into_response();
        assert_eq!(store.db.get(2, None).await.unwrap().map(|b| b.title), Some("D".into()));
    }

    #[tokio::test]
    async fn a_session_owns_what_it_adds() {
        let store = Store::new("t");
        let res =
            create_keyed(&store, None, None, Json(new("https://a.example", "A", &[]))).await.unwrap().into_response();
        let set_cookie = res.header("set-cookie").expect("a new session's cookie").to_owned();
        assert!(set_cookie.starts_with("session=") && set_cookie.contains("HttpOnly"), "{set_cookie}");
        let pair = set_cookie.split(';').next().unwrap_or_default();
        let req = Request::new(waymark::Method::GET, "/").with_header("cookie", pair);
        let mine = session(&store, &req).await.expect("the cookie reads back as the session");

        let Json(a) = get_one(&store, 1, Some(mine.clone())).await.unwrap();
        assert!(a.mine);
        assert!(!get_one(&store, 1, None).await.unwrap().0.mine);
        assert!(!get_one(&store, 1, Some(Session::new())).await.unwrap().0.mine);

        // The same session adds again: no new cookie; a replace keeps the owner.
        let res = create_keyed(&store, Some(mine.clone()), None, Json(new("https://b.example", "B", &[])))
            .await
            .unwrap()
            .into_response();
        assert_eq!(res.header("set-cookie"), None);
        let Json(b) = replace(&store, 2, None, Json(new("https://b.example", "B2", &[]))).await.unwrap();
        assert!(!b.mine, "mine for the one asking, who has no session");
        let Json(page) = list(&store, 10, 0, None, Some(mine)).await.unwrap();
        assert_eq!(page.items.iter().map(|b| b.mine).collect::<Vec<_>>(), [true, true]);

        // A cookie this server did not sign is no session.
        let forged = pair.replacen("session=", "session=0", 1);
        let req = Request::new(waymark::Method::GET, "/").with_header("cookie", forged);
        assert_eq!(session(&store, &req).await, None);
        let req =
            Request::new(waymark::Method::GET, "/").with_header("cookie", "session=0123456789abcdef0123456789abcdef");
        assert_eq!(session(&store, &req).await, None);
    }

    #[tokio::test]
    async fn invalid_input_changes_nothing() {
        let store = Store::with_examples("t");
        let err = create_keyed(&store, None, None, Json(new("nope", "N", &[]))).await.unwrap_err();
        assert_eq!(err.field, Some("url"));
        let err = replace(&store, 1, None, Json(new("https://x.example", "", &[]))).await.unwrap_err();
        assert_eq!(err.field, Some("title"));
        assert_eq!(store.db.page(10, 0, None, None).await.unwrap().1, 3);
        assert_eq!(store.db.get(1, None).await.unwrap().map(|b| b.title), Some("Rust".into()));
    }

    #[tokio::test]
    async fn list_pages_and_filters() {
        let store = Store::with_examples("t");
        let Json(page) = list(&store, 2, 0, None, None).await.unwrap();
        assert_eq!(page.items.iter().map(|b| b.id).collect::<Vec<_>>(), [1, 2]);
        assert_eq!((page.total, page.next.as_deref()), (3, Some("/bookmarks?limit=2&offset=2")));

        let Json(page) = list(&store, 2, 2, None, None).await.unwrap();
        assert_eq!(page.items.iter().map(|b| b.id).collect::<Vec<_>>(), [3]);
        assert_eq!(page.next, None);

        let Json(page) = list(&store, 1, 0, Some("RUST".into()), None).await.unwrap();
        assert_eq!((page.items[0].id, page.total), (1, 2));
        assert_eq!(page.next.as_deref(), Some("/bookmarks?limit=1&offset=1&tag=rust"));

        let Json(page) = list(&store, 20, 50, None, None).await.unwrap();
        assert_eq!((page.items.len(), page.total, page.next), (0, 3, None));
    }

    #[tokio::test]
    async fn tags_and_by_tag() {
        let store = Store::with_examples("t");
        let Json(counts) = tags(&store).await.unwrap();
        let rust = counts.iter().find(|c| c.tag == "rust");
        assert_eq!(rust, Some(&TagCount { tag: "rust".into(), count: 2 }));
        assert_eq!(counts.len(), 5);

        let Json(items) = by_tag(&store, "Rust", None).await.unwrap();
        assert_eq!(items.iter().map(|b| b.id).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(by_tag(&store, "cobol", None).await.unwrap_err().status, StatusCode::NOT_FOUND);
    }

    #[test]
    fn admin_token_must_match_exactly() {
        let store = Store::new("s3cret");
        assert!(store.is_admin_token("s3cret"));
        for wrong in ["", "s3cre", "s3cret ", "S3CRET", "s3creT"] {
            assert!(!store.is_admin_token(wrong), "{wrong:?}");
        }
    }

    #[test]
    fn api_errors_are_json_with_the_field() {
        let res = ApiError::invalid("title", "title must not be empty").into_response();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(res.header("content-type"), Some("application/json"));
        let body = res.body_bytes().unwrap();
        assert_eq!(body.as_ref(), br#"{"error":"title must not be empty","field":"title"}"#);
        let res = ApiError::not_found("gone").into_response();
        assert_eq!(res.body_bytes().unwrap().as_ref(), br#"{"error":"gone"}"#);
    }
}
