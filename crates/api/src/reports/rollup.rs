//! Kept counters for the inbox counts and the dashboard (migration m20261212): every ticket
//! contributes to a few rows (its status and assignee now; the quarter hour and UTC day it was
//! created and solved, per agent; its response and resolution times as histogram bins), and the
//! tables hold the sum of those contributions. A change moves them by `contribution(after) -
//! contribution(before)` in its own transaction (`Deltas`, from `tickets::repo::save_many` and
//! `insert_many`), so they equal a count over the tickets at every commit; `rebuild` recomputes them
//! from the tickets with the same function.
//!
//! Lock order: the change's tickets, then the workspace row (`workspaces::repo::allocate`), then these
//! rows, in key order. A rebuild takes the workspace row first too, so it never waits in a circle with a
//! change, and a change that has not reached the workspace row yet moves the counters after the
//! rebuild committed, from the state the rebuild read.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, DurationRound, Months, TimeZone, Utc};
use ferrodesk_shared::tickets::TicketStatus;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::db::placeholder;
use crate::error::{ApiError, ApiResult};
use crate::tickets::state::TicketState;

/// What the counters need of a ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub status: TicketStatus,
    pub assignee: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub solved_at: Option<DateTime<Utc>>,
    pub breached: bool,
}

impl Facts {
    pub fn of(state: &TicketState) -> Facts {
        Facts {
            status: state.status,
            assignee: state.assignee,
            created_at: state.clock.created_at,
            first_response_at: state.first_response_at,
            solved_at: state.solved_at,
            breached: state.clock.breached_first_response || state.clock.breached_resolution,
        }
    }

    fn agent(&self) -> Uuid {
        self.assignee.unwrap_or(Uuid::nil())
    }

    fn first_response_ms(&self) -> Option<i64> {
        self.first_response_at
            .map(|at| (at - self.created_at).num_milliseconds().max(0))
    }

    fn resolution_ms(&self) -> Option<i64> {
        self.solved_at
            .map(|at| (at - self.created_at).num_milliseconds().max(0))
    }
}

/// Which duration a histogram is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    /// Created to first public reply, by the ticket's creation day and assignee.
    FirstResponse = 1,
    /// Created to solved, by the solving day (no agent: only the overall median is shown).
    Resolution = 2,
}

/// Per UTC day and agent: the `report_days` columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayCounts {
    pub created: i64,
    pub breached: i64,
    pub solved: i64,
    pub first_responses: i64,
    pub first_response_ms: i64,
    pub resolutions: i64,
    pub resolution_ms: i64,
}

impl DayCounts {
    fn add(&mut self, other: &DayCounts, sign: i64) {
        self.created += sign * other.created;
        self.breached += sign * other.breached;
        self.solved += sign * other.solved;
        self.first_responses += sign * other.first_responses;
        self.first_response_ms += sign * other.first_response_ms;
        self.resolutions += sign * other.resolutions;
        self.resolution_ms += sign * other.resolution_ms;
    }

    fn is_zero(&self) -> bool {
        *self == DayCounts::default()
    }

    fn values(&self) -> [i64; 7] {
        [
            self.created,
            self.breached,
            self.solved,
            self.first_responses,
            self.first_response_ms,
            self.resolutions,
            self.resolution_ms,
        ]
    }
}

const DAY_COLUMNS: [&str; 7] = [
    "created",
    "breached",
    "solved",
    "first_responses",
    "first_response_ms",
    "resolutions",
    "resolution_ms",
];

/// Which side of a ticket's life an overview range reads directly (`Deltas::created_side`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Created,
    Solved,
}

/// Counter moves, summed per row key. Ordered maps: rows are written in key order, so two changes
/// never lock the same rows in opposite orders.
#[derive(Debug, Default, Clone, PartialEq)]
#[must_use = "counter moves are written with `apply`, after the workspace's lock"]
pub struct Deltas {
    /// Per (status, assignee or the nil uuid).
    pub counts: BTreeMap<(&'static str, Uuid), i64>,
    /// (created, solved) per quarter hour.
    pub quarters: BTreeMap<DateTime<Utc>, (i64, i64)>,
    pub days: BTreeMap<(DateTime<Utc>, Uuid), DayCounts>,
    pub bins: BTreeMap<(Metric, DateTime<Utc>, Uuid, i16), Bin>,
}

/// The start of the quarter hour `at` is in. Every time zone's offset is a whole number of quarter
/// hours, so local midnights are quarter boundaries.
pub fn quarter(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::minutes(15)).unwrap_or(at)
}

