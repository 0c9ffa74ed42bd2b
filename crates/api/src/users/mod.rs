//! The people of a workspace: listing them and changing roles (owners only; a workspace always
//! keeps at least one owner).

pub mod domain;
pub mod handlers;
pub mod repo;
pub mod service;

use actix_web::web;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/users", web::get().to(handlers::list))
        .route("/users/{id}", web::patch().to(handlers::update));
}
