//! `seed-scale`: a workspace with a million tickets, made in minutes, to measure the dashboard and
//! the inbox at scale (`cargo bench -p ferrodesk --bench scale` uses it; `cargo run --release -p
//! ferrodesk-dev --bin seed-scale` runs it by hand). Dev-only: the server's library does not ship it.
//!
//! Unlike `--demo`, nothing goes through the services: the people and the tickets are written with
//! multi-row INSERTs (1,000 tickets a statement, 50,000 a transaction) from data generated here,
//! deterministically from a seed. Each ticket is simulated along a plausible life: created at a time
//! that follows office hours, weekdays and a slow growth over the last 365 days; answered after a
//! delay that depends on its priority; maybe left waiting on the customer for a while (which pauses
//! the resolution clock); solved, then closed a few days later. Whatever has not happened yet by
//! now decides its status, so old tickets are solved or closed and the recent ones new, open or
//! pending. Due times come from `sla::domain::deadlines` with the default targets, and a target
//! that passed while watched is marked breached, as the scheduler would have done (so it finds no
//! work when a server starts on the result). Breach rows (`sla_breaches`) are not written.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration as StdDuration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};
use ferrodesk_shared::Role;
use ferrodesk_shared::sla::SlaPolicy;
use ferrodesk_shared::tickets::{Priority, TicketStatus};
use ferrodesk_shared::workspaces::Plan;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, Statement, TransactionTrait, Value,
};
use uuid::Uuid;

use ferrodesk::auth::password::{Password, Passwords};
use ferrodesk::clock;
use ferrodesk::config::PasswordHashing;
use ferrodesk::db::{self, entities::tickets, entities::users, entities::workspaces, placeholder};
use ferrodesk::sla::domain::{self, SlaState};
use ferrodesk::workspaces::domain::Slug;

/// Every staff account of a scale workspace signs in with this password.
pub const PASSWORD: &str = "ferrodesk-scale";
pub const DEFAULT_SLUG: &str = "scale";
pub const DEFAULT_TICKETS: u64 = 1_000_000;
pub const AGENTS: usize = 20;
pub const CUSTOMERS: usize = 2_000;

/// Rows per INSERT: 23 columns x 1,000 stays under SQLite's 32,766 and PostgreSQL's 65,535 parameters.
const BATCH_ROWS: usize = 1_000;
/// Rows per transaction.
const TRANSACTION_ROWS: usize = 50_000;
/// The tickets span this many days up to now.
const DAYS: i64 = 365;

pub fn owner_email(slug: &str) -> String {
    format!("owner@{slug}.example")
}

pub fn supervisor_email(slug: &str) -> String {
    format!("supervisor@{slug}.example")
}

/// `index` from 1 to `AGENTS`.
pub fn agent_email(slug: &str, index: usize) -> String {
    format!("agent{index:02}@{slug}.example")
}

fn customer_email(slug: &str, index: usize) -> String {
    format!("customer{index:04}@{slug}-customers.example")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleOptions {
    pub tickets: u64,
    pub slug: String,
    /// Also write each ticket's opening message (doubles the rows).
    pub messages: bool,
    /// Delete the workspace's tickets first when it has some already.
    pub replace: bool,
    /// Seed of the generator: the same seed, count and clock give the same tickets.
    pub seed: u64,
}

impl Default for ScaleOptions {
    fn default() -> Self {
        ScaleOptions {
            tickets: DEFAULT_TICKETS,
            slug: DEFAULT_SLUG.to_owned(),
            messages: false,
            replace: false,
            seed: 1,
        }
    }
}

/// What `seed` made, or found.
#[derive(Debug, Clone)]
pub struct ScaleReport {
    pub database: String,
    pub workspace_slug: String,
    pub workspace_id: Uuid,
    pub password: String,
    pub owner_email: String,
    pub supervisor_email: String,
    pub agent_emails: Vec<String>,
    pub customers: usize,
    /// `None` when the workspace already held exactly the requested tickets.
    pub seeded: Option<Seeded>,
}

#[derive(Debug, Clone, Default)]
pub struct Seeded {
    pub tickets: u64,
    pub messages: u64,
    /// Tickets removed first (`--replace`).
    pub deleted: u64,
    pub by_status: BTreeMap<&'static str, u64>,
    pub breached: u64,
    pub unassigned_open: u64,
    /// The ticket INSERTs alone.
    pub insert_time: StdDuration,
    /// Computing the kept counters from the tickets (`reports::rollup::rebuild`).
    pub rollup_time: StdDuration,
    /// Everything: migrations, people, tickets, the final checkpoint or ANALYZE.
    pub total_time: StdDuration,
}

impl Seeded {
    pub fn tickets_per_second(&self) -> f64 {
        self.tickets as f64 / self.insert_time.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for ScaleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.seeded {
            Some(seeded) => {
                writeln!(
                    f,
                    "Seeded {} tickets{} into workspace `{}` on {} in {:.1} s ({:.0} tickets/s; {:.1} s in all).",
                    seeded.tickets,
                    if seeded.messages > 0 {
                        format!(" and {} messages", seeded.messages)
                    } else {
                        String::new()
                    },
                    self.workspace_slug,
                    self.database,
                    seeded.insert_time.as_secs_f64(),
                    seeded.tickets_per_second(),
                    seeded.total_time.as_secs_f64(),
                )?;
                writeln!(f, "  counters computed in {:.1} s.", seeded.rollup_time.as_secs_f64())?;
                if seeded.deleted > 0 {
                    writeln!(f, "  {} earlier tickets were deleted first.", seeded.deleted)?;
                }
                let statuses: Vec<String> = seeded
                    .by_status
                    .iter()
                    .map(|(status, count)| format!("{status} {count}"))
                    .collect();
                writeln!(
                    f,
                    "  statuses: {}; breached {}; unassigned new/open {}",
                    statuses.join(", "),
                    seeded.breached,
                    seeded.unassigned_open
                )?;
            }
            None => writeln!(
                f,
                "Workspace `{}` on {} already holds the requested tickets; nothing was added.",
                self.workspace_slug, self.database
            )?,
        }
        writeln!(
            f,
            "Sign in to workspace `{}` with the password `{}` as the supervisor {} \
             (or the owner {}, or agents {} to {}); {} customers have no password.",
            self.workspace_slug,
            self.password,
            self.supervisor_email,
            self.owner_email,
            self.agent_emails.first().map_or("", String::as_str),
            self.agent_emails.last().map_or("", String::as_str),
            self.customers,
        )
    }
}

/// Connects for a bulk load (on SQLite: no fsync, a large page cache), migrates, seeds, and closes.
pub async fn run(
    database_url: &str,
    options: &ScaleOptions,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> anyhow::Result<ScaleReport> {
    let started = Instant::now();
    let db = connect(database_url).await?;
    db::migrate(&db).await?;
    let result = seed(&db, options, clock::now(), progress).await;
    db.close().await.ok();
    let mut report = result?;
    report.database = describe(database_url);
    if let Some(seeded) = &mut report.seeded {
        seeded.total_time = started.elapsed();
    }
    Ok(report)
}

fn describe(url: &str) -> String {
    if url.starts_with("postgres") {
        let host = url.rsplit_once('@').map_or(url, |(_, host)| host);
        format!("PostgreSQL ({host})")
    } else {
        let path = url.trim_start_matches("sqlite://");
        format!("SQLite ({})", path.split_once('?').map_or(path, |(path, _)| path))
    }
}

async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_owned());
    // PostgreSQL: a connection for each writer (`Writing`); SQLite has one writer.
    let connections = if url.starts_with("postgres") {
        MAX_WRITERS as u32
    } else {
        1
    };
    options
        .max_connections(connections)
        .min_connections(1)
        .connect_timeout(StdDuration::from_secs(10))
        .acquire_timeout(StdDuration::from_secs(60))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|options| {
            // The server's settings, except durability: a crash during the load means loading again.
            options
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Off)
                .busy_timeout(StdDuration::from_secs(10))
                .foreign_keys(true)
                .pragma("cache_size", "-524288")
                .pragma("temp_store", "memory")
        });
    Database::connect(options)
        .await
        .with_context(|| format!("cannot connect to {}", describe(url)))
}

