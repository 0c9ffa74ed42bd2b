//! User queries; every one is bounded by the workspace scope.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use ferrodesk_shared::users::{User, UserSummary};
use ferrodesk_shared::{Role, UserId, WorkspaceId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::db::entities::users;
use crate::db::stored::StoredRole;
use crate::error::{ApiError, ApiResult};

use super::domain::Email;

pub fn role_of(model: &users::Model) -> Role {
    model.role.into()
}

/// Whether a ticket may be assigned to this user: staff, and a person (an API key's integration
/// is staff-level for the ticket rules, but nobody's assignee).
pub fn is_assignable(model: &users::Model) -> bool {
    role_of(model).is_staff() && !model.integration
}

pub fn into_user(model: users::Model) -> User {
    User {
        id: UserId(model.id),
        workspace_id: WorkspaceId(model.workspace_id),
        role: role_of(&model),
        email_verified: model.email_verified_at.is_some(),
        email: model.email,
        name: model.name,
        created_at: model.created_at,
    }
}

pub fn into_summary(model: &users::Model) -> UserSummary {
    UserSummary {
        id: UserId(model.id),
        name: model.name.clone(),
        email: model.email.clone(),
        role: role_of(model),
    }
}

pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub password_hash: Option<String>,
    /// Whether the address is already proven (an invitation link sent to it was opened).
    pub email_verified: bool,
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    user: NewUser,
    now: DateTime<Utc>,
) -> Result<users::Model, sea_orm::DbErr> {
    users::ActiveModel {
        id: Set(Uuid::now_v7()),
        workspace_id: Set(scope.uuid()),
        email: Set(user.email.as_str().to_owned()),
        name: Set(user.name),
        role: Set(user.role.into()),
        password_hash: Set(user.password_hash),
        created_at: Set(now),
        updated_at: Set(now),
        email_verified_at: Set(user.email_verified.then_some(now)),
        integration: Set(false),
    }
    .insert(conn)
    .await
}

/// The user with `user`'s email in this workspace, inserted if there is none. One statement that
/// yields to a concurrent insert of the same email (`ON CONFLICT DO NOTHING`, then a read), so two
/// requests naming the same new customer both succeed instead of one failing on the unique index.
pub async fn insert_or_find(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    user: NewUser,
    now: DateTime<Utc>,
) -> ApiResult<users::Model> {
    let email = user.email.clone();
    let inserted = users::Entity::insert(users::ActiveModel::from(new_row(scope, user, now)))
        .on_conflict_do_nothing_on([users::Column::WorkspaceId, users::Column::Email])
        .exec_with_returning(conn)
        .await;
    match inserted {
        Ok(sea_orm::TryInsertResult::Inserted(user)) => return Ok(user),
        // A conflict returns no row; sea-orm 2.0 reports that as "not found" on this path.
        Ok(_) | Err(sea_orm::DbErr::RecordNotFound(_)) => {}
        Err(other) => return Err(other.into()),
    }
    // Someone else's row: on PostgreSQL the statement above waited for a concurrent inserter to
    // commit, and this new statement's snapshot sees its row.
    find_by_email(conn, scope, &email)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the requester vanished right after its upsert")))
}

/// The row a new user will have (its id chosen here), for `insert_new`.
pub fn new_row(scope: &WorkspaceScope, user: NewUser, now: DateTime<Utc>) -> users::Model {
    users::Model {
        id: Uuid::now_v7(),
        workspace_id: scope.uuid(),
        email: user.email.as_str().to_owned(),
        name: user.name,
        role: user.role.into(),
        password_hash: user.password_hash,
        created_at: now,
        updated_at: now,
        email_verified_at: user.email_verified.then_some(now),
        integration: false,
    }
}

/// Inserts new users in one statement, skipping addresses that are already users of the workspace:
/// returns how many were inserted, so the caller can tell whether another transaction got there first.
pub async fn insert_new(conn: &impl ConnectionTrait, rows: Vec<users::Model>) -> ApiResult<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    let inserted = users::Entity::insert_many(rows.into_iter().map(users::ActiveModel::from))
        .on_conflict_do_nothing_on([users::Column::WorkspaceId, users::Column::Email])
        .exec_without_returning(conn)
        .await?;
    Ok(match inserted {
        sea_orm::TryInsertResult::Inserted(count) => count,
        sea_orm::TryInsertResult::Empty | sea_orm::TryInsertResult::Conflicted => 0,
    })
}

/// The users of these addresses (already normalised), by address.
pub async fn by_emails(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    emails: &[String],
) -> ApiResult<HashMap<String, users::Model>> {
    if emails.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(users::Entity::find()
        .filter(users::Column::WorkspaceId.eq(scope.uuid()))
        .filter(users::Column::Email.is_in(emails.iter().map(String::as_str)))
        .all(conn)
        .await?
        .into_iter()
        .map(|user| (user.email.clone(), user))
        .collect())
}

/// Whether an insert failed because the email is already a user of this workspace.
pub fn is_duplicate_email(error: &sea_orm::DbErr) -> bool {
    crate::db::violates_unique(error, "ux_users_workspace_email", "users.workspace_id, users.email")
}

/// A person of the workspace (not an integration): what role changes act on.
pub async fn find_person(conn: &impl ConnectionTrait, scope: &WorkspaceScope, id: UserId) -> ApiResult<users::Model> {
    let user = find(conn, scope, id).await?;
    if user.integration {
        return Err(ApiError::NotFound);
    }
    Ok(user)
}

