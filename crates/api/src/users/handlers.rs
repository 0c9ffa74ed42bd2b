//! HTTP for `/users`.

use actix_web::HttpResponse;
use actix_web::web::{self, Json, Path, Query};
use ferrodesk_shared::users::{
    PersonNote, PersonNoteInput, PersonProfile, UpdateUserRequest, User, UserList, UserListQuery,
};
use ferrodesk_shared::{ErrorBody, UserId};

use crate::auth::scopes::UsersRead;
use crate::auth::{Agent, Owner};
use crate::error::ApiResult;
use crate::state::AppState;

use super::service;

/// The workspace's users, by name. Agents use it to pick an assignee. API keys' integrations are
/// never listed.
///
/// API keys: needs `users:read`.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", operation_id = "listUsers", params(UserListQuery),
    responses((status = 200, body = UserList), (status = 403, body = ErrorBody)),
    security(("session" = []), ("api_key" = ["users:read"])))]
pub async fn list(
    state: web::Data<AppState>,
    agent: Agent<UsersRead>,
    query: Query<UserListQuery>,
) -> ApiResult<Json<UserList>> {
    Ok(Json(service::list(&state, &agent, query.into_inner()).await?))
}

/// Change a user's role (owners only). The last owner cannot be demoted.
///
/// API keys cannot call this endpoint, and an integration has no role to change (404).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", operation_id = "updateUser", request_body = UpdateUserRequest,
    params(("id" = UserId, Path, description = "The user")),
    responses((status = 200, body = User), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "It would leave the workspace without an owner")),
    security(("session" = [])))]
pub async fn update(
    state: web::Data<AppState>,
    owner: Owner,
    id: Path<UserId>,
    body: Json<UpdateUserRequest>,
) -> ApiResult<Json<User>> {
    Ok(Json(
        service::change_role(&state, &owner, id.into_inner(), body.role).await?,
    ))
}

/// A person beside their ticket (staff): their tickets per status, when they first wrote, their
/// latest tickets, and the team's note about them.
#[utoipa::path(get, path = "/api/v1/users/{id}/profile", tag = "users", operation_id = "getPersonProfile",
    params(("id" = UserId, Path, description = "The person")),
    responses((status = 200, body = PersonProfile), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("session" = [])))]
pub async fn profile(state: web::Data<AppState>, agent: Agent, id: Path<UserId>) -> ApiResult<Json<PersonProfile>> {
    Ok(Json(service::profile(&state, &agent, id.into_inner()).await?))
}

/// Write the team's note about a person (staff); customers never see it. An empty note deletes
/// it (204).
#[utoipa::path(put, path = "/api/v1/users/{id}/note", tag = "users", operation_id = "setPersonNote",
    request_body = PersonNoteInput,
    params(("id" = UserId, Path, description = "The person")),
    responses((status = 200, body = PersonNote), (status = 204, description = "The note was deleted"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = [])))]
pub async fn set_note(
    state: web::Data<AppState>,
    agent: Agent,
    id: Path<UserId>,
    body: Json<PersonNoteInput>,
) -> ApiResult<HttpResponse> {
    Ok(
        match service::set_note(&state, &agent, id.into_inner(), body.into_inner()).await? {
            Some(note) => HttpResponse::Ok().json(note),
            None => HttpResponse::NoContent().finish(),
        },
    )
}
