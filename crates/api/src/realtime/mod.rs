//! Real-time: every change writes its events to the workspace's event log in the change's own
//! transaction; after commit the hub reads the new events and pushes each to the WebSockets whose
//! user may see it. With PostgreSQL, `pg_notify` wakes the hubs of every instance.

pub mod frames;
pub mod hub;
pub mod limits;
pub mod listener;
pub mod log;
pub mod revoke;
pub mod socket;

use actix_web::web;

pub use hub::Hub;
pub use log::{Audience, EventDraft};
pub use revoke::{Revocation, Revoked, revoke};

use crate::routes::resource;

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(resource("/ws").get(socket::connect));
}
