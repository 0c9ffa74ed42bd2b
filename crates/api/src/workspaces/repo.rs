//! Workspace rows. Looking one up by slug is the only unscoped read: it is how sign-in finds a tenant.

use ferrodesk_shared::WorkspaceId;
use ferrodesk_shared::workspaces::{Plan, Workspace};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::db::entities::workspaces;
use crate::error::{ApiError, ApiResult};

use super::domain::Slug;

pub fn into_workspace(model: workspaces::Model) -> Workspace {
    Workspace {
        id: WorkspaceId(model.id),
        plan: model.plan.into(),
        name: model.name,
        slug: model.slug,
        created_at: model.created_at,
    }
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    name: String,
    slug: &Slug,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<workspaces::Model, sea_orm::DbErr> {
    workspaces::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        slug: Set(slug.as_str().to_owned()),
        plan: Set(Plan::Free.into()),
        ticket_seq: Set(0),
        event_seq: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        stripe_customer_id: Set(None),
        stripe_subscription_id: Set(None),
        billing_status: Set(None),
        billing_period_end: Set(None),
        billing_cancel_at_period_end: Set(false),
        billing_grace_until: Set(None),
        assign_on_reply: Set(true),
        csat_enabled: Set(true),
    }
    .insert(conn)
    .await
}

pub async fn find_by_slug(conn: &impl ConnectionTrait, slug: &str) -> ApiResult<Option<workspaces::Model>> {
    let slug = slug.trim().to_ascii_lowercase();
    Ok(workspaces::Entity::find()
        .filter(workspaces::Column::Slug.eq(slug))
        .one(conn)
        .await?)
}

pub async fn get(conn: &impl ConnectionTrait, scope: &WorkspaceScope) -> ApiResult<workspaces::Model> {
    workspaces::Entity::find_by_id(scope.uuid())
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Changes the helpdesk settings given in `patch`; the workspace as it is after.
pub async fn update_settings(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    patch: &ferrodesk_shared::workspaces::HelpdeskSettingsPatch,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<workspaces::Model> {
    let mut update = workspaces::Entity::update_many()
        .col_expr(workspaces::Column::UpdatedAt, Expr::value(now))
        .filter(workspaces::Column::Id.eq(scope.uuid()));
    if let Some(assign_on_reply) = patch.assign_on_reply {
        update = update.col_expr(workspaces::Column::AssignOnReply, Expr::value(assign_on_reply));
    }
    if let Some(csat_enabled) = patch.csat_enabled {
        update = update.col_expr(workspaces::Column::CsatEnabled, Expr::value(csat_enabled));
    }
    update.exec(conn).await?;
    get(conn, scope).await
}

/// Numbers handed out by `allocate`, with the workspace row as it is after.
pub struct Allocated {
    /// The first of the ticket numbers asked for.
    pub ticket_number: i64,
    /// The first of the event numbers asked for.
    pub event_seq: i64,
    pub workspace: workspaces::Model,
}

/// Hands out `tickets` ticket numbers and `events` event numbers in one statement. The UPDATE takes
/// the workspace row's lock until the transaction ends, so concurrent changes queue here, never share
/// a number, and commit in the order of their numbers (the hubs rely on that). Take it as late in the
/// transaction as possible: everything after it waits for this transaction's commit.
pub async fn allocate(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    tickets: i64,
    events: i64,
) -> ApiResult<Allocated> {
    let workspace = workspaces::Entity::update_many()
        .col_expr(
            workspaces::Column::TicketSeq,
            Expr::col(workspaces::Column::TicketSeq).add(tickets),
        )
        .col_expr(
            workspaces::Column::EventSeq,
            Expr::col(workspaces::Column::EventSeq).add(events),
        )
        .filter(workspaces::Column::Id.eq(scope.uuid()))
        .exec_with_returning(conn)
        .await?
        .into_iter()
        .next()
        .ok_or(ApiError::NotFound)?;
    Ok(Allocated {
        ticket_number: workspace.ticket_seq - tickets + 1,
        event_seq: workspace.event_seq - events + 1,
        workspace,
    })
}

/// Puts the workspace on `plan` (the operator's `ferrodesk plan set`, or billing). Writing the row
/// takes the workspace's lock, so a staff member being admitted meanwhile counts against one plan.
pub async fn set_plan(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    plan: Plan,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<()> {
    workspaces::Entity::update_many()
        .col_expr(
            workspaces::Column::Plan,
            Expr::value(crate::db::stored::StoredPlan::from(plan)),
        )
        .col_expr(workspaces::Column::UpdatedAt, Expr::value(now))
        .filter(workspaces::Column::Id.eq(scope.uuid()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Serialises changes that must see a stable set of users (the last-owner rule): writing the row
/// takes its lock on PostgreSQL, and write transactions are already serial on SQLite.
pub async fn lock(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<()> {
    workspaces::Entity::update_many()
        .col_expr(workspaces::Column::UpdatedAt, Expr::value(now))
        .filter(workspaces::Column::Id.eq(scope.uuid()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Reserves `count` event numbers for this workspace and returns the first (see `allocate`).
pub async fn next_event_seqs(conn: &impl ConnectionTrait, scope: &WorkspaceScope, count: i64) -> ApiResult<i64> {
    Ok(allocate(conn, scope, 0, count).await?.event_seq)
}
