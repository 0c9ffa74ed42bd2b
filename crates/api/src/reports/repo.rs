//! The dashboard's queries. They aggregate in SQL; the dialects differ only in how a duration and
//! an hour are written, so each query is one text with two small backend-specific pieces.

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

fn placeholders(backend: DbBackend, count: usize) -> Vec<String> {
    (1..=count)
        .map(|n| match backend {
            DbBackend::Postgres => format!("${n}"),
            _ => "?".to_owned(),
        })
        .collect()
}

/// Minutes from `from` to `to`, as SQL.
fn minutes_between(backend: DbBackend, from: &str, to: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("(CAST(EXTRACT(EPOCH FROM ({to} - {from})) AS DOUBLE PRECISION) / 60.0)"),
        _ => format!("((julianday({to}) - julianday({from})) * 1440.0)"),
    }
}

/// The UTC hour of a timestamp as `YYYY-MM-DDTHH`, as SQL.
fn hour_of(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24')"),
        _ => format!("strftime('%Y-%m-%dT%H', {column})"),
    }
}

async fn rows(conn: &impl ConnectionTrait, sql: String, values: Vec<Value>) -> ApiResult<Vec<sea_orm::QueryResult>> {
    Ok(conn
        .query_all_raw(Statement::from_sql_and_values(conn.get_database_backend(), sql, values))
        .await?)
}

fn range_values(scope: &WorkspaceScope, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<Value> {
    vec![scope.uuid().into(), start.into(), end.into()]
}

/// Counts per UTC hour of the tickets whose `moment` falls in [start, end).
pub async fn per_hour(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    moment: Moment,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> ApiResult<Vec<(DateTime<Utc>, u64)>> {
    let backend = conn.get_database_backend();
    let p = placeholders(backend, 3);
    let column = moment.column();
    let sql = format!(
        "SELECT {hour} AS hour, COUNT(*) AS n FROM tickets \
         WHERE workspace_id = {} AND {column} >= {} AND {column} < {} GROUP BY 1",
        p[0],
        p[1],
        p[2],
        hour = hour_of(backend, column)
    );
    let mut counts = Vec::new();
    for row in rows(conn, sql, range_values(scope, start, end)).await? {
        let hour: String = row.try_get("", "hour")?;
        let n: i64 = row.try_get("", "n")?;
        let at = NaiveDateTime::parse_from_str(&format!("{hour}:00:00"), "%Y-%m-%dT%H:%M:%S")
            .map_err(|error| ApiError::Internal(anyhow::anyhow!("an hour bucket `{hour}`: {error}")))?;
        counts.push((Utc.from_utc_datetime(&at), n.max(0) as u64));
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
    let summary = format!("SELECT COUNT(*) AS n, AVG(v) AS average FROM ({base}) AS d");
    let row = rows(conn, summary, range_values(scope, start, end)).await?;
    let (count, average) = match row.first() {
        Some(row) => (
            row.try_get::<i64>("", "n")?.max(0) as u64,
            row.try_get::<Option<f64>>("", "average")?,
        ),
        None => (0, None),
    };
    // Medians with window functions (both databases have them): the middle row, or the mean of
    // the two middle rows, of each group ordered by the duration.
    let overall_sql = format!(
        "SELECT AVG(v) AS median FROM (SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS rn, COUNT(*) OVER () AS c \
         FROM ({base}) AS d) AS r WHERE rn IN ((c + 1) / 2, (c + 2) / 2)"
    );
    let median = match rows(conn, overall_sql, range_values(scope, start, end)).await?.first() {
        Some(row) => row.try_get::<Option<f64>>("", "median")?,
        None => None,
    };
    let by_assignee_sql = format!(
        "SELECT k, AVG(v) AS median FROM (SELECT k, v, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v) AS rn, \
         COUNT(*) OVER (PARTITION BY k) AS c FROM ({base}) AS d WHERE k IS NOT NULL) AS r \
         WHERE rn IN ((c + 1) / 2, (c + 2) / 2) GROUP BY k"
    );
    let mut median_by_assignee = HashMap::new();
    for row in rows(conn, by_assignee_sql, range_values(scope, start, end)).await? {
        if let (Some(assignee), Some(median)) = (
            row.try_get::<Option<Uuid>>("", "k")?,
            row.try_get::<Option<f64>>("", "median")?,
        ) {
            median_by_assignee.insert(assignee, median);
        }
    }
    Ok(Durations {
        count,
        average,
        median,
        median_by_assignee,
    })
}

/// Tickets created in [start, end), and how many of them missed a target.
pub async fn breaches(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> ApiResult<(u64, u64)> {
    let backend = conn.get_database_backend();
    let p = placeholders(backend, 3);
    let sql = format!(
        "SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN breached_first_response OR breached_resolution THEN 1 ELSE 0 END), 0) AS b \
         FROM tickets WHERE workspace_id = {} AND created_at >= {} AND created_at < {}",
        p[0], p[1], p[2]
    );
    let found = rows(conn, sql, range_values(scope, start, end)).await?;
    let Some(row) = found.first() else { return Ok((0, 0)) };
    Ok((
        row.try_get::<i64>("", "n")?.max(0) as u64,
        row.try_get::<i64>("", "b")?.max(0) as u64,
    ))
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
