//! Macros (canned replies): supervisors keep a workspace's texts with `{{placeholders}}` and the
//! status, priority and tags to set; agents fill one in for a ticket from the reply box, and a reply
//! sent with its id sets those fields in the reply's own change and counts the use
//! (`tickets::service::reply`).

pub mod domain;
pub mod handlers;
pub mod repo;
pub mod service;

use actix_web::web;

use crate::routes::resource;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(resource("/macros").get(handlers::list).post(handlers::create))
        .service(resource("/macros/{id}").put(handlers::update).delete(handlers::delete))
        .service(resource("/tickets/{id}/macros/{macro_id}").get(handlers::render));
}
