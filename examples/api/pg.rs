//! Bookmarks in PostgreSQL (feature `example-postgres`, `DATABASE_URL=postgres://..`): the
//! schema and its migrations, the queries, a pool of connections (deadpool-postgres), and every
//! write's `NOTIFY`, which `listen.rs` turns into `/events` on every instance.
//!
//! Why tokio-postgres with deadpool and not sqlx: the issue measured 26 s for rusqlite, and sqlx
//! with its macros and drivers was 169 s for SQLite alone (store.rs); tokio-postgres and
//! deadpool-postgres are async already (no blocking threads as for SQLite) and add about 40
//! small crates, most of them (tokio, futures, sha2, hmac, rand) already in the build.

use std::time::Duration;

use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use tokio_postgres::error::SqlState;
use tokio_postgres::{IsolationLevel, NoTls, Row};
use waymark::cookie::Key;

use super::super::{Bookmark, Change, Valid};
use super::{Changes, DbError, Fut, IDEMPOTENCY_TTL, Inserted, Keyed, Storage};

#[path = "listen.rs"]
mod listen;

/// Connections per instance. Three instances on a two-core machine make 24 of PostgreSQL's 100.
const POOL_SIZE: usize = 8;
/// How long a request waits for a connection, to connect or to hand one back, before it gets a
/// `503`: a database that is down answers each request within this time, not never.
const POOL_TIMEOUT: Duration = Duration::from_secs(3);
/// How long connecting may take (the URL's `connect_timeout` wins).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// The key of the advisory lock that lets one instance at a time create or migrate the schema
/// ("waymark" in ASCII).
const MIGRATION_LOCK: i64 = 0x0077_6179_6d61_726b;

