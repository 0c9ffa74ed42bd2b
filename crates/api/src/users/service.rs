//! Role changes: owners only, never leaving a workspace without an owner.

use ferrodesk_shared::users::{User, UserList, UserListQuery};
use ferrodesk_shared::{Role, UserId};

use crate::auth::Principal;
use crate::clock;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::realtime::{self, Revocation};
use crate::state::AppState;
use crate::workspaces;

use super::repo;

#[tracing::instrument(skip_all, fields(workspace = %principal.scope().id()))]
pub async fn list(state: &AppState, principal: &Principal, query: UserListQuery) -> ApiResult<UserList> {
    let rows = repo::list(&state.db, principal.scope(), query.role).await?;
    let items = rows.into_iter().map(repo::into_user).collect();
    Ok(UserList { items })
}

#[tracing::instrument(skip_all, fields(workspace = %principal.scope().id(), user = %id))]
pub async fn change_role(state: &AppState, principal: &Principal, id: UserId, role: Role) -> ApiResult<User> {
    let now = clock::now();
    let txn = db::begin_write(&state.db).await?;
    workspaces::repo::lock(&txn, principal.scope(), now).await?;
    // An API key's integration has no role to change: it has scopes.
    let target = repo::find_person(&txn, principal.scope(), id).await?;
    let current = repo::role_of(&target);
    if current == Role::Owner
        && role != Role::Owner
        && repo::count_with_role(&txn, principal.scope(), Role::Owner).await? <= 1
    {
        return Err(ApiError::conflict(
            "A workspace needs at least one owner: make someone else an owner first.",
        ));
    }
    if !workspaces::plans::takes_seat(current) && workspaces::plans::takes_seat(role) {
        workspaces::plans::admit_staff(&txn, principal.scope()).await?;
    }
    // Their open sockets close, so the client reconnects and gets what the new role may see.
    let revoked = if current != role {
        repo::set_role(&txn, principal.scope(), id, role, now).await?;
        Some(realtime::revoke(&txn, principal.scope(), Revocation::RoleChanged(id.0)).await?)
    } else {
        None
    };
    let updated = repo::find(&txn, principal.scope(), id).await?;
    txn.commit().await?;
    if let Some(revoked) = revoked {
        revoked.announce(state);
    }
    tracing::info!(from = %current, to = %role, "role changed");
    Ok(repo::into_user(updated))
}
