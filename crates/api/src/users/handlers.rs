//! HTTP for `/users`.

use actix_web::web::{self, Json, Path, Query};
use ferrodesk_shared::users::{UpdateUserRequest, User, UserList, UserListQuery};
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
