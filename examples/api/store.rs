//! Bookmarks in SQLite, the default [`Storage`]: the schema, the queries, and a small pool of
//! connections used from blocking threads so that no handler blocks the async runtime.
//!
//! Why `rusqlite` and not `sqlx`: both compile the same bundled SQLite, but sqlx adds its async
//! driver, macros and their dependencies. Measured from clean on the project's 2-core machine
//! (busy with other builds): `rusqlite` with `bundled`, 14 crates, 26 s (12 s of CPU); `sqlx`
//! 0.8 with `sqlite`, `runtime-tokio`, `macros` and `migrate`, 170 crates with tokio, 169 s (75 s
//! of CPU).
//! A few blocking calls on `spawn_blocking` threads cost the example nothing that sqlx would save.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior, named_params, params};
use waymark::cookie::Key;

use super::super::{Bookmark, Valid};
use super::{DbError, Fut, IDEMPOTENCY_TTL, Inserted, Keyed, Storage};

/// Connections to a database file. SQLite in WAL mode lets readers run beside the one writer;
/// four is plenty for a two-core machine, and writers wait for each other through `busy_timeout`.
const FILE_CONNECTIONS: usize = 4;
/// How long a writer waits for another one before giving up with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Created at every start; `IF NOT EXISTS` makes that a no-op on an existing file. `AUTOINCREMENT`
/// keeps ids from being reused after a delete (so `/bookmarks/7` never names another bookmark),
/// and `sqlite_sequence` then counts every insert, which `/admin/stats` reads. `owner` is the
/// session that added the bookmark (see `Session` in app.rs); `secrets` keeps the key that signs
/// the session cookies, so that sessions outlive a restart; `idempotency_keys` the answers to
/// `POST /bookmarks` with an `Idempotency-Key` (`created` in seconds since 1970), for
/// `IDEMPOTENCY_TTL`.
const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS bookmarks (
        id    INTEGER PRIMARY KEY AUTOINCREMENT,
        url   TEXT NOT NULL,
        title TEXT NOT NULL,
        owner TEXT
    );
    CREATE TABLE IF NOT EXISTS tags (
        bookmark_id INTEGER NOT NULL REFERENCES bookmarks (id) ON DELETE CASCADE,
        tag         TEXT NOT NULL,
        PRIMARY KEY (bookmark_id, tag)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS tags_by_tag ON tags (tag, bookmark_id);
    CREATE TABLE IF NOT EXISTS secrets (
        name  TEXT PRIMARY KEY,
        value BLOB NOT NULL
    );
    CREATE TABLE IF NOT EXISTS idempotency_keys (
        key      TEXT PRIMARY KEY,
        request  TEXT NOT NULL,
        response TEXT NOT NULL,
        created  INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS idempotency_keys_by_age ON idempotency_keys (created);
";

/// SQLite's error; a database still locked by another writer after `BUSY_TIMEOUT` is
/// unavailable for now (a `503`), anything else a failure.
impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Self::unavailable(e.to_string()),
            _ => Self::new(e.to_string()),
        }
    }
}

/// A few connections, each behind its own lock, taken only on blocking threads.
#[derive(Debug)]
struct Pool {
    conns: Box<[Mutex<Connection>]>,
    next: AtomicUsize,
}

impl Pool {
    /// Runs `f` on a free connection, or waits for one. Call it from a blocking thread only.
    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> rusqlite::Result<T> {
        let start = self.next.fetch_add(1, Ordering::Relaxed) % self.conns.len();
        let free = (0..self.conns.len()).find_map(|i| match self.conns[(start + i) % self.conns.len()].try_lock() {
            Ok(conn) => Some(conn),
            Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        });
        // A panic in `f` rolls its transaction back (`Transaction` does on drop), so a poisoned
        // connection is still good to use.
        let mut conn: MutexGuard<'_, Connection> =
            free.unwrap_or_else(|| self.conns[start].lock().unwrap_or_else(PoisonError::into_inner));
        f(&mut conn)
    }
}

