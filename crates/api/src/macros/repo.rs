//! Queries on `macros`, each taking the workspace's scope: another workspace's macro is not found.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::db::entities::macros;
use crate::error::{ApiError, ApiResult};

pub async fn insert(conn: &impl ConnectionTrait, row: macros::Model) -> Result<macros::Model, sea_orm::DbErr> {
    macros::ActiveModel::from(row).insert(conn).await
}

/// Most used first, then by title.
pub async fn list(conn: &impl ConnectionTrait, scope: &WorkspaceScope) -> ApiResult<Vec<macros::Model>> {
    Ok(macros::Entity::find()
        .filter(macros::Column::WorkspaceId.eq(scope.uuid()))
        .order_by_desc(macros::Column::UsageCount)
        .order_by_asc(macros::Column::TitleKey)
        .all(conn)
        .await?)
}

pub async fn count(conn: &impl ConnectionTrait, scope: &WorkspaceScope) -> ApiResult<u64> {
    Ok(macros::Entity::find()
        .filter(macros::Column::WorkspaceId.eq(scope.uuid()))
        .count(conn)
        .await?)
}

/// `None` when there is no such macro in this workspace.
pub async fn find(conn: &impl ConnectionTrait, scope: &WorkspaceScope, id: Uuid) -> ApiResult<Option<macros::Model>> {
    Ok(macros::Entity::find_by_id(id)
        .filter(macros::Column::WorkspaceId.eq(scope.uuid()))
        .one(conn)
        .await?)
}

/// Replaces the macro's fields (its use count stays).
pub async fn update(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    row: macros::Model,
) -> Result<Option<macros::Model>, sea_orm::DbErr> {
    if row.workspace_id != scope.uuid() {
        return Ok(None);
    }
    let id = row.id;
    let active = macros::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id),
        title: Set(row.title),
        title_key: Set(row.title_key),
        body: Set(row.body),
        set_status: Set(row.set_status),
        set_priority: Set(row.set_priority),
        add_tags: Set(row.add_tags),
        updated_at: Set(row.updated_at),
        ..Default::default()
    };
    let updated = macros::Entity::update_many()
        .set(active)
        .filter(macros::Column::Id.eq(id))
        .filter(macros::Column::WorkspaceId.eq(scope.uuid()))
        .exec(conn)
        .await?;
    if updated.rows_affected == 0 {
        return Ok(None);
    }
    macros::Entity::find_by_id(id).one(conn).await
}

pub async fn delete(conn: &impl ConnectionTrait, scope: &WorkspaceScope, id: Uuid) -> ApiResult<()> {
    let deleted = macros::Entity::delete_many()
        .filter(macros::Column::Id.eq(id))
        .filter(macros::Column::WorkspaceId.eq(scope.uuid()))
        .exec(conn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(ApiError::NotFound);
    }
    Ok(())
}

/// Counts one use, in the transaction of the reply that used it: one UPDATE.
pub async fn count_use(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    id: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    macros::Entity::update_many()
        .col_expr(macros::Column::UsageCount, Expr::col(macros::Column::UsageCount).add(1))
        .col_expr(macros::Column::LastUsedAt, Expr::val(now))
        .filter(macros::Column::Id.eq(id))
        .filter(macros::Column::WorkspaceId.eq(scope.uuid()))
        .exec(conn)
        .await?;
    Ok(())
}
