//! HTTP for `/api-keys` (owners, signed in as people: a key can never create, list or revoke keys).

use actix_web::HttpResponse;
use actix_web::web::{self, Json, Path};
use ferrodesk_shared::api_keys::{ApiKeyCreated, ApiKeyList, NewApiKey};
use ferrodesk_shared::{ApiKeyId, ErrorBody};

use crate::auth::Owner;
use crate::error::ApiResult;
use crate::state::AppState;

use super::service;

/// Create an API key (owners). The answer holds the key, `fd_...`, this once: only its hash is kept.
///
/// API keys cannot call this endpoint.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", operation_id = "createApiKey", request_body = NewApiKey,
    responses((status = 201, body = ApiKeyCreated), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not an owner, or called with an API key"),
        (status = 422, body = ErrorBody)),
    security(("session" = [])))]
pub async fn create(state: web::Data<AppState>, owner: Owner, body: Json<NewApiKey>) -> ApiResult<HttpResponse> {
    let created = service::create(&state, &owner, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(created))
}

/// The workspace's API keys that are not revoked, newest first, without their secrets (owners).
///
/// API keys cannot call this endpoint.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", operation_id = "listApiKeys",
    responses((status = 200, body = ApiKeyList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not an owner, or called with an API key")),
    security(("session" = [])))]
pub async fn list(state: web::Data<AppState>, owner: Owner) -> ApiResult<Json<ApiKeyList>> {
    Ok(Json(service::list(&state, &owner).await?))
}

/// Revoke an API key (owners): it answers 401 from its next request on. What it wrote stays,
/// authored by its name.
///
/// API keys cannot call this endpoint.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys", operation_id = "revokeApiKey",
    params(("id" = ApiKeyId, Path, description = "The key")),
    responses((status = 204), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not an owner, or called with an API key"),
        (status = 404, body = ErrorBody, description = "Unknown, already revoked, or another workspace's")),
    security(("session" = [])))]
pub async fn revoke(state: web::Data<AppState>, owner: Owner, id: Path<ApiKeyId>) -> ApiResult<HttpResponse> {
    service::revoke(&state, &owner, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
