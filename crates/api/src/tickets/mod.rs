//! Tickets and their threads: creation (idempotent), the inbox query with keyset pagination,
//! field changes along the status lifecycle, public replies and internal notes.

pub mod domain;
pub mod handlers;
pub mod repo;
pub mod service;

use actix_web::web;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/tickets", web::post().to(handlers::create))
        .route("/tickets", web::get().to(handlers::list))
        .route("/tickets/{id}", web::get().to(handlers::get))
        .route("/tickets/{id}", web::patch().to(handlers::update))
        .route("/tickets/{id}/messages", web::post().to(handlers::reply));
}