pub async fn find(conn: &impl ConnectionTrait, scope: &WorkspaceScope, id: UserId) -> ApiResult<users::Model> {
    users::Entity::find_by_id(id.0)
        .filter(users::Column::WorkspaceId.eq(scope.uuid()))
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)
}

pub async fn find_by_email(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    email: &Email,
) -> ApiResult<Option<users::Model>> {
    Ok(users::Entity::find()
        .filter(users::Column::WorkspaceId.eq(scope.uuid()))
        .filter(users::Column::Email.eq(email.as_str()))
        .one(conn)
        .await?)
}

pub async fn list(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    role: Option<Role>,
) -> ApiResult<Vec<users::Model>> {
    // Integrations (API keys' authors) are not people of the team: never listed, never assignable.
    let mut query = users::Entity::find()
        .filter(users::Column::WorkspaceId.eq(scope.uuid()))
        .filter(users::Column::Integration.eq(false));
    if let Some(role) = role {
        query = query.filter(users::Column::Role.eq(StoredRole::from(role)));
    }
    Ok(query
        .order_by_asc(users::Column::Name)
        .order_by_asc(users::Column::Id)
        .all(conn)
        .await?)
}

/// The users behind a set of ids, in one query.
pub async fn by_ids(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    ids: impl IntoIterator<Item = Uuid>,
) -> ApiResult<HashMap<Uuid, users::Model>> {
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(users::Entity::find()
        .filter(users::Column::WorkspaceId.eq(scope.uuid()))
        .filter(users::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect())
}

/// The users behind a set of ids, in one query (a page of tickets names many people).
pub async fn summaries(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    ids: impl IntoIterator<Item = Uuid>,
) -> ApiResult<HashMap<Uuid, UserSummary>> {
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = users::Entity::find()
        .filter(users::Column::WorkspaceId.eq(scope.uuid()))
        .filter(users::Column::Id.is_in(ids))
        .all(conn)
        .await?;
    Ok(rows.iter().map(|row| (row.id, into_summary(row))).collect())
}

pub async fn count_with_role(conn: &impl ConnectionTrait, scope: &WorkspaceScope, role: Role) -> ApiResult<u64> {
    Ok(users::Entity::find()
        .filter(users::Column::WorkspaceId.eq(scope.uuid()))
        .filter(users::Column::Role.eq(StoredRole::from(role)))
        .filter(users::Column::Integration.eq(false))
        .count(conn)
        .await?)
}

pub async fn set_role(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    id: UserId,
    role: Role,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    users::Entity::update_many()
        .col_expr(users::Column::Role, Expr::value(StoredRole::from(role)))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::WorkspaceId.eq(scope.uuid()))
        .filter(users::Column::Id.eq(id.0))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn set_password(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    id: UserId,
    password_hash: String,
    name: Option<String>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let mut update = users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(password_hash))
        .col_expr(users::Column::UpdatedAt, Expr::value(now));
    if let Some(name) = name {
        update = update.col_expr(users::Column::Name, Expr::value(name));
    }
    update
        .filter(users::Column::WorkspaceId.eq(scope.uuid()))
        .filter(users::Column::Id.eq(id.0))
        .exec(conn)
        .await?;
    Ok(())
}

/// Records that the user proved their address (first proof only; later links change nothing).
pub async fn mark_email_verified(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    id: UserId,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    users::Entity::update_many()
        .col_expr(users::Column::EmailVerifiedAt, Expr::value(now))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::WorkspaceId.eq(scope.uuid()))
        .filter(users::Column::Id.eq(id.0))
        .filter(users::Column::EmailVerifiedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Removes the user's password: they sign in by emailed links until they set one again.
pub async fn clear_password(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    id: UserId,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(Option::<String>::None))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::WorkspaceId.eq(scope.uuid()))
        .filter(users::Column::Id.eq(id.0))
        .exec(conn)
        .await?;
    Ok(())
}

/// How many staff seats are taken: agents, supervisors and owners (integrations take none).
pub async fn count_staff(conn: &impl ConnectionTrait, scope: &WorkspaceScope) -> ApiResult<u64> {
    let staff = [Role::Agent, Role::Supervisor, Role::Owner];
    Ok(users::Entity::find()
        .filter(users::Column::WorkspaceId.eq(scope.uuid()))
        .filter(users::Column::Role.is_in(staff.iter().map(|role| StoredRole::from(*role))))
        .filter(users::Column::Integration.eq(false))
        .count(conn)
        .await?)
}

/// Everyone who answers tickets: agents, supervisors and owners.
pub async fn staff_ids(conn: &impl ConnectionTrait, scope: &WorkspaceScope) -> ApiResult<Vec<Uuid>> {
    let rows = with_roles(conn, scope, &[Role::Agent, Role::Supervisor, Role::Owner]).await?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}

/// The workspace's users of any of `roles`, by name.
pub async fn with_roles(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    roles: &[Role],
) -> ApiResult<Vec<users::Model>> {
    Ok(users::Entity::find()
        .filter(users::Column::WorkspaceId.eq(scope.uuid()))
        .filter(users::Column::Role.is_in(roles.iter().map(|role| StoredRole::from(*role))))
        // Integrations are never notified, assigned or counted on the dashboard.
        .filter(users::Column::Integration.eq(false))
        .order_by_asc(users::Column::Name)
        .order_by_asc(users::Column::Id)
        .all(conn)
        .await?)
}