pub fn day(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::days(1)).unwrap_or(at)
}

/// The start of the UTC calendar month `at` is in.
pub fn month(at: DateTime<Utc>) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(at.year(), at.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(at)
}

/// The first month start at or after `at`.
fn month_at_or_after(at: DateTime<Utc>) -> DateTime<Utc> {
    let start = month(at);
    if start == at {
        return at;
    }
    start.checked_add_months(Months::new(1)).unwrap_or(at)
}

/// The durations that fell in one histogram bin: how many, and their sum, so a bin holding one
/// value gives it back exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bin {
    pub n: i64,
    pub ms: i64,
}

impl Bin {
    fn add(&mut self, other: Bin, sign: i64) {
        self.n += sign * other.n;
        self.ms += sign * other.ms;
    }
}

/// Histogram bins of minutes: [0, 1) is bin 0, then bin b covers [1.1^(b-1), 1.1^b): at most 10%
/// wide, so a median read from them is within 5% of the exact one.
const GROWTH: f64 = 1.1;

pub fn bin(minutes: f64) -> i16 {
    if minutes < 1.0 {
        return 0;
    }
    (1.0 + (minutes.ln() / GROWTH.ln()).floor()).min(f64::from(i16::MAX)) as i16
}

/// The minutes bin `bin` covers.
pub fn bin_bounds(bin: i16) -> (f64, f64) {
    if bin <= 0 {
        return (0.0, 1.0);
    }
    (GROWTH.powi(i32::from(bin) - 1), GROWTH.powi(i32::from(bin)))
}

fn minutes(ms: i64) -> f64 {
    ms as f64 / 60_000.0
}

impl Deltas {
    /// What the change from `before` to `after` moves (a new ticket: `before` is `None`).
    pub fn between(before: Option<&TicketState>, after: &TicketState) -> Deltas {
        let mut deltas = Deltas::default();
        deltas.add(&Facts::of(after), 1);
        if let Some(before) = before {
            deltas.add(&Facts::of(before), -1);
        }
        deltas.prune();
        deltas
    }

    pub fn merge(&mut self, other: Deltas) {
        for (key, n) in other.counts {
            *self.counts.entry(key).or_default() += n;
        }
        for (key, (created, solved)) in other.quarters {
            let entry = self.quarters.entry(key).or_default();
            entry.0 += created;
            entry.1 += solved;
        }
        for (key, counts) in other.days {
            self.days.entry(key).or_default().add(&counts, 1);
        }
        for (key, bin) in other.bins {
            self.bins.entry(key).or_default().add(bin, 1);
        }
        self.prune();
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty() && self.quarters.is_empty() && self.days.is_empty() && self.bins.is_empty()
    }

    /// Adds `sign` times the ticket's contribution.
    pub fn add(&mut self, facts: &Facts, sign: i64) {
        *self.counts.entry((facts.status.as_str(), facts.agent())).or_default() += sign;
        self.add_side(facts, Side::Created, sign);
        self.add_side(facts, Side::Solved, sign);
    }

    /// One side of the ticket's contribution: what hangs on its creation time, or on its solving time.
    pub fn add_side(&mut self, facts: &Facts, side: Side, sign: i64) {
        let agent = facts.agent();
        match side {
            Side::Created => {
                self.quarters.entry(quarter(facts.created_at)).or_default().0 += sign;
                let mut counts = DayCounts {
                    created: 1,
                    breached: i64::from(facts.breached),
                    ..DayCounts::default()
                };
                if let Some(ms) = facts.first_response_ms() {
                    counts.first_responses = 1;
                    counts.first_response_ms = ms;
                    let key = (Metric::FirstResponse, day(facts.created_at), agent, bin(minutes(ms)));
                    self.bins.entry(key).or_default().add(Bin { n: 1, ms }, sign);
                }
                self.days
                    .entry((day(facts.created_at), agent))
                    .or_default()
                    .add(&counts, sign);
            }
            Side::Solved => {
                let (Some(solved_at), Some(ms)) = (facts.solved_at, facts.resolution_ms()) else {
                    return;
                };
                self.quarters.entry(quarter(solved_at)).or_default().1 += sign;
                let counts = DayCounts {
                    solved: 1,
                    resolutions: 1,
                    resolution_ms: ms,
                    ..DayCounts::default()
                };
                self.days.entry((day(solved_at), agent)).or_default().add(&counts, sign);
                let key = (Metric::Resolution, day(solved_at), Uuid::nil(), bin(minutes(ms)));
                self.bins.entry(key).or_default().add(Bin { n: 1, ms }, sign);
            }
        }
    }

