//! HTTP for `/workspaces`: the public face of a help centre; and `/workspace/settings`, how the
//! helpdesk behaves for its team.

use actix_web::web::{self, Json, Path};
use ferrodesk_shared::workspaces::{HelpdeskSettings, HelpdeskSettingsPatch, WorkspacePublic};
use ferrodesk_shared::{ErrorBody, Permission};

use crate::auth::{Agent, Supervisor};
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

use super::repo;

/// A workspace's name by its slug, for its help centre's sign-up page. No sign-in needed.
#[utoipa::path(get, path = "/api/v1/workspaces/{slug}", tag = "workspaces", operation_id = "getPublicWorkspace",
    params(("slug" = String, Path, description = "The workspace's address")),
    responses((status = 200, body = WorkspacePublic), (status = 404, body = ErrorBody)))]
pub async fn public(state: web::Data<AppState>, slug: Path<String>) -> ApiResult<Json<WorkspacePublic>> {
    let workspace = repo::find_by_slug(&state.db, &slug).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(WorkspacePublic {
        name: workspace.name,
        slug: workspace.slug,
    }))
}

/// How the helpdesk behaves for the team (staff read it; supervisors and owners change it).
#[utoipa::path(get, path = "/api/v1/workspace/settings", tag = "workspaces", operation_id = "getHelpdeskSettings",
    responses((status = 200, body = HelpdeskSettings), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("session" = [])))]
pub async fn settings(state: web::Data<AppState>, agent: Agent) -> ApiResult<Json<HelpdeskSettings>> {
    let workspace = repo::get(&state.db, agent.scope()).await?;
    Ok(Json(settings_of(&workspace)))
}

/// Change the fields given (supervisors and owners); the next change to a ticket follows them.
#[utoipa::path(patch, path = "/api/v1/workspace/settings", tag = "workspaces", operation_id = "updateHelpdeskSettings",
    request_body = HelpdeskSettingsPatch,
    responses((status = 200, body = HelpdeskSettings), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("session" = [])))]
pub async fn update_settings(
    state: web::Data<AppState>,
    supervisor: Supervisor,
    body: Json<HelpdeskSettingsPatch>,
) -> ApiResult<Json<HelpdeskSettings>> {
    supervisor.require(Permission::ConfigureHelpdesk)?;
    let workspace = repo::update_settings(&state.db, supervisor.scope(), &body, clock::now()).await?;
    Ok(Json(settings_of(&workspace)))
}

fn settings_of(workspace: &crate::db::entities::workspaces::Model) -> HelpdeskSettings {
    HelpdeskSettings {
        assign_on_reply: workspace.assign_on_reply,
        csat_enabled: workspace.csat_enabled,
    }
}
