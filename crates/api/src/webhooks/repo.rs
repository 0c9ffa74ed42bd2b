//! Queries: endpoints (each taking the scope), the delivery outbox (written in a change's own
//! transaction; claimed by workers with a lease) and the delivery log.

use chrono::{DateTime, Utc};
use ferrodesk_shared::webhooks::DeliveryStatus;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::db::entities::{events, webhook_deliveries as deliveries, webhook_endpoints as endpoints};
use crate::db::lease::{Lease, Queue};
use crate::db::stored::StoredDeliveryStatus;
use crate::error::{ApiError, ApiResult};

pub async fn insert(conn: &impl ConnectionTrait, endpoint: endpoints::Model) -> ApiResult<endpoints::Model> {
    Ok(endpoints::ActiveModel::from(endpoint).insert(conn).await?)
}

pub async fn list(conn: &impl ConnectionTrait, scope: &WorkspaceScope) -> ApiResult<Vec<endpoints::Model>> {
    Ok(endpoints::Entity::find()
        .filter(endpoints::Column::WorkspaceId.eq(scope.uuid()))
        .order_by_asc(endpoints::Column::CreatedAt)
        .order_by_asc(endpoints::Column::Id)
        .all(conn)
        .await?)
}

/// Another workspace's endpoint is `NotFound`, like a missing one.
pub async fn find(conn: &impl ConnectionTrait, scope: &WorkspaceScope, id: Uuid) -> ApiResult<endpoints::Model> {
    endpoints::Entity::find_by_id(id)
        .filter(endpoints::Column::WorkspaceId.eq(scope.uuid()))
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)
}

pub async fn update(conn: &impl ConnectionTrait, endpoint: endpoints::ActiveModel) -> ApiResult<endpoints::Model> {
    Ok(endpoint.update(conn).await?)
}

pub async fn delete(conn: &impl ConnectionTrait, scope: &WorkspaceScope, id: Uuid) -> ApiResult<()> {
    let deleted = endpoints::Entity::delete_many()
        .filter(endpoints::Column::Id.eq(id))
        .filter(endpoints::Column::WorkspaceId.eq(scope.uuid()))
        .exec(conn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(ApiError::NotFound);
    }
    Ok(())
}

/// Writes, in the change's transaction, one delivery per event numbered `first..=last` and per
/// enabled endpoint of the workspace subscribed to the event's kind: ONE statement whatever the
/// number of endpoints (an INSERT ... SELECT over the events just written). Only public ticket
/// events (`audience = 'ticket'`) go out, and internal notes (`staff`) to endpoints that asked.
/// Notifications (`user`) never match a subscription.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    workspace: Uuid,
    first: i64,
    last: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    // A random id made by the database (stored the way sea-orm stores a Uuid on each backend).
    let new_id = match conn.get_database_backend() {
        DbBackend::Postgres => Expr::cust("gen_random_uuid()"),
        _ => Expr::cust("randomblob(16)"),
    };
    let mut select = Query::select();
    select
        .expr(new_id)
        .column((endpoints::Entity, endpoints::Column::Id))
        .column((events::Entity, events::Column::WorkspaceId))
        .column((events::Entity, events::Column::Seq))
        .column((events::Entity, events::Column::Kind))
        .expr(Expr::val(DeliveryStatus::Pending.as_str()))
        .expr(Expr::val(0i32))
        .expr(Expr::val(now))
        .expr(Expr::val(now))
        .from(events::Entity)
        .inner_join(
            endpoints::Entity,
            Expr::col((endpoints::Entity, endpoints::Column::WorkspaceId))
                .equals((events::Entity, events::Column::WorkspaceId)),
        )
        .and_where(Expr::col((events::Entity, events::Column::WorkspaceId)).eq(workspace))
        .and_where(Expr::col((events::Entity, events::Column::Seq)).between(first, last))
        .and_where(Expr::col((endpoints::Entity, endpoints::Column::Enabled)).eq(true))
        .cond_where(
            Condition::any()
                .add(Expr::col((events::Entity, events::Column::Audience)).eq("ticket"))
                .add(
                    Condition::all()
                        .add(Expr::col((events::Entity, events::Column::Audience)).eq("staff"))
                        .add(Expr::col((endpoints::Entity, endpoints::Column::IncludeInternal)).eq(true)),
                ),
        )
        // `events` holds a JSON array of names; both databases concatenate with `||`.
        .and_where(Expr::cust(
            r#""webhook_endpoints"."events" LIKE '%"' || "events"."kind" || '"%'"#,
        ));
    let insert = Query::insert()
        .into_table(deliveries::Entity)
        .columns([
            deliveries::Column::Id,
            deliveries::Column::EndpointId,
            deliveries::Column::WorkspaceId,
            deliveries::Column::EventSeq,
            deliveries::Column::Kind,
            deliveries::Column::Status,
            deliveries::Column::Attempts,
            deliveries::Column::NextAttemptAt,
            deliveries::Column::CreatedAt,
        ])
        .select_from(select)
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("building the webhook enqueue: {error}")))?
        .to_owned();
    conn.execute(&insert).await?;
    Ok(())
}