/// Creates or reuses the workspace `options.slug`, its people, and `options.tickets` tickets numbered
/// from 1, all dated up to `now`. A workspace that already holds exactly that many tickets is left
/// alone; one holding another number is refused unless `options.replace`.
pub async fn seed(
    db: &DatabaseConnection,
    options: &ScaleOptions,
    now: DateTime<Utc>,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> anyhow::Result<ScaleReport> {
    let started = Instant::now();
    let slug = Slug::parse(&options.slug)
        .map_err(|error| anyhow::anyhow!("the workspace `{}` {error}", options.slug))?
        .as_str()
        .to_owned();
    if options.tickets == 0 {
        bail!("ask for at least one ticket");
    }
    let founded = now - Duration::days(DAYS + 1);
    let workspace = workspace(db, &slug, founded).await?;
    let people = people(db, workspace.id, &slug, founded).await?;
    let mut report = ScaleReport {
        database: describe_backend(db.get_database_backend()),
        workspace_slug: slug.clone(),
        workspace_id: workspace.id,
        password: PASSWORD.to_owned(),
        owner_email: owner_email(&slug),
        supervisor_email: supervisor_email(&slug),
        agent_emails: (1..=AGENTS).map(|index| agent_email(&slug, index)).collect(),
        customers: people.customers.len(),
        seeded: None,
    };

    let existing = tickets::Entity::find()
        .filter(tickets::Column::WorkspaceId.eq(workspace.id))
        .count(db)
        .await?;
    let mut deleted = 0;
    if existing > 0 {
        if !options.replace {
            if existing == options.tickets && workspace.ticket_seq as u64 == options.tickets {
                return Ok(report);
            }
            bail!(
                "workspace `{slug}` already has {existing} tickets; pass --replace to delete them and seed {} anew",
                options.tickets
            );
        }
        deleted = delete_tickets(db, workspace.id).await?;
    }

    let inserting = Instant::now();
    let backend = db.get_database_backend();
    // The rows are made on a thread of their own while the database writes earlier ones.
    let (batches, producer) = produce(Generator::new(options, now, &people), options, workspace.id);
    let triggers = Triggers::for_seeding(db).await;
    // One PostgreSQL backend is one core: with the triggers off by session, writers do not wait
    // for each other's table locks, and the machine's cores all write. SQLite has one writer.
    let writers = match triggers {
        Triggers::OffBySession => std::thread::available_parallelism().map_or(1, |cores| cores.get().min(MAX_WRITERS)),
        Triggers::OffByTable | Triggers::On => 1,
    };
    let writing = Writing {
        db,
        options,
        triggers,
        batches: tokio::sync::Mutex::new(batches),
        written: std::sync::atomic::AtomicU64::new(0),
        progress: std::sync::Mutex::new(progress),
    };
    let pending_lists = PendingLists::widen(db).await?;
    let results = futures_util::future::join_all((0..writers).map(|_| writing.write())).await;
    pending_lists.restore(db).await?;
    results.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    let written = writing.written.load(std::sync::atomic::Ordering::SeqCst);
    if written != options.tickets {
        bail!(
            "the ticket generator stopped after {written} of {} tickets",
            options.tickets
        );
    }
    // The last ticket number handed out, as if the service had numbered them.
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        format!(
            "UPDATE workspaces SET ticket_seq = {}, updated_at = {} WHERE id = {}",
            placeholder(backend, 1),
            placeholder(backend, 2),
            placeholder(backend, 3)
        ),
        [
            Value::from(options.tickets as i64),
            Value::from(now),
            Value::from(workspace.id),
        ],
    ))
    .await?;
    let mut seeded = producer.await.context("the ticket generator panicked")?;
    seeded.deleted = deleted;
    seeded.tickets = options.tickets;
    seeded.insert_time = inserting.elapsed();
    // The inbox counts and the dashboard read kept counters; the rows above went around them.
    let counting = Instant::now();
    ferrodesk::reports::rollup::rebuild_workspace(db, workspace.id, now, false)
        .await
        .map_err(|error| anyhow::anyhow!("computing the counters: {error}"))?;
    seeded.rollup_time = counting.elapsed();

    match backend {
        // What autovacuum would soon do after such a load: statistics and the visibility map.
        DbBackend::Postgres => {
            db.execute_unprepared("VACUUM ANALYZE tickets").await?;
            db.execute_unprepared("VACUUM ANALYZE users").await?;
            if options.messages {
                db.execute_unprepared("VACUUM ANALYZE messages").await?;
            }
            // The search documents' word statistics: how common a word is decides between walking
            // the newest tickets and reading the word's GIN entry.
            db.execute_unprepared("VACUUM ANALYZE ticket_search").await?;
        }
        // Folds the write-ahead log into the file, so its size is the database's. No ANALYZE: the
        // server never runs one, so the benchmark sees the plans a real SQLite deployment gets.
        _ => {
            db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await?;
        }
    }
    seeded.total_time = started.elapsed();
    report.seeded = Some(seeded);
    Ok(report)
}

fn describe_backend(backend: DbBackend) -> String {
    match backend {
        DbBackend::Postgres => "PostgreSQL".to_owned(),
        _ => "SQLite".to_owned(),
    }
}

