//! The database `tests/api.rs` (and `tests/api_postgres.rs`) run the example on: SQLite in memory,
//! or PostgreSQL when `WAYMARK_TEST_DATABASE_URL` is set and the `example-postgres` feature is
//! on (`scripts/pg_tests.sh` starts a throw-away PostgreSQL and does both). On PostgreSQL each
//! store gets a schema of its own, so that tests running at once do not see each other.

#![allow(dead_code, reason = "each test file uses part of it")]

use super::app::Store;

/// The variable that names the PostgreSQL database to test on.
pub(crate) const URL_VARIABLE: &str = "WAYMARK_TEST_DATABASE_URL";

/// The PostgreSQL database to test on, if any.
pub(crate) fn postgres_url() -> Option<String> {
    if cfg!(feature = "example-postgres") { std::env::var(URL_VARIABLE).ok().filter(|u| !u.is_empty()) } else { None }
}

/// Why the PostgreSQL tests did not run, for a skipped test to print.
pub(crate) fn why_no_postgres() -> String {
    if cfg!(feature = "example-postgres") {
        format!("{URL_VARIABLE} is not set (scripts/pg_tests.sh starts a PostgreSQL and sets it)")
    } else {
        "built without the `example-postgres` feature (scripts/pg_tests.sh turns it on)".to_owned()
    }
}

/// A database the test can open twice (to restart on it): a file, or a PostgreSQL schema.
#[derive(Debug)]
pub(crate) struct Persistent {
    url: Option<String>,
    path: std::path::PathBuf,
}

impl Persistent {
    /// A new empty database, in `dir` for SQLite.
    pub(crate) async fn new(dir: &std::path::Path) -> Self {
        let url = match postgres_url() {
            Some(url) => Some(new_schema(&url).await),
            None => None,
        };
        Self { url, path: dir.join("bookmarks.db") }
    }

    /// Opens it, with the example bookmarks if it has none, as the example does.
    pub(crate) async fn open(&self, token: &str) -> Store {
        match &self.url {
            Some(url) => open_postgres(url, token).await,
            None => Store::open(self.path.to_str().expect("a UTF-8 temporary path"), token).expect("open the database"),
        }
    }

    /// The PostgreSQL URL (with its schema), if it is PostgreSQL.
    pub(crate) fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }
}

/// A store with the three example bookmarks, on the backend under test.
pub(crate) async fn store(token: &str) -> Store {
    match postgres_url() {
        Some(url) => open_postgres(&new_schema(&url).await, token).await,
        None => Store::with_examples(token),
    }
}

#[cfg(feature = "example-postgres")]
async fn open_postgres(url: &str, token: &str) -> Store {
    let database = super::app::startup::Database::Postgres(url.to_owned());
    database.open(token.to_owned(), None).await.unwrap_or_else(|e| panic!("{e}"))
}

#[cfg(not(feature = "example-postgres"))]
async fn open_postgres(_: &str, _: &str) -> Store {
    unreachable!("postgres_url is None without the feature")
}

/// Makes a new schema in the database at `url`, and returns the URL of a connection whose
/// `search_path` is that schema.
#[cfg(feature = "example-postgres")]
pub(crate) async fn new_schema(url: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let schema = format!("t{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let (client, connection) =
        tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("connect to PostgreSQL");
    let driver = tokio::spawn(connection);
    client.batch_execute(&format!("CREATE SCHEMA {schema}")).await.expect("create a schema");
    drop(client);
    let _ = driver.await;
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-csearch_path%3D{schema}")
}

#[cfg(not(feature = "example-postgres"))]
pub(crate) async fn new_schema(_: &str) -> String {
    unreachable!("postgres_url is None without the feature")
}
