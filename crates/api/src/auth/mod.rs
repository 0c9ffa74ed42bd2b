//! Who is calling and what they may touch: sign-up, sign-in, rotating sessions, invitations, and the
//! extractors (`Member`, `Agent`, `Supervisor`, `Owner`) that hand handlers a `WorkspaceScope`.
//! Only this module can make a scope, so a tenant query cannot exist without an authenticated caller.

pub mod handlers;
pub mod links;
pub mod password;
pub mod principal;
pub mod rate_limit;
pub mod repo;
pub mod scope;
pub mod scopes;
pub mod service;
pub mod throttle;
pub mod tokens;

use actix_governor::Governor;
use actix_web::web;

use crate::routes::resource;

pub use principal::{Agent, Auth, KeyGrant, Member, Owner, Principal, Supervisor, TicketVisibility};
pub use scope::WorkspaceScope;

/// The refresh token's cookie, sent only to the auth endpoints.
pub const REFRESH_COOKIE: &str = "ferrodesk_refresh";
pub const REFRESH_COOKIE_PATH: &str = "/api/v1/auth";

/// The auth routes; those that create accounts or send mail share one per-address rate limit.
/// Password sign-in is throttled by its failures instead (`throttle`), so successes never count.
pub fn routes(config: &mut web::ServiceConfig, limit: &rate_limit::AuthRateLimit) {
    let limited = |path: &str| resource(path).wrap(Governor::new(limit));
    config
        .service(limited("/signup").post(handlers::signup))
        .service(limited("/auth/register").post(handlers::register))
        .service(resource("/auth/login").post(handlers::login))
        .service(limited("/auth/link").post(handlers::link))
        .service(limited("/auth/link-request").post(handlers::request_link))
        .service(limited("/auth/link/renew").post(handlers::renew_link))
        .service(limited("/auth/confirm-email/resend").post(handlers::resend_confirmation))
        .service(resource("/auth/refresh").post(handlers::refresh))
        .service(resource("/auth/logout").post(handlers::logout))
        .service(resource("/me").get(handlers::me))
        .service(
            resource("/invitations")
                .get(handlers::list_invitations)
                .post(handlers::invite),
        )
        .service(limited("/invitations/accept").post(handlers::accept_invitation))
        .service(limited("/invitations/lookup").post(handlers::preview_invitation))
        .service(resource("/invitations/{id}").delete(handlers::revoke_invitation));
}
