//! Macros: keep them (supervisors), list and fill one in for a ticket (agents). A reply sent with
//! a macro's id is the tickets service's (`tickets::service::reply`); `actions` is what it sets.

use ferrodesk_shared::Permission;
use ferrodesk_shared::macros::{Macro, MacroInput, MacroList, RenderedMacro};
use ferrodesk_shared::{MacroId, TicketId};
use uuid::Uuid;

use crate::auth::{Principal, WorkspaceScope};
use crate::clock;
use crate::db::{self, entities::macros};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::tickets::service as tickets_service;
use crate::workspaces::repo as workspaces_repo;

use super::domain::{self, MAX_MACROS, MacroFields, Values};
use super::repo;

/// The index that keeps titles unique per workspace, as the migration names it.
const TITLE_INDEX: &str = "ux_macros_workspace_title";

pub async fn list(state: &AppState, principal: &Principal) -> ApiResult<MacroList> {
    principal.require(Permission::ViewAllTickets)?;
    let rows = repo::list(&state.db, principal.scope()).await?;
    Ok(MacroList {
        items: rows.into_iter().map(into_macro).collect::<ApiResult<_>>()?,
    })
}

pub async fn create(state: &AppState, principal: &Principal, input: MacroInput) -> ApiResult<Macro> {
    principal.require(Permission::ManageMacros)?;
    let fields = domain::parse(&input)?;
    let scope = principal.scope();
    let now = clock::now();
    let txn = db::begin_write(&state.db).await?;
    // Counted in the transaction that inserts: two supervisors adding the 500th at once on SQLite
    // queue at the write gate; on PostgreSQL the bound is approximate by one, which is harmless.
    if repo::count(&txn, scope).await? >= MAX_MACROS {
        return Err(ApiError::conflict(format!(
            "A workspace can keep at most {MAX_MACROS} macros; delete one you no longer use first."
        )));
    }
    let row = row_of(scope, Uuid::now_v7(), &fields, Some(principal.id().0), now)?;
    let created = repo::insert(&txn, row).await.map_err(title_taken)?;
    txn.commit().await?;
    into_macro(created)
}

pub async fn update(state: &AppState, principal: &Principal, id: MacroId, input: MacroInput) -> ApiResult<Macro> {
    principal.require(Permission::ManageMacros)?;
    let fields = domain::parse(&input)?;
    let scope = principal.scope();
    let existing = repo::find(&state.db, scope, id.0).await?.ok_or(ApiError::NotFound)?;
    let row = macros::Model {
        usage_count: existing.usage_count,
        last_used_at: existing.last_used_at,
        created_at: existing.created_at,
        ..row_of(scope, id.0, &fields, existing.created_by, clock::now())?
    };
    let updated = repo::update(&state.db, scope, row)
        .await
        .map_err(title_taken)?
        .ok_or(ApiError::NotFound)?;
    into_macro(updated)
}

pub async fn delete(state: &AppState, principal: &Principal, id: MacroId) -> ApiResult<()> {
    principal.require(Permission::ManageMacros)?;
    repo::delete(&state.db, principal.scope(), id.0).await
}

/// The macro filled in for `ticket` as `principal` would send it. Changes nothing.
pub async fn render(
    state: &AppState,
    principal: &Principal,
    ticket: TicketId,
    id: MacroId,
) -> ApiResult<RenderedMacro> {
    principal.require(Permission::ViewAllTickets)?;
    let scope = principal.scope();
    let row = repo::find(&state.db, scope, id.0).await?.ok_or(ApiError::NotFound)?;
    let ticket = tickets_service::get_many(state, principal, &[ticket.0])
        .await?
        .pop()
        .ok_or(ApiError::NotFound)?;
    let workspace = workspaces_repo::get(&state.db, scope).await?;
    let values = Values {
        customer_name: ticket.requester.name,
        customer_email: ticket.requester.email,
        ticket_number: ticket.number,
        ticket_subject: ticket.subject,
        agent_name: principal.name().to_owned(),
        workspace_name: workspace.name,
    };
    let shown = into_macro(row)?;
    Ok(RenderedMacro {
        id: shown.id,
        title: shown.title,
        body: domain::render(&shown.body, &values),
        set_status: shown.set_status,
        set_priority: shown.set_priority,
        add_tags: shown.add_tags,
    })
}

/// What a reply sent from macro `id` sets on its ticket, read in the reply's transaction; a macro
/// that is not this workspace's (or was just deleted) refuses the reply.
pub async fn actions(conn: &impl sea_orm::ConnectionTrait, scope: &WorkspaceScope, id: MacroId) -> ApiResult<Macro> {
    let row = repo::find(conn, scope, id.0)
        .await?
        .ok_or_else(|| ApiError::invalid("macro_id", "is not a macro of this workspace"))?;
    into_macro(row)
}

fn row_of(
    scope: &WorkspaceScope,
    id: Uuid,
    fields: &MacroFields,
    created_by: Option<Uuid>,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<macros::Model> {
    Ok(macros::Model {
        id,
        workspace_id: scope.uuid(),
        title: fields.title.clone(),
        title_key: domain::title_key(&fields.title),
        body: fields.body.clone(),
        set_status: fields.set_status.map(Into::into),
        set_priority: fields.set_priority.map(Into::into),
        add_tags: serde_json::to_string(&fields.add_tags)
            .map_err(|error| ApiError::Internal(anyhow::anyhow!("encoding tags: {error}")))?,
        usage_count: 0,
        last_used_at: None,
        created_by,
        created_at: now,
        updated_at: now,
    })
}

fn title_taken(error: sea_orm::DbErr) -> ApiError {
    if db::violates_unique(&error, TITLE_INDEX, "macros.workspace_id, macros.title_key") {
        ApiError::ConflictAt {
            field: "title",
            message: "Another macro already has this title.".to_owned(),
        }
    } else {
        error.into()
    }
}

fn into_macro(row: macros::Model) -> ApiResult<Macro> {
    let add_tags: Vec<String> = serde_json::from_str(&row.add_tags)
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("stored macro tags: {error}")))?;
    Ok(Macro {
        id: MacroId(row.id),
        title: row.title,
        body: row.body,
        set_status: row.set_status.map(Into::into),
        set_priority: row.set_priority.map(Into::into),
        add_tags,
        usage_count: row.usage_count,
        last_used_at: row.last_used_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}
