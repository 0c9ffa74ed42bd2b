//! Workspaces: one company's helpdesk, made at sign-up together with its owner.

pub mod domain;
pub mod handlers;
pub mod plans;
pub mod repo;

use actix_web::web;

use crate::routes::resource;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(resource("/workspaces/{slug}").get(handlers::public))
        .service(
            resource("/workspace/settings")
                .get(handlers::settings)
                .patch(handlers::update_settings),
        );
}

pub use plans::{Limits, limits};
