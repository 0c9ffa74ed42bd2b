//! API keys for third parties: owners create (the key shown once), list and revoke them; a key
//! authenticates as its workspace's integration with exactly its scopes (`auth::principal`).

pub mod domain;
pub mod handlers;
pub mod repo;
pub mod service;

use actix_web::web;

use crate::routes::resource;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(resource("/api-keys").get(handlers::list).post(handlers::create))
        .service(resource("/api-keys/{id}").delete(handlers::revoke));
}

/// Refuses any `/api/v1` request whose query string carries an API key (400 `api_key_in_query`),
/// before routing or authentication, so such a request is never served, whatever the endpoint.
pub async fn refuse_keys_in_query(
    request: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    if domain::query_holds_key(request.query_string()) {
        tracing::warn!(path = %request.path(), "refused an API key in a query string");
        return Err(crate::error::ApiError::ApiKeyInQuery.into());
    }
    next.call(request).await
}
