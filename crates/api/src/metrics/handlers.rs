//! `GET /metrics`: off (404, as an unknown path) without `FERRODESK_METRICS_TOKEN`; with it, only
//! for `Authorization: Bearer <token>`. The queues and the pool are read at scrape time.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::repo;
use crate::clock;
use crate::config::Secret;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The Prometheus text exposition format, version 0.0.4.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub async fn scrape(state: web::Data<AppState>, request: HttpRequest) -> ApiResult<HttpResponse> {
    let Some(token) = &state.settings.metrics_token else {
        return Err(ApiError::NotFound);
    };
    if !bearer_matches(&request, token) {
        return Err(ApiError::Unauthenticated(
            "Send the metrics token as `Authorization: Bearer <token>`.",
        ));
    }
    // The pool first, so the scrape's own queries do not count as connections in use.
    let (in_use, idle, max) = repo::pool(&state.db);
    state.metrics.set_pool(in_use, idle, max);
    let now = clock::now();
    state
        .metrics
        .set_backlog("mail_outbox", repo::outbox(&state.db, now).await?);
    state
        .metrics
        .set_backlog("webhook_deliveries", repo::webhook_deliveries(&state.db, now).await?);
    state
        .metrics
        .set_backlog("categorisation", repo::categorise_queue(&state.db, now).await?);
    let text = state
        .metrics
        .render()
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("encoding the metrics failed: {error}")))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type(CONTENT_TYPE)
        .body(text))
}

/// Compares MACs of the two tokens, always of the same length, with `verify_slice` (constant
/// time), so neither the token's bytes nor its length can be learnt from how long a refusal takes.
fn bearer_matches(request: &HttpRequest, expected: &Secret) -> bool {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    let (Some(presented), Some(expected)) = (mac_of(presented), mac_of(expected.expose())) else {
        return false;
    };
    presented.verify_slice(&expected.finalize().into_bytes()).is_ok()
}

fn mac_of(token: &str) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(b"ferrodesk /metrics token").ok()?;
    mac.update(token.as_bytes());
    Some(mac)
}
