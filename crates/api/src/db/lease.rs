//! The lease claim every durable queue shares (the mail outbox, webhook deliveries, the
//! categorisation queue): a worker marks up to `limit` free rows as its own until the lease runs
//! out, in one UPDATE over a sub-select. On PostgreSQL the sub-select
//! skips rows another worker is locking (`FOR UPDATE SKIP LOCKED`), so several instances share a
//! queue without taking a row twice; on SQLite the single writer does the same. The claimed rows
//! come back from the same statement (`RETURNING`), so no second query looks for them by claimer.
//! A worker that dies loses nothing: its rows are free again when the lease runs out.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, LockBehavior, LockType, Query, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::error::ApiResult;

/// A queue table's lease columns.
pub struct Queue<E: EntityTrait> {
    /// The key the sub-select picks.
    pub key: E::Column,
    pub claimed_by: E::Column,
    pub claimed_until: E::Column,
    /// Oldest first.
    pub order: E::Column,
}

/// One claim: which rows are due, and what else the claim writes.
pub struct Claim<E: EntityTrait> {
    pub worker: Uuid,
    pub now: DateTime<Utc>,
    pub limit: u64,
    pub lease: Duration,
    /// Which rows are due, besides being free (never claimed, or their lease ran out).
    pub due: Condition,
    /// More columns the claim sets (an attempt count).
    pub also: Vec<(E::Column, SimpleExpr)>,
}

impl<E: EntityTrait> Queue<E> {
    /// Takes up to `claim.limit` due, free rows (oldest first) for `claim.worker` until the lease
    /// runs out, and returns them, in no particular order.
    pub async fn claim(&self, conn: &impl ConnectionTrait, claim: Claim<E>) -> ApiResult<Vec<E::Model>> {
        let Claim {
            worker,
            now,
            limit,
            lease,
            due,
            also,
        } = claim;
        let mut free = Query::select();
        free.column(self.key)
            .from(E::default())
            .cond_where(due)
            .cond_where(
                Condition::any()
                    .add(Expr::col(self.claimed_until).is_null())
                    .add(Expr::col(self.claimed_until).lt(now)),
            )
            .order_by(self.order, sea_orm::Order::Asc)
            .limit(limit);
        if conn.get_database_backend() == DbBackend::Postgres {
            free.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let mut update = E::update_many()
            .col_expr(self.claimed_by, Expr::value(worker))
            .col_expr(self.claimed_until, Expr::value(now + lease));
        for (column, value) in also {
            update = update.col_expr(column, value);
        }
        Ok(update
            .filter(self.key.in_subquery(free))
            .exec_with_returning(conn)
            .await?)
    }
}
