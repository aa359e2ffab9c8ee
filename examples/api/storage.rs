//! Where the bookmarks are kept: one trait, [`Storage`], with two backends that pass the same
//! test suite (tests/api.rs):
//! - SQLite (`store.rs`), the default: a file beside the process, nothing to set up;
//! - PostgreSQL (`pg.rs`, feature `example-postgres`), when `DATABASE_URL=postgres://..` is set:
//!   one database for several instances, whose writes reach every instance's `/events` through
//!   `LISTEN`/`NOTIFY` (`listen.rs`).
//!
//! Both keep the keys of `Idempotency-Key` (idempotency.rs) in the database, in the transaction
//! that stores the bookmark, so that a retry on another instance finds the first answer.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use waymark::cookie::Key;

use super::{Bookmark, Valid};

#[path = "store.rs"]
mod sqlite;
pub(crate) use sqlite::Sqlite;

#[cfg(feature = "example-postgres")]
#[path = "pg.rs"]
mod pg;
#[cfg(feature = "example-postgres")]
pub(crate) use pg::Postgres;

/// The storage of a running API, whichever backend it is.
pub(crate) type Db = Arc<dyn Storage>;

/// What every [`Storage`] call returns: boxed, so that the trait can be a `dyn` one (one boxed
/// future per call is nothing beside a database round trip).
pub(crate) type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T, DbError>> + Send + 'a>>;

/// How long the database keeps an `Idempotency-Key`: a repeat within this time gets the first
/// answer; after it, the key is free again. A day covers any client's retries and any restart
/// of the instances; the OpenAPI document says it too.
pub(crate) const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// The bookmarks an empty database starts with, so that the example has something to show.
const SEED: &[(&str, &str, &[&str])] = &[
    ("https://www.rust-lang.org/", "Rust", &["rust", "lang"]),
    ("https://docs.rs/", "Docs.rs", &["rust", "docs"]),
    ("https://www.rfc-editor.org/rfc/rfc9110", "RFC 9110: HTTP Semantics", &["http", "spec"]),
];

/// A bookmark store. Every method is one transaction.
pub(crate) trait Storage: Send + Sync + std::fmt::Debug {
    /// The key that signs session cookies: `COOKIE_KEY`'s, or the one made at the database's
    /// first start and kept in it (so that every instance and every restart shares it).
    fn cookie_key(&self) -> &Key;

    /// Whether this storage delivers every change, from any instance, to the `changes` it was
    /// opened with (PostgreSQL, through `NOTIFY`); when not, the handlers publish their own.
    fn shares_changes(&self) -> bool {
        false
    }

    /// Stores a new bookmark added by the session `owner`. With `key`, first checks whether that
    /// key already stored one (see [`Inserted`]).
    fn insert(&self, valid: Valid, owner: Option<String>, key: Option<Keyed>) -> Fut<'_, Inserted>;

    /// The bookmark with this id, as the session `viewer` sees it.
    fn get(&self, id: u64, viewer: Option<String>) -> Fut<'_, Option<Bookmark>>;

    /// Replaces an existing bookmark (its owner stays); `None` when there is none with this id.
    fn replace(&self, id: u64, valid: Valid, viewer: Option<String>) -> Fut<'_, Option<Bookmark>>;

    /// Removes a bookmark (its tags go with it); whether there was one.
    fn remove(&self, id: u64) -> Fut<'_, bool>;

    /// One page of the bookmarks (oldest first) that have `tag`, if given, as the session
    /// `viewer` sees them, and how many match in all.
    fn page(
        &self,
        limit: usize,
        offset: usize,
        tag: Option<String>,
        viewer: Option<String>,
    ) -> Fut<'_, (Vec<Bookmark>, usize)>;

    /// Every tag with the number of bookmarks that have it, by name.
    fn tag_counts(&self) -> Fut<'_, Vec<(String, usize)>>;

    /// Bookmarks now, distinct tags now, bookmarks ever created.
    fn counts(&self) -> Fut<'_, (u64, u64, u64)>;
}

/// An `Idempotency-Key` with the request it came with, as the database compares it: the body's
/// JSON as the handler parsed it (so that a retry that formats its JSON differently is the same
/// request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Keyed {
    pub(crate) key: String,
    pub(crate) request: String,
}

/// What [`Storage::insert`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Inserted {
    /// A new bookmark.
    New(Bookmark),
    /// Nothing: the key stored this bookmark before, for the same request; the first answer.
    Replayed(Bookmark),
    /// Nothing: the key was used before for another request.
    KeyReused,
}

/// A failed database call. `unavailable` when the database could not be reached or went away
/// (a `503`: the request may be tried again), otherwise a failure of the call itself (a `500`).
#[derive(Debug)]
pub(crate) struct DbError {
    message: String,
    unavailable: bool,
}

impl DbError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), unavailable: false }
    }

    pub(crate) fn unavailable(message: impl Into<String>) -> Self {
        Self { message: message.into(), unavailable: true }
    }

    /// Whether the database was out of reach (as opposed to the call failing).
    pub(crate) fn is_unavailable(&self) -> bool {
        self.unavailable
    }
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DbError {}

/// The change feed a store publishes to; see [`Storage::shares_changes`].
#[cfg(feature = "example-postgres")]
pub(crate) type Changes = tokio::sync::broadcast::Sender<super::Change>;
