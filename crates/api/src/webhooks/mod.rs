//! Outgoing webhooks: an owner registers endpoints for ticket events; every change writes the
//! deliveries it causes into an outbox in its own transaction (`repo::enqueue`, called by the
//! realtime log), and a worker on each instance claims and sends them, signed, with retries.

pub mod domain;
pub mod handlers;
pub mod jobs;
pub mod repo;
pub mod service;

use std::sync::Arc;

use actix_web::web;
use tokio::sync::Notify;

use crate::config::WebhookSettings;
use crate::routes::resource;

/// The webhook service of the app state: the guarded client and the bell that wakes the worker.
#[derive(Clone)]
pub struct Webhooks {
    pub client: reqwest::Client,
    pub wake: Arc<Notify>,
}

impl Webhooks {
    /// `wake` is the hub's `committed` bell: rung after every change that wrote events.
    pub fn new(settings: &WebhookSettings, wake: Arc<Notify>) -> anyhow::Result<Webhooks> {
        Ok(Webhooks {
            client: crate::net::guarded_client(settings.allow_local, settings.connect_timeout, settings.timeout)?,
            wake,
        })
    }

    /// Tells the worker that deliveries are due (after the transaction that wrote them committed).
    pub fn nudge(&self) {
        self.wake.notify_one();
    }
}

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(resource("/webhooks").get(handlers::list).post(handlers::create))
        .service(
            resource("/webhooks/{id}")
                .get(handlers::get)
                .patch(handlers::update)
                .delete(handlers::delete),
        )
        .service(resource("/webhooks/{id}/rotate-secret").post(handlers::rotate_secret))
        .service(resource("/webhooks/{id}/deliveries").get(handlers::deliveries))
        .service(resource("/webhooks/{id}/deliveries/{delivery_id}/retry").post(handlers::retry));
}
