//! SLA: targets per workspace and priority, each ticket's due times (kept on the ticket, paused
//! while pending), and the scheduled scan that auto-assigns or escalates breached tickets, once.

pub mod domain;
pub mod handlers;
pub mod jobs;
pub mod repo;

use actix_web::web;

use crate::routes::resource;

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(
        resource("/sla/policies")
            .get(handlers::policies)
            .put(handlers::update_policies),
    );
}