impl Seeded {
    fn tally(&mut self, ticket: &TicketRow) {
        *self.by_status.entry(ticket.status.as_str()).or_default() += 1;
        if ticket.breached_first_response || ticket.breached_resolution {
            self.breached += 1;
        }
        if ticket.assignee_id.is_none() && matches!(ticket.status, TicketStatus::New | TicketStatus::Open) {
            self.unassigned_open += 1;
        }
    }
}

/// How the seeder keeps PostgreSQL's search triggers from building each document twice (the
/// subject's words as the ticket is inserted, then the message's added to both columns, each
/// time writing the GIN entries): it writes each batch's documents once itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Triggers {
    /// SQLite: its triggers stay.
    On,
    /// `session_replication_role = replica` for each transaction: ordinary triggers do not fire
    /// for this session, and no one else is affected. Needs a superuser (the tests' and
    /// benchmarks' servers) and takes no table lock, so several writers can run.
    OffBySession,
    /// Without a superuser: `ALTER TABLE ... DISABLE TRIGGER` inside each transaction (DDL is
    /// transactional: no one else sees them off), which locks the tables: one writer.
    OffByTable,
}

impl Triggers {
    async fn for_seeding(db: &DatabaseConnection) -> Triggers {
        if db.get_database_backend() != DbBackend::Postgres {
            return Triggers::On;
        }
        let allowed = async {
            let txn = db.begin().await?;
            txn.execute_unprepared("SET LOCAL session_replication_role = replica")
                .await?;
            txn.rollback().await
        };
        if allowed.await.is_ok() {
            Triggers::OffBySession
        } else {
            Triggers::OffByTable
        }
    }

    async fn turn_off(self, txn: &impl ConnectionTrait) -> anyhow::Result<()> {
        match self {
            Triggers::On => {}
            Triggers::OffBySession => {
                txn.execute_unprepared("SET LOCAL session_replication_role = replica")
                    .await?;
            }
            Triggers::OffByTable => {
                for (table, trigger) in SEARCH_TRIGGERS {
                    txn.execute_unprepared(&format!("ALTER TABLE {table} DISABLE TRIGGER {trigger}"))
                        .await?;
                }
            }
        }
        Ok(())
    }

    async fn turn_on(self, txn: &impl ConnectionTrait) -> anyhow::Result<()> {
        if self == Triggers::OffByTable {
            for (table, trigger) in SEARCH_TRIGGERS {
                txn.execute_unprepared(&format!("ALTER TABLE {table} ENABLE TRIGGER {trigger}"))
                    .await?;
            }
        }
        Ok(())
    }
}

/// PostgreSQL writers at most (one per core up to this).
const MAX_WRITERS: usize = 4;

/// What the writers of one seeding share: the batches to write, in turn, and the count written.
struct Writing<'a> {
    db: &'a DatabaseConnection,
    options: &'a ScaleOptions,
    triggers: Triggers,
    batches: tokio::sync::Mutex<tokio::sync::mpsc::Receiver<Batch>>,
    written: std::sync::atomic::AtomicU64,
    progress: std::sync::Mutex<&'a mut (dyn FnMut(u64, u64) + Send)>,
}

impl Writing<'_> {
    /// Takes batches until there are none, `TRANSACTION_ROWS` tickets per transaction.
    async fn write(&self) -> anyhow::Result<()> {
        let backend = self.db.get_database_backend();
        // The full batch's statements are built once; only the last, shorter batch builds its own.
        let ticket_sql = insert_sql(backend, "tickets", TICKET_COLUMNS, BATCH_ROWS);
        let message_sql = insert_sql(backend, "messages", MESSAGE_COLUMNS, BATCH_ROWS);
        let sized = |full: &String, table: &str, columns: &[&str], rows: usize| {
            if rows == BATCH_ROWS {
                full.clone()
            } else {
                insert_sql(backend, table, columns, rows)
            }
        };
        let mut more = true;
        while more {
            let txn = db::begin_write(self.db).await?;
            if backend == DbBackend::Postgres {
                txn.execute_unprepared("SET LOCAL synchronous_commit = off").await?;
            }
            self.triggers.turn_off(&txn).await?;
            let mut rows_written = 0;
            while rows_written < TRANSACTION_ROWS {
                let batch = self.batches.lock().await.recv().await;
                let Some(Batch {
                    rows,
                    tickets,
                    messages,
                    ids,
                }) = batch
                else {
                    more = false;
                    break;
                };
                let sql = sized(&ticket_sql, "tickets", TICKET_COLUMNS, rows);
                txn.execute_raw(Statement::from_sql_and_values(backend, sql, tickets))
                    .await
                    .context("inserting tickets")?;
                if self.options.messages {
                    let sql = sized(&message_sql, "messages", MESSAGE_COLUMNS, rows);
                    txn.execute_raw(Statement::from_sql_and_values(backend, sql, messages))
                        .await
                        .context("inserting messages")?;
                }
                if self.triggers != Triggers::On {
                    let marks: Vec<String> = (1..=ids.len()).map(|n| placeholder(backend, n)).collect();
                    txn.execute_raw(Statement::from_sql_and_values(
                        backend,
                        SEARCH_DOCUMENTS.replace("{}", &marks.join(", ")),
                        ids,
                    ))
                    .await
                    .context("writing the search documents")?;
                }
                rows_written += rows;
            }
            self.triggers.turn_on(&txn).await?;
            txn.commit().await?;
            let written = self
                .written
                .fetch_add(rows_written as u64, std::sync::atomic::Ordering::SeqCst)
                + rows_written as u64;
            if let Ok(mut progress) = self.progress.lock() {
                (*progress)(written, self.options.tickets);
            }
        }
        Ok(())
    }
}

/// PostgreSQL's search indexes (GIN) keep new entries in a pending list and merge it into the index
/// when it is full. The server keeps the list short (256 kB, migration m20261215) so that no write
/// waits long for a merge; a bulk load of a million documents merges far less often with a long
/// one (a million tickets: 135 s of inserts with 256 kB, 102 s with 4 MB, measured under the same
/// load). The lists are widened for the load and put back as they were, their entries merged, so
/// the first search does not read them one by one.
struct PendingLists {
    /// Each index and its own setting before the load (`None`: the server's default).
    previous: Vec<(&'static str, Option<String>)>,
}

const SEARCH_INDEXES: [&str; 2] = ["ix_ticket_search_public", "ix_ticket_search_staff"];
/// In kilobytes, as PostgreSQL takes it.
const LOAD_PENDING_LIST_KB: u32 = 64 * 1024;

impl PendingLists {
    async fn widen(db: &DatabaseConnection) -> anyhow::Result<Self> {
        let mut previous = Vec::new();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(PendingLists { previous });
        }
        for index in SEARCH_INDEXES {
            let setting = db
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT option_value FROM pg_class c, pg_options_to_table(c.reloptions) \
                     WHERE c.relname = $1 AND option_name = 'gin_pending_list_limit'",
                    [Value::from(index)],
                ))
                .await?
                .map(|row| row.try_get::<String>("", "option_value"))
                .transpose()?;
            db.execute_unprepared(&format!(
                "ALTER INDEX {index} SET (gin_pending_list_limit = {LOAD_PENDING_LIST_KB})"
            ))
            .await
            .with_context(|| format!("widening the pending list of {index}"))?;
            previous.push((index, setting));
        }
        Ok(PendingLists { previous })
    }

    async fn restore(self, db: &DatabaseConnection) -> anyhow::Result<()> {
        for (index, setting) in self.previous {
            let put_back = match setting {
                Some(kb) => format!("ALTER INDEX {index} SET (gin_pending_list_limit = {kb})"),
                None => format!("ALTER INDEX {index} RESET (gin_pending_list_limit)"),
            };
            db.execute_unprepared(&put_back).await?;
            db.execute_unprepared(&format!("SELECT gin_clean_pending_list('{index}'::regclass)"))
                .await
                .with_context(|| format!("merging the pending list of {index}"))?;
        }
        Ok(())
    }
}