/// The bookmarks database in SQLite.
#[derive(Debug, Clone)]
pub(crate) struct Sqlite {
    pool: Arc<Pool>,
    cookie_key: Key,
}

impl Sqlite {
    /// Opens (or creates) the database at `path`, creates the schema, and seeds it when it has no
    /// bookmarks and `seed` is set. `:memory:` is a private in-memory database (one connection,
    /// since each connection to `:memory:` would be a database of its own). Session cookies are
    /// signed with `cookie_key`, or else with the key kept in the database.
    ///
    /// This blocks: call it before serving.
    pub(crate) fn open(path: &str, seed: bool, cookie_key: Option<Key>) -> Result<Self, DbError> {
        let memory = path == ":memory:";
        let count = if memory { 1 } else { FILE_CONNECTIONS };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conns = Vec::with_capacity(count);
        for _ in 0..count {
            let conn = Connection::open_with_flags(path, flags)?;
            conn.busy_timeout(BUSY_TIMEOUT)?;
            conn.pragma_update(None, "foreign_keys", true)?;
            if !memory {
                // WAL: readers do not wait for the writer; NORMAL is durable across a crash of this
                // process (only a power loss can lose the last commits).
                conn.pragma_update(None, "journal_mode", "wal")?;
                conn.pragma_update(None, "synchronous", "normal")?;
            }
            conns.push(Mutex::new(conn));
        }
        let pool = Pool { conns: conns.into(), next: AtomicUsize::new(0) };
        let key = pool.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute_batch(SCHEMA)?;
            // The first start makes the key; every later one reads it back.
            tx.execute(
                "INSERT OR IGNORE INTO secrets (name, value) VALUES ('cookie_key', ?1)",
                [Key::generate().master()],
            )?;
            let key: Vec<u8> =
                tx.query_row("SELECT value FROM secrets WHERE name = 'cookie_key'", [], |row| row.get(0))?;
            let empty: bool = tx.query_row("SELECT NOT EXISTS (SELECT 1 FROM bookmarks)", [], |row| row.get(0))?;
            if seed && empty {
                for (url, title, tags) in super::SEED {
                    let tags = tags.iter().map(|t| (*t).to_owned()).collect();
                    insert(&tx, &Valid { url: (*url).to_owned(), title: (*title).to_owned(), tags }, None)?;
                }
            }
            tx.commit()?;
            Ok(key)
        })?;
        let cookie_key = match cookie_key {
            Some(key) => key,
            None => Key::try_from(&key[..]).map_err(|e| DbError::new(format!("the stored cookie key: {e}")))?,
        };
        Ok(Self { pool: Arc::new(pool), cookie_key })
    }

    /// Runs `f` with a connection on a blocking thread.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, DbError> {
        let pool = Arc::clone(&self.pool);
        match tokio::task::spawn_blocking(move || pool.with(f)).await {
            Ok(result) => Ok(result?),
            Err(e) => Err(DbError::new(format!("database task failed: {e}"))),
        }
    }

    async fn insert(&self, valid: Valid, owner: Option<String>, key: Option<Keyed>) -> Result<Inserted, DbError> {
        self.run(move |conn| {
            // IMMEDIATE: the writer's lock from the start, so that two instances on one file
            // cannot both read that a key is free and then both write.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let now = unix_seconds();
            if let Some(keyed) = &key {
                let expired = now.saturating_sub(i64::try_from(IDEMPOTENCY_TTL.as_secs()).unwrap_or(i64::MAX));
                tx.execute("DELETE FROM idempotency_keys WHERE created < ?1", [expired])?;
                let stored: Option<(String, String)> = tx
                    .query_row("SELECT request, response FROM idempotency_keys WHERE key = ?1", [&keyed.key], |row| {
                        Ok((row.get(0)?, row.get(1)?))
                    })
                    .optional()?;
                if let Some((request, response)) = stored {
                    return Ok(if request == keyed.request { replayed(&response) } else { Ok(Inserted::KeyReused) });
                }
            }
            let bookmark = insert(&tx, &valid, owner.as_deref())?;
            if let Some(keyed) = &key {
                let response = serde_json::to_string(&bookmark).unwrap_or_default();
                tx.execute(
                    "INSERT INTO idempotency_keys (key, request, response, created) VALUES (?1, ?2, ?3, ?4)",
                    params![keyed.key, keyed.request, response, now],
                )?;
            }
            tx.commit()?;
            Ok(Ok(Inserted::New(bookmark)))
        })
        .await?
    }

    async fn get(&self, id: u64, viewer: Option<String>) -> Result<Option<Bookmark>, DbError> {
        let Ok(id) = i64::try_from(id) else { return Ok(None) };
        self.run(move |conn| get(conn, id, viewer.as_deref())).await
    }

    async fn replace(&self, id: u64, valid: Valid, viewer: Option<String>) -> Result<Option<Bookmark>, DbError> {
        let Ok(id) = i64::try_from(id) else { return Ok(None) };
        self.run(move |conn| {
            let tx = conn.transaction()?;
            let changed = tx.execute(
                "UPDATE bookmarks SET url = ?1, title = ?2 WHERE id = ?3",
                params![valid.url, valid.title, id],
            )?;
            if changed == 0 {
                return Ok(None);
            }
            tx.execute("DELETE FROM tags WHERE bookmark_id = ?1", [id])?;
            insert_tags(&tx, id, &valid.tags)?;
            let bookmark = get(&tx, id, viewer.as_deref())?;
            tx.commit()?;
            Ok(bookmark)
        })
        .await
    }

    async fn remove(&self, id: u64) -> Result<bool, DbError> {
        let Ok(id) = i64::try_from(id) else { return Ok(false) };
        self.run(move |conn| Ok(conn.execute("DELETE FROM bookmarks WHERE id = ?1", [id])? == 1)).await
    }

    async fn page(
        &self,
        limit: usize,
        offset: usize,
        tag: Option<String>,
        viewer: Option<String>,
    ) -> Result<(Vec<Bookmark>, usize), DbError> {
        // SQLite reads a negative LIMIT as "no limit".
        let limit = i64::try_from(limit).unwrap_or(-1);
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        self.run(move |conn| {
            const WHERE: &str =
                "WHERE :tag IS NULL OR EXISTS (SELECT 1 FROM tags t WHERE t.bookmark_id = b.id AND t.tag = :tag)";
            let tx = conn.transaction()?;
            let count = format!("SELECT count(*) FROM bookmarks b {WHERE}");
            let total: i64 = tx.query_row(&count, named_params! { ":tag": tag }, |r| r.get(0))?;
            let items = tx
                .prepare(&format!("{SELECT} {WHERE} ORDER BY b.id LIMIT :limit OFFSET :offset"))?
                .query_map(
                    named_params! { ":viewer": viewer, ":tag": tag, ":limit": limit, ":offset": offset },
                    bookmark_row,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((items, usize::try_from(total).unwrap_or(0)))
        })
        .await
    }

    async fn tag_counts(&self) -> Result<Vec<(String, usize)>, DbError> {
        self.run(|conn| {
            conn.prepare("SELECT tag, count(*) FROM tags GROUP BY tag ORDER BY tag")?
                .query_map([], |row| Ok((row.get(0)?, usize::try_from(row.get::<_, i64>(1)?).unwrap_or(0))))?
                .collect()
        })
        .await
    }

    async fn counts(&self) -> Result<(u64, u64, u64), DbError> {
        self.run(|conn| {
            conn.query_row(
                "SELECT (SELECT count(*) FROM bookmarks),
                        (SELECT count(DISTINCT tag) FROM tags),
                        (SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'bookmarks')",
                [],
                |row| {
                    let n = |i| row.get::<_, i64>(i).map(|v| u64::try_from(v).unwrap_or(0));
                    Ok((n(0)?, n(1)?, n(2)?))
                },
            )
        })
        .await
    }
}