    fn prune(&mut self) {
        self.counts.retain(|_, n| *n != 0);
        self.quarters
            .retain(|_, (created, solved)| *created != 0 || *solved != 0);
        self.days.retain(|_, counts| !counts.is_zero());
        self.bins.retain(|_, bin| *bin != Bin::default());
    }
}

/// One multi-row upsert that adds `rows`' values to the stored ones.
struct Upsert {
    table: &'static str,
    keys: &'static [&'static str],
    values: &'static [&'static str],
    rows: Vec<Vec<Value>>,
}

fn upserts(scope: &WorkspaceScope, deltas: &Deltas) -> Vec<Upsert> {
    let workspace: Value = scope.uuid().into();
    let mut upserts = Vec::new();
    if !deltas.counts.is_empty() {
        upserts.push(Upsert {
            table: "ticket_counts",
            keys: &["workspace_id", "status", "assignee_id"],
            values: &["n"],
            rows: deltas
                .counts
                .iter()
                .map(|((status, assignee), n)| {
                    vec![workspace.clone(), (*status).into(), (*assignee).into(), (*n).into()]
                })
                .collect(),
        });
    }
    if !deltas.quarters.is_empty() {
        upserts.push(Upsert {
            table: "report_quarters",
            keys: &["workspace_id", "quarter"],
            values: &["created", "solved"],
            rows: deltas
                .quarters
                .iter()
                .map(|(at, (created, solved))| {
                    vec![workspace.clone(), (*at).into(), (*created).into(), (*solved).into()]
                })
                .collect(),
        });
    }
    if !deltas.days.is_empty() {
        upserts.push(Upsert {
            table: "report_days",
            keys: &["workspace_id", "day", "agent_id"],
            values: &DAY_COLUMNS,
            rows: day_rows(&workspace, &deltas.days),
        });
    }
    if !deltas.bins.is_empty() {
        upserts.push(Upsert {
            table: "report_bins",
            keys: &["workspace_id", "metric", "day", "agent_id", "bin"],
            values: &["n", "ms"],
            rows: bin_rows(&workspace, &deltas.bins),
        });
    }
    // The same moves summed per UTC month (migration m20261214), so a year reads twelve months of
    // rows and the days at its ends instead of 365 days.
    let mut months: BTreeMap<(DateTime<Utc>, Uuid), DayCounts> = BTreeMap::new();
    for ((at, agent), counts) in &deltas.days {
        months.entry((month(*at), *agent)).or_default().add(counts, 1);
    }
    months.retain(|_, counts| !counts.is_zero());
    if !months.is_empty() {
        upserts.push(Upsert {
            table: "report_months",
            keys: &["workspace_id", "month", "agent_id"],
            values: &DAY_COLUMNS,
            rows: day_rows(&workspace, &months),
        });
    }
    let mut month_bins: BTreeMap<(Metric, DateTime<Utc>, Uuid, i16), Bin> = BTreeMap::new();
    for ((metric, at, agent, bin), counts) in &deltas.bins {
        month_bins
            .entry((*metric, month(*at), *agent, *bin))
            .or_default()
            .add(*counts, 1);
    }
    month_bins.retain(|_, counts| *counts != Bin::default());
    if !month_bins.is_empty() {
        upserts.push(Upsert {
            table: "report_month_bins",
            keys: &["workspace_id", "metric", "month", "agent_id", "bin"],
            values: &["n", "ms"],
            rows: bin_rows(&workspace, &month_bins),
        });
    }
    upserts
}

fn day_rows(workspace: &Value, days: &BTreeMap<(DateTime<Utc>, Uuid), DayCounts>) -> Vec<Vec<Value>> {
    days.iter()
        .map(|((at, agent), counts)| {
            let mut row = vec![workspace.clone(), (*at).into(), (*agent).into()];
            row.extend(counts.values().map(Value::from));
            row
        })
        .collect()
}

fn bin_rows(workspace: &Value, bins: &BTreeMap<(Metric, DateTime<Utc>, Uuid, i16), Bin>) -> Vec<Vec<Value>> {
    bins.iter()
        .map(|((metric, at, agent, bin), counts)| {
            vec![
                workspace.clone(),
                (*metric as i16).into(),
                (*at).into(),
                (*agent).into(),
                (*bin).into(),
                counts.n.into(),
                counts.ms.into(),
            ]
        })
        .collect()
}

/// Rows per statement, well under both databases' limits on bound values.
const CHUNK: usize = 500;

