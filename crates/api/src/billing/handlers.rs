//! HTTP for `/billing`: the overview, Checkout and the Billing Portal (owners, signed in as people),
//! and Stripe's webhook (public, trusted only once its signature is checked).

use actix_web::HttpRequest;
use actix_web::http::header::HeaderMap;
use actix_web::web::{self, Json};
use ferrodesk_shared::ErrorBody;
use ferrodesk_shared::billing::{BillingOverview, BillingRedirect, WebhookReceipt};

use crate::auth::Owner;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::workspaces::plans;

use super::{repo, service};

/// The workspace's plan, its staff seats used and allowed, whether AI is included, and its
/// subscription's state (owners). Read from what is stored: it answers while Stripe is down.
///
/// API keys cannot call this endpoint.
#[utoipa::path(get, path = "/api/v1/billing", tag = "billing", operation_id = "getBilling",
    responses((status = 200, body = BillingOverview), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not an owner, or called with an API key")),
    security(("session" = [])))]
pub async fn overview(state: web::Data<AppState>, owner: Owner) -> ApiResult<Json<BillingOverview>> {
    Ok(Json(
        plans::overview(&state.db, owner.scope(), state.billing.enabled()).await?,
    ))
}

/// A Stripe Checkout page subscribing the workspace to Pro (owners). The Stripe customer is
/// created and stored on the workspace first; the plan changes when Stripe's webhook says the
/// subscription is paid, not when the owner comes back.
#[utoipa::path(post, path = "/api/v1/billing/checkout", tag = "billing", operation_id = "startCheckout",
    responses((status = 200, body = BillingRedirect), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not an owner, or called with an API key"),
        (status = 404, body = ErrorBody, description = "`billing_disabled`: this server takes no payment"),
        (status = 409, body = ErrorBody, description = "Already subscribed: use the billing portal"),
        (status = 503, body = ErrorBody, description = "Stripe cannot be reached; nothing was charged")),
    security(("session" = [])))]
pub async fn checkout(state: web::Data<AppState>, owner: Owner) -> ApiResult<Json<BillingRedirect>> {
    Ok(Json(service::checkout(&state, &owner).await?))
}

/// A Stripe Billing Portal page (card, invoices, cancelling) for the workspace (owners).
#[utoipa::path(post, path = "/api/v1/billing/portal", tag = "billing", operation_id = "openBillingPortal",
    responses((status = 200, body = BillingRedirect), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not an owner, or called with an API key"),
        (status = 404, body = ErrorBody, description = "`billing_disabled`: this server takes no payment"),
        (status = 409, body = ErrorBody, description = "No subscription to manage yet"),
        (status = 503, body = ErrorBody, description = "Stripe cannot be reached")),
    security(("session" = [])))]
pub async fn portal(state: web::Data<AppState>, owner: Owner) -> ApiResult<Json<BillingRedirect>> {
    Ok(Json(service::portal(&state, &owner).await?))
}

/// Stripe's webhook. The `Stripe-Signature` must match one of the endpoint's secrets within 300 s;
/// the event is stored by id (a replay answers `duplicate` and does nothing) and processed by a
/// background job, so Stripe gets its 2xx at once.
#[utoipa::path(post, path = "/api/v1/billing/webhook", tag = "billing", operation_id = "receiveStripeEvent",
    request_body(content = serde_json::Value, content_type = "application/json", description = "A Stripe event, as Stripe signed it"),
    params(("Stripe-Signature" = String, Header, description = "`t=<seconds>,v1=<hex HMAC-SHA256>`")),
    responses((status = 200, body = WebhookReceipt),
        (status = 400, body = ErrorBody, description = "`signature_rejected`: no signature, a wrong one, or too old; `bad_request`: not UTF-8"),
        (status = 404, body = ErrorBody, description = "`billing_disabled`: this server takes no payment"),
        (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody)),
    security(()))]
pub async fn webhook(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Bytes,
) -> ApiResult<Json<WebhookReceipt>> {
    let stripe = state.billing.stripe()?;
    let header = signature(request.headers())?;
    let payload = std::str::from_utf8(&body).map_err(|_| ApiError::BadRequest("The body is not UTF-8.".to_owned()))?;
    let now = clock::now();
    let event = ferrodesk_stripe::webhook::verify(payload, header, &stripe.webhook_secrets, now.timestamp())
        .map_err(|refusal| ApiError::SignatureRejected(format!("{refusal}.")))?;
    let fresh = repo::record_event(&state.db, repo::Received { event: &event, at: now }).await?;
    if fresh {
        state.billing.wake.notify_one();
    } else {
        tracing::info!(event = %event.id, "a Stripe event received again; nothing done");
    }
    Ok(Json(WebhookReceipt {
        received: true,
        duplicate: !fresh,
    }))
}

fn signature(headers: &HeaderMap) -> ApiResult<&str> {
    headers
        .get("Stripe-Signature")
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| ApiError::SignatureRejected("The Stripe-Signature header is missing.".to_owned()))
}
