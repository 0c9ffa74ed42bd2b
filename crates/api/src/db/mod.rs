//! The database: one connection pool for SQLite or PostgreSQL, migrations at start-up, and the
//! sea-orm entities. Tenant queries never start here: they go through `auth::WorkspaceScope`.

pub mod entities;
pub mod lease;
pub mod stored;

use std::time::Duration;

use anyhow::Context;
use ferrodesk_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, SqlErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// How the pool waits. The timeouts are short on purpose: when the database is down or locked, a
/// request should hear `503` with `Retry-After` within about a second, not hang with the others.
#[derive(Clone, Copy, Debug)]
pub struct PoolSettings {
    pub max_connections: u32,
    /// The longest a query waits for a connection, including (re)connecting to the server.
    pub acquire_timeout: Duration,
    /// The longest a SQLite writer waits for the write lock.
    pub busy_timeout: Duration,
}

impl PoolSettings {
    pub fn of(settings: &crate::config::Settings) -> PoolSettings {
        PoolSettings {
            max_connections: settings.database_max_connections,
            acquire_timeout: settings.database_timeout,
            busy_timeout: settings.database_busy_timeout,
        }
    }
}

/// A pool with the default timeouts (tools and tests that open a second pool).
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<DatabaseConnection> {
    connect_with(
        url,
        PoolSettings {
            max_connections,
            acquire_timeout: Duration::from_secs(1),
            busy_timeout: Duration::from_secs(5),
        },
    )
    .await
}

/// At start-up the database may still be coming up beside us (one compose file): keep trying
/// for this long while it cannot be reached, although each request later waits only
/// `acquire_timeout`.
const STARTUP_PATIENCE: Duration = Duration::from_secs(10);

/// Prepared statements each PostgreSQL connection keeps.
const STATEMENT_CACHE: usize = 512;

pub async fn connect_with(url: &str, pool: PoolSettings) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(pool.max_connections)
        .min_connections(1)
        // sea-orm hands both to sqlx as the acquire timeout (which covers connecting).
        .connect_timeout(pool.acquire_timeout)
        .acquire_timeout(pool.acquire_timeout)
        .sqlx_logging(false)
        .map_sqlx_postgres_opts(|options| {
            // Batches write multi-row statements of every width from 1 to 64 rows: with sqlx's
            // default of 100 statements per connection, half of a batch's statements were parsed
            // (and described, one more round trip) again.
            options.statement_cache_capacity(STATEMENT_CACHE)
        })
        .map_sqlx_sqlite_opts(move |options| {
            // WAL lets readers run beside the one writer; the busy timeout makes a second writer wait
            // instead of failing; SQLite leaves foreign keys off unless asked.
            options
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(pool.busy_timeout)
                .foreign_keys(true)
        });
    let started = std::time::Instant::now();
    loop {
        match Database::connect(options.clone()).await {
            Ok(db) => {
                if db.get_database_backend() == DbBackend::Sqlite {
                    sqlite_gate(&db, Some(pool.busy_timeout));
                }
                return Ok(db);
            }
            Err(error) if is_unavailable(&error) && started.elapsed() < STARTUP_PATIENCE => {
                tracing::warn!(%error, "the database cannot be reached yet; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(error) => {
                return Err(error).with_context(|| format!("cannot connect to the database at {}", redact(url)));
            }
        }
    }
}

/// Whether `error` says the database cannot be reached or is busy right now (worth a retry
/// shortly), rather than that the query is wrong.
pub fn is_unavailable(error: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    match error {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(RuntimeErr::SqlxError(error))
        | DbErr::Exec(RuntimeErr::SqlxError(error))
        | DbErr::Query(RuntimeErr::SqlxError(error)) => match error.as_ref() {
            Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::Io(_) | Sqlx::Tls(_) | Sqlx::WorkerCrashed => true,
            // SQLITE_BUSY (5) and its extended codes: another writer held the lock past the busy
            // timeout. PostgreSQL class 08 (connection exception) and 57P01-57P03 (the server is
            // shutting down or starting).
            Sqlx::Database(error) => {
                let code = error.code().unwrap_or_default();
                if error.try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>().is_some() {
                    code.parse::<u32>().is_ok_and(|code| code & 0xff == 5)
                } else {
                    code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
                }
            }
            _ => false,
        },
        _ => false,
    }
}

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await.context("database migrations failed")
}

