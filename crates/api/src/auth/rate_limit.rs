//! A per-client-address limit on the sign-up, registration, link and invitation endpoints, so they
//! cannot be driven at speed. (Password sign-in counts failures instead: `throttle`.)
//! Over the limit answers `429 rate_limited` with `Retry-After`.

use std::net::{IpAddr, SocketAddr};

use actix_governor::governor::NotUntil;
use actix_governor::governor::clock::{Clock, DefaultClock, QuantaInstant};
use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::{GovernorConfig, GovernorConfigBuilder, KeyExtractor, SimpleKeyExtractionError};
use actix_web::dev::ServiceRequest;
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};

use crate::config::RateLimit;
use crate::error::ApiError;

pub type AuthRateLimit = GovernorConfig<ClientIp, NoOpMiddleware<QuantaInstant>>;

pub fn build(limit: RateLimit) -> anyhow::Result<AuthRateLimit> {
    GovernorConfigBuilder::default()
        .key_extractor(ClientIp)
        .seconds_per_request(limit.seconds_per_request.max(1))
        .burst_size(limit.burst.max(1))
        .finish()
        .ok_or_else(|| anyhow::anyhow!("invalid sign-in rate limit"))
}

/// The same per-address limit refilling every `milliseconds` (`limit.seconds_per_request` is not
/// used): for endpoints that take bursts, like the billing webhook.
pub fn build_per_millisecond(limit: RateLimit, milliseconds: u64) -> anyhow::Result<AuthRateLimit> {
    GovernorConfigBuilder::default()
        .key_extractor(ClientIp)
        .milliseconds_per_request(milliseconds.max(1))
        .burst_size(limit.burst.max(1))
        .finish()
        .ok_or_else(|| anyhow::anyhow!("invalid rate limit"))
}

/// The peer address (IPv6 by its /56), which is the client unless a proxy sits in front.
pub fn client_ip(peer: Option<SocketAddr>) -> Option<IpAddr> {
    Some(match peer?.ip() {
        IpAddr::V6(ipv6) => {
            let mut octets = ipv6.octets();
            octets[7..].fill(0);
            IpAddr::V6(octets.into())
        }
        v4 => v4,
    })
}

/// The governor's key: [`client_ip`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp;

impl KeyExtractor for ClientIp {
    type Key = IpAddr;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, request: &ServiceRequest) -> Result<IpAddr, Self::KeyExtractionError> {
        client_ip(request.peer_addr()).ok_or_else(|| SimpleKeyExtractionError::new("the client address is unknown"))
    }

    fn exceed_rate_limit_response(&self, negative: &NotUntil<QuantaInstant>, _: HttpResponseBuilder) -> HttpResponse {
        let wait = negative.wait_time_from(DefaultClock::default().now()).as_secs().max(1);
        ApiError::RateLimited {
            retry_after_seconds: wait,
            kind: "client_address",
        }
        .error_response()
    }
}