/// The schema, one step per version; each step runs once, in order, under `MIGRATION_LOCK`, and
/// `schema_version` remembers how far the database is. A new version is a new step at the end.
/// The tables are SQLite's (store.rs), with `created` as a time and ids from an identity column,
/// never reused after a delete.
const MIGRATIONS: &[&str] = &["
    CREATE TABLE bookmarks (
        id    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        url   TEXT NOT NULL,
        title TEXT NOT NULL,
        owner TEXT
    );
    CREATE TABLE tags (
        bookmark_id BIGINT NOT NULL REFERENCES bookmarks (id) ON DELETE CASCADE,
        tag         TEXT NOT NULL,
        PRIMARY KEY (bookmark_id, tag)
    );
    CREATE INDEX tags_by_tag ON tags (tag, bookmark_id);
    CREATE TABLE secrets (
        name  TEXT PRIMARY KEY,
        value BYTEA NOT NULL
    );
    CREATE TABLE idempotency_keys (
        key      TEXT PRIMARY KEY,
        request  TEXT NOT NULL,
        response TEXT NOT NULL,
        created  TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created);
"];

/// The bookmarks in a PostgreSQL database shared by every instance.
#[derive(Debug)]
pub(crate) struct Postgres {
    pool: Pool,
    cookie_key: Key,
    /// The `NOTIFY` channel, named after the schema so that stores in different schemas of one
    /// database (the tests) do not hear each other.
    channel: String,
}

impl Postgres {
    /// Connects to `url`, creates or migrates the schema, seeds it with the example bookmarks
    /// when it has none and `seed` is set, and starts listening for changes (to `changes`).
    /// Safe when several instances start at once. An unreachable database is an error that
    /// says so, at once.
    pub(crate) async fn open(
        url: &str,
        seed: bool,
        cookie_key: Option<Key>,
        changes: Changes,
    ) -> Result<Self, DbError> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| DbError::new(format!("DATABASE_URL is not a PostgreSQL connection string: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("waymark-api");
        }
        config.keepalives_idle(Duration::from_secs(10));
        let manager =
            Manager::from_config(config.clone(), NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_TIMEOUT))
            .create_timeout(Some(POOL_TIMEOUT))
            .recycle_timeout(Some(POOL_TIMEOUT))
            .build()
            .map_err(|e| DbError::new(format!("the connection pool: {e}")))?;

        let mut client = pool.get().await.map_err(|e| match e {
            PoolError::Backend(e) => DbError::unavailable(described(&e)),
            e => DbError::unavailable(format!("cannot connect: {e}")),
        })?;
        let tx = client.transaction().await.map_err(db)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await.map_err(db)?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL)").await.map_err(db)?;
        let version: Option<i32> =
            tx.query_opt("SELECT version FROM schema_version", &[]).await.map_err(db)?.map(|row| row.get(0));
        let version = usize::try_from(version.unwrap_or(0)).unwrap_or(0);
        for step in MIGRATIONS.get(version..).unwrap_or_default() {
            tx.batch_execute(step).await.map_err(db)?;
        }
        let latest = i32::try_from(MIGRATIONS.len()).unwrap_or(i32::MAX);
        tx.execute("DELETE FROM schema_version", &[]).await.map_err(db)?;
        tx.execute("INSERT INTO schema_version (version) VALUES ($1)", &[&latest]).await.map_err(db)?;
        tx.execute(
            "INSERT INTO secrets (name, value) VALUES ('cookie_key', $1) ON CONFLICT DO NOTHING",
            &[&Key::generate().master()],
        )
        .await
        .map_err(db)?;
        let stored: Vec<u8> =
            tx.query_one("SELECT value FROM secrets WHERE name = 'cookie_key'", &[]).await.map_err(db)?.get(0);
        let empty: bool = tx.query_one("SELECT NOT EXISTS (SELECT 1 FROM bookmarks)", &[]).await.map_err(db)?.get(0);
        if seed && empty {
            for (url, title, tags) in super::SEED {
                let tags = tags.iter().map(|t| (*t).to_owned()).collect();
                insert(&tx, &Valid { url: (*url).to_owned(), title: (*title).to_owned(), tags }, None).await?;
            }
        }
        let schema: String = tx.query_one("SELECT current_schema()", &[]).await.map_err(db)?.get(0);
        tx.commit().await.map_err(db)?;
        drop(client);

        let cookie_key = match cookie_key {
            Some(key) => key,
            None => Key::try_from(&stored[..]).map_err(|e| DbError::new(format!("the stored cookie key: {e}")))?,
        };
        let channel = format!("bookmarks_{schema}");
        listen::start(config, channel.clone(), changes).await?;
        let store = Self { pool, cookie_key, channel };
        tokio::spawn(sweep(store.pool.clone()));
        Ok(store)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, DbError> {
        self.pool.get().await.map_err(pool_error)
    }

    async fn insert(&self, valid: Valid, owner: Option<String>, key: Option<Keyed>) -> Result<Inserted, DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        if let Some(keyed) = &key {
            // An expired key is free again. Then the key's row is this transaction's, or it
            // waits for the transaction that holds it (a retry racing its first try) and finds
            // that one's answer.
            let ttl = IDEMPOTENCY_TTL.as_secs_f64();
            tx.execute(
                "DELETE FROM idempotency_keys WHERE key = $1 AND created < now() - make_interval(secs => $2)",
                &[&keyed.key, &ttl],
            )
            .await
            .map_err(db)?;
            let claimed = tx
                .execute(
                    "INSERT INTO idempotency_keys (key, request, response) VALUES ($1, $2, '') ON CONFLICT DO NOTHING",
                    &[&keyed.key, &keyed.request],
                )
                .await
                .map_err(db)?;
            if claimed == 0 {
                let row = tx
                    .query_one("SELECT request, response FROM idempotency_keys WHERE key = $1", &[&keyed.key])
                    .await
                    .map_err(db)?;
                let (request, response): (String, String) = (row.get(0), row.get(1));
                if request != keyed.request {
                    return Ok(Inserted::KeyReused);
                }
                return serde_json::from_str(&response)
                    .map(Inserted::Replayed)
                    .map_err(|e| DbError::new(format!("the stored answer of an idempotency key: {e}")));
            }
        }
        let bookmark = insert(&tx, &valid, owner.as_deref()).await?;
        if let Some(keyed) = &key {
            let response = serde_json::to_string(&bookmark).unwrap_or_default();
            tx.execute("UPDATE idempotency_keys SET response = $2 WHERE key = $1", &[&keyed.key, &response])
                .await
                .map_err(db)?;
        }
        notify(&tx, &self.channel, &Change::Added(bookmark.for_everyone())).await?;
        tx.commit().await.map_err(db)?;
        Ok(Inserted::New(bookmark))
    }

    async fn get(&self, id: u64, viewer: Option<String>) -> Result<Option<Bookmark>, DbError> {
        let Ok(id) = i64::try_from(id) else { return Ok(None) };
        get(&self.client().await?, id, viewer.as_deref()).await
    }

    async fn replace(&self, id: u64, valid: Valid, viewer: Option<String>) -> Result<Option<Bookmark>, DbError> {
        let Ok(id) = i64::try_from(id) else { return Ok(None) };
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        let changed = tx
            .execute("UPDATE bookmarks SET url = $1, title = $2 WHERE id = $3", &[&valid.url, &valid.title, &id])
            .await
            .map_err(db)?;
        if changed == 0 {
            return Ok(None);
        }
        tx.execute("DELETE FROM tags WHERE bookmark_id = $1", &[&id]).await.map_err(db)?;
        insert_tags(&tx, id, &valid.tags).await?;
        let bookmark = get(&tx, id, viewer.as_deref()).await?;
        if let Some(bookmark) = &bookmark {
            notify(&tx, &self.channel, &Change::Updated(bookmark.for_everyone())).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(bookmark)
    }

    async fn remove(&self, id: u64) -> Result<bool, DbError> {
        let Ok(id) = i64::try_from(id) else { return Ok(false) };
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        let removed = tx.execute("DELETE FROM bookmarks WHERE id = $1", &[&id]).await.map_err(db)? == 1;
        if removed {
            notify(&tx, &self.channel, &Change::Deleted(id.unsigned_abs())).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(removed)
    }

    async fn page(
        &self,
        limit: usize,
        offset: usize,
        tag: Option<String>,
        viewer: Option<String>,
    ) -> Result<(Vec<Bookmark>, usize), DbError> {
        const WHERE: &str =
            "WHERE $1::text IS NULL OR EXISTS (SELECT 1 FROM tags t WHERE t.bookmark_id = b.id AND t.tag = $1)";
        // `LIMIT NULL` is no limit.
        let limit = i64::try_from(limit).ok();
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let mut client = self.client().await?;
        // One snapshot for the count and the page, as SQLite's transaction gives.
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(db)?;
        let total: i64 =
            tx.query_one(&format!("SELECT count(*) FROM bookmarks b {WHERE}"), &[&tag]).await.map_err(db)?.get(0);
        let query = format!("{SELECT} {WHERE} ORDER BY b.id LIMIT $3 OFFSET $4");
        let rows = tx.query(&query, &[&tag, &viewer, &limit, &offset]).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok((rows.iter().map(bookmark_row).collect(), usize::try_from(total).unwrap_or(0)))
    }

    async fn tag_counts(&self) -> Result<Vec<(String, usize)>, DbError> {
        let rows = self
            .client()
            .await?
            .query("SELECT tag, count(*) FROM tags GROUP BY tag ORDER BY tag", &[])
            .await
            .map_err(db)?;
        Ok(rows.iter().map(|row| (row.get(0), usize::try_from(row.get::<_, i64>(1)).unwrap_or(0))).collect())
    }

    async fn counts(&self) -> Result<(u64, u64, u64), DbError> {
        let row = self
            .client()
            .await?
            .query_one(
                "SELECT (SELECT count(*) FROM bookmarks),
                        (SELECT count(DISTINCT tag) FROM tags),
                        (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM bookmarks_id_seq)",
                &[],
            )
            .await
            .map_err(db)?;
        let n = |i| u64::try_from(row.get::<_, i64>(i)).unwrap_or(0);
        Ok((n(0), n(1), n(2)))
    }
}

impl Storage for Postgres {
    fn cookie_key(&self) -> &Key {
        &self.cookie_key
    }

    fn shares_changes(&self) -> bool {
        true
    }

    fn insert(&self, valid: Valid, owner: Option<String>, key: Option<Keyed>) -> Fut<'_, Inserted> {
        Box::pin(Postgres::insert(self, valid, owner, key))
    }

    fn get(&self, id: u64, viewer: Option<String>) -> Fut<'_, Option<Bookmark>> {
        Box::pin(Postgres::get(self, id, viewer))
    }

    fn replace(&self, id: u64, valid: Valid, viewer: Option<String>) -> Fut<'_, Option<Bookmark>> {
        Box::pin(Postgres::replace(self, id, valid, viewer))
    }

    fn remove(&self, id: u64) -> Fut<'_, bool> {
        Box::pin(Postgres::remove(self, id))
    }

    fn page(
        &self,
        limit: usize,
        offset: usize,
        tag: Option<String>,
        viewer: Option<String>,
    ) -> Fut<'_, (Vec<Bookmark>, usize)> {
        Box::pin(Postgres::page(self, limit, offset, tag, viewer))
    }

    fn tag_counts(&self) -> Fut<'_, Vec<(String, usize)>> {
        Box::pin(Postgres::tag_counts(self))
    }

    fn counts(&self) -> Fut<'_, (u64, u64, u64)> {
        Box::pin(Postgres::counts(self))
    }
}

