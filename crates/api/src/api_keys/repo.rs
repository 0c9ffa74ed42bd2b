//! API key queries. All but `find_by_hash` take the workspace scope; that one runs before anyone is
//! known (like a session's lookup) and hands `auth` the row it makes a scope from.

use chrono::{DateTime, Duration, Utc};
use ferrodesk_shared::{ApiKeyId, Role};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::db::entities::{api_keys, users};
use crate::db::stored::StoredRole;
use crate::error::{ApiError, ApiResult};

/// `last_used_at` is written at most this often per key, so a busy key costs one small UPDATE a
/// minute, not one per request.
pub const LAST_USED_PRECISION: Duration = Duration::minutes(1);

pub struct NewKeyRow {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub hash: String,
    pub scopes: String,
    pub created_by: Uuid,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The integration's user row, then its key (one transaction, the caller's).
pub async fn insert(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    key: NewKeyRow,
    now: DateTime<Utc>,
) -> ApiResult<api_keys::Model> {
    let user = users::ActiveModel {
        id: Set(Uuid::now_v7()),
        workspace_id: Set(scope.uuid()),
        // Unique per workspace like every email, at a reserved domain no mail can reach; no password:
        // nobody can sign in as an integration.
        email: Set(format!("{}@api-keys.invalid", key.id)),
        name: Set(key.name.clone()),
        // Staff-level for the ticket rules (it may answer customers and edit fields with
        // `tickets:write`); its scopes, checked first, decide what it can reach at all.
        role: Set(StoredRole::from(Role::Supervisor)),
        password_hash: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        email_verified_at: Set(Some(now)),
        integration: Set(true),
    }
    .insert(conn)
    .await?;
    Ok(api_keys::ActiveModel {
        id: Set(key.id),
        workspace_id: Set(scope.uuid()),
        user_id: Set(user.id),
        name: Set(key.name),
        prefix: Set(key.prefix),
        key_hash: Set(key.hash),
        scopes: Set(key.scopes),
        created_by: Set(Some(key.created_by)),
        created_at: Set(now),
        expires_at: Set(key.expires_at),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(conn)
    .await?)
}

/// The workspace's keys not revoked, newest first.
pub async fn list(conn: &impl ConnectionTrait, scope: &WorkspaceScope) -> ApiResult<Vec<api_keys::Model>> {
    Ok(api_keys::Entity::find()
        .filter(api_keys::Column::WorkspaceId.eq(scope.uuid()))
        .filter(api_keys::Column::RevokedAt.is_null())
        .order_by_desc(api_keys::Column::CreatedAt)
        .order_by_desc(api_keys::Column::Id)
        .all(conn)
        .await?)
}

/// Revokes a key of this workspace: 404 for another workspace's, an unknown or an already revoked one.
pub async fn revoke(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    id: ApiKeyId,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let result = api_keys::Entity::update_many()
        .col_expr(api_keys::Column::RevokedAt, Expr::value(now))
        .filter(api_keys::Column::WorkspaceId.eq(scope.uuid()))
        .filter(api_keys::Column::Id.eq(id.0))
        .filter(api_keys::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    if result.rows_affected == 0 {
        return Err(ApiError::NotFound);
    }
    Ok(())
}

/// The key with this hash and its integration's user, in one query, whatever their state (the
/// caller decides: revoked and expired keys are refused the same way as unknown ones).
pub async fn find_by_hash(
    conn: &impl ConnectionTrait,
    hash: &str,
) -> ApiResult<Option<(api_keys::Model, users::Model)>> {
    let found = api_keys::Entity::find()
        .join(
            JoinType::InnerJoin,
            api_keys::Entity::belongs_to(users::Entity)
                .from(api_keys::Column::UserId)
                .to(users::Column::Id)
                .into(),
        )
        .select_also(users::Entity)
        .filter(api_keys::Column::KeyHash.eq(hash))
        .one(conn)
        .await?;
    Ok(found.and_then(|(key, user)| Some((key, user?))))
}

/// Records a use when the last recorded one is older than `LAST_USED_PRECISION`. The condition is
/// repeated in the UPDATE so concurrent requests write it once.
pub async fn touch(conn: &impl ConnectionTrait, key: &api_keys::Model, now: DateTime<Utc>) -> ApiResult<()> {
    let stale = now - LAST_USED_PRECISION;
    if key.last_used_at.is_some_and(|at| at > stale) {
        return Ok(());
    }
    api_keys::Entity::update_many()
        .col_expr(api_keys::Column::LastUsedAt, Expr::value(now))
        .filter(api_keys::Column::Id.eq(key.id))
        .filter(
            Condition::any()
                .add(api_keys::Column::LastUsedAt.is_null())
                .add(api_keys::Column::LastUsedAt.lte(stale)),
        )
        .exec(conn)
        .await?;
    Ok(())
}