/// Writes `deltas` in the caller's transaction, after the workspace's lock: on PostgreSQL one
/// statement (the upserts as data-modifying CTEs), on SQLite one per table.
pub async fn apply(conn: &impl ConnectionTrait, scope: &WorkspaceScope, deltas: Deltas) -> ApiResult<()> {
    if deltas.is_empty() {
        return Ok(());
    }
    let backend = conn.get_database_backend();
    let mut parts = Vec::new();
    for upsert in upserts(scope, &deltas) {
        for chunk in upsert.rows.chunks(CHUNK) {
            parts.push((upsert.table, upsert.keys, upsert.values, chunk.to_vec()));
        }
    }
    if backend == DbBackend::Postgres {
        // A change's moves are a few rows: one statement. A rebuild's are many: as few statements as
        // the protocol's 65,535 bound values allow.
        let mut values = Vec::new();
        let mut ctes = Vec::new();
        for (table, keys, columns, rows) in parts {
            if values.len() + rows.len() * (keys.len() + columns.len()) > 60_000 {
                let sql = format!("WITH {} SELECT 1", ctes.join(", "));
                conn.execute_raw(Statement::from_sql_and_values(
                    backend,
                    sql,
                    std::mem::take(&mut values),
                ))
                .await?;
                ctes.clear();
            }
            let index = ctes.len();
            ctes.push(format!(
                "u{index} AS ({})",
                upsert_sql(backend, table, keys, columns, &rows, &mut values)
            ));
        }
        let sql = format!("WITH {} SELECT 1", ctes.join(", "));
        conn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        return Ok(());
    }
    for (table, keys, columns, rows) in parts {
        let mut values = Vec::new();
        let sql = upsert_sql(backend, table, keys, columns, &rows, &mut values);
        conn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    }
    Ok(())
}

fn upsert_sql(
    backend: DbBackend,
    table: &str,
    keys: &[&str],
    columns: &[&str],
    rows: &[Vec<Value>],
    values: &mut Vec<Value>,
) -> String {
    let tuples: Vec<String> = rows
        .iter()
        .map(|row| {
            let marks: Vec<String> = row
                .iter()
                .map(|value| {
                    values.push(value.clone());
                    placeholder(backend, values.len())
                })
                .collect();
            format!("({})", marks.join(", "))
        })
        .collect();
    let updates: Vec<String> = columns
        .iter()
        .map(|column| format!("{column} = {table}.{column} + excluded.{column}"))
        .collect();
    format!(
        "INSERT INTO {table} ({}, {}) VALUES {} ON CONFLICT ({}) DO UPDATE SET {}",
        keys.join(", "),
        columns.join(", "),
        tuples.join(", "),
        keys.join(", "),
        updates.join(", ")
    )
}

/// The facts of tickets of this workspace, in id order after `after`, `limit` at most; with
/// `window`, only those whose `column` falls in it.
pub async fn facts(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    window: Option<(&str, DateTime<Utc>, DateTime<Utc>)>,
    after: Option<Uuid>,
    limit: u64,
) -> ApiResult<Vec<(Uuid, Facts)>> {
    let backend = conn.get_database_backend();
    let mut values: Vec<Value> = vec![scope.uuid().into()];
    let mut sql = "SELECT id, status, assignee_id, created_at, first_response_at, solved_at, \
                   breached_first_response, breached_resolution FROM tickets WHERE workspace_id = "
        .to_owned();
    sql.push_str(&placeholder(backend, 1));
    if let Some((column, start, end)) = window {
        values.extend([start.into(), end.into()]);
        sql.push_str(&format!(
            " AND {column} >= {} AND {column} < {}",
            placeholder(backend, values.len() - 1),
            placeholder(backend, values.len())
        ));
    }
    if let Some(after) = after {
        values.push(after.into());
        sql.push_str(&format!(" AND id > {}", placeholder(backend, values.len())));
    }
    sql.push_str(&format!(" ORDER BY id LIMIT {limit}"));
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    rows.into_iter()
        .map(|row| {
            let status: String = row.try_get("", "status")?;
            let status = status
                .parse()
                .map_err(|_| ApiError::Internal(anyhow::anyhow!("a stored status `{status}`")))?;
            Ok((
                row.try_get("", "id")?,
                Facts {
                    status,
                    assignee: row.try_get("", "assignee_id")?,
                    created_at: row.try_get("", "created_at")?,
                    first_response_at: row.try_get("", "first_response_at")?,
                    solved_at: row.try_get("", "solved_at")?,
                    breached: row.try_get::<bool>("", "breached_first_response")?
                        || row.try_get::<bool>("", "breached_resolution")?,
                },
            ))
        })
        .collect()
}

