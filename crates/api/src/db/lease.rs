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

/// One worker's claim: who takes rows, at what time, how many, and for how long. A job builds it
/// once per batch and hands it to its queue's claim.
#[derive(Clone, Copy, Debug)]
pub struct Lease {
    pub worker: Uuid,
    pub now: DateTime<Utc>,
    pub limit: u64,
    pub length: Duration,
}

impl<E: EntityTrait> Queue<E> {
    /// Takes up to `lease.limit` rows that are `due` and free (never claimed, or their lease ran
    /// out), oldest first, for `lease.worker` until the lease runs out, and returns them in no
    /// particular order. `also` sets more columns in the same statement (an attempt count).
    pub async fn claim(
        &self,
        conn: &impl ConnectionTrait,
        lease: Lease,
        due: Condition,
        also: Vec<(E::Column, SimpleExpr)>,
    ) -> ApiResult<Vec<E::Model>> {
        let Lease {
            worker,
            now,
            limit,
            length,
        } = lease;
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
            .col_expr(self.claimed_until, Expr::value(now + length));
        for (column, value) in also {
            update = update.col_expr(column, value);
        }
        Ok(update
            .filter(self.key.in_subquery(free))
            .exec_with_returning(conn)
            .await?)
    }
}
