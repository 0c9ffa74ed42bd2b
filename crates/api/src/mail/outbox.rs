//! The outbox table: enqueue in the caller's transaction; claim, complete and retry for workers.

use chrono::{DateTime, Duration, Utc};
use sea_orm::prelude::StringLen;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set,
};
use uuid::Uuid;

use crate::db;
use crate::db::entities::{outbox, outbox_attempts};
use crate::db::lease::{Lease, Queue};
use crate::error::ApiResult;

use super::{MailKind, OutgoingEmail};

/// Where a mail is; `outbox.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sea_orm::EnumIter, sea_orm::DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Waiting for its next attempt (or its first).
    Pending,
    /// A server accepted it.
    Sent,
    /// Given up: refused for good, or out of attempts.
    Dead,
}

/// After this many failed attempts (about a day of backoff) a mail is given up and kept as `dead`.
pub const MAX_ATTEMPTS: i32 = 16;
/// How long a worker owns the rows it claimed, at least: longer when one send may take longer.
pub const LEASE: Duration = Duration::seconds(120);
/// Room in a lease for the database writes around the sends.
pub const LEASE_MARGIN: Duration = Duration::seconds(20);
/// The most mails one claim takes. Their outcomes are written together, in one transaction.
pub const BATCH: u64 = 25;

/// How long a worker holds the mails it claimed when one send can take up to `send_timeout`: at
/// least one whole send fits in a lease, with room for the writes. A send starts only while it can
/// still finish inside the lease (`jobs::deliver_due`), so another instance never takes (and sends
/// again) a mail still in flight; a crashed worker's mails wait at most this long.
pub fn lease_length(send_timeout: std::time::Duration) -> Duration {
    let send = Duration::from_std(send_timeout).unwrap_or(LEASE);
    std::cmp::max(LEASE, send + LEASE_MARGIN)
}

/// What became of one claimed mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A server accepted it.
    Sent,
    /// Refused or not finished; `permanent` when retrying cannot help.
    Failed { error: String, permanent: bool },
    /// Not started: it could no longer finish inside the lease. Given back to the queue, untouched.
    NotTried,
}

/// Writes the mail in the caller's transaction: it exists if and only if the change committed.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    workspace: Option<Uuid>,
    kind: MailKind,
    email: &OutgoingEmail,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    enqueue_many(conn, workspace, vec![(kind, email.clone())], now).await
}

/// `enqueue` for several mails, in one statement.
pub async fn enqueue_many(
    conn: &impl ConnectionTrait,
    workspace: Option<Uuid>,
    mails: Vec<(MailKind, OutgoingEmail)>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    if mails.is_empty() {
        return Ok(());
    }
    let rows = mails.into_iter().map(|(kind, email)| outbox::ActiveModel {
        id: Set(Uuid::now_v7()),
        workspace_id: Set(workspace),
        kind: Set(kind),
        to_address: Set(email.to_address),
        to_name: Set(email.to_name),
        from_name: Set(email.from_name),
        subject: Set(email.subject),
        body_text: Set(email.body_text),
        message_id: Set(email.message_id),
        in_reply_to: Set(email.in_reply_to),
        references: Set(email.references),
        status: Set(OutboxStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        claimed_by: Set(None),
        claimed_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
    });
    outbox::Entity::insert_many(rows).exec_without_returning(conn).await?;
    Ok(())
}

pub fn email_of(row: &outbox::Model) -> OutgoingEmail {
    OutgoingEmail {
        to_address: row.to_address.clone(),
        to_name: row.to_name.clone(),
        from_name: row.from_name.clone(),
        subject: row.subject.clone(),
        body_text: row.body_text.clone(),
        message_id: row.message_id.clone(),
        in_reply_to: row.in_reply_to.clone(),
        references: row.references.clone(),
    }
}

/// Takes up to `limit` due mails for `worker` until `lease` runs out (`db::lease`), oldest first:
/// several instances share the outbox without sending a mail twice.
pub async fn claim(conn: &impl ConnectionTrait, lease: Lease) -> ApiResult<Vec<outbox::Model>> {
    let queue = Queue::<outbox::Entity> {
        key: outbox::Column::Id,
        claimed_by: outbox::Column::ClaimedBy,
        claimed_until: outbox::Column::ClaimedUntil,
        order: outbox::Column::NextAttemptAt,
    };
    let due = Condition::all()
        .add(Expr::col(outbox::Column::Status).eq(OutboxStatus::Pending))
        .add(Expr::col(outbox::Column::NextAttemptAt).lte(lease.now));
    let mut claimed = queue.claim(conn, lease, due, Vec::new()).await?;
    claimed.sort_by_key(|row| row.next_attempt_at);
    Ok(claimed)
}

/// 30 s, 1 min, 2 min, ... capped at 2 h.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = attempts.clamp(1, 16) as u32 - 1;
    Duration::seconds(std::cmp::min(30i64 << exponent, 2 * 3600))
}