/// One INSERT's worth of generated rows: the tickets' values, their first messages' values (empty
/// without messages) and their ids (for the search documents).
struct Batch {
    rows: usize,
    tickets: Vec<Value>,
    messages: Vec<Value>,
    ids: Vec<Value>,
}

/// Batches made ahead of the one being written; each is about a megabyte.
const BATCHES_AHEAD: usize = 4;

// A batch never straddles a transaction.
const _: () = assert!(TRANSACTION_ROWS.is_multiple_of(BATCH_ROWS));

/// Makes the tickets, in order, `BATCH_ROWS` at a time on a blocking thread; the handle answers
/// their tally (counts by status and so on; `Seeded`'s times are the caller's).
fn produce(
    mut generator: Generator,
    options: &ScaleOptions,
    workspace_id: Uuid,
) -> (tokio::sync::mpsc::Receiver<Batch>, tokio::task::JoinHandle<Seeded>) {
    let (sender, receiver) = tokio::sync::mpsc::channel(BATCHES_AHEAD);
    let (total, messages) = (options.tickets, options.messages);
    let producer = tokio::task::spawn_blocking(move || {
        let mut seeded = Seeded::default();
        let mut next = 0_u64;
        while next < total {
            let rows = ((total - next) as usize).min(BATCH_ROWS);
            let mut batch = Batch {
                rows,
                tickets: Vec::with_capacity(rows * TICKET_COLUMNS.len()),
                messages: Vec::with_capacity(if messages { rows * MESSAGE_COLUMNS.len() } else { 0 }),
                ids: Vec::with_capacity(rows),
            };
            for index in next..next + rows as u64 {
                let ticket = generator.ticket(index, workspace_id);
                seeded.tally(&ticket);
                batch.ids.push(Value::from(ticket.id));
                if messages {
                    ticket.push_message(&mut batch.messages);
                    seeded.messages += 1;
                }
                ticket.push_values(&mut batch.tickets);
            }
            next += rows as u64;
            // The writer stopped (it failed): nothing more to make.
            if sender.blocking_send(batch).is_err() {
                break;
            }
        }
        seeded
    });
    (receiver, producer)
}

/// `INSERT INTO table (columns) VALUES (...), (...)` for `rows` rows, with placeholders.
fn insert_sql(backend: DbBackend, table: &str, columns: &[&str], rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut n = 0;
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns.len() {
            if column > 0 {
                sql.push_str(", ");
            }
            n += 1;
            sql.push_str(&placeholder(backend, n));
        }
        sql.push(')');
    }
    sql
}

async fn workspace(db: &DatabaseConnection, slug: &str, founded: DateTime<Utc>) -> anyhow::Result<workspaces::Model> {
    if let Some(found) = ferrodesk::workspaces::repo::find_by_slug(db, slug).await? {
        return Ok(found);
    }
    let model = workspaces::Model {
        id: Uuid::now_v7(),
        name: format!("Scale test ({slug})"),
        slug: slug.to_owned(),
        plan: Plan::Free.into(),
        ticket_seq: 0,
        event_seq: 0,
        created_at: founded,
        updated_at: founded,
        stripe_customer_id: None,
        stripe_subscription_id: None,
        billing_status: None,
        billing_period_end: None,
        billing_cancel_at_period_end: false,
        assign_on_reply: true,
        csat_enabled: true,
        billing_grace_until: None,
    };
    let active: workspaces::ActiveModel = model.clone().into();
    workspaces::Entity::insert(active).exec_without_returning(db).await?;
    Ok(model)
}

/// The workspace's people by role: found by email when they exist, created otherwise.
struct People {
    agents: Vec<Uuid>,
    customers: Vec<Uuid>,
}

const FIRST_NAMES: [&str; 20] = [
    "Ada", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kenji", "Lena", "Marco",
    "Nadia", "Oscar", "Priya", "Quentin", "Rosa", "Samir", "Tess",
];
const LAST_NAMES: [&str; 20] = [
    "Adams", "Berger", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Horvat", "Ivanova", "Jensen", "Kowalski",
    "Laurent", "Moreau", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi", "Schmidt", "Tanaka",
];

fn person_name(index: usize) -> String {
    format!(
        "{} {}",
        FIRST_NAMES[index % FIRST_NAMES.len()],
        LAST_NAMES[(index / FIRST_NAMES.len() + index * 7) % LAST_NAMES.len()]
    )
}

