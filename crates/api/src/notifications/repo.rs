//! Notification rows, always for one user of one workspace.

use chrono::{DateTime, Utc};
use ferrodesk_shared::notifications::Notification;
use ferrodesk_shared::{NotificationId, TicketId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::db::entities::notifications;
use crate::error::{ApiError, ApiResult};

pub fn into_notification(row: notifications::Model) -> Notification {
    Notification {
        id: NotificationId(row.id),
        kind: row.kind.into(),
        ticket_id: row.ticket_id.map(TicketId),
        title: row.title,
        read_at: row.read_at,
        created_at: row.created_at,
    }
}

/// Stores the rows in one statement.
pub async fn insert_all(conn: &impl ConnectionTrait, rows: Vec<notifications::Model>) -> ApiResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    for chunk in rows.chunks(crate::db::INSERT_CHUNK) {
        notifications::Entity::insert_many(chunk.iter().cloned().map(notifications::ActiveModel::from))
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// One page, unread first and newest first within each; `after` is the last row of the previous page.
pub async fn page(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    user: Uuid,
    after: Option<(bool, DateTime<Utc>, Uuid)>,
    limit: u64,
) -> ApiResult<Vec<notifications::Model>> {
    let mut query = notifications::Entity::find()
        .filter(notifications::Column::WorkspaceId.eq(scope.uuid()))
        .filter(notifications::Column::UserId.eq(user));
    if let Some((read, at, id)) = after {
        let later = Condition::any().add(notifications::Column::CreatedAt.lt(at)).add(
            Condition::all()
                .add(notifications::Column::CreatedAt.eq(at))
                .add(notifications::Column::Id.lt(id)),
        );
        query = query.filter(if read {
            Condition::all()
                .add(notifications::Column::ReadAt.is_not_null())
                .add(later)
        } else {
            Condition::any()
                .add(notifications::Column::ReadAt.is_not_null())
                .add(Condition::all().add(notifications::Column::ReadAt.is_null()).add(later))
        });
    }
    Ok(query
        // NULLs (unread) first on both databases, whatever their default NULL ordering.
        .order_by_desc(Expr::col(notifications::Column::ReadAt).is_null())
        .order_by_desc(notifications::Column::CreatedAt)
        .order_by_desc(notifications::Column::Id)
        .limit(limit)
        .all(conn)
        .await?)
}

pub async fn unread_count(conn: &impl ConnectionTrait, scope: &WorkspaceScope, user: Uuid) -> ApiResult<u64> {
    Ok(notifications::Entity::find()
        .filter(notifications::Column::WorkspaceId.eq(scope.uuid()))
        .filter(notifications::Column::UserId.eq(user))
        .filter(notifications::Column::ReadAt.is_null())
        .count(conn)
        .await?)
}

/// Marks read the user's notification `id` (or all of theirs); answers how many changed.
pub async fn mark_read(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    user: Uuid,
    id: Option<Uuid>,
    now: DateTime<Utc>,
) -> ApiResult<u64> {
    let mut update = notifications::Entity::update_many()
        .col_expr(notifications::Column::ReadAt, Expr::value(now))
        .filter(notifications::Column::WorkspaceId.eq(scope.uuid()))
        .filter(notifications::Column::UserId.eq(user))
        .filter(notifications::Column::ReadAt.is_null());
    if let Some(id) = id {
        update = update.filter(notifications::Column::Id.eq(id));
    }
    Ok(update.exec(conn).await?.rows_affected)
}

pub async fn find(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    user: Uuid,
    id: Uuid,
) -> ApiResult<notifications::Model> {
    notifications::Entity::find_by_id(id)
        .filter(notifications::Column::WorkspaceId.eq(scope.uuid()))
        .filter(notifications::Column::UserId.eq(user))
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)
}