/// Recomputes the workspace's counters from its tickets, in the caller's write transaction (which
/// must hold the workspace's lock first: `lock_workspace`). How many tickets it read.
pub async fn rebuild(conn: &impl ConnectionTrait, scope: &WorkspaceScope, now: DateTime<Utc>) -> ApiResult<u64> {
    let backend = conn.get_database_backend();
    for table in [
        "ticket_counts",
        "report_quarters",
        "report_days",
        "report_bins",
        "report_months",
        "report_month_bins",
    ] {
        conn.execute_raw(Statement::from_sql_and_values(
            backend,
            format!("DELETE FROM {table} WHERE workspace_id = {}", placeholder(backend, 1)),
            [scope.uuid().into()],
        ))
        .await?;
    }
    let mut deltas = Deltas::default();
    let mut after = None;
    let mut read = 0;
    loop {
        let page = facts(conn, scope, None, after, 20_000).await?;
        let Some((last, _)) = page.last() else {
            break;
        };
        after = Some(*last);
        read += page.len() as u64;
        for (_, facts) in &page {
            deltas.add(facts, 1);
        }
    }
    deltas.prune();
    apply(conn, scope, deltas).await?;
    let sql = format!(
        "INSERT INTO rollup_builds (workspace_id, built_at) VALUES ({}, {}) \
         ON CONFLICT (workspace_id) DO UPDATE SET built_at = excluded.built_at",
        placeholder(backend, 1),
        placeholder(backend, 2)
    );
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [scope.uuid().into(), now.into()],
    ))
    .await?;
    Ok(read)
}

/// The workspace row's lock, taken first by a rebuild (SQLite's writers are serial already).
pub async fn lock_workspace(conn: &impl ConnectionTrait, scope: &WorkspaceScope) -> ApiResult<()> {
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT id FROM workspaces WHERE id = $1 FOR UPDATE",
            [scope.uuid().into()],
        ))
        .await?;
    }
    Ok(())
}

/// Workspaces whose counters were never computed from their tickets (made before the counters
/// existed).
pub async fn unbuilt(conn: &impl ConnectionTrait) -> ApiResult<Vec<Uuid>> {
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT id FROM workspaces WHERE id NOT IN (SELECT workspace_id FROM rollup_builds)",
        ))
        .await?;
    rows.into_iter().map(|row| Ok(row.try_get("", "id")?)).collect()
}

/// Computes the counters of every workspace that has none yet (made before they existed), each in
/// its own transaction; at start-up, before the server answers.
pub async fn build_missing(db: &sea_orm::DatabaseConnection, now: DateTime<Utc>) -> ApiResult<u64> {
    let mut built = 0;
    for workspace in unbuilt(db).await? {
        rebuild_workspace(db, workspace, now, true).await?;
        built += 1;
    }
    Ok(built)
}

/// `rebuild` in a transaction of its own, under the workspace's lock (`ferrodesk reports rebuild`,
/// the demo after backdating, the benchmarks' seeding). With `only_unbuilt`, skipped when another
/// instance built it meanwhile. How many tickets it read.
pub async fn rebuild_workspace(
    db: &sea_orm::DatabaseConnection,
    workspace: Uuid,
    now: DateTime<Utc>,
    only_unbuilt: bool,
) -> ApiResult<u64> {
    let scope = WorkspaceScope::for_operator(ferrodesk_shared::WorkspaceId(workspace));
    let txn = crate::db::begin_write(db).await?;
    lock_workspace(&txn, &scope).await?;
    if only_unbuilt && !unbuilt(&txn).await?.contains(&workspace) {
        return Ok(0);
    }
    let read = rebuild(&txn, &scope, now).await?;
    txn.commit().await?;
    Ok(read)
}

/// The kept counts of the workspace's tickets per status and assignee (`None`: unassigned), empty
/// groups left out.
pub async fn counts(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
) -> ApiResult<Vec<(TicketStatus, Option<Uuid>, i64)>> {
    let backend = conn.get_database_backend();
    let sql = format!(
        "SELECT status, assignee_id, n FROM ticket_counts WHERE workspace_id = {} AND n <> 0",
        placeholder(backend, 1)
    );
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, [scope.uuid().into()]))
        .await?;
    rows.into_iter()
        .map(|row| {
            let status: String = row.try_get("", "status")?;
            let status = status
                .parse()
                .map_err(|_| ApiError::Internal(anyhow::anyhow!("a counted status `{status}`")))?;
            let assignee: Uuid = row.try_get("", "assignee_id")?;
            Ok((status, (!assignee.is_nil()).then_some(assignee), row.try_get("", "n")?))
        })
        .collect()
}

