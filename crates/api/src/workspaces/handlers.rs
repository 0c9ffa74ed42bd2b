//! HTTP for `/workspaces`: the public face of a help centre.

use actix_web::web::{self, Json, Path};
use ferrodesk_shared::ErrorBody;
use ferrodesk_shared::workspaces::WorkspacePublic;

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
