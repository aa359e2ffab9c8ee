//! What the example reads from its environment at start, checked before it serves: the
//! database, the admin token and the cookie key. Shared by examples/api.rs and examples/tls.rs.
//!
//! - `DATABASE_URL=postgres://..` (feature `example-postgres`): PostgreSQL, shared by every
//!   instance; else `DATABASE_PATH` (default `bookmarks.db`): SQLite, for one instance.
//! - `ADMIN_TOKEN`: the bearer token of `/admin`. Unset, a random token is made at start and
//!   printed once. Random and not "off": the admin routes stay usable by whoever started the
//!   process (and only them), and there is no well-known default anybody could guess. Each
//!   instance makes its own, so instances behind one load balancer need `ADMIN_TOKEN` set.
//! - `COOKIE_KEY`: the key that signs session cookies, 128 hex digits (64 bytes, e.g.
//!   `openssl rand -hex 64`). Unset, the key made at random at the database's first start and
//!   kept in it: every instance and every restart share it, so sessions survive restarts and
//!   work on every instance. Set, it replaces the stored key (sessions signed with another key
//!   end: the browser gets a new session on its next bookmark); a key outside the database
//!   keeps a stolen database copy from forging sessions.

#![allow(dead_code, reason = "tests/api.rs shares this file and starts no process")]

use waymark::cookie::Key;

use super::storage::{Db, Sqlite};
use super::{CHANGES_BUFFERED, Store};

/// The database file when neither `DATABASE_URL` nor `DATABASE_PATH` is set, in the working
/// directory.
pub(crate) const DEFAULT_DATABASE_PATH: &str = "bookmarks.db";

/// The database the environment names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Database {
    /// A SQLite file.
    Sqlite(String),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl Database {
    /// `DATABASE_URL` (PostgreSQL), else `DATABASE_PATH` (SQLite), else `bookmarks.db`.
    pub(crate) fn from_env() -> Result<Self, String> {
        Self::from(std::env::var("DATABASE_URL").ok(), std::env::var("DATABASE_PATH").ok())
    }

    fn from(url: Option<String>, path: Option<String>) -> Result<Self, String> {
        match url.filter(|u| !u.is_empty()) {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => Ok(Self::Postgres(url)),
            Some(_) => Err("DATABASE_URL must be a `postgres://` URL; for SQLite, set DATABASE_PATH".to_owned()),
            None => Ok(Self::Sqlite(path.unwrap_or_else(|| DEFAULT_DATABASE_PATH.to_owned()))),
        }
    }

    /// What the start-up lines show: the file, or the URL without its password.
    pub(crate) fn shown(&self) -> String {
        match self {
            Self::Sqlite(path) => {
                let full = std::fs::canonicalize(path).map_or_else(|_| path.clone(), |p| p.display().to_string());
                format!("SQLite {full}")
            }
            Self::Postgres(url) => format!("PostgreSQL {}", without_password(url)),
        }
    }

    /// Opens the database (creating or migrating its schema) and the store around it. The error
    /// says what failed, in one line, for the process to print before it exits.
    pub(crate) async fn open(&self, admin_token: String, cookie_key: Option<Key>) -> Result<Store, String> {
        let (changes, _) = tokio::sync::broadcast::channel(CHANGES_BUFFERED);
        let db: Db = match self {
            Self::Sqlite(path) => {
                let db = Sqlite::open(path, true, cookie_key)
                    .map_err(|e| format!("cannot open the database {path:?}: {e}"))?;
                std::sync::Arc::new(db)
            }
            #[cfg(feature = "example-postgres")]
            Self::Postgres(url) => {
                let db = super::storage::Postgres::open(url, true, cookie_key, changes.clone())
                    .await
                    .map_err(|e| format!("cannot use the database at {}: {e}", without_password(url)))?;
                std::sync::Arc::new(db)
            }
            #[cfg(not(feature = "example-postgres"))]
            Self::Postgres(_) => {
                return Err("DATABASE_URL names PostgreSQL, but this build has no PostgreSQL client; \
                            run `cargo run --example api --features example-postgres`"
                    .to_owned());
            }
        };
        Ok(Store::with_db(db, admin_token, changes))
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let Some((userinfo, host)) = rest.split_once('@') else { return url.to_owned() };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// The database, the admin token (and whether it is a random one), and the cookie key, or what
/// is wrong with the environment.
pub(crate) fn config() -> Result<(Database, String, bool, Option<Key>), String> {
    let (token, random) = admin_token()?;
    Ok((Database::from_env()?, token, random, cookie_key()?))
}

/// The admin token: `ADMIN_TOKEN`, or a new random one (and `true`: the caller prints it once).
pub(crate) fn admin_token() -> Result<(String, bool), String> {
    match std::env::var("ADMIN_TOKEN") {
        Ok(token) if token.is_empty() => Err("ADMIN_TOKEN is empty; unset it to get a random token".to_owned()),
        Ok(token) => Ok((token, false)),
        Err(_) => Ok((hex(&Key::generate().signing()[..32]), true)),
    }
}

/// `COOKIE_KEY`'s key, if set.
pub(crate) fn cookie_key() -> Result<Option<Key>, String> {
    std::env::var("COOKIE_KEY").ok().map(|text| cookie_key_from(&text)).transpose()
}

fn cookie_key_from(text: &str) -> Result<Key, String> {
    let bad = || "COOKIE_KEY must be 128 hex digits (64 bytes), e.g. from `openssl rand -hex 64`".to_owned();
    if text.len() != 128 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let bytes: Vec<u8> = (0..64).filter_map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()).collect();
    Key::try_from(&bytes[..]).map_err(|_| bad())
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(2 * bytes.len()), |mut out, b| {
        let _ = write!(out, "{b:02x}"); // writing to a String cannot fail
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_comes_from_the_url_or_the_path() {
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(Database::from(None, None), Ok(Database::Sqlite("bookmarks.db".into())));
        assert_eq!(Database::from(some(""), some("b.db")), Ok(Database::Sqlite("b.db".into())));
        assert_eq!(
            Database::from(some("postgres://h/db"), some("b.db")),
            Ok(Database::Postgres("postgres://h/db".into()))
        );
        assert!(Database::from(some("postgresql://u@h/db"), None).is_ok());
        assert!(Database::from(some("mysql://h/db"), None).unwrap_err().contains("DATABASE_URL"));
        let shown = Database::Postgres("postgres://me:s3cret@h:5432/db".into()).shown();
        assert_eq!(shown, "PostgreSQL postgres://me:***@h:5432/db");
    }

    #[test]
    fn a_cookie_key_is_128_hex_digits() {
        let good = "0123456789abcdef".repeat(8);
        assert!(cookie_key_from(&good).is_ok());
        for bad in ["", "00", &good[1..], &format!("{}g", &good[1..]), &format!("{good}00")] {
            assert!(cookie_key_from(bad).unwrap_err().contains("COOKIE_KEY"), "{bad:?}");
        }
    }

    #[test]
    fn hex_is_two_digits_a_byte() {
        assert_eq!(hex(&[0, 1, 0xab, 0xff]), "0001abff");
    }
}
