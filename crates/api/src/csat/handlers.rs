//! HTTP for `/csat/{token}`: the customer's rating page reads its survey and answers it. No session:
//! the mailed link's token is the key, and the caller's address is counted.

use actix_web::HttpRequest;
use actix_web::web::{self, Json, Path};
use ferrodesk_shared::ErrorBody;
use ferrodesk_shared::csat::{Survey, SurveyAnswer};

use crate::auth::rate_limit::client_ip;
use crate::error::ApiResult;
use crate::state::AppState;

use super::service;

/// The survey a mailed link opens: the ticket's number and subject, who helped, and the rating
/// once given.
#[utoipa::path(get, path = "/api/v1/csat/{token}", tag = "csat", operation_id = "getSurvey",
    params(("token" = String, Path, description = "The token of the mailed link")),
    responses((status = 200, body = Survey),
        (status = 404, body = ErrorBody, description = "No survey has this token"),
        (status = 410, body = ErrorBody, description = "The link expired unused (30 days)"),
        (status = 429, body = ErrorBody, description = "Too many calls from this address; see Retry-After")))]
pub async fn get(state: web::Data<AppState>, request: HttpRequest, token: Path<String>) -> ApiResult<Json<Survey>> {
    let client = client_ip(request.peer_addr());
    Ok(Json(service::get(&state, client, &token).await?))
}

/// Rate the ticket good or bad. A link rates once; the same rating again changes nothing, and a
/// comment may follow the rating once, within a day.
#[utoipa::path(post, path = "/api/v1/csat/{token}", tag = "csat", operation_id = "answerSurvey",
    params(("token" = String, Path, description = "The token of the mailed link")),
    request_body = SurveyAnswer,
    responses((status = 200, body = Survey), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No survey has this token"),
        (status = 409, body = ErrorBody, description = "This link already rated otherwise, or already has its comment"),
        (status = 410, body = ErrorBody, description = "The link expired unused (30 days)"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "The comment is too long"),
        (status = 429, body = ErrorBody, description = "Too many calls from this address; see Retry-After")))]
pub async fn answer(
    state: web::Data<AppState>,
    request: HttpRequest,
    token: Path<String>,
    body: Json<SurveyAnswer>,
) -> ApiResult<Json<Survey>> {
    let client = client_ip(request.peer_addr());
    Ok(Json(service::answer(&state, client, &token, body.into_inner()).await?))
}
