//! HTTP for `/billing` (owners, signed in as people).

use actix_web::web::{self, Json};
use ferrodesk_shared::ErrorBody;
use ferrodesk_shared::billing::BillingOverview;

use crate::auth::Owner;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::workspaces::plans;

/// The workspace's plan, its staff seats used and allowed, and whether AI is included (owners).
///
/// API keys cannot call this endpoint.
#[utoipa::path(get, path = "/api/v1/billing", tag = "billing", operation_id = "getBilling",
    responses((status = 200, body = BillingOverview), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not an owner, or called with an API key")),
    security(("session" = [])))]
pub async fn overview(state: web::Data<AppState>, owner: Owner) -> ApiResult<Json<BillingOverview>> {
    Ok(Json(plans::overview(&state.db, owner.scope()).await?))
}