/// What the dashboard reads for a range: the kept rows of the whole UTC days inside it, and the
/// tickets of its partial days at either end read directly and counted with the same function.
#[derive(Debug, Default)]
pub struct Range {
    /// Created and solved per quarter hour in the range.
    pub quarters: BTreeMap<DateTime<Utc>, (i64, i64)>,
    /// Per agent (the nil uuid: unassigned), summed over the range.
    pub agents: BTreeMap<Uuid, DayCounts>,
    /// First-response bins per agent, and resolution bins, summed over the range.
    pub first_response_bins: BTreeMap<Uuid, BTreeMap<i16, Bin>>,
    pub resolution_bins: BTreeMap<i16, Bin>,
}

impl Range {
    pub fn totals(&self) -> DayCounts {
        let mut total = DayCounts::default();
        for counts in self.agents.values() {
            total.add(counts, 1);
        }
        total
    }

    fn absorb(&mut self, deltas: Deltas) {
        for (at, (created, solved)) in deltas.quarters {
            let entry = self.quarters.entry(at).or_default();
            entry.0 += created;
            entry.1 += solved;
        }
        for ((_, agent), counts) in deltas.days {
            self.agents.entry(agent).or_default().add(&counts, 1);
        }
        for ((metric, _, agent, bin), counts) in deltas.bins {
            match metric {
                Metric::FirstResponse => {
                    self.first_response_bins
                        .entry(agent)
                        .or_default()
                        .entry(bin)
                        .or_default()
                        .add(counts, 1);
                }
                Metric::Resolution => self.resolution_bins.entry(bin).or_default().add(counts, 1),
            }
        }
    }
}

/// The counters of [start, end) (quarter-hour bounds).
pub async fn range(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ApiResult<Range> {
    let backend = conn.get_database_backend();
    let p = |n| placeholder(backend, n);
    let bounds =
        |from: DateTime<Utc>, to: DateTime<Utc>| -> Vec<Value> { vec![scope.uuid().into(), from.into(), to.into()] };
    let mut range = Range::default();
    let sql = format!(
        "SELECT quarter, created, solved FROM report_quarters WHERE workspace_id = {} AND quarter >= {} AND quarter < {}",
        p(1),
        p(2),
        p(3)
    );
    for row in conn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, bounds(start, end)))
        .await?
    {
        range.quarters.insert(
            row.try_get("", "quarter")?,
            (row.try_get("", "created")?, row.try_get("", "solved")?),
        );
    }

    // Whole UTC days from the kept rows; the rest of each end from the tickets.
    let first_day = day(start)
        + if day(start) < start {
            Duration::days(1)
        } else {
            Duration::zero()
        };
    // A range that ends after now ends, as far as anything counted goes, at the end of today's
    // UTC day: nothing happened after now, so today's kept row holds exactly the day so far.
    // Without this, the hours of today before `end` were read from the tickets: on a busy
    // evening at a million tickets, 4,500 created and 2,300 solved (10-15 ms on SQLite).
    let last_day = if end >= now && day(end) < end {
        day(end) + Duration::days(1)
    } else {
        day(end)
    };
    let mut direct = vec![(start, end)];
    if first_day < last_day {
        direct = vec![(start, first_day), (last_day, end)];
        // Whole months from the monthly rows, the days around them from the daily ones.
        let (first_month, last_month) = (month_at_or_after(first_day), month(last_day));
        let spans = if first_month < last_month {
            vec![
                (Level::Days, first_day, first_month),
                (Level::Months, first_month, last_month),
                (Level::Days, last_month, last_day),
            ]
        } else {
            vec![(Level::Days, first_day, last_day)]
        };
        for (level, from, to) in spans.into_iter().filter(|(_, from, to)| from < to) {
            kept(conn, scope, level, from, to, &mut range).await?;
        }
    }
    for (from, to) in direct.into_iter().filter(|(from, to)| from < to) {
        for (column, side) in [("created_at", Side::Created), ("solved_at", Side::Solved)] {
            let mut deltas = Deltas::default();
            let mut after = None;
            loop {
                let page = facts(conn, scope, Some((column, from, to)), after, 20_000).await?;
                let Some((last, _)) = page.last() else {
                    break;
                };
                after = Some(*last);
                for (_, facts) in &page {
                    deltas.add_side(facts, side, 1);
                }
            }
            // The quarters came from their own table.
            deltas.quarters.clear();
            range.absorb(deltas);
        }
    }
    Ok(range)
}

