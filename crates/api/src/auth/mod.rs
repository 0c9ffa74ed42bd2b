//! Who is calling and what they may touch: sign-up, sign-in, rotating sessions, invitations, and the
//! extractors (`Member`, `Agent`, `Supervisor`, `Owner`) that hand handlers a `WorkspaceScope`.
//! Only this module can make a scope, so a tenant query cannot exist without an authenticated caller.

pub mod handlers;
pub mod password;
pub mod principal;
pub mod repo;
pub mod scope;
pub mod service;
pub mod tokens;

use actix_web::web;

pub use principal::{Agent, Auth, Member, Owner, Principal, Supervisor};
pub use scope::WorkspaceScope;

/// The refresh token's cookie, sent only to the auth endpoints.
pub const REFRESH_COOKIE: &str = "ferrodesk_refresh";
pub const REFRESH_COOKIE_PATH: &str = "/api/v1/auth";

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/signup", web::post().to(handlers::signup))
        .route("/auth/register", web::post().to(handlers::register))
        .route("/auth/login", web::post().to(handlers::login))
        .route("/auth/refresh", web::post().to(handlers::refresh))
        .route("/auth/logout", web::post().to(handlers::logout))
        .route("/me", web::get().to(handlers::me))
        .route("/invitations", web::post().to(handlers::invite))
        .route("/invitations/accept", web::post().to(handlers::accept_invitation));
}
