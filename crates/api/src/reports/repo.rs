//! The dashboard's queries, measured on a million tickets (`cargo bench -p ferrodesk --bench scale`).
//! Each reads one covering index range; the dialects differ in how a duration and an hour are
//! written, and in where medians are taken (see `durations`).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::error::{ApiError, ApiResult};

/// Which timestamp a per-hour count is about.
#[derive(Debug, Clone, Copy)]
pub enum Moment {
    Created,
    Solved,
}

impl Moment {
    fn column(&self) -> &'static str {
        match self {
            Moment::Created => "created_at",
            Moment::Solved => "solved_at",
        }
    }
}

pub(crate) fn placeholders(backend: DbBackend, count: usize) -> Vec<String> {
    (1..=count).map(|n| crate::db::placeholder(backend, n)).collect()
}

/// Minutes from `from` to `to`, as SQL.
fn minutes_between(backend: DbBackend, from: &str, to: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("(CAST(EXTRACT(EPOCH FROM ({to} - {from})) AS DOUBLE PRECISION) / 60.0)"),
        _ => format!("((julianday({to}) - julianday({from})) * 1440.0)"),
    }
}

/// The UTC hour of a timestamp, as SQL to group by. SQLite keeps timestamps as ISO-8601 text, so the
/// hour is its first 13 characters (no date function per row); PostgreSQL truncates natively.
pub(crate) fn hour_of(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("date_trunc('hour', {column} AT TIME ZONE 'UTC')"),
        _ => format!("substr({column}, 1, 13)"),
    }
}

/// Reads an hour bucket made by `hour_of`.
pub(crate) fn hour_bucket(backend: DbBackend, row: &sea_orm::QueryResult) -> ApiResult<DateTime<Utc>> {
    if backend == DbBackend::Postgres {
        let at: NaiveDateTime = row.try_get("", "hour")?;
        return Ok(Utc.from_utc_datetime(&at));
    }
    let hour: String = row.try_get("", "hour")?;
    // `2026-11-24T08` or `2026-11-24 08`, whichever way the timestamp was written.
    let normalised = hour.replacen(' ', "T", 1);
    let at = NaiveDateTime::parse_from_str(&format!("{normalised}:00:00"), "%Y-%m-%dT%H:%M:%S")
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("an hour bucket `{hour}`: {error}")))?;
    Ok(Utc.from_utc_datetime(&at))
}

pub(crate) async fn rows(
    conn: &impl ConnectionTrait,
    sql: String,
    values: Vec<Value>,
) -> ApiResult<Vec<sea_orm::QueryResult>> {
    Ok(conn
        .query_all_raw(Statement::from_sql_and_values(conn.get_database_backend(), sql, values))
        .await?)
}

