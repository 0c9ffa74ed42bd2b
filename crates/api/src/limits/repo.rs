//! The `limit_hits` rows: insert, count and find the oldest within a window, prune.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::db::entities::limit_hits;
use crate::error::ApiResult;

use super::Key;

/// Rows are kept this long: longer than any window (configured windows are capped at a day).
pub const KEEP: Duration = Duration::days(2);

pub async fn insert(conn: &impl ConnectionTrait, key: &Key, now: DateTime<Utc>) -> ApiResult<Uuid> {
    let id = Uuid::now_v7();
    limit_hits::ActiveModel {
        id: Set(id),
        key: Set(key.as_str().to_owned()),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

pub async fn delete(conn: &impl ConnectionTrait, id: Uuid) -> ApiResult<()> {
    limit_hits::Entity::delete_by_id(id).exec(conn).await?;
    Ok(())
}

pub async fn count_since(conn: &impl ConnectionTrait, key: &Key, since: DateTime<Utc>) -> ApiResult<u64> {
    Ok(limit_hits::Entity::find()
        .filter(limit_hits::Column::Key.eq(key.as_str()))
        .filter(limit_hits::Column::CreatedAt.gt(since))
        .count(conn)
        .await?)
}

pub async fn oldest_since(
    conn: &impl ConnectionTrait,
    key: &Key,
    since: DateTime<Utc>,
) -> ApiResult<Option<DateTime<Utc>>> {
    Ok(limit_hits::Entity::find()
        .filter(limit_hits::Column::Key.eq(key.as_str()))
        .filter(limit_hits::Column::CreatedAt.gt(since))
        .order_by_asc(limit_hits::Column::CreatedAt)
        .one(conn)
        .await?
        .map(|hit| hit.created_at))
}

/// Everyone's rows older than `before`: no window reaches back that far.
pub async fn prune(conn: &impl ConnectionTrait, before: DateTime<Utc>) -> ApiResult<()> {
    limit_hits::Entity::delete_many()
        .filter(limit_hits::Column::CreatedAt.lt(before))
        .exec(conn)
        .await?;
    Ok(())
}
