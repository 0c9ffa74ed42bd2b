//! HTTP for `/reports`.

use actix_web::web::{self, Json, Query};
use ferrodesk_shared::ErrorBody;
use ferrodesk_shared::reports::{Overview, ReportQuery};

use crate::auth::Supervisor;
use crate::auth::scopes::ReportsRead;
use crate::error::ApiResult;
use crate::state::AppState;

use super::service;

/// The dashboard's figures for a date range (days start at midnight in `tz`).
///
/// API keys: needs `reports:read`.
#[utoipa::path(get, path = "/api/v1/reports/overview", tag = "reports", operation_id = "getReportOverview", params(ReportQuery),
    responses((status = 200, body = Overview), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("api_key" = ["reports:read"])))]
pub async fn overview(
    state: web::Data<AppState>,
    supervisor: Supervisor<ReportsRead>,
    query: Query<ReportQuery>,
) -> ApiResult<Json<Overview>> {
    Ok(Json(service::overview(&state, &supervisor, query.into_inner()).await?))
}
