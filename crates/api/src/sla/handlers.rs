//! HTTP for `/sla/policies`: staff read them; supervisors change them.

use actix_web::web::{self, Json};
use ferrodesk_shared::ErrorBody;
use ferrodesk_shared::sla::SlaPolicies;

use crate::auth::{Agent, Supervisor};
use crate::clock;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

use super::repo;

/// The workspace's targets, one per priority (the defaults until a supervisor changes them).
#[utoipa::path(get, path = "/api/v1/sla/policies", tag = "sla", operation_id = "getSlaPolicies",
    responses((status = 200, body = SlaPolicies), (status = 403, body = ErrorBody)), security(("session" = [])))]
pub async fn policies(state: web::Data<AppState>, agent: Agent) -> ApiResult<Json<SlaPolicies>> {
    Ok(Json(SlaPolicies {
        items: repo::policies(&state.db, agent.scope()).await?,
    }))
}

/// Change targets (supervisors). Tickets created from now on use them; a ticket's priority change
/// recomputes its due times.
#[utoipa::path(put, path = "/api/v1/sla/policies", tag = "sla", operation_id = "updateSlaPolicies", request_body = SlaPolicies,
    responses((status = 200, body = SlaPolicies), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = [])))]
pub async fn update_policies(
    state: web::Data<AppState>,
    supervisor: Supervisor,
    body: Json<SlaPolicies>,
) -> ApiResult<Json<SlaPolicies>> {
    const MAX_MINUTES: u32 = 365 * 24 * 60;
    for policy in &body.items {
        if !(1..=MAX_MINUTES).contains(&policy.first_response_minutes)
            || !(1..=MAX_MINUTES).contains(&policy.resolution_minutes)
        {
            return Err(ApiError::invalid(
                "items",
                "targets must be between 1 minute and 1 year",
            ));
        }
        if policy.resolution_minutes < policy.first_response_minutes {
            return Err(ApiError::invalid(
                "items",
                "a resolution target cannot be shorter than the first-response target",
            ));
        }
    }
    let now = clock::now();
    let txn = db::begin_write(&state.db).await?;
    for policy in &body.items {
        repo::save_policy(&txn, supervisor.scope(), policy, now).await?;
    }
    txn.commit().await?;
    Ok(Json(SlaPolicies {
        items: repo::policies(&state.db, supervisor.scope()).await?,
    }))
}