impl Storage for Sqlite {
    fn cookie_key(&self) -> &Key {
        &self.cookie_key
    }

    fn insert(&self, valid: Valid, owner: Option<String>, key: Option<Keyed>) -> Fut<'_, Inserted> {
        Box::pin(Sqlite::insert(self, valid, owner, key))
    }

    fn get(&self, id: u64, viewer: Option<String>) -> Fut<'_, Option<Bookmark>> {
        Box::pin(Sqlite::get(self, id, viewer))
    }

    fn replace(&self, id: u64, valid: Valid, viewer: Option<String>) -> Fut<'_, Option<Bookmark>> {
        Box::pin(Sqlite::replace(self, id, valid, viewer))
    }

    fn remove(&self, id: u64) -> Fut<'_, bool> {
        Box::pin(Sqlite::remove(self, id))
    }

    fn page(
        &self,
        limit: usize,
        offset: usize,
        tag: Option<String>,
        viewer: Option<String>,
    ) -> Fut<'_, (Vec<Bookmark>, usize)> {
        Box::pin(Sqlite::page(self, limit, offset, tag, viewer))
    }

    fn tag_counts(&self) -> Fut<'_, Vec<(String, usize)>> {
        Box::pin(Sqlite::tag_counts(self))
    }

    fn counts(&self) -> Fut<'_, (u64, u64, u64)> {
        Box::pin(Sqlite::counts(self))
    }
}

