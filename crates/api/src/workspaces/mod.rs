//! Workspaces: one company's helpdesk, made at sign-up together with its owner.

pub mod domain;
pub mod handlers;
pub mod plans;
pub mod repo;

use actix_web::web;

use crate::routes::resource;

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(resource("/workspaces/{slug}").get(handlers::public));
}

pub use plans::{Limits, limits};