/// An endpoint's deliveries, newest event first, older than `before` when given.
pub async fn deliveries_page(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    endpoint: Uuid,
    before: Option<i64>,
    limit: u64,
) -> ApiResult<Vec<deliveries::Model>> {
    let mut query = deliveries::Entity::find()
        .filter(deliveries::Column::WorkspaceId.eq(scope.uuid()))
        .filter(deliveries::Column::EndpointId.eq(endpoint));
    if let Some(before) = before {
        query = query.filter(deliveries::Column::EventSeq.lt(before));
    }
    Ok(query
        .order_by_desc(deliveries::Column::EventSeq)
        .limit(limit)
        .all(conn)
        .await?)
}

pub async fn find_delivery(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    endpoint: Uuid,
    id: Uuid,
) -> ApiResult<deliveries::Model> {
    deliveries::Entity::find_by_id(id)
        .filter(deliveries::Column::WorkspaceId.eq(scope.uuid()))
        .filter(deliveries::Column::EndpointId.eq(endpoint))
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Due again now, whatever it was, with a fresh count of attempts; a delivery being sent right now
/// keeps its lease.
pub async fn schedule_now(conn: &impl ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> ApiResult<()> {
    deliveries::Entity::update_many()
        .col_expr(deliveries::Column::Status, Expr::value(StoredDeliveryStatus::Pending))
        .col_expr(deliveries::Column::Attempts, Expr::value(0))
        .col_expr(deliveries::Column::NextAttemptAt, Expr::value(now))
        .filter(deliveries::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Takes up to `limit` due deliveries of enabled endpoints for `worker` until `lease` runs out
/// (`db::lease`), oldest first: several instances share the outbox without sending a delivery twice.
pub async fn claim(conn: &impl ConnectionTrait, lease: Lease) -> ApiResult<Vec<deliveries::Model>> {
    let queue = Queue::<deliveries::Entity> {
        key: deliveries::Column::Id,
        claimed_by: deliveries::Column::ClaimedBy,
        claimed_until: deliveries::Column::ClaimedUntil,
        order: deliveries::Column::NextAttemptAt,
    };
    let mut enabled = Query::select();
    enabled
        .column(endpoints::Column::Id)
        .from(endpoints::Entity)
        .and_where(Expr::col(endpoints::Column::Enabled).eq(true));
    let due = Condition::all()
        .add(Expr::col(deliveries::Column::Status).eq(StoredDeliveryStatus::Pending))
        .add(Expr::col(deliveries::Column::NextAttemptAt).lte(lease.now))
        .add(Expr::col(deliveries::Column::EndpointId).in_subquery(enabled));
    let mut claimed = queue.claim(conn, lease, due, Vec::new()).await?;
    claimed.sort_by_key(|row| row.next_attempt_at);
    Ok(claimed)
}

/// What one attempt found out.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    pub response_status: Option<u16>,
    pub latency_ms: i64,
    pub response_body: Option<String>,
    /// Why it failed; `None` for a 2xx.
    pub error: Option<String>,
}

/// Records an attempt on the delivery and releases its claim: delivered, due again at
/// `next_attempt_at`, or given up (`Failed`). Only the worker holding the claim writes.
pub async fn record_attempt(
    conn: &impl ConnectionTrait,
    delivery: &deliveries::Model,
    worker: Uuid,
    attempt: &Attempt,
    status: DeliveryStatus,
    next_attempt_at: DateTime<Utc>,
) -> ApiResult<()> {
    let delivered_at = (status == DeliveryStatus::Delivered).then_some(attempt.at);
    deliveries::Entity::update_many()
        .col_expr(
            deliveries::Column::Status,
            Expr::value(StoredDeliveryStatus::from(status)),
        )
        .col_expr(deliveries::Column::Attempts, Expr::value(delivery.attempts + 1))
        .col_expr(deliveries::Column::NextAttemptAt, Expr::value(next_attempt_at))
        .col_expr(deliveries::Column::LastAttemptAt, Expr::value(attempt.at))
        .col_expr(
            deliveries::Column::ResponseStatus,
            Expr::value(attempt.response_status.map(i32::from)),
        )
        .col_expr(deliveries::Column::LatencyMs, Expr::value(attempt.latency_ms))
        .col_expr(
            deliveries::Column::ResponseBody,
            Expr::value(attempt.response_body.clone()),
        )
        .col_expr(deliveries::Column::Error, Expr::value(attempt.error.clone()))
        .col_expr(deliveries::Column::DeliveredAt, Expr::value(delivered_at))
        .col_expr(deliveries::Column::ClaimedBy, Expr::value(Option::<Uuid>::None))
        .col_expr(
            deliveries::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(deliveries::Column::Id.eq(delivery.id))
        .filter(deliveries::Column::ClaimedBy.eq(worker))
        .exec(conn)
        .await?;
    Ok(())
}

/// The endpoints of these ids (any workspace: the worker reads what it claimed).
pub async fn endpoints_by_ids(conn: &impl ConnectionTrait, ids: Vec<Uuid>) -> ApiResult<Vec<endpoints::Model>> {
    Ok(endpoints::Entity::find()
        .filter(endpoints::Column::Id.is_in(ids))
        .all(conn)
        .await?)
}

/// The stored event a delivery sends.
pub async fn event(conn: &impl ConnectionTrait, workspace: Uuid, seq: i64) -> ApiResult<Option<events::Model>> {
    Ok(events::Entity::find_by_id((workspace, seq)).one(conn).await?)
}

/// A success ends the endpoint's failing streak.
pub async fn endpoint_succeeded(conn: &impl ConnectionTrait, endpoint: Uuid) -> ApiResult<()> {
    endpoints::Entity::update_many()
        .col_expr(
            endpoints::Column::FailingSince,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(endpoints::Column::Id.eq(endpoint))
        .filter(endpoints::Column::FailingSince.is_not_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// A failure starts the streak if none is running; returns when it started.
pub async fn endpoint_failed(
    conn: &impl ConnectionTrait,
    endpoint: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<Option<DateTime<Utc>>> {
    endpoints::Entity::update_many()
        .col_expr(endpoints::Column::FailingSince, Expr::value(now))
        .filter(endpoints::Column::Id.eq(endpoint))
        .filter(endpoints::Column::FailingSince.is_null())
        .exec(conn)
        .await?;
    Ok(endpoints::Entity::find_by_id(endpoint)
        .one(conn)
        .await?
        .and_then(|row| row.failing_since))
}

/// Switches an endpoint off once: true only for the caller that did (another instance's worker
/// may be deciding the same thing). Its pending deliveries are given up; a retry sends one again.
pub async fn disable(conn: &impl ConnectionTrait, endpoint: Uuid, reason: &str, now: DateTime<Utc>) -> ApiResult<bool> {
    let switched = endpoints::Entity::update_many()
        .col_expr(endpoints::Column::Enabled, Expr::value(false))
        .col_expr(endpoints::Column::DisabledReason, Expr::value(reason))
        .col_expr(endpoints::Column::UpdatedAt, Expr::value(now))
        .filter(endpoints::Column::Id.eq(endpoint))
        .filter(endpoints::Column::Enabled.eq(true))
        .exec(conn)
        .await?;
    if switched.rows_affected == 0 {
        return Ok(false);
    }
    deliveries::Entity::update_many()
        .col_expr(deliveries::Column::Status, Expr::value(StoredDeliveryStatus::Failed))
        .filter(deliveries::Column::EndpointId.eq(endpoint))
        .filter(deliveries::Column::Status.eq(StoredDeliveryStatus::Pending))
        .exec(conn)
        .await?;
    Ok(true)
}

pub fn new_endpoint(
    scope: &WorkspaceScope,
    url: String,
    events: String,
    description: Option<String>,
    include_internal: bool,
    sealed_secret: String,
    now: DateTime<Utc>,
) -> endpoints::Model {
    endpoints::Model {
        id: Uuid::now_v7(),
        workspace_id: scope.uuid(),
        url,
        description,
        events,
        include_internal,
        enabled: true,
        disabled_reason: None,
        secret: sealed_secret,
        failing_since: None,
        created_at: now,
        updated_at: now,
    }
}
