//! Billing's rows: the workspace's Stripe columns and the webhook's events. The job reaches a
//! workspace only through its stored Stripe customer (`find_by_customer`), never through an
//! event's metadata; owners reach their own through their scope.

use chrono::{DateTime, Utc};
use ferrodesk_shared::workspaces::Plan;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::db::entities::{stripe_events, workspaces};
use crate::db::lease::{Lease, Queue};
use crate::db::stored::StoredPlan;
use crate::error::ApiResult;

use super::domain::Billed;

/// The workspace whose Stripe customer this is.
pub async fn find_by_customer(conn: &impl ConnectionTrait, customer: &str) -> ApiResult<Option<workspaces::Model>> {
    Ok(workspaces::Entity::find()
        .filter(workspaces::Column::StripeCustomerId.eq(customer))
        .one(conn)
        .await?)
}

/// Stores the workspace's Stripe customer unless it has one, and returns the one it has.
pub async fn keep_customer(conn: &impl ConnectionTrait, scope: &WorkspaceScope, customer: &str) -> ApiResult<String> {
    workspaces::Entity::update_many()
        .col_expr(workspaces::Column::StripeCustomerId, Expr::value(customer))
        .filter(workspaces::Column::Id.eq(scope.uuid()))
        .filter(workspaces::Column::StripeCustomerId.is_null())
        .exec(conn)
        .await?;
    let workspace = crate::workspaces::repo::get(conn, scope).await?;
    Ok(workspace.stripe_customer_id.unwrap_or_else(|| customer.to_owned()))
}

/// Writes what billing decided, plan included, in one UPDATE (which takes the row's lock, as
/// `workspaces::repo::lock` does, so a seat being taken meanwhile counts against one plan).
pub async fn apply(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    billed: &Billed,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    workspaces::Entity::update_many()
        .col_expr(workspaces::Column::Plan, Expr::value(StoredPlan::from(billed.plan)))
        .col_expr(
            workspaces::Column::StripeSubscriptionId,
            Expr::value(billed.subscription.clone()),
        )
        .col_expr(workspaces::Column::BillingStatus, Expr::value(billed.status.clone()))
        .col_expr(workspaces::Column::BillingPeriodEnd, Expr::value(billed.period_end))
        .col_expr(
            workspaces::Column::BillingCancelAtPeriodEnd,
            Expr::value(billed.cancel_at_period_end),
        )
        .col_expr(workspaces::Column::BillingGraceUntil, Expr::value(billed.grace_until))
        .col_expr(workspaces::Column::UpdatedAt, Expr::value(now))
        .filter(workspaces::Column::Id.eq(scope.uuid()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Moves every workspace still on Pro whose grace period after a failed payment is over to Free,
/// in one UPDATE, and returns them. A payment landing at the same moment clears the grace period
/// first or finds the workspace on Free and puts it back on Pro: either way the last write is right.
pub async fn end_graces(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> ApiResult<Vec<workspaces::Model>> {
    Ok(workspaces::Entity::update_many()
        .col_expr(workspaces::Column::Plan, Expr::value(StoredPlan::from(Plan::Free)))
        .col_expr(workspaces::Column::UpdatedAt, Expr::value(now))
        .filter(workspaces::Column::Plan.eq(StoredPlan::from(Plan::Pro)))
        .filter(workspaces::Column::BillingGraceUntil.lte(now))
        .exec_with_returning(conn)
        .await?)
}

/// An event as the webhook verified it.
pub struct Received<'a> {
    pub event: &'a ferrodesk_stripe::webhook::Event,
    pub at: DateTime<Utc>,
}

/// Keeps the event for the job; `false` when its id was seen before (Stripe retrying, or a replay).
pub async fn record_event(conn: &impl ConnectionTrait, received: Received<'_>) -> ApiResult<bool> {
    let event = received.event;
    let row = stripe_events::ActiveModel {
        id: Set(event.id.clone()),
        kind: Set(event.kind.clone()),
        customer: Set(event.customer.clone()),
        subscription: Set(event.subscription.clone()),
        created_at: Set(DateTime::from_timestamp(event.created, 0).unwrap_or(received.at)),
        received_at: Set(received.at),
        processed_at: Set(None),
        outcome: Set(None),
        attempts: Set(0),
        next_attempt_at: Set(received.at),
        last_error: Set(None),
        claimed_by: Set(None),
        claimed_until: Set(None),
    };
    let inserted = stripe_events::Entity::insert(row)
        .on_conflict(OnConflict::column(stripe_events::Column::Id).do_nothing().to_owned())
        .exec_without_returning(conn)
        .await?;
    Ok(inserted > 0)
}

/// Takes up to `lease.limit` unprocessed, due events (`db::lease`), oldest first.
pub async fn claim(conn: &impl ConnectionTrait, lease: Lease) -> ApiResult<Vec<stripe_events::Model>> {
    let queue = Queue::<stripe_events::Entity> {
        key: stripe_events::Column::Id,
        claimed_by: stripe_events::Column::ClaimedBy,
        claimed_until: stripe_events::Column::ClaimedUntil,
        order: stripe_events::Column::ReceivedAt,
    };
    let due = Condition::all()
        .add(Expr::col(stripe_events::Column::ProcessedAt).is_null())
        .add(Expr::col(stripe_events::Column::NextAttemptAt).lte(lease.now));
    let mut claimed = queue.claim(conn, lease, due, Vec::new()).await?;
    claimed.sort_by_key(|event| event.received_at);
    Ok(claimed)
}

/// Marks the event processed with what was done, releasing the claim.
pub async fn finish(
    conn: &impl ConnectionTrait,
    id: &str,
    worker: Uuid,
    outcome: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    stripe_events::Entity::update_many()
        .col_expr(stripe_events::Column::ProcessedAt, Expr::value(now))
        .col_expr(stripe_events::Column::Outcome, Expr::value(outcome))
        .col_expr(stripe_events::Column::ClaimedBy, Expr::value(Option::<Uuid>::None))
        .col_expr(
            stripe_events::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(stripe_events::Column::Id.eq(id))
        .filter(stripe_events::Column::ClaimedBy.eq(worker))
        .exec(conn)
        .await?;
    Ok(())
}

/// Leaves the event for later (Stripe could not be asked): due again at `next_attempt_at`.
pub async fn retry_later(
    conn: &impl ConnectionTrait,
    event: &stripe_events::Model,
    worker: Uuid,
    error: &str,
    next_attempt_at: DateTime<Utc>,
) -> ApiResult<()> {
    stripe_events::Entity::update_many()
        .col_expr(stripe_events::Column::Attempts, Expr::value(event.attempts + 1))
        .col_expr(stripe_events::Column::LastError, Expr::value(error))
        .col_expr(stripe_events::Column::NextAttemptAt, Expr::value(next_attempt_at))
        .col_expr(stripe_events::Column::ClaimedBy, Expr::value(Option::<Uuid>::None))
        .col_expr(
            stripe_events::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(stripe_events::Column::Id.eq(event.id.clone()))
        .filter(stripe_events::Column::ClaimedBy.eq(worker))
        .exec(conn)
        .await?;
    Ok(())
}
