//! The scrape's reads: each queue's backlog in one query over an index, across every workspace (the
//! operator's view, not a tenant's), and the pool's counts.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Select, Statement,
};

use super::Backlog;
use crate::db::entities::{categorise_queue, outbox, webhook_deliveries};
use crate::db::stored::StoredDeliveryStatus;
use crate::error::ApiResult;
use crate::mail::outbox::OutboxStatus;

/// Pending mails: one range of `ix_outbox_pending_age` (status, created_at), which PostgreSQL reads
/// alone (index-only). SQLite's planner, with no statistics, takes it or the workers' `ix_outbox_due`
/// and then reads the pending rows (as many as are waiting, never the sent ones).
fn outbox_query() -> Select<outbox::Entity> {
    outbox::Entity::find()
        .select_only()
        .column_as(Expr::cust("COUNT(*)"), "waiting")
        .column_as(outbox::Column::CreatedAt.min(), "oldest")
        .filter(outbox::Column::Status.eq(OutboxStatus::Pending))
}

/// Pending webhook deliveries, by `ix_webhook_deliveries_pending_age` (status, created_at).
fn webhook_deliveries_query() -> Select<webhook_deliveries::Entity> {
    webhook_deliveries::Entity::find()
        .select_only()
        .column_as(Expr::cust("COUNT(*)"), "waiting")
        .column_as(webhook_deliveries::Column::CreatedAt.min(), "oldest")
        .filter(webhook_deliveries::Column::Status.eq(StoredDeliveryStatus::Pending))
}

/// Tickets waiting for their category (every row waits: done ones are deleted), by
/// `ix_categorise_queue_enqueued`.
fn categorise_queue_query() -> Select<categorise_queue::Entity> {
    categorise_queue::Entity::find()
        .select_only()
        .column_as(Expr::cust("COUNT(*)"), "waiting")
        .column_as(categorise_queue::Column::EnqueuedAt.min(), "oldest")
}

/// The three statements a scrape runs, as it runs them (a test reads their query plans).
pub fn backlog_statements(backend: DbBackend) -> [Statement; 3] {
    [
        outbox_query().build(backend),
        webhook_deliveries_query().build(backend),
        categorise_queue_query().build(backend),
    ]
}

pub async fn outbox(db: &DatabaseConnection, now: DateTime<Utc>) -> ApiResult<Backlog> {
    Ok(backlog(outbox_query().into_tuple().one(db).await?, now))
}

pub async fn webhook_deliveries(db: &DatabaseConnection, now: DateTime<Utc>) -> ApiResult<Backlog> {
    Ok(backlog(webhook_deliveries_query().into_tuple().one(db).await?, now))
}

pub async fn categorise_queue(db: &DatabaseConnection, now: DateTime<Utc>) -> ApiResult<Backlog> {
    Ok(backlog(categorise_queue_query().into_tuple().one(db).await?, now))
}

fn backlog(row: Option<(i64, Option<DateTime<Utc>>)>, now: DateTime<Utc>) -> Backlog {
    let (waiting, oldest) = row.unwrap_or((0, None));
    let oldest_age_seconds = oldest.map_or(0.0, |oldest| {
        let millis = (now - oldest).num_milliseconds().max(0);
        // Milliseconds fit an f64 exactly for 285,000 years.
        #[allow(clippy::cast_precision_loss)]
        let seconds = millis as f64 / 1000.0;
        seconds
    });
    Backlog {
        waiting,
        oldest_age_seconds,
    }
}

/// The pool's connections: (in use, idle, max). Reading them takes no connection.
pub fn pool(db: &DatabaseConnection) -> (i64, i64, i64) {
    let (size, idle, max) = match db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle(), pool.options().get_max_connections())
        }
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle(), pool.options().get_max_connections())
        }
        // Not a backend this server connects to.
        _ => (0, 0, 0),
    };
    let idle = i64::try_from(idle).unwrap_or(i64::MAX);
    let size = i64::from(size);
    ((size - idle).max(0), idle, i64::from(max))
}
