//! The people of a workspace: listing them and changing roles (owners only; a workspace always
//! keeps at least one owner).

pub mod domain;
pub mod handlers;
pub mod repo;
pub mod service;

use actix_web::web;

use crate::routes::resource;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(resource("/users").get(handlers::list))
        .service(resource("/users/{id}").patch(handlers::update))
        .service(resource("/users/{id}/profile").get(handlers::profile))
        .service(resource("/users/{id}/note").put(handlers::set_note));
}
