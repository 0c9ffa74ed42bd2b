//! `AppState`: the composition root, one field per service, built once in `startup`.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::ai::AiEngine;
use crate::ai::crypto::KeyBox;
use crate::auth::password::Passwords;
use crate::auth::rate_limit::{self, AuthRateLimit};
use crate::auth::tokens::TokenService;
use crate::config::Settings;
use crate::mail::Mail;
use crate::realtime::Hub;
use crate::webhooks::Webhooks;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub tokens: TokenService,
    pub passwords: Passwords,
    /// Shared by every worker, so the limit is per process, not per thread.
    pub auth_rate_limit: AuthRateLimit,
    /// The per-caller and per-workspace request buckets of the authenticated API.
    pub request_limits: Arc<crate::limits::buckets::RequestLimits>,
    /// Workspaces' plans for the request buckets (read again after a minute).
    pub plans: Arc<crate::workspaces::plans::PlanCache>,
    pub settings: Arc<Settings>,
    /// Pushes committed events to the WebSockets of this instance.
    pub realtime: Hub,
    pub mail: Mail,
    /// Ticket writes waiting for their workspace's next batch (`tickets::batch`).
    pub batcher: crate::tickets::Batcher,
    /// The embedded AI engine (embedder thread, caches, provider client).
    pub ai: AiEngine,
    /// Outgoing webhooks: the guarded client and the worker's bell.
    pub webhooks: Webhooks,
    /// Stripe (when set up), the billing job's bell and the Stripe webhook's rate limit.
    pub billing: crate::billing::Billing,
    /// Where attachments' bytes are kept (a folder, or an S3-compatible store).
    pub blobs: crate::attachments::store::Blobs,
    /// The built web app (its hashed assets, its inline scripts' hashes for the CSP).
    pub web: Arc<crate::spa::WebApp>,
    /// Requests in flight, and whether a graceful shutdown has begun.
    pub drain: crate::edge::Drain,
    /// This app's metrics (its own registry: apps in one process never share counters).
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl AppState {
    pub fn new(db: DatabaseConnection, settings: Settings) -> anyhow::Result<AppState> {
        let realtime = Hub::start(db.clone(), &settings.realtime);
        crate::realtime::listener::start(&db, realtime.clone());
        let ai = AiEngine::start(
            ferrodesk_ai::load_embedder(&settings.ai.model_dir),
            settings.ai.embedder_threads,
            KeyBox::new(&settings.ai.encryption_key),
            crate::ai::provider::client(settings.ai.allow_local_providers, settings.ai.provider_timeout)?,
        );
        let webhooks = Webhooks::new(&settings.webhooks, realtime.committed())?;
        Ok(AppState {
            ai,
            webhooks,
            billing: crate::billing::Billing::new(&settings.billing)?,
            blobs: crate::attachments::store::Blobs::new(&settings.attachments.store)?,
            mail: Mail::new(&settings.mail)?,
            batcher: crate::tickets::Batcher::default(),
            realtime,
            db,
            tokens: TokenService::new(&settings.auth),
            passwords: Passwords::new(
                settings.auth.password_hashing,
                settings.limits.password_hashing_concurrency,
                settings.limits.password_hashing_wait,
            )?,
            auth_rate_limit: rate_limit::build(settings.auth.rate_limit)?,
            request_limits: Arc::new(crate::limits::buckets::RequestLimits::new(&settings.api_rate_limits)?),
            plans: Arc::default(),
            web: Arc::new(crate::spa::WebApp::load(&settings.web_dir)),
            drain: crate::edge::Drain::default(),
            metrics: Arc::new(crate::metrics::Metrics::new()),
            settings: Arc::new(settings),
        })
    }
}
