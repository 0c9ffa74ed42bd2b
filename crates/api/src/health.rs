//! `/healthz` says the process runs; `/readyz` says it can reach its database, and which embedder
//! AI runs on (with the reason when it is the fallback).

use actix_web::HttpResponse;
use actix_web::web;
use serde_json::json;

use crate::db;
use crate::state::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.drain.is_draining() {
        // Load balancers stop sending traffic here while the requests in flight finish.
        return HttpResponse::ServiceUnavailable().json(json!({
            "code": "service_unavailable",
            "message": "This instance is shutting down.",
            "status": "draining",
        }));
    }
    match db::ping(&state.db, state.settings.database_timeout).await {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ready", "database": "ok", "ai": state.ai.status() })),
        Err(error) => {
            tracing::warn!(%error, "readiness check: database unreachable");
            HttpResponse::ServiceUnavailable()
                .insert_header((actix_web::http::header::RETRY_AFTER, crate::error::RETRY_AFTER_SECONDS))
                .json(json!({
                    "code": "service_unavailable",
                    "message": "The database cannot be reached.",
                    "database": "unreachable",
                }))
        }
    }
}