/// Which kept rows a span of whole UTC days is read from.
#[derive(Debug, Clone, Copy)]
enum Level {
    Days,
    Months,
}

impl Level {
    /// (counts table, bins table, their time column).
    fn tables(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Level::Days => ("report_days", "report_bins", "day"),
            Level::Months => ("report_months", "report_month_bins", "month"),
        }
    }
}

/// Adds the kept rows of [from, to) (whole days, or whole months for `Level::Months`) to `range`,
/// summed by the database.
async fn kept(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    level: Level,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    range: &mut Range,
) -> ApiResult<()> {
    let backend = conn.get_database_backend();
    let p = |n| placeholder(backend, n);
    let (counts_table, bins_table, column) = level.tables();
    let read = |sql: String| {
        conn.query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [scope.uuid().into(), from.into(), to.into()],
        ))
    };
    // SUM of bigint is numeric on PostgreSQL: cast back.
    let sums: Vec<String> = DAY_COLUMNS
        .iter()
        .map(|column| format!("CAST(SUM({column}) AS BIGINT) AS {column}"))
        .collect();
    let sql = format!(
        "SELECT agent_id, {} FROM {counts_table} WHERE workspace_id = {} AND {column} >= {} AND {column} < {} GROUP BY agent_id",
        sums.join(", "),
        p(1),
        p(2),
        p(3)
    );
    for row in read(sql).await? {
        let mut values = [0_i64; 7];
        for (value, column) in values.iter_mut().zip(DAY_COLUMNS) {
            *value = row.try_get("", column)?;
        }
        let [
            created,
            breached,
            solved,
            first_responses,
            first_response_ms,
            resolutions,
            resolution_ms,
        ] = values;
        range.agents.entry(row.try_get("", "agent_id")?).or_default().add(
            &DayCounts {
                created,
                breached,
                solved,
                first_responses,
                first_response_ms,
                resolutions,
                resolution_ms,
            },
            1,
        );
    }
    let sql = format!(
        "SELECT metric, agent_id, bin, CAST(SUM(n) AS BIGINT) AS n, CAST(SUM(ms) AS BIGINT) AS ms FROM {bins_table} \
         WHERE workspace_id = {} AND metric IN (1, 2) AND {column} >= {} AND {column} < {} GROUP BY metric, agent_id, bin",
        p(1),
        p(2),
        p(3)
    );
    for row in read(sql).await? {
        let counts = Bin {
            n: row.try_get("", "n")?,
            ms: row.try_get("", "ms")?,
        };
        let bin: i16 = row.try_get("", "bin")?;
        if row.try_get::<i16>("", "metric")? == Metric::FirstResponse as i16 {
            let agent: Uuid = row.try_get("", "agent_id")?;
            range
                .first_response_bins
                .entry(agent)
                .or_default()
                .entry(bin)
                .or_default()
                .add(counts, 1);
        } else {
            range.resolution_bins.entry(bin).or_default().add(counts, 1);
        }
    }
    Ok(())
}

