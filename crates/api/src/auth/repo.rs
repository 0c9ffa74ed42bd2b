//! Sessions, refresh tokens and invitations. Tokens are looked up by hash before anyone is known,
//! which is why these queries live in `auth`, the only module allowed to turn a row into a scope.

use chrono::{DateTime, Utc};
use ferrodesk_shared::Role;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::db::entities::{invitations, refresh_tokens, sessions, sign_in_links, users};
use crate::error::ApiResult;
use crate::users::domain::Email;

use super::scope::WorkspaceScope;

pub async fn insert_session(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    user_id: Uuid,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> ApiResult<sessions::Model> {
    Ok(sessions::ActiveModel {
        id: Set(Uuid::now_v7()),
        workspace_id: Set(scope.uuid()),
        user_id: Set(user_id),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
    }
    .insert(conn)
    .await?)
}

/// The user behind a live session, in one query (every authenticated request asks): none when
/// the session is revoked, expired or not this user's, or the user is gone.
pub async fn find_live_session_user(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    session_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<Option<users::Model>> {
    let found = sessions::Entity::find_by_id(session_id)
        .join(
            JoinType::InnerJoin,
            sessions::Entity::belongs_to(users::Entity)
                .from(sessions::Column::UserId)
                .to(users::Column::Id)
                .into(),
        )
        .select_also(users::Entity)
        .filter(sessions::Column::WorkspaceId.eq(scope.uuid()))
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(now))
        .filter(users::Column::WorkspaceId.eq(scope.uuid()))
        .one(conn)
        .await?;
    Ok(found.and_then(|(_, user)| user))
}

pub async fn extend_session(conn: &impl ConnectionTrait, session_id: Uuid, expires_at: DateTime<Utc>) -> ApiResult<()> {
    sessions::Entity::update_many()
        .col_expr(sessions::Column::ExpiresAt, Expr::value(expires_at))
        .filter(sessions::Column::Id.eq(session_id))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn revoke_session(conn: &impl ConnectionTrait, session_id: Uuid, now: DateTime<Utc>) -> ApiResult<()> {
    sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(now))
        .filter(sessions::Column::Id.eq(session_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Ends every live session of a user (a proven owner of the address takes the account back).
pub async fn revoke_user_sessions(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<u64> {
    let result = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(now))
        .filter(sessions::Column::WorkspaceId.eq(scope.uuid()))
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

pub async fn insert_refresh_token(
    conn: &impl ConnectionTrait,
    session_id: Uuid,
    token_hash: String,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> ApiResult<()> {
    refresh_tokens::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(session_id),
        token_hash: Set(token_hash),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(())
}

pub async fn find_refresh_token(
    conn: &impl ConnectionTrait,
    token_hash: &str,
) -> ApiResult<Option<(refresh_tokens::Model, sessions::Model)>> {
    let Some(token) = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(token_hash))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let session = sessions::Entity::find_by_id(token.session_id).one(conn).await?;
    Ok(session.map(|session| (token, session)))
}

/// Marks a refresh token used, once: false when another request rotated it first.
pub async fn use_refresh_token(conn: &impl ConnectionTrait, token_id: Uuid, now: DateTime<Utc>) -> ApiResult<bool> {
    let result = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::UsedAt, Expr::value(now))
        .filter(refresh_tokens::Column::Id.eq(token_id))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

pub struct NewInvitation<'a> {
    pub email: &'a Email,
    pub role: Role,
    pub token_hash: String,
    pub invited_by: Uuid,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_invitation(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    invitation: NewInvitation<'_>,
    now: DateTime<Utc>,
) -> ApiResult<invitations::Model> {
    Ok(invitations::ActiveModel {
        id: Set(Uuid::now_v7()),
        workspace_id: Set(scope.uuid()),
        email: Set(invitation.email.as_str().to_owned()),
        role: Set(invitation.role.into()),
        token_hash: Set(invitation.token_hash),
        invited_by: Set(invitation.invited_by),
        created_at: Set(now),
        expires_at: Set(invitation.expires_at),
        accepted_at: Set(None),
    }
    .insert(conn)
    .await?)
}

/// An invitation that can still be accepted.
pub async fn find_open_invitation(
    conn: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> ApiResult<Option<invitations::Model>> {
    Ok(invitations::Entity::find()
        .filter(invitations::Column::TokenHash.eq(token_hash))
        .filter(invitations::Column::AcceptedAt.is_null())
        .filter(invitations::Column::ExpiresAt.gt(now))
        .one(conn)
        .await?)
}

/// Marks an invitation accepted, once: false when it was accepted concurrently.
pub async fn accept_invitation(conn: &impl ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> ApiResult<bool> {
    let result = invitations::Entity::update_many()
        .col_expr(invitations::Column::AcceptedAt, Expr::value(now))
        .filter(invitations::Column::Id.eq(id))
        .filter(invitations::Column::AcceptedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The workspace's invitations that can still be accepted, newest first.
pub async fn open_invitations(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    now: DateTime<Utc>,
) -> ApiResult<Vec<invitations::Model>> {
    Ok(invitations::Entity::find()
        .filter(invitations::Column::WorkspaceId.eq(scope.uuid()))
        .filter(invitations::Column::AcceptedAt.is_null())
        .filter(invitations::Column::ExpiresAt.gt(now))
        .order_by_desc(invitations::Column::CreatedAt)
        .all(conn)
        .await?)
}

pub async fn find_invitation(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    id: Uuid,
) -> ApiResult<Option<invitations::Model>> {
    Ok(invitations::Entity::find_by_id(id)
        .filter(invitations::Column::WorkspaceId.eq(scope.uuid()))
        .filter(invitations::Column::AcceptedAt.is_null())
        .one(conn)
        .await?)
}

pub async fn delete_invitation(conn: &impl ConnectionTrait, scope: &WorkspaceScope, id: Uuid) -> ApiResult<()> {
    invitations::Entity::delete_many()
        .filter(invitations::Column::WorkspaceId.eq(scope.uuid()))
        .filter(invitations::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

pub struct NewLink {
    pub user_id: Uuid,
    pub token_hash: String,
    pub purpose: super::links::Purpose,
    pub password_stamp: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// Stores links in one statement.
pub async fn insert_links(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    links: Vec<NewLink>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    if links.is_empty() {
        return Ok(());
    }
    let rows = links.into_iter().map(|link| sign_in_links::ActiveModel {
        id: Set(Uuid::now_v7()),
        workspace_id: Set(scope.uuid()),
        user_id: Set(link.user_id),
        token_hash: Set(link.token_hash),
        purpose: Set(link.purpose),
        password_stamp: Set(link.password_stamp),
        created_at: Set(now),
        expires_at: Set(link.expires_at),
        used_at: Set(None),
    });
    sign_in_links::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// A link by its token's hash, used or not: a used one can still ask for a fresh one.
pub async fn find_link(conn: &impl ConnectionTrait, token_hash: &str) -> ApiResult<Option<sign_in_links::Model>> {
    Ok(sign_in_links::Entity::find()
        .filter(sign_in_links::Column::TokenHash.eq(token_hash))
        .one(conn)
        .await?)
}

/// Marks a link used, once and only before it expires: false when it was used (even concurrently)
/// or is too old.
pub async fn consume_link(conn: &impl ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> ApiResult<bool> {
    let result = sign_in_links::Entity::update_many()
        .col_expr(sign_in_links::Column::UsedAt, Expr::value(now))
        .filter(sign_in_links::Column::Id.eq(id))
        .filter(sign_in_links::Column::UsedAt.is_null())
        .filter(sign_in_links::Column::ExpiresAt.gt(now))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}