/// The stored first answer of a key, or the error that it does not read back as one.
fn replayed(response: &str) -> Result<Inserted, DbError> {
    serde_json::from_str(response)
        .map(Inserted::Replayed)
        .map_err(|e| DbError::new(format!("the stored answer of an idempotency key: {e}")))
}

fn unix_seconds() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Every query reads a bookmark as these columns: its tags as one space-separated string (a tag
/// has no spaces: see `is_tag`), and whether the session `:viewer` added it.
const SELECT: &str = "SELECT b.id, b.url, b.title,
        (SELECT group_concat(t.tag, ' ') FROM tags t WHERE t.bookmark_id = b.id),
        coalesce(b.owner = :viewer, 0)
    FROM bookmarks b";

fn bookmark_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Bookmark> {
    let id: i64 = row.get(0)?;
    let tags: Option<String> = row.get(3)?;
    let mut tags: Vec<String> = tags.as_deref().unwrap_or("").split_whitespace().map(str::to_owned).collect();
    tags.sort();
    let mut bookmark = Bookmark::new(u64::try_from(id).unwrap_or(0), row.get(1)?, row.get(2)?, tags);
    bookmark.mine = row.get(4)?;
    Ok(bookmark)
}

fn get(conn: &Connection, id: i64, viewer: Option<&str>) -> rusqlite::Result<Option<Bookmark>> {
    let query = format!("{SELECT} WHERE b.id = :id");
    conn.query_row(&query, named_params! { ":viewer": viewer, ":id": id }, bookmark_row).optional()
}

fn insert(conn: &Connection, valid: &Valid, owner: Option<&str>) -> rusqlite::Result<Bookmark> {
    conn.execute(
        "INSERT INTO bookmarks (url, title, owner) VALUES (?1, ?2, ?3)",
        params![valid.url, valid.title, owner],
    )?;
    let id = conn.last_insert_rowid();
    insert_tags(conn, id, &valid.tags)?;
    get(conn, id, owner)?.ok_or(rusqlite::Error::QueryReturnedNoRows)
}

fn insert_tags(conn: &Connection, id: i64, tags: &[String]) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached("INSERT INTO tags (bookmark_id, tag) VALUES (?1, ?2)")?;
    for tag in tags {
        stmt.execute(params![id, tag])?;
    }
    Ok(())
}