/// A median from histogram bins, as `percentile_cont(0.5)` would give on values spread evenly around
/// each bin's mean, within its bounds: exact where the middle values are alone in their bins.
pub fn median_of_bins(bins: &BTreeMap<i16, Bin>) -> Option<f64> {
    let total: i64 = bins.values().map(|bin| bin.n.max(0)).sum();
    if total <= 0 {
        return None;
    }
    let at = |rank: i64| -> f64 {
        let mut seen = 0;
        for (index, counts) in bins {
            let n = counts.n.max(0);
            if rank < seen + n {
                let (low, high) = bin_bounds(*index);
                let mean = (minutes(counts.ms) / n as f64).clamp(low, high);
                let offset = (rank - seen) as f64 - (n - 1) as f64 / 2.0;
                return (mean + offset * (high - low) / n as f64).clamp(low, high);
            }
            seen += n;
        }
        bin_bounds(*bins.keys().next_back().unwrap_or(&0)).1
    };
    let middle = (total - 1) / 2;
    Some(if total % 2 == 1 {
        at(middle)
    } else {
        (at(middle) + at(middle + 1)) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn facts(status: TicketStatus, assignee: Option<Uuid>) -> Facts {
        Facts {
            status,
            assignee,
            created_at: at("2026-12-01T10:07:30Z"),
            first_response_at: None,
            solved_at: None,
            breached: false,
        }
    }

    #[test]
    fn bins_are_ten_percent_wide_and_hold_their_values() {
        for minutes in [0.0, 0.5, 1.0, 1.05, 2.0, 59.9, 60.0, 61.0, 1_440.0, 100_000.0] {
            let (low, high) = bin_bounds(bin(minutes));
            assert!(low <= minutes && minutes < high, "{minutes} in [{low}, {high})");
            assert!(high <= (low * 1.1 + 1e-9).max(1.0), "{minutes}: [{low}, {high})");
        }
    }

    #[test]
    fn a_median_of_bins_is_near_the_exact_median() {
        let cases: [&[f64]; 4] = [
            &[5.0],
            &[3.0, 90.0],
            &[1.0, 2.0, 2.5, 400.0, 9_000.0],
            &[0.2, 0.4, 0.9, 12.0],
        ];
        for values in cases {
            let mut bins: BTreeMap<i16, Bin> = BTreeMap::new();
            for value in values {
                bins.entry(bin(*value)).or_default().add(
                    Bin {
                        n: 1,
                        ms: (value * 60_000.0) as i64,
                    },
                    1,
                );
            }
            let mut sorted = values.to_vec();
            sorted.sort_by(f64::total_cmp);
            let middle = sorted.len() / 2;
            let exact = if sorted.len() % 2 == 1 {
                sorted[middle]
            } else {
                (sorted[middle - 1] + sorted[middle]) / 2.0
            };
            let estimate = median_of_bins(&bins).unwrap();
            assert!(
                (estimate - exact).abs() <= exact * 0.1 + 1.0,
                "{values:?}: {estimate} for {exact}"
            );
        }
        assert_eq!(median_of_bins(&BTreeMap::new()), None);
        // Alone in its bin, a value comes back as it was.
        let alone = BTreeMap::from([
            (bin(30.0), Bin { n: 1, ms: 1_800_000 }),
            (bin(60.0), Bin { n: 1, ms: 3_600_000 }),
            (bin(90.0), Bin { n: 1, ms: 5_400_000 }),
        ]);
        assert_eq!(median_of_bins(&alone), Some(60.0));
    }

    #[test]
    fn a_change_moves_only_what_differs() {
        let agent = Uuid::now_v7();
        let before = facts(TicketStatus::New, None);
        let mut after = before.clone();
        after.status = TicketStatus::Solved;
        after.assignee = Some(agent);
        after.first_response_at = Some(at("2026-12-01T10:37:30Z"));
        after.solved_at = Some(at("2026-12-02T01:00:00Z"));
        let mut deltas = Deltas::default();
        deltas.add(&after, 1);
        deltas.add(&before, -1);
        deltas.prune();
        assert_eq!(
            deltas.counts,
            BTreeMap::from([(("new", Uuid::nil()), -1), (("solved", agent), 1)])
        );
        // Created in the same quarter as before: only the solving quarter moves.
        assert_eq!(deltas.quarters, BTreeMap::from([(at("2026-12-02T01:00:00Z"), (0, 1))]));
        let created_day = at("2026-12-01T00:00:00Z");
        assert_eq!(deltas.days[&(created_day, Uuid::nil())].created, -1);
        let mine = deltas.days[&(created_day, agent)];
        assert_eq!(
            (mine.created, mine.first_responses, mine.first_response_ms),
            (1, 1, 1_800_000)
        );
        assert_eq!(deltas.days[&(at("2026-12-02T00:00:00Z"), agent)].solved, 1);
        assert_eq!(
            deltas.bins.keys().copied().collect::<Vec<_>>(),
            vec![
                (Metric::FirstResponse, created_day, agent, bin(30.0)),
                (Metric::Resolution, at("2026-12-02T00:00:00Z"), Uuid::nil(), bin(892.5)),
            ]
        );

        // The same state again moves nothing.
        let mut none = Deltas::default();
        none.add(&after, 1);
        none.add(&after, -1);
        none.prune();
        assert!(none.is_empty());
    }

    #[test]
    fn quarters_and_days_are_utc_boundaries() {
        assert_eq!(quarter(at("2026-12-01T10:07:30.5Z")), at("2026-12-01T10:00:00Z"));
        assert_eq!(quarter(at("2026-12-01T10:45:00Z")), at("2026-12-01T10:45:00Z"));
        assert_eq!(day(at("2026-12-01T23:59:59Z")), at("2026-12-01T00:00:00Z"));
        // Kathmandu's midnight (UTC+05:45) is a quarter boundary in UTC.
        let kathmandu: chrono_tz::Tz = "Asia/Kathmandu".parse().unwrap();
        let midnight =
            super::super::service::start_of_day(kathmandu, chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(quarter(midnight), midnight);
    }
}