/// Rows per multi-row INSERT of the bulk writers (events, notifications): with their 8-9 columns
/// far below SQLite's 32,766 bind parameters (and PostgreSQL's 65,535) whatever the team's size.
pub const INSERT_CHUNK: usize = 1000;

/// Begins a transaction that will write. On SQLite it takes the write lock at once (`BEGIN
/// IMMEDIATE`): a deferred transaction that reads first and writes later can fail with
/// `SQLITE_BUSY` when another writer got in between, which no busy timeout can cure. And it waits
/// for the database's write gate first (see `WriteTxn`).
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite {
        let txn = db.begin().await?;
        return Ok(WriteTxn { txn, _gate: None });
    }
    let (gate, wait) = sqlite_gate(db, None);
    // As long as SQLite's own busy timeout would have let it wait, then 503 as before.
    let gate = tokio::time::timeout(wait, gate.lock_owned())
        .await
        .map_err(|_| DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout))?;
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    let txn = db.begin_with_options(options).await?;
    Ok(WriteTxn { txn, _gate: Some(gate) })
}

/// A write transaction. On SQLite it also holds the process's write gate for that database file:
/// writers queue there, first come first served, rather than in SQLite's busy handler, which polls
/// in sleeps of up to 100 ms and so turns a queue of writers into long tails (a reply's p99 was
/// 198 ms at 16 clients). SQLite has one writer at a time anyway; the busy timeout still covers
/// writers outside the gate (single statements, another process).
pub struct WriteTxn {
    // Declared first, so it ends (rolls back if not committed) before the gate opens.
    txn: DatabaseTransaction,
    _gate: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }
}

/// The write gate of `db`'s database file and how long a writer may wait for it (the pool's busy
/// timeout, registered by `connect_with` through `busy_timeout`).
fn sqlite_gate(
    db: &DatabaseConnection,
    busy_timeout: Option<Duration>,
) -> (std::sync::Arc<tokio::sync::Mutex<()>>, Duration) {
    use std::collections::HashMap;
    use std::path::PathBuf;
    use std::sync::{Arc, LazyLock, Mutex, PoisonError};
    type Gates = HashMap<PathBuf, (Arc<tokio::sync::Mutex<()>>, Duration)>;
    static GATES: LazyLock<Mutex<Gates>> = LazyLock::new(Default::default);
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    let mut gates = GATES.lock().unwrap_or_else(PoisonError::into_inner);
    let gate = gates
        .entry(file)
        .or_insert_with(|| (Arc::default(), Duration::from_secs(5)));
    if let Some(wait) = busy_timeout {
        gate.1 = wait;
    }
    gate.clone()
}

#[sea_orm::prelude::async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: sea_orm::Statement) -> Result<sea_orm::ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<sea_orm::ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: sea_orm::Statement) -> Result<Option<sea_orm::QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: sea_orm::Statement) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }

    fn is_mock_connection(&self) -> bool {
        self.txn.is_mock_connection()
    }
}

/// Whether `error` broke the unique index `index` (named in PostgreSQL's message) on `columns`
/// (named as `table.column` in SQLite's).
pub fn violates_unique(error: &DbErr, index: &str, sqlite_columns: &str) -> bool {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(message)) => message.contains(index) || message.contains(sqlite_columns),
        _ => false,
    }
}

/// `SELECT 1`, given at most `timeout`: a connection that hangs (not refused) must not hang the
/// readiness probe.
pub async fn ping(db: &DatabaseConnection, timeout: Duration) -> Result<(), DbErr> {
    match tokio::time::timeout(timeout, db.execute_unprepared("SELECT 1")).await {
        Ok(result) => result.map(|_| ()),
        Err(_) => Err(DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout)),
    }
}

/// Hides a password in a database URL before it reaches a log line.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The `n`th bind parameter (from 1) of a hand-written statement: `$n` on PostgreSQL, `?` on SQLite.
pub fn placeholder(backend: sea_orm::DbBackend, n: usize) -> String {
    match backend {
        sea_orm::DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(
            super::redact("postgres://app:hunter2@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(
            super::redact("sqlite://./data/f.db?mode=rwc"),
            "sqlite://./data/f.db?mode=rwc"
        );
    }
}
