//! Role changes: owners only, never leaving a workspace without an owner. A person's profile for
//! the team: their tickets and the team's note about them.

use ferrodesk_shared::users::{PersonNote, PersonNoteInput, PersonProfile, User, UserList, UserListQuery};
use ferrodesk_shared::{Permission, Role, UserId};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::auth::Principal;
use crate::clock;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::realtime::{self, Revocation};
use crate::state::AppState;
use crate::workspaces;

use crate::db::entities::person_notes;
use crate::tickets::service as tickets_service;

use super::repo;

/// A person's latest tickets the profile shows.
const RECENT_TICKETS: u64 = 10;
/// The longest note about a person.
const MAX_NOTE_CHARS: usize = 5_000;

/// A person of the workspace as the team sees them beside a ticket (staff only).
pub async fn profile(state: &AppState, principal: &Principal, id: UserId) -> ApiResult<PersonProfile> {
    principal.require(Permission::ViewAllTickets)?;
    let user = repo::find_person(&state.db, principal.scope(), id).await?;
    let (tickets, first_ticket_at, recent_tickets) =
        tickets_service::requester_history(state, principal, user.id, RECENT_TICKETS).await?;
    let note = note_of(&state.db, principal, user.id).await?;
    Ok(PersonProfile {
        user: repo::into_user(user),
        first_ticket_at,
        tickets,
        recent_tickets,
        note,
    })
}

/// Writes the team's note about a person (staff); an empty note deletes it (`None`).
pub async fn set_note(
    state: &AppState,
    principal: &Principal,
    id: UserId,
    input: PersonNoteInput,
) -> ApiResult<Option<PersonNote>> {
    principal.require(Permission::WriteInternalNote)?;
    let body = input.body.replace("\r\n", "\n").trim().to_owned();
    if body.chars().count() > MAX_NOTE_CHARS {
        return Err(ApiError::invalid(
            "body",
            format!("the note must be at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    if body.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ApiError::invalid("body", "the note contains control characters"));
    }
    let user = repo::find_person(&state.db, principal.scope(), id).await?;
    let txn = db::begin_write(&state.db).await?;
    person_notes::Entity::delete_by_id(user.id).exec(&txn).await?;
    if !body.is_empty() {
        person_notes::ActiveModel {
            user_id: Set(user.id),
            workspace_id: Set(principal.scope().uuid()),
            body: Set(body),
            updated_by: Set(Some(principal.id().0)),
            updated_at: Set(clock::now()),
        }
        .insert(&txn)
        .await?;
    }
    let note = note_of(&txn, principal, user.id).await?;
    txn.commit().await?;
    Ok(note)
}

async fn note_of(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    user: uuid::Uuid,
) -> ApiResult<Option<PersonNote>> {
    // Scoped in the query itself, as every tenant read is (the caller checked the user row too).
    let Some(row) = person_notes::Entity::find_by_id(user)
        .filter(person_notes::Column::WorkspaceId.eq(principal.scope().uuid()))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let updated_by = match row.updated_by {
        Some(author) => repo::by_ids(conn, principal.scope(), [author])
            .await?
            .get(&author)
            .map(repo::into_summary),
        None => None,
    };
    Ok(Some(PersonNote {
        body: row.body,
        updated_at: row.updated_at,
        updated_by,
    }))
}

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
