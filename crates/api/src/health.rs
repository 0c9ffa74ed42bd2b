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
    match db::ping(&state.db).await {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ready", "database": "ok", "ai": state.ai.status() })),
        Err(error) => {
            tracing::warn!(%error, "readiness check: database unreachable");
            HttpResponse::ServiceUnavailable().json(json!({
                "code": "service_unavailable",
                "message": "The database cannot be reached.",
                "database": "unreachable",
            }))
        }
    }
}
