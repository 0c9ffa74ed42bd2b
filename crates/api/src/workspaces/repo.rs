//! Workspace rows. Looking one up by slug is the only unscoped read: it is how sign-in finds a tenant.

use anyhow::Context;
use ferrodesk_shared::WorkspaceId;
use ferrodesk_shared::workspaces::{Plan, Workspace};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::db::entities::workspaces;
use crate::error::{ApiError, ApiResult};

use super::domain::Slug;

pub fn into_workspace(model: workspaces::Model) -> anyhow::Result<Workspace> {
    Ok(Workspace {
        id: WorkspaceId(model.id),
        plan: model.plan.parse::<Plan>().context("stored plan")?,
        name: model.name,
        slug: model.slug,
        created_at: model.created_at,
    })
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
        plan: Set(Plan::Free.as_str().to_owned()),
        ticket_seq: Set(0),
        event_seq: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
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

/// Hands out the next ticket number. The UPDATE takes the workspace row's lock, so concurrent
/// creations queue here and never share a number.
pub async fn next_ticket_number(conn: &impl ConnectionTrait, scope: &WorkspaceScope) -> ApiResult<i64> {
    workspaces::Entity::update_many()
        .col_expr(
            workspaces::Column::TicketSeq,
            Expr::col(workspaces::Column::TicketSeq).add(1),
        )
        .filter(workspaces::Column::Id.eq(scope.uuid()))
        .exec(conn)
        .await?;
    Ok(get(conn, scope).await?.ticket_seq)
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

/// Reserves `count` event numbers for this workspace and returns the first. Like ticket numbers,
/// they are handed out under the workspace row's lock, so they commit in the order they are given.
pub async fn next_event_seqs(conn: &impl ConnectionTrait, scope: &WorkspaceScope, count: i64) -> ApiResult<i64> {
    workspaces::Entity::update_many()
        .col_expr(
            workspaces::Column::EventSeq,
            Expr::col(workspaces::Column::EventSeq).add(count),
        )
        .filter(workspaces::Column::Id.eq(scope.uuid()))
        .exec(conn)
        .await?;
    Ok(get(conn, scope).await?.event_seq - count + 1)
}
