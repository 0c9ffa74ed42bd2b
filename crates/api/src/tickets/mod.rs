//! Tickets and their threads: creation (idempotent), the inbox query with keyset pagination,
//! field changes along the status lifecycle, public replies and internal notes, merges (and the
//! "possible duplicate" hint that suggests one).

pub mod batch;
pub mod domain;
pub mod effects;
pub mod handlers;
pub mod projection;
pub mod repo;
pub mod service;
pub mod state;

pub use batch::{BatchStats, Batcher};

use actix_web::web;

use crate::routes::resource;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(resource("/tickets").get(handlers::list).post(handlers::create))
        // Before `/tickets/{id}`, which would otherwise take `counts` for an id.
        .service(resource("/tickets/counts").get(handlers::counts))
        .service(resource("/tickets/bulk-update").post(handlers::bulk_update))
        .service(resource("/tickets/{id}").get(handlers::get).patch(handlers::update))
        .service(resource("/tickets/{id}/messages").post(handlers::reply))
        .service(resource("/tickets/{id}/merge").post(handlers::merge))
        .service(resource("/tickets/{id}/possible-duplicate").delete(handlers::dismiss_duplicate));
}