/// A bookmark as every query reads it: its tags as one space-separated string (a tag has no
/// spaces), and whether the session `$2` added it.
const SELECT: &str = "SELECT b.id, b.url, b.title,
        (SELECT string_agg(t.tag, ' ' ORDER BY t.tag) FROM tags t WHERE t.bookmark_id = b.id),
        coalesce(b.owner = $2, false)
    FROM bookmarks b";

fn bookmark_row(row: &Row) -> Bookmark {
    let id: i64 = row.get(0);
    let tags: Option<String> = row.get(3);
    let tags = tags.as_deref().unwrap_or("").split_whitespace().map(str::to_owned).collect();
    let mut bookmark = Bookmark::new(id.unsigned_abs(), row.get(1), row.get(2), tags);
    bookmark.mine = row.get(4);
    bookmark
}

async fn get(client: &impl GenericClient, id: i64, viewer: Option<&str>) -> Result<Option<Bookmark>, DbError> {
    let statement = client.prepare_cached(&format!("{SELECT} WHERE b.id = $1")).await.map_err(db)?;
    Ok(client.query_opt(&statement, &[&id, &viewer]).await.map_err(db)?.as_ref().map(bookmark_row))
}

async fn insert(client: &impl GenericClient, valid: &Valid, owner: Option<&str>) -> Result<Bookmark, DbError> {
    let row = client
        .query_one(
            "INSERT INTO bookmarks (url, title, owner) VALUES ($1, $2, $3) RETURNING id",
            &[&valid.url, &valid.title, &owner],
        )
        .await
        .map_err(db)?;
    let id: i64 = row.get(0);
    insert_tags(client, id, &valid.tags).await?;
    get(client, id, owner).await?.ok_or_else(|| DbError::new("an inserted bookmark is gone"))
}

