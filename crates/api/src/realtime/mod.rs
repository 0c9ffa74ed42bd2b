//! Real-time: every change writes its events to the workspace's event log in the change's own
//! transaction; after commit the hub reads the new events and pushes each to the WebSockets whose
//! user may see it. With PostgreSQL, `pg_notify` wakes the hubs of every instance.

pub mod hub;
pub mod listener;
pub mod log;
pub mod socket;

use actix_web::web;

pub use hub::Hub;
pub use log::{Audience, EventDraft};

use crate::routes::resource;

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(resource("/ws").get(socket::connect));
}
