//! HTTP for `/macros` and `/tickets/{id}/macros/{macro_id}`: extractors in, one service call, the
//! contract's types out. Sessions only: API keys have no macro scope.

use actix_web::HttpResponse;
use actix_web::web::{self, Json, Path};
use ferrodesk_shared::ErrorBody;
use ferrodesk_shared::macros::{Macro, MacroInput, MacroList, RenderedMacro};
use ferrodesk_shared::{MacroId, TicketId};

use crate::auth::{Agent, Supervisor};
use crate::error::ApiResult;
use crate::state::AppState;

use super::service;

/// The workspace's macros, most used first (agents, supervisors and owners).
#[utoipa::path(get, path = "/api/v1/macros", tag = "macros", operation_id = "listMacros",
    responses((status = 200, body = MacroList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("session" = [])))]
pub async fn list(state: web::Data<AppState>, agent: Agent) -> ApiResult<Json<MacroList>> {
    Ok(Json(service::list(&state, &agent).await?))
}

/// Add a macro (supervisors and owners). Its text may use the placeholders of
/// `ferrodesk_shared::macros::PLACEHOLDERS` (`{{customer.first_name}}`, ...); anything else is refused.
#[utoipa::path(post, path = "/api/v1/macros", tag = "macros", operation_id = "createMacro",
    request_body = MacroInput,
    responses((status = 201, body = Macro), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Another macro has this title, or the workspace keeps 500 already"),
        (status = 422, body = ErrorBody, description = "A missing title, an empty text, an unknown placeholder, a bad tag")),
    security(("session" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    supervisor: Supervisor,
    body: Json<MacroInput>,
) -> ApiResult<HttpResponse> {
    let created = service::create(&state, &supervisor, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Replace a macro's title, text and actions (supervisors and owners); its use count stays.
#[utoipa::path(put, path = "/api/v1/macros/{id}", tag = "macros", operation_id = "updateMacro",
    request_body = MacroInput,
    params(("id" = MacroId, Path, description = "The macro")),
    responses((status = 200, body = Macro), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Another macro has this title"),
        (status = 422, body = ErrorBody)),
    security(("session" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    supervisor: Supervisor,
    id: Path<MacroId>,
    body: Json<MacroInput>,
) -> ApiResult<Json<Macro>> {
    Ok(Json(
        service::update(&state, &supervisor, id.into_inner(), body.into_inner()).await?,
    ))
}

/// Delete a macro (supervisors and owners). Replies already sent from it are unchanged.
#[utoipa::path(delete, path = "/api/v1/macros/{id}", tag = "macros", operation_id = "deleteMacro",
    params(("id" = MacroId, Path, description = "The macro")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("session" = [])))]
pub async fn delete(state: web::Data<AppState>, supervisor: Supervisor, id: Path<MacroId>) -> ApiResult<HttpResponse> {
    service::delete(&state, &supervisor, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A macro filled in for one ticket, for the reply box: nothing is changed or counted until a
/// reply is sent with its `macro_id`.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/macros/{macro_id}", tag = "macros", operation_id = "renderMacro",
    params(("id" = TicketId, Path, description = "The ticket"), ("macro_id" = MacroId, Path, description = "The macro")),
    responses((status = 200, body = RenderedMacro), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("session" = [])))]
pub async fn render(
    state: web::Data<AppState>,
    agent: Agent,
    path: Path<(TicketId, MacroId)>,
) -> ApiResult<Json<RenderedMacro>> {
    let (ticket, id) = path.into_inner();
    Ok(Json(service::render(&state, &agent, ticket, id).await?))
}