async fn insert_tags(client: &impl GenericClient, id: i64, tags: &[String]) -> Result<(), DbError> {
    if !tags.is_empty() {
        client
            .execute("INSERT INTO tags (bookmark_id, tag) SELECT $1, unnest($2::text[])", &[&id, &tags])
            .await
            .map_err(db)?;
    }
    Ok(())
}

/// Tells every instance's `/events` about `change`, when (and only if) the transaction commits.
async fn notify(client: &impl GenericClient, channel: &str, change: &Change) -> Result<(), DbError> {
    let payload = listen::payload(change);
    client.execute("SELECT pg_notify($1, $2)", &[&channel, &payload]).await.map_err(db)?;
    Ok(())
}

/// Every ten minutes, deletes the keys older than `IDEMPOTENCY_TTL` (an insert ignores them
/// already; this only keeps the table small). A failure is tried again next time.
async fn sweep(pool: Pool) {
    let mut every = tokio::time::interval(Duration::from_secs(600));
    every.tick().await; // the first tick is now: nothing has expired yet
    loop {
        every.tick().await;
        if let Ok(client) = pool.get().await {
            let ttl = IDEMPOTENCY_TTL.as_secs_f64();
            let sql = "DELETE FROM idempotency_keys WHERE created < now() - make_interval(secs => $1)";
            if let Err(e) = client.execute(sql, &[&ttl]).await {
                eprintln!("deleting expired idempotency keys: {e}");
            }
        }
    }
}

/// A PostgreSQL error: unavailable (a `503`) when the connection is gone or the server is
/// shutting down, starting or full, or the transaction lost a race it may retry; else a failure.
#[allow(clippy::needless_pass_by_value, reason = "called as `map_err(db)`")]
fn db(e: tokio_postgres::Error) -> DbError {
    let retry = match e.code() {
        Some(code) => {
            let class = &code.code()[..2];
            // 08: connection exception; 57P01-03: shutdown, crash shutdown, cannot connect
            // now; 53: insufficient resources (too many connections); 40: serialization or deadlock.
            matches!(class, "08" | "53" | "40")
                || [SqlState::ADMIN_SHUTDOWN, SqlState::CRASH_SHUTDOWN, SqlState::CANNOT_CONNECT_NOW].contains(code)
        }
        // No server error: the connection closed or failed on the way.
        None => {
            e.is_closed() || std::error::Error::source(&e).is_some_and(<dyn std::error::Error>::is::<std::io::Error>)
        }
    };
    if retry { DbError::unavailable(described(&e)) } else { DbError::new(described(&e)) }
}

/// The error and its causes, `: ` between them ("error connecting to server: Connection
/// refused (os error 111)").
fn described(e: &tokio_postgres::Error) -> String {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.ends_with(&more) {
            text = format!("{text}: {more}");
        }
        cause = c.source();
    }
    text
}

/// No connection in `POOL_TIMEOUT`, or none could be made: unavailable.
fn pool_error(e: PoolError) -> DbError {
    match e {
        PoolError::Backend(e) => DbError::unavailable(db(e).to_string()),
        e => DbError::unavailable(format!("no database connection: {e}")),
    }
}