fn range_values(scope: &WorkspaceScope, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<Value> {
    vec![scope.uuid().into(), start.into(), end.into()]
}

/// One hour of tickets created (or solved).
pub struct HourCount {
    pub at: DateTime<Utc>,
    pub count: u64,
    /// Of the tickets created that hour, those that missed a target (zero for `Moment::Solved`).
    pub breached: u64,
}

/// Counts per UTC hour of the tickets whose `moment` falls in [start, end). Read from the covering
/// index of that moment alone.
pub async fn per_hour(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    moment: Moment,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> ApiResult<Vec<HourCount>> {
    let backend = conn.get_database_backend();
    let p = placeholders(backend, 3);
    let column = moment.column();
    let breached = match moment {
        Moment::Created => {
            "COALESCE(SUM(CASE WHEN breached_first_response OR breached_resolution THEN 1 ELSE 0 END), 0)"
        }
        Moment::Solved => "CAST(0 AS BIGINT)",
    };
    let hour = hour_of(backend, column);
    let sql = format!(
        "SELECT {hour} AS hour, COUNT(*) AS n, {breached} AS b FROM tickets \
         WHERE workspace_id = {} AND {column} >= {} AND {column} < {} GROUP BY {hour}",
        p[0], p[1], p[2],
    );
    let mut counts = Vec::new();
    for row in rows(conn, sql, range_values(scope, start, end)).await? {
        counts.push(HourCount {
            at: hour_bucket(backend, &row)?,
            count: row.try_get::<i64>("", "n")?.max(0) as u64,
            breached: row.try_get::<i64>("", "b")?.max(0) as u64,
        });
    }
    Ok(counts)
}

/// Average and median, overall and per assignee, of a duration over the tickets of a range.
pub struct Durations {
    pub count: u64,
    pub average: Option<f64>,
    pub median: Option<f64>,
    pub median_by_assignee: HashMap<Uuid, f64>,
}

/// Durations from `created_at` to `end_column` over tickets whose `range_column` is in [start, end).
///
/// PostgreSQL computes everything in one pass (`percentile_cont` with `ROLLUP` for the overall row).
/// SQLite has no percentile aggregate and its window functions sort every group again, so the
/// (assignee, minutes) pairs are read once and summarised here: the same figures, one index scan.
pub async fn durations(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    end_column: &str,
    range_column: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> ApiResult<Durations> {
    let backend = conn.get_database_backend();
    let p = placeholders(backend, 3);
    let minutes = minutes_between(backend, "created_at", end_column);
    let base = format!(
        "SELECT assignee_id AS k, {minutes} AS v FROM tickets WHERE workspace_id = {} AND {range_column} >= {} \
         AND {range_column} < {} AND {end_column} IS NOT NULL",
        p[0], p[1], p[2]
    );
    if backend == DbBackend::Postgres {
        let sql = format!(
            "SELECT k, GROUPING(k) AS overall, COUNT(*) AS n, AVG(v) AS average, \
             percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS median FROM ({base}) AS d GROUP BY ROLLUP(k)"
        );
        let mut durations = Durations {
            count: 0,
            average: None,
            median: None,
            median_by_assignee: HashMap::new(),
        };
        for row in rows(conn, sql, range_values(scope, start, end)).await? {
            let median = row.try_get::<Option<f64>>("", "median")?;
            if row.try_get::<i32>("", "overall")? == 1 {
                durations.count = row.try_get::<i64>("", "n")?.max(0) as u64;
                durations.average = row.try_get::<Option<f64>>("", "average")?;
                durations.median = median;
            } else if let (Some(assignee), Some(median)) = (row.try_get::<Option<Uuid>>("", "k")?, median) {
                durations.median_by_assignee.insert(assignee, median);
            }
        }
        return Ok(durations);
    }
    let mut all: Vec<f64> = Vec::new();
    let mut by_assignee: HashMap<Uuid, Vec<f64>> = HashMap::new();
    for row in rows(conn, base, range_values(scope, start, end)).await? {
        let Some(value) = row.try_get::<Option<f64>>("", "v")? else {
            continue;
        };
        all.push(value);
        if let Some(assignee) = row.try_get::<Option<Uuid>>("", "k")? {
            by_assignee.entry(assignee).or_default().push(value);
        }
    }
    let average = (!all.is_empty()).then(|| all.iter().sum::<f64>() / all.len() as f64);
    Ok(Durations {
        count: all.len() as u64,
        average,
        median: median(&mut all),
        median_by_assignee: by_assignee
            .into_iter()
            .filter_map(|(assignee, mut values)| median(&mut values).map(|median| (assignee, median)))
            .collect(),
    })
}

/// The middle value, or the mean of the two middle values (as `percentile_cont(0.5)`).
fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    })
}

/// Counts grouped by a column (status now, or assignee over a range).
pub async fn counts_by(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    group: &str,
    range: Option<(&str, DateTime<Utc>, DateTime<Utc>)>,
) -> ApiResult<Vec<sea_orm::QueryResult>> {
    let backend = conn.get_database_backend();
    let p = placeholders(backend, 3);
    let (filter, values) = match range {
        Some((column, start, end)) => (
            format!(" AND {column} >= {} AND {column} < {}", p[1], p[2]),
            range_values(scope, start, end),
        ),
        None => (String::new(), vec![scope.uuid().into()]),
    };
    let sql = format!(
        "SELECT {group} AS k, COUNT(*) AS n FROM tickets WHERE workspace_id = {}{filter} GROUP BY {group}",
        p[0]
    );
    rows(conn, sql, values).await
}
