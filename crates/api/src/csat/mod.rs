//! Customer satisfaction (CSAT). When a ticket is first solved, the change that solved it stores a
//! survey and mails the customer a good / bad link (`tickets::effects`, in the same transaction,
//! unless the workspace turned surveys off); the link's page rates once and may add a comment; the
//! team sees the rating on the ticket and the dashboard counts them per day and per agent.

pub mod domain;
pub mod handlers;
pub mod repo;
pub mod service;

use actix_web::web;

use crate::routes::resource;

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(resource("/csat/{token}").get(handlers::get).post(handlers::answer));
}