async fn people(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    slug: &str,
    founded: DateTime<Utc>,
) -> anyhow::Result<People> {
    let mut wanted: Vec<(String, String, Role)> = vec![
        (owner_email(slug), "Olga Owner".to_owned(), Role::Owner),
        (supervisor_email(slug), "Simon Supervisor".to_owned(), Role::Supervisor),
    ];
    for index in 1..=AGENTS {
        wanted.push((
            agent_email(slug, index),
            format!("{} (agent)", person_name(index * 3)),
            Role::Agent,
        ));
    }
    for index in 1..=CUSTOMERS {
        wanted.push((customer_email(slug, index), person_name(index), Role::Customer));
    }
    let existing: BTreeMap<String, users::Model> = users::Entity::find()
        .filter(users::Column::WorkspaceId.eq(workspace_id))
        .all(db)
        .await?
        .into_iter()
        .map(|user| (user.email.clone(), user))
        .collect();
    // One argon2 hash for every staff account: they share the password anyway.
    let missing_staff = wanted
        .iter()
        .any(|(email, _, role)| role.is_staff() && !existing.contains_key(email));
    let hash = if missing_staff {
        let password = Password::parse(PASSWORD, &[]).map_err(|error| anyhow::anyhow!("the password {error}"))?;
        Some(
            Passwords::new(PasswordHashing::RECOMMENDED, 1, std::time::Duration::from_secs(60))?
                .hash(password)
                .await?,
        )
    } else {
        None
    };
    let backend = db.get_database_backend();
    let columns = [
        "id",
        "workspace_id",
        "email",
        "name",
        "role",
        "password_hash",
        "created_at",
        "updated_at",
    ];
    let mut people = People {
        agents: Vec::new(),
        customers: Vec::new(),
    };
    let mut rows: Vec<Vec<Value>> = Vec::new();
    for (email, name, role) in wanted {
        let id = match existing.get(&email) {
            Some(user) => {
                if Role::from(user.role) != role {
                    bail!(
                        "{email} exists in workspace `{slug}` as {}, not {}",
                        Role::from(user.role),
                        role.as_str()
                    );
                }
                user.id
            }
            None => {
                let id = Uuid::now_v7();
                rows.push(vec![
                    id.into(),
                    workspace_id.into(),
                    email.into(),
                    name.into(),
                    role.as_str().into(),
                    if role.is_staff() { hash.clone() } else { None }.into(),
                    founded.into(),
                    founded.into(),
                ]);
                id
            }
        };
        match role {
            Role::Agent => people.agents.push(id),
            Role::Customer => people.customers.push(id),
            Role::Owner | Role::Supervisor => {}
        }
    }
    let txn = db::begin_write(db).await?;
    for chunk in rows.chunks(500) {
        let sql = insert_sql(backend, "users", &columns, chunk.len());
        let values: Vec<Value> = chunk.iter().flatten().cloned().collect();
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await
            .context("inserting people")?;
    }
    txn.commit().await?;
    Ok(people)
}

/// Removes the workspace's tickets and what points at them.
async fn delete_tickets(db: &DatabaseConnection, workspace_id: Uuid) -> anyhow::Result<u64> {
    let backend = db.get_database_backend();
    let txn = db::begin_write(db).await?;
    let mut deleted = 0;
    for sql in [
        "DELETE FROM messages WHERE workspace_id = {}",
        "DELETE FROM idempotency_keys WHERE workspace_id = {}",
        "DELETE FROM sla_breaches WHERE workspace_id = {}",
        "DELETE FROM notifications WHERE workspace_id = {} AND ticket_id IS NOT NULL",
        "DELETE FROM tickets WHERE workspace_id = {}",
    ] {
        let result = txn
            .execute_raw(Statement::from_sql_and_values(
                backend,
                sql.replace("{}", &placeholder(backend, 1)),
                [Value::from(workspace_id)],
            ))
            .await?;
        deleted = result.rows_affected();
    }
    txn.commit().await?;
    Ok(deleted)
}

/// The PostgreSQL search triggers a seeding transaction turns off (migration
/// m20261213_000001_ticket_search), writing `SEARCH_DOCUMENTS` itself.
const SEARCH_TRIGGERS: [(&str, &str); 2] = [
    ("tickets", "ticket_search_tickets_insert"),
    ("messages", "ticket_search_messages_insert"),
];

/// The search documents of a batch of new tickets (`{}`: their ids), as the triggers would leave
/// them. A seeded ticket's one message is public, so staff search the customers' document: no staff
/// one is stored (m20261216_000001_search_staff_notes).
const SEARCH_DOCUMENTS: &str = "INSERT INTO ticket_search (ticket_id, workspace_id, public, staff) \
     SELECT id, workspace_id, doc, NULL FROM (\
       SELECT t.id, t.workspace_id, setweight(ticket_search_vector(t.subject), 'A') \
              || ticket_search_vector(coalesce(string_agg(m.body, ' '), '')) AS doc \
       FROM tickets t LEFT JOIN messages m ON m.ticket_id = t.id \
       WHERE t.id IN ({}) GROUP BY t.id, t.workspace_id, t.subject) documents";

const TICKET_COLUMNS: &[&str] = &[
    "id",
    "workspace_id",
    "number",
    "subject",
    "status",
    "priority",
    "category",
    "tags",
    "requester_id",
    "assignee_id",
    "created_at",
    "updated_at",
    "first_response_at",
    "solved_at",
    "preview",
    "first_response_due_at",
    "resolution_due_at",
    "next_due_at",
    "pending_since",
    "paused_seconds",
    "breached_first_response",
    "breached_resolution",
    "escalated",
];

const MESSAGE_COLUMNS: &[&str] = &[
    "id",
    "workspace_id",
    "ticket_id",
    "author_id",
    "body",
    "internal",
    "created_at",
];

/// One generated ticket.
struct TicketRow {
    id: Uuid,
    workspace_id: Uuid,
    number: i64,
    subject: String,
    opening: &'static str,
    status: TicketStatus,
    priority: Priority,
    category: Option<&'static str>,
    tags: &'static str,
    requester_id: Uuid,
    assignee_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    first_response_at: Option<DateTime<Utc>>,
    solved_at: Option<DateTime<Utc>>,
    preview: String,
    first_response_due_at: DateTime<Utc>,
    resolution_due_at: DateTime<Utc>,
    next_due_at: Option<DateTime<Utc>>,
    pending_since: Option<DateTime<Utc>>,
    paused_seconds: i64,
    breached_first_response: bool,
    breached_resolution: bool,
    escalated: bool,
}

impl TicketRow {
    /// In the order of `TICKET_COLUMNS`.
    fn push_values(self, values: &mut Vec<Value>) {
        values.extend([
            Value::from(self.id),
            Value::from(self.workspace_id),
            Value::from(self.number),
            Value::from(self.subject),
            Value::from(self.status.as_str()),
            Value::from(self.priority.as_str()),
            Value::from(self.category.map(str::to_owned)),
            Value::from(self.tags),
            Value::from(self.requester_id),
            Value::from(self.assignee_id),
            Value::from(self.created_at),
            Value::from(self.updated_at),
            Value::from(self.first_response_at),
            Value::from(self.solved_at),
            Value::from(Some(self.preview)),
            Value::from(Some(self.first_response_due_at)),
            Value::from(Some(self.resolution_due_at)),
            Value::from(self.next_due_at),
            Value::from(self.pending_since),
            Value::from(self.paused_seconds),
            Value::from(self.breached_first_response),
            Value::from(self.breached_resolution),
            Value::from(self.escalated),
        ]);
    }

    fn push_message(&self, values: &mut Vec<Value>) {
        values.extend([
            Value::from(v7_at(self.created_at, self.number as u64 ^ 0x5eed)),
            Value::from(self.workspace_id),
            Value::from(self.id),
            Value::from(self.requester_id),
            Value::from(self.opening),
            Value::from(false),
            Value::from(self.created_at),
        ]);
    }
}

