//! Billing: what the workspace's plan includes and how it is paid. The plans themselves (limits and
//! their enforcement) are `workspaces::plans`; this feature moves workspaces between them through
//! Stripe: Checkout to subscribe, the Billing Portal to manage, and a webhook whose events a
//! durable job turns into plans (`jobs`), deciding from the subscription as Stripe has it now
//! (`domain`). With no Stripe keys billing is off and the operator sets plans.

pub mod domain;
pub mod handlers;
pub mod jobs;
pub mod repo;
pub mod service;

use std::sync::Arc;

use actix_governor::Governor;
use actix_web::web;
use ferrodesk_stripe::Stripe;
use tokio::sync::Notify;

use crate::auth::rate_limit::{self, AuthRateLimit};
use crate::config::{BillingSettings, RateLimit};
use crate::error::{ApiError, ApiResult};
use crate::routes::resource;

/// The biggest webhook body read (Stripe's events are a few kilobytes).
const WEBHOOK_BODY_LIMIT: usize = 512 * 1024;

pub fn routes(config: &mut web::ServiceConfig, billing: &Billing) {
    config
        .service(resource("/billing").get(handlers::overview))
        .service(resource("/billing/checkout").post(handlers::checkout))
        .service(resource("/billing/portal").post(handlers::portal))
        .service(
            resource("/billing/webhook")
                // Public: bounded per sending address. Stripe sends from a few addresses, in bursts.
                .wrap(Governor::new(&billing.webhook_limit))
                .app_data(web::PayloadConfig::new(WEBHOOK_BODY_LIMIT))
                .post(handlers::webhook),
        );
}

/// Stripe as this server is set up to use it.
pub struct StripeBilling {
    pub client: Stripe,
    pub price_pro: String,
    pub webhook_secrets: Vec<String>,
}

/// Billing's service: Stripe when it is set up, the job's bell, the webhook's rate limit.
#[derive(Clone)]
pub struct Billing {
    stripe: Option<Arc<StripeBilling>>,
    pub grace: chrono::Duration,
    /// Rung when a webhook stored an event.
    pub wake: Arc<Notify>,
    pub webhook_limit: AuthRateLimit,
}

impl Billing {
    pub fn new(settings: &BillingSettings) -> anyhow::Result<Billing> {
        let stripe = match &settings.stripe {
            None => None,
            Some(stripe) => Some(Arc::new(StripeBilling {
                client: Stripe::new(stripe.secret_key.expose(), &stripe.api_base, stripe.timeout)?,
                price_pro: stripe.price_pro.clone(),
                webhook_secrets: stripe
                    .webhook_secrets
                    .iter()
                    .map(|secret| secret.expose().to_owned())
                    .collect(),
            })),
        };
        Ok(Billing {
            stripe,
            grace: settings.grace,
            wake: Arc::default(),
            // 300 at once, then 10 a second, from one address.
            webhook_limit: rate_limit::build_per_millisecond(
                RateLimit {
                    burst: 300,
                    seconds_per_request: 0,
                },
                100,
            )?,
        })
    }

    pub fn enabled(&self) -> bool {
        self.stripe.is_some()
    }

    /// Stripe, or `404 billing_disabled` when this server has no Stripe keys.
    pub fn stripe(&self) -> ApiResult<&StripeBilling> {
        self.stripe.as_deref().ok_or(ApiError::BillingDisabled)
    }
}
