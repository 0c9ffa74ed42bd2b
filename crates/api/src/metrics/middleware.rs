//! Times and counts every request by its matched route pattern.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

use super::{Metrics, RateLimitRefusal, UNMATCHED};
use crate::error::ApiError;

/// Records the request once its answer's head is ready. The route is read after routing (the
/// pattern of the resource that took it); the only allocation is that pattern's string, and the
/// only locks are the metric families' read locks and a histogram's, each held for nanoseconds.
pub async fn record(
    metrics: Arc<Metrics>,
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = method_label(request.method());
    match next.call(request).await {
        Ok(response) => {
            let route = response
                .request()
                .match_pattern()
                .filter(|pattern| !pattern.is_empty())
                .map_or(Cow::Borrowed(UNMATCHED), Cow::Owned);
            let refusal = response.response().extensions().get::<RateLimitRefusal>().copied();
            metrics.request(route, method, response.status().as_u16(), started.elapsed(), refusal);
            Ok(response)
        }
        // Refused by a middleware before a route took it (an API key in a query string): the
        // server turns the error into the answer, with the status it names.
        Err(error) => {
            let status = error.as_response_error().status_code().as_u16();
            let refusal = error.as_error::<ApiError>().and_then(ApiError::rate_limit_refusal);
            metrics.request(Cow::Borrowed(UNMATCHED), method, status, started.elapsed(), refusal);
            Err(error)
        }
    }
}

/// The standard methods by name, anything else as one value: a client cannot grow the series.
fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    }
}
