//! The one route table: every path the server answers, in one place.

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpRequest, HttpResponse, error::JsonPayloadError, web};
use ferrodesk_shared::ErrorBody;

use crate::error::{ApiError, code_of};
use crate::state::AppState;
use crate::{
    ai, api_keys, attachments, auth, billing, csat, health, macros, metrics, notifications, openapi, realtime, reports,
    sla, spa, tickets, users, webhooks, widget, workspaces,
};

pub fn configure(config: &mut web::ServiceConfig, state: &AppState) {
    let json = web::JsonConfig::default()
        .limit(state.settings.body_limit_bytes)
        .error_handler(json_error);
    let query = web::QueryConfig::default()
        .error_handler(|error, _| ApiError::BadRequest(format!("The query string is not valid: {error}")).into());
    let path = web::PathConfig::default().error_handler(|_, _| ApiError::NotFound.into());
    config
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        // Outside /api/v1 and the OpenAPI document: it is the operator's, not the product's.
        .route("/metrics", web::get().to(metrics::handlers::scrape))
        .route("/api/docs", web::get().to(docs_redirect))
        .service(openapi::docs())
        .service(
            web::scope("/api/v1")
                .wrap(json_errors())
                // Outside `json_errors`, which rebuilds some answers: the headers go on the final one.
                .wrap(actix_web::middleware::from_fn(crate::limits::buckets::headers))
                // Outermost: a key in a query string is refused before anything reads the request.
                .wrap(actix_web::middleware::from_fn(api_keys::refuse_keys_in_query))
                .app_data(json)
                .app_data(query)
                .app_data(path)
                .configure(|config| auth::routes(config, &state.auth_rate_limit))
                .configure(users::routes)
                .configure(api_keys::routes)
                .configure(|config| billing::routes(config, &state.billing))
                .configure(workspaces::routes)
                .configure(realtime::routes)
                .configure(notifications::routes)
                .configure(sla::routes)
                .configure(reports::routes)
                .configure(ai::routes)
                .configure(tickets::routes)
                .configure(macros::routes)
                .configure(csat::routes)
                .configure(|config| attachments::routes(config, &state.settings.attachments))
                .configure(webhooks::routes)
                .configure(|config| widget::routes(config, &state.settings.attachments))
                .default_service(web::to(not_found)),
        )
        .service(
            web::scope("/api")
                .wrap(json_errors())
                .default_service(web::to(not_found)),
        )
        .configure(widget::pages)
        .configure(|config| spa::configure(config, &state.web));
}

/// A path of a feature; a method it does not have answers 405, not 404.
pub fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/api/docs/"))
        .finish()
}

fn json_error(error: JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    match error {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => ApiError::PayloadTooLarge,
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
        JsonPayloadError::Payload(error) if crate::edge::is_body_timeout(&error) => ApiError::RequestTimeout,
        JsonPayloadError::Deserialize(error) => ApiError::BadRequest(format!("The JSON body is not valid: {error}")),
        other => ApiError::BadRequest(format!("The body could not be read: {other}")),
    }
    .into()
}

/// Gives errors raised outside our handlers (a method a route lacks, a body limit hit before JSON
/// parsing) the same JSON shape as ours.
pub fn json_errors<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(|response: ServiceResponse<B>| {
        let is_json = response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
        if is_json {
            return Ok(ErrorHandlerResponse::Response(response.map_into_left_body()));
        }
        let status = response.status();
        let code = code_of(status);
        let body = ErrorBody {
            code,
            message: status.canonical_reason().unwrap_or("Error").to_owned(),
            fields: Default::default(),
            limit: None,
        };
        let (request, _) = response.into_parts();
        let mut replacement: HttpResponse<BoxBody> = HttpResponse::build(status).json(body);
        replacement
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Ok(ErrorHandlerResponse::Response(
            ServiceResponse::new(request, replacement).map_into_right_body(),
        ))
    })
}
