//! HTTP for `/webhooks`: extractors in, one service call, the contract's types out.

use actix_web::HttpResponse;
use actix_web::web::{self, Json, Path, Query};
use ferrodesk_shared::ErrorBody;
use ferrodesk_shared::webhooks::{
    NewWebhook, Webhook, WebhookDelivery, WebhookDeliveryPage, WebhookDeliveryQuery, WebhookList, WebhookPatch,
    WebhookWithSecret,
};
use ferrodesk_shared::{WebhookDeliveryId, WebhookId};

use crate::auth::Owner;
use crate::auth::scopes::WebhooksManage;
use crate::error::ApiResult;
use crate::state::AppState;

use super::service;

/// Who may manage a workspace's webhooks, in one place: its owners, and API keys with the
/// `webhooks:manage` scope (the same `WorkspaceScope` either way).
pub type WebhookManager = Owner<WebhooksManage>;

/// Register an endpoint (owners). The answer carries its signing secret, shown this once.
///
/// API keys: needs `webhooks:manage`.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", operation_id = "createWebhook",
    request_body = NewWebhook,
    responses((status = 201, body = WebhookWithSecret), (status = 400, body = ErrorBody, description = "An unknown event or field"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "A URL that is not https to a public address, no events, a bad description")),
    security(("session" = []), ("api_key" = ["webhooks:manage"])))]
pub async fn create(
    state: web::Data<AppState>,
    manager: WebhookManager,
    body: Json<NewWebhook>,
) -> ApiResult<HttpResponse> {
    let created = service::create(&state, manager.scope(), body.into_inner()).await?;
    Ok(HttpResponse::Created().json(created))
}

/// The workspace's endpoints (without secrets).
///
/// API keys: needs `webhooks:manage`.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", operation_id = "listWebhooks",
    responses((status = 200, body = WebhookList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("session" = []), ("api_key" = ["webhooks:manage"])))]
pub async fn list(state: web::Data<AppState>, manager: WebhookManager) -> ApiResult<Json<WebhookList>> {
    Ok(Json(service::list(&state, manager.scope()).await?))
}

/// One endpoint (without its secret).
///
/// API keys: needs `webhooks:manage`.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", operation_id = "getWebhook",
    params(("id" = WebhookId, Path, description = "The endpoint")),
    responses((status = 200, body = Webhook), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("session" = []), ("api_key" = ["webhooks:manage"])))]
pub async fn get(state: web::Data<AppState>, manager: WebhookManager, id: Path<WebhookId>) -> ApiResult<Json<Webhook>> {
    Ok(Json(service::get(&state, manager.scope(), id.into_inner()).await?))
}

/// Change the URL, events, description, internal notes, or switch it off and on (on again starts
/// its failure window afresh).
///
/// API keys: needs `webhooks:manage`.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", operation_id = "updateWebhook",
    request_body = WebhookPatch,
    params(("id" = WebhookId, Path, description = "The endpoint")),
    responses((status = 200, body = Webhook), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("api_key" = ["webhooks:manage"])))]
pub async fn update(
    state: web::Data<AppState>,
    manager: WebhookManager,
    id: Path<WebhookId>,
    body: Json<WebhookPatch>,
) -> ApiResult<Json<Webhook>> {
    Ok(Json(
        service::update(&state, manager.scope(), id.into_inner(), body.into_inner()).await?,
    ))
}

/// Delete an endpoint and its delivery log; nothing more is sent to it.
///
/// API keys: needs `webhooks:manage`.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", operation_id = "deleteWebhook",
    params(("id" = WebhookId, Path, description = "The endpoint")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("session" = []), ("api_key" = ["webhooks:manage"])))]
pub async fn delete(
    state: web::Data<AppState>,
    manager: WebhookManager,
    id: Path<WebhookId>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, manager.scope(), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A new signing secret, shown this once; the old one stops signing at once.
///
/// API keys: needs `webhooks:manage`.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate-secret", tag = "webhooks", operation_id = "rotateWebhookSecret",
    params(("id" = WebhookId, Path, description = "The endpoint")),
    responses((status = 200, body = WebhookWithSecret), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("api_key" = ["webhooks:manage"])))]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    manager: WebhookManager,
    id: Path<WebhookId>,
) -> ApiResult<Json<WebhookWithSecret>> {
    Ok(Json(
        service::rotate_secret(&state, manager.scope(), id.into_inner()).await?,
    ))
}

/// The endpoint's deliveries, newest event first: status, attempts, latency, the answer's first kilobyte.
///
/// API keys: needs `webhooks:manage`.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", operation_id = "listWebhookDeliveries",
    params(("id" = WebhookId, Path, description = "The endpoint"), WebhookDeliveryQuery),
    responses((status = 200, body = WebhookDeliveryPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("session" = []), ("api_key" = ["webhooks:manage"])))]
pub async fn deliveries(
    state: web::Data<AppState>,
    manager: WebhookManager,
    id: Path<WebhookId>,
    query: Query<WebhookDeliveryQuery>,
) -> ApiResult<Json<WebhookDeliveryPage>> {
    Ok(Json(
        service::deliveries(&state, manager.scope(), id.into_inner(), query.into_inner()).await?,
    ))
}

/// Send a delivery again as soon as possible (with the current secret).
///
/// API keys: needs `webhooks:manage`.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/retry", tag = "webhooks",
    operation_id = "retryWebhookDelivery",
    params(("id" = WebhookId, Path, description = "The endpoint"),
        ("delivery_id" = WebhookDeliveryId, Path, description = "The delivery")),
    responses((status = 200, body = WebhookDelivery), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "The endpoint is disabled")),
    security(("session" = []), ("api_key" = ["webhooks:manage"])))]
pub async fn retry(
    state: web::Data<AppState>,
    manager: WebhookManager,
    path: Path<(WebhookId, WebhookDeliveryId)>,
) -> ApiResult<Json<WebhookDelivery>> {
    let (id, delivery) = path.into_inner();
    Ok(Json(service::retry(&state, manager.scope(), id, delivery).await?))
}