/// A version 7 UUID for the moment `at`, so ids sort like creation times, as the server's do.
fn v7_at(at: DateTime<Utc>, salt: u64) -> Uuid {
    let mut bytes = [0_u8; 10];
    let mixed = splitmix(salt ^ at.timestamp_micros() as u64);
    bytes[..8].copy_from_slice(&mixed.to_le_bytes());
    bytes[8..].copy_from_slice(&splitmix(mixed).to_le_bytes()[..2]);
    uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis().max(0) as u64, &bytes).into_uuid()
}

fn splitmix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// (category, subject with `{}` for a reference number, the customer's first message).
/// A ticket's category (none: left to the classifier), subject (`{}`: a reference number) and
/// first message.
type Topic = (Option<&'static str>, &'static str, &'static str);

const TOPICS: &[Topic] = &[
    (
        Some("billing"),
        "Invoice {} charges us twice",
        "Hello, this month's invoice charges us twice for the same seats. Could you correct it and send a new one?",
    ),
    (
        Some("billing"),
        "Refund for order {}",
        "I cancelled within the trial period but was still charged. Please refund the payment to my card.",
    ),
    (
        Some("billing"),
        "VAT number missing on invoice {}",
        "Our accounting needs our VAT number on the invoice. It is in the account settings but not on the PDF.",
    ),
    (
        Some("billing"),
        "Change the card on file",
        "Our company card expires next week. Where can I add the new one without losing the current plan?",
    ),
    (
        Some("technical"),
        "Export to CSV fails with error 500",
        "Every time I export the contacts to CSV the page shows an error 500. It worked last week.",
    ),
    (
        Some("technical"),
        "App crashes when uploading a photo",
        "The mobile app closes as soon as I pick a photo to attach. I have reinstalled it twice already.",
    ),
    (
        Some("technical"),
        "Sync stopped after the last update (ref {})",
        "Since yesterday's update our calendar no longer syncs. Nothing changed on our side.",
    ),
    (
        Some("technical"),
        "Login page keeps loading",
        "The sign-in page spins forever in Firefox and Chrome. Colleagues in the same office have the same problem.",
    ),
    (
        Some("account"),
        "Cannot reset my password",
        "The reset email never arrives. I checked the spam folder. Can you send it again or reset it for me?",
    ),
    (
        Some("account"),
        "Add a second admin to our account",
        "I am going on leave and need a colleague to manage the account meanwhile. How do I make her an admin?",
    ),
    (
        Some("account"),
        "Two-factor code never arrives",
        "I do not receive the SMS code any more since I changed phones. Same number, new phone.",
    ),
    (
        Some("account"),
        "Please close my account",
        "We moved to another tool. Please close our account and delete our data as the contract allows.",
    ),
    (
        Some("shipping"),
        "Parcel {} has not arrived",
        "The tracking page has said 'in transit' for ten days. Can you check with the carrier?",
    ),
    (
        Some("shipping"),
        "Wrong item in order {}",
        "I ordered the blue model and received the grey one. How do I send it back and get the right one?",
    ),
    (
        Some("shipping"),
        "Change the delivery address for order {}",
        "I moved last week; the order is not shipped yet. Can you send it to my new address instead?",
    ),
    (
        Some("feature request"),
        "Dark mode for the dashboard",
        "Our night shift would love a dark theme. Is it on the roadmap?",
    ),
    (
        Some("feature request"),
        "Bulk edit for contacts",
        "Editing 300 contacts one by one takes hours. A way to change a field on many at once would help a lot.",
    ),
    (
        None,
        "Question about your privacy policy",
        "Where are our data stored, and who are your sub-processors? Our legal team is asking.",
    ),
    (
        None,
        "Partnership enquiry",
        "We run a consultancy and would like to resell your product. Who should we talk to?",
    ),
    (
        None,
        "Thank you!",
        "Just wanted to say the last update made our team's work much easier. Keep it up.",
    ),
];

/// Rarer topics, each with its own share of the tickets (the rest draw evenly from `TOPICS`), so a
/// search meets words in one ticket of 30, 100 and 200 too: "webhook", "okta", "enterprise". On
/// PostgreSQL that is the slow middle of a search (too rare to be settled among the newest
/// documents, thousands of matches for the GIN index); the scale benchmark searches for each.
const RARE_TOPICS: &[(f64, Topic)] = &[
    (
        1.0 / 30.0,
        (
            Some("technical"),
            "Webhook deliveries arrive late",
            "Our webhook endpoint receives the events minutes after they happen since Monday. Is there a delay on your side?",
        ),
    ),
    (
        1.0 / 100.0,
        (
            Some("account"),
            "Single sign-on with Okta fails",
            "Since we moved our staff to Okta, signing in ends on a blank page. The old passwords still work.",
        ),
    ),
    (
        1.0 / 200.0,
        (
            None,
            "Quote for the enterprise plan",
            "We are 400 people across three offices. Could you send a quote for the enterprise plan with yearly billing?",
        ),
    ),
];

const REPLIES: [&str; 4] = [
    "Thanks for the details. I have passed this on to the team and will come back to you today.",
    "Could you send us a screenshot and the time it happened? That will help us find it in the logs.",
    "I have checked your account and found the cause. A fix is on its way; I will keep you posted.",
    "Sorry for the trouble! I have corrected it on our side; please tell us if anything still looks wrong.",
];

const SOLVED_REPLIES: [&str; 3] = [
    "This is fixed now. I am marking the ticket solved; just reply if it comes back.",
    "Glad we could sort it out. Have a good day!",
    "Done: the change is live on your account. Thank you for your patience.",
];

/// Medians of the generated delays in minutes: first response, then work until solved.
fn medians(priority: Priority) -> (f64, f64) {
    match priority {
        Priority::Urgent => (15.0, 120.0),
        Priority::High => (50.0, 360.0),
        Priority::Normal => (120.0, 1_200.0),
        Priority::Low => (300.0, 2_400.0),
    }
}

struct Generator {
    rng: StdRng,
    now: DateTime<Utc>,
    start: DateTime<Utc>,
    tickets: u64,
    /// Cumulative share of tickets created by the end of each hour of the period, from 0 to 1.
    cumulative: Vec<f64>,
    agents: Vec<Uuid>,
    /// Cumulative workload share of each agent: some take more tickets than others.
    agent_cumulative: Vec<f64>,
    customers: Vec<Uuid>,
}

impl Generator {
    fn new(options: &ScaleOptions, now: DateTime<Utc>, people: &People) -> Generator {
        let start = now - Duration::days(DAYS);
        let hours = (DAYS * 24) as usize;
        let mut cumulative = Vec::with_capacity(hours + 1);
        cumulative.push(0.0);
        let mut total = 0.0;
        for hour in 0..hours {
            let at = start + Duration::hours(hour as i64);
            // Busiest in European office hours (UTC), quiet at night and at weekends, growing slowly.
            let by_hour = match at.hour() {
                7..=16 => 1.0,
                6 | 17 | 18 => 0.6,
                19..=21 => 0.35,
                _ => 0.12,
            };
            let by_day = match at.weekday() {
                Weekday::Sat => 0.4,
                Weekday::Sun => 0.3,
                Weekday::Mon => 1.15,
                _ => 1.0,
            };
            let growth = 0.75 + 0.5 * hour as f64 / hours as f64;
            total += by_hour * by_day * growth;
            cumulative.push(total);
        }
        for value in &mut cumulative {
            *value /= total;
        }
        let mut agent_cumulative = Vec::with_capacity(people.agents.len());
        let mut load = 0.0;
        for index in 0..people.agents.len() {
            load += 1.0 + 0.25 * (index % 5) as f64;
            agent_cumulative.push(load);
        }
        for value in &mut agent_cumulative {
            *value /= load.max(1.0);
        }
        Generator {
            rng: StdRng::seed_from_u64(options.seed),
            now,
            start,
            tickets: options.tickets,
            cumulative,
            agents: people.agents.clone(),
            agent_cumulative,
            customers: people.customers.clone(),
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random::<f64>() < p
    }

    /// A standard normal draw (Box-Muller).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.rng.random::<f64>();
        let u2 = self.rng.random::<f64>();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// A log-normal delay with this median, at most 400 days.
    fn delay(&mut self, median_minutes: f64, sigma: f64) -> Duration {
        let minutes = (median_minutes * (sigma * self.normal()).exp()).min(400.0 * 1440.0);
        Duration::microseconds((minutes * 60_000_000.0) as i64)
    }

    fn agent(&mut self) -> Option<Uuid> {
        let draw = self.rng.random::<f64>();
        let index = self.agent_cumulative.partition_point(|share| *share <= draw);
        self.agents.get(index.min(self.agents.len().saturating_sub(1))).copied()
    }

    /// When ticket `index` (0-based) was created: strictly ordered like the numbers.
    fn created_at(&mut self, index: u64) -> DateTime<Utc> {
        let share = (index as f64 + self.rng.random::<f64>()) / self.tickets as f64;
        let hours = self.cumulative.len() - 1;
        let hour = self.cumulative.partition_point(|end| *end <= share).clamp(1, hours) - 1;
        let (low, high) = (self.cumulative[hour], self.cumulative[hour + 1]);
        let within = if high > low {
            ((share - low) / (high - low)).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let micros = ((hour as f64 + within) * 3_600_000_000.0) as i64;
        (self.start + Duration::microseconds(micros)).min(self.now)
    }

    /// A rarer topic with its share of the tickets, else one of `TOPICS` evenly.
    fn topic(&mut self) -> Topic {
        let mut roll = self.rng.random::<f64>();
        for (share, topic) in RARE_TOPICS {
            if roll < *share {
                return *topic;
            }
            roll -= share;
        }
        TOPICS[self.rng.random_range(0..TOPICS.len())]
    }

    fn ticket(&mut self, index: u64, workspace_id: Uuid) -> TicketRow {
        let now = self.now;
        let created_at = self.created_at(index);
        let priority = match self.rng.random::<f64>() {
            p if p < 0.05 => Priority::Urgent,
            p if p < 0.20 => Priority::High,
            p if p < 0.80 => Priority::Normal,
            _ => Priority::Low,
        };
        let policy = SlaPolicy::default_for(priority);
        let (category, subject, opening) = self.topic();
        let subject = subject.replace("{}", &format!("#{}", self.rng.random_range(10_000..100_000)));
        let tags = match self.rng.random::<f64>() {
            p if p < 0.05 => r#"["vip"]"#,
            p if p < 0.10 => r#"["refund"]"#,
            _ => "[]",
        };
        // A few customers write much more often than the others.
        let draw = self.rng.random::<f64>();
        let requester_id = self.customers
            [((draw * draw * self.customers.len() as f64) as usize).min(self.customers.len().saturating_sub(1))];

        let (response_median, work_median) = medians(priority);
        let response = created_at + self.delay(response_median, 0.9);
        let work = self.delay(work_median, 1.0);
        let waits = self.chance(0.25);
        let pause = if waits {
            self.delay(600.0, 1.2)
        } else {
            Duration::zero()
        };
        // A few tickets are never solved: they linger open or pending.
        let stale = self.chance(0.004);
        let pending_from = response + Duration::microseconds(work.num_microseconds().unwrap_or(0) / 5 * 2);
        let pending_until = pending_from + pause;
        let solved = response + work + pause;

        let mut assignee_id = None;
        let mut first_response_at = None;
        let mut solved_at = None;
        let mut pending_since = None;
        let mut paused = Duration::zero();
        let (status, updated_at, preview) = if response > now {
            if self.chance(0.35) {
                assignee_id = self.agent();
            }
            (TicketStatus::New, created_at, opening.to_owned())
        } else {
            first_response_at = Some(response);
            if self.chance(0.97) {
                assignee_id = self.agent();
            }
            let reply = REPLIES[self.rng.random_range(0..REPLIES.len())].to_owned();
            if waits && pending_from <= now && (stale || now < pending_until) {
                pending_since = Some(pending_from);
                (TicketStatus::Pending, pending_from, reply)
            } else if stale || now < solved {
                if waits && pending_until <= now {
                    paused = pause;
                    (TicketStatus::Open, pending_until, opening.to_owned())
                } else {
                    (TicketStatus::Open, response, reply)
                }
            } else {
                paused = pause;
                solved_at = Some(solved);
                let preview = SOLVED_REPLIES[self.rng.random_range(0..SOLVED_REPLIES.len())].to_owned();
                let closes = solved + Duration::days(4) + self.delay(600.0, 0.8);
                if closes <= now && self.chance(0.93) {
                    (TicketStatus::Closed, closes, preview)
                } else {
                    (TicketStatus::Solved, solved, preview)
                }
            }
        };

        // A target that passed while watched was breached, and the scheduler acted on it: an
        // unassigned ticket was given to an agent, an assigned one escalated.
        let first_response_due_at = created_at + Duration::minutes(i64::from(policy.first_response_minutes));
        let resolution_due_at = created_at + Duration::minutes(i64::from(policy.resolution_minutes)) + paused;
        let breached_first_response = first_response_at.unwrap_or(now) > first_response_due_at;
        let breached_resolution = match status {
            TicketStatus::Solved | TicketStatus::Closed => solved_at.is_some_and(|at| at > resolution_due_at),
            TicketStatus::Open => now > resolution_due_at,
            TicketStatus::Pending => pending_since.is_some_and(|at| at > resolution_due_at),
            TicketStatus::New => breached_first_response && now > resolution_due_at,
        };
        let mut escalated = false;
        if breached_first_response || breached_resolution {
            match assignee_id {
                None if status == TicketStatus::New => assignee_id = self.agent(),
                Some(_) => escalated = self.chance(0.5),
                None => {}
            }
        }
        let due = domain::deadlines(
            &policy,
            &SlaState {
                created_at,
                status,
                first_response_at,
                paused,
                breached_first_response,
                breached_resolution,
            },
        );
        TicketRow {
            id: v7_at(created_at, index),
            workspace_id,
            number: index as i64 + 1,
            subject,
            opening,
            status,
            priority,
            category,
            tags,
            requester_id,
            assignee_id,
            created_at,
            updated_at: updated_at.min(now),
            first_response_at,
            solved_at,
            preview: ferrodesk::tickets::domain::excerpt(&preview),
            first_response_due_at: due.first_response_due_at,
            resolution_due_at: due.resolution_due_at,
            next_due_at: due.next_due_at,
            pending_since,
            paused_seconds: paused.num_seconds(),
            breached_first_response,
            breached_resolution,
            escalated,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn generator(tickets: u64, now: DateTime<Utc>) -> Generator {
        let people = People {
            agents: (0..AGENTS).map(|_| Uuid::now_v7()).collect(),
            customers: (0..50).map(|_| Uuid::now_v7()).collect(),
        };
        let options = ScaleOptions {
            tickets,
            ..ScaleOptions::default()
        };
        Generator::new(&options, now, &people)
    }

    /// Tickets are drawn on a weekly curve, so what is still new depends on the hour the seed runs:
    /// on a Monday shortly after midnight the last hours hold almost nothing. A fixed clock keeps the
    /// status mix certain; the invariants are checked at the quiet hour too.
    #[test]
    fn tickets_are_ordered_consistent_and_never_due_in_the_past() {
        let busy = Utc.with_ymd_and_hms(2026, 12, 9, 14, 30, 0).unwrap();
        let statuses = check_tickets(busy);
        // Mostly done, a live backlog, every status present.
        let done = statuses.get("closed").copied().unwrap_or(0) + statuses.get("solved").copied().unwrap_or(0);
        assert!(done > 18_000, "{statuses:?}");
        assert_eq!(statuses.len(), 5, "{statuses:?}");

        let quiet = Utc.with_ymd_and_hms(2026, 12, 7, 0, 15, 0).unwrap();
        let statuses = check_tickets(quiet);
        assert!(statuses.get("closed").copied().unwrap_or(0) > 15_000, "{statuses:?}");
        check_tickets(clock::now());
    }

    fn check_tickets(now: DateTime<Utc>) -> BTreeMap<&'static str, u64> {
        let mut generator = generator(20_000, now);
        let workspace = Uuid::now_v7();
        let mut previous: Option<TicketRow> = None;
        let mut statuses = BTreeMap::new();
        for index in 0..20_000 {
            let ticket = generator.ticket(index, workspace);
            assert_eq!(ticket.number, index as i64 + 1);
            assert!(ticket.created_at <= now && ticket.created_at >= now - Duration::days(DAYS));
            assert!(ticket.updated_at >= ticket.created_at && ticket.updated_at <= now);
            // Microseconds, like the server's clock: what is stored is what is read back.
            for at in [
                Some(ticket.created_at),
                Some(ticket.updated_at),
                ticket.first_response_at,
                ticket.solved_at,
            ]
            .into_iter()
            .chain([ticket.pending_since, ticket.next_due_at, Some(ticket.resolution_due_at)])
            .flatten()
            {
                assert_eq!(at.timestamp_subsec_nanos() % 1000, 0, "{at}");
            }
            if let Some(previous) = &previous {
                assert!(ticket.created_at >= previous.created_at, "numbered in creation order");
                assert!(
                    ticket.id > previous.id
                        || ticket.created_at.timestamp_millis() == previous.created_at.timestamp_millis()
                );
            }
            if let Some(answered) = ticket.first_response_at {
                assert!(answered >= ticket.created_at && answered <= now);
            }
            if let Some(solved) = ticket.solved_at {
                assert!(solved >= ticket.first_response_at.unwrap_or(ticket.created_at) && solved <= now);
                assert!(matches!(ticket.status, TicketStatus::Solved | TicketStatus::Closed));
            } else {
                assert!(!matches!(ticket.status, TicketStatus::Solved | TicketStatus::Closed));
            }
            assert_eq!(ticket.status == TicketStatus::New, ticket.first_response_at.is_none());
            assert_eq!(ticket.status == TicketStatus::Pending, ticket.pending_since.is_some());
            // The scheduler would find nothing to do on this data.
            assert!(
                ticket.next_due_at.is_none_or(|due| due > now),
                "{:?}",
                ticket.next_due_at
            );
            *statuses.entry(ticket.status.as_str()).or_insert(0_u64) += 1;
            previous = Some(ticket);
        }
        statuses
    }

    /// The scale benchmark's middle searches rely on these shares.
    #[test]
    fn rarer_topics_come_at_their_share() {
        let mut generator = generator(60_000, clock::now());
        let mut counts = BTreeMap::new();
        for index in 0..60_000 {
            let subject = generator.ticket(index, Uuid::nil()).subject;
            *counts.entry(subject).or_insert(0_u32) += 1;
        }
        for (share, (_, subject, _)) in RARE_TOPICS {
            let expected = share * 60_000.0;
            let seen = f64::from(counts.get(*subject).copied().unwrap_or(0));
            assert!(
                (seen - expected).abs() < expected * 0.2,
                "{subject}: {seen} of about {expected}"
            );
        }
        // The even topics share the rest: one of them about (1 - 0.0483) / 20 of the tickets.
        let even = f64::from(counts.get("Dark mode for the dashboard").copied().unwrap_or(0));
        assert!((2_600.0..3_100.0).contains(&even), "{even}");
    }

    #[test]
    fn the_same_seed_gives_the_same_tickets() {
        let now = clock::now();
        let (mut first, mut second) = (generator(100, now), generator(100, now));
        second.agents = first.agents.clone();
        second.customers = first.customers.clone();
        for index in 0..100 {
            let (a, b) = (first.ticket(index, Uuid::nil()), second.ticket(index, Uuid::nil()));
            assert_eq!(
                (a.id, a.created_at, a.status, a.subject),
                (b.id, b.created_at, b.status, b.subject)
            );
        }
    }

    #[test]
    fn inserts_have_one_placeholder_per_value() {
        assert_eq!(
            insert_sql(DbBackend::Postgres, "t", &["a", "b"], 2),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(
            insert_sql(DbBackend::Sqlite, "t", &["a"], 2),
            "INSERT INTO t (a) VALUES (?), (?)"
        );
    }
}