/// Writes a batch's outcomes in one transaction: an attempt row for each mail tried, the sent ones
/// marked in one UPDATE, each failure with its own backoff, and the untried given back. One commit
/// per batch rather than two per mail: at a thousand mails a second those commits were most of
/// what the database did. A worker that dies between its sends and this write sends the batch
/// again once the lease runs out (at least once, as before, with a window of one batch).
pub async fn record(
    db: &DatabaseConnection,
    worker: Uuid,
    outcomes: &[(outbox::Model, Outcome)],
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let txn = db::begin_write(db).await?;
    let attempts: Vec<outbox_attempts::ActiveModel> = outcomes
        .iter()
        .filter_map(|(row, outcome)| {
            let error = match outcome {
                Outcome::Sent => None,
                Outcome::Failed { error, .. } => Some(error.clone()),
                Outcome::NotTried => return None,
            };
            Some(outbox_attempts::ActiveModel {
                id: Set(Uuid::now_v7()),
                outbox_id: Set(row.id),
                attempted_at: Set(now),
                ok: Set(error.is_none()),
                error: Set(error),
            })
        })
        .collect();
    if !attempts.is_empty() {
        outbox_attempts::Entity::insert_many(attempts)
            .exec_without_returning(&txn)
            .await?;
    }
    let ids_of = |wanted: fn(&Outcome) -> bool| -> Vec<Uuid> {
        outcomes
            .iter()
            .filter(|(_, outcome)| wanted(outcome))
            .map(|(row, _)| row.id)
            .collect()
    };
    let sent = ids_of(|outcome| *outcome == Outcome::Sent);
    if !sent.is_empty() {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(OutboxStatus::Sent))
            .col_expr(outbox::Column::SentAt, Expr::value(now))
            .col_expr(outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1))
            .col_expr(outbox::Column::ClaimedBy, Expr::value(Option::<Uuid>::None))
            .col_expr(outbox::Column::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(outbox::Column::Id.is_in(sent))
            .exec(&txn)
            .await?;
    }
    for (row, outcome) in outcomes {
        if let Outcome::Failed { error, permanent } = outcome {
            failed(&txn, row, now, error, *permanent).await?;
        }
    }
    let untried = ids_of(|outcome| *outcome == Outcome::NotTried);
    if !untried.is_empty() {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::ClaimedBy, Expr::value(Option::<Uuid>::None))
            .col_expr(outbox::Column::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(outbox::Column::Id.is_in(untried))
            .filter(outbox::Column::ClaimedBy.eq(worker))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// A failed attempt: due again after the backoff, or dead when refused for good or out of attempts.
async fn failed(
    conn: &impl ConnectionTrait,
    row: &outbox::Model,
    now: DateTime<Utc>,
    error: &str,
    permanent: bool,
) -> ApiResult<()> {
    let attempts = row.attempts + 1;
    let status = if permanent || attempts >= MAX_ATTEMPTS {
        OutboxStatus::Dead
    } else {
        OutboxStatus::Pending
    };
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(status))
        .col_expr(outbox::Column::Attempts, Expr::value(attempts))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(now + backoff(attempts)))
        .col_expr(outbox::Column::LastError, Expr::value(error))
        .col_expr(outbox::Column::ClaimedBy, Expr::value(Option::<Uuid>::None))
        .col_expr(outbox::Column::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(outbox::Column::Id.eq(row.id))
        .exec(conn)
        .await?;
    Ok(())
}

/// How many mails of `kind` were written for `workspace` since `since` (only those to `to_address`
/// when given), and when the oldest of them was: what the mail quotas count.
pub async fn recent(
    conn: &impl ConnectionTrait,
    workspace: Uuid,
    kind: MailKind,
    to_address: Option<&str>,
    since: DateTime<Utc>,
) -> ApiResult<(u64, Option<DateTime<Utc>>)> {
    let mut query = outbox::Entity::find()
        .filter(outbox::Column::WorkspaceId.eq(workspace))
        .filter(outbox::Column::Kind.eq(kind))
        .filter(outbox::Column::CreatedAt.gt(since));
    if let Some(to_address) = to_address {
        query = query.filter(outbox::Column::ToAddress.eq(to_address));
    }
    // One round trip: quotas run inside the change's transaction, before its lock.
    let counted: Option<(i64, Option<DateTime<Utc>>)> = query
        .select_only()
        .column_as(outbox::Column::Id.count(), "sent")
        .column_as(outbox::Column::CreatedAt.min(), "oldest")
        .into_tuple()
        .one(conn)
        .await?;
    let (count, oldest) = counted.unwrap_or((0, None));
    Ok((u64::try_from(count).unwrap_or(0), oldest))
}

/// `recent` for several addresses in one read: how many mails of `kind` each got since `since`
/// (addresses without any are absent).
pub async fn recent_by_address(
    conn: &impl ConnectionTrait,
    workspace: Uuid,
    kind: MailKind,
    addresses: &[&str],
    since: DateTime<Utc>,
) -> ApiResult<std::collections::HashMap<String, u64>> {
    if addresses.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let counted: Vec<(String, i64)> = outbox::Entity::find()
        .filter(outbox::Column::WorkspaceId.eq(workspace))
        .filter(outbox::Column::Kind.eq(kind))
        .filter(outbox::Column::CreatedAt.gt(since))
        .filter(outbox::Column::ToAddress.is_in(addresses.iter().copied()))
        .select_only()
        .column(outbox::Column::ToAddress)
        .column_as(outbox::Column::Id.count(), "sent")
        .group_by(outbox::Column::ToAddress)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(counted
        .into_iter()
        .map(|(address, sent)| (address, u64::try_from(sent).unwrap_or(0)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_then_caps() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(5), Duration::seconds(480));
        assert_eq!(backoff(12), Duration::hours(2));
        assert_eq!(backoff(40), Duration::hours(2));
    }

    #[test]
    fn a_lease_outlives_one_whole_send() {
        for seconds in [1, 5, 30, 60, 100, 119, 120, 600] {
            let timeout = std::time::Duration::from_secs(seconds);
            let lease = lease_length(timeout);
            assert!(
                Duration::seconds(seconds as i64) + LEASE_MARGIN <= lease,
                "{seconds} s: lease {lease}"
            );
            assert!(lease >= LEASE);
        }
        assert_eq!(lease_length(std::time::Duration::from_secs(30)), LEASE);
    }
}
