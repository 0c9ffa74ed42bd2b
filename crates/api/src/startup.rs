//! `Application::build`: the one way to start Ferrodesk, in production and in every test. It
//! connects and migrates the database, builds the state and binds the listener (port 0 in tests).

use std::net::TcpListener;

use actix_web::dev::{Server, ServerHandle, ServiceRequest};
use actix_web::middleware::Next;
use actix_web::{App, HttpServer, middleware, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use crate::config::Settings;
use crate::edge::{self, Drain, SecurityHeaders};
use crate::realtime::Hub;
use crate::state::AppState;
use crate::worker::Worker;
use crate::{ai, db, mail, routes, webhooks};

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    /// The background workers (mail, categorisation, webhook deliveries), stopped with the server.
    workers: Vec<Worker>,
    /// Kept for the server's life: dropping it would stop the jobs.
    _scheduler: Option<tokio_cron_scheduler::JobScheduler>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        // One TLS provider for every client in the process (database and, later, HTTP clients).
        let _ = rustls::crypto::ring::default_provider().install_default();

        let db = db::connect_with(&settings.database_url, db::PoolSettings::of(&settings)).await?;
        db::migrate(&db).await?;
        // Workspaces from before the kept counters get theirs before the first request reads them.
        crate::reports::rollup::build_missing(&db, crate::clock::now()).await?;
        let listener =
            TcpListener::bind(settings.addr).with_context(|| format!("cannot listen on {}", settings.addr))?;
        let port = listener.local_addr()?.port();
        let mut settings = settings;
        // Listening on port 0 (tests, the browser suite) with the public URL left to its default:
        // links in mail and Stripe's return pages must name the port the system gave.
        if settings.addr.port() == 0 && settings.public_url == format!("http://{}", settings.addr) {
            settings.public_url = format!("http://{}:{port}", settings.addr.ip());
        }
        let state = AppState::new(db, settings)?;
        let mut workers = Vec::new();
        if state.settings.mail.worker {
            workers.push(mail::jobs::spawn_worker(
                state.clone(),
                state.mail.wake.clone(),
                std::time::Duration::from_secs(5),
            ));
        }
        if state.settings.ai.categorise_worker {
            workers.push(ai::categorise::spawn_worker(
                state.clone(),
                state.ai.wake(),
                std::time::Duration::from_secs(10),
            ));
        }
        if state.settings.webhooks.worker {
            workers.push(webhooks::jobs::spawn_worker(
                state.clone(),
                state.webhooks.wake.clone(),
                std::time::Duration::from_secs(5),
            ));
        }
        if state.settings.billing.worker && state.billing.enabled() {
            workers.push(crate::billing::jobs::spawn_worker(
                state.clone(),
                state.billing.wake.clone(),
                std::time::Duration::from_secs(30),
            ));
        }
        let scheduler = crate::scheduler::start(state.clone()).await?;
        let server = serve(listener, state.clone())?;
        tracing::info!(
            address = %format!("http://{}:{port}", state.settings.addr.ip()),
            database = if state.settings.database_url.starts_with("postgres") { "postgresql" } else { "sqlite" },
            "ferrodesk is listening"
        );
        Ok(Application {
            port,
            server,
            state,
            workers,
            _scheduler: scheduler,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// A handle that stops the server as SIGINT/SIGTERM do (tests use it).
    pub fn stopper(&self) -> Stopper {
        Stopper {
            server: self.server.handle(),
            realtime: self.state.realtime.clone(),
            drain: self.state.drain.clone(),
            workers: self.workers.clone(),
        }
    }

    /// Runs until SIGINT/SIGTERM (or `Stopper::stop`), then closes the WebSockets with 1001,
    /// drains (answers every request it receives until none has run for a moment, up to 10 s),
    /// stops accepting and closes the database pool.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let stopper = self.stopper();
        let signals = tokio::spawn(async move {
            if stop_signal().await.is_ok() {
                tracing::info!("stopping");
                stopper.stop().await;
            }
        });
        let result = self.server.await;
        signals.abort();
        self.state.db.close_by_ref().await.ok();
        tracing::info!("ferrodesk stopped");
        result
    }
}

/// How long a graceful stop waits for requests in flight, and then for connections to close.
const SHUTDOWN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Stops a running application the graceful way.
#[derive(Clone)]
pub struct Stopper {
    server: ServerHandle,
    realtime: Hub,
    drain: Drain,
    workers: Vec<Worker>,
}

impl Stopper {
    /// Returns when the server has stopped.
    pub async fn stop(&self) {
        // The sockets first, with a close frame: actix's graceful stop would wait the whole
        // timeout for them (they never end by themselves), then drop them without a word.
        self.realtime.shut_down();
        // Then, side by side: the workers finish what they are writing while the database is
        // still open (the batch being categorised, and the mails and webhook deliveries in
        // flight, whose attempts are recorded, so none is sent twice after a restart); and the
        // requests drain: `/readyz` turns 503 and answers ask clients to close; once none has
        // run for a moment, the server stops accepting. actix-web's own stop drops a request it
        // has read but not started, so it must come last.
        let workers = futures_util::future::join_all(self.workers.iter().map(Worker::stop));
        futures_util::future::join(workers, self.drain.drain(SHUTDOWN_TIMEOUT)).await;
        self.server.stop(true).await;
    }
}

/// SIGINT or SIGTERM. The server's own signal handling is off so that `Stopper::stop` runs first.
async fn stop_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (mut interrupt, mut terminate) = (signal(SignalKind::interrupt())?, signal(SignalKind::terminate())?);
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let headers = std::sync::Arc::new(SecurityHeaders::new(&state.settings, &state.web.inline_script_hashes)?);
    let body_timeout = state.settings.body_timeout;
    let drain = state.drain.clone();
    let metrics = state.metrics.clone();
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        let headers = headers.clone();
        let drain = drain.clone();
        let metrics = metrics.clone();
        App::new()
            .wrap(middleware::from_fn(move |request: ServiceRequest, next: Next<_>| {
                edge::body_deadline(body_timeout, request, next)
            }))
            .wrap(middleware::from_fn(move |request: ServiceRequest, next: Next<_>| {
                edge::track_in_flight(drain.clone(), request, next)
            }))
            .wrap(middleware::Compress::default())
            .wrap(middleware::from_fn(move |request: ServiceRequest, next: Next<_>| {
                edge::security_headers(headers.clone(), request, next)
            }))
            .wrap(middleware::from_fn(move |request: ServiceRequest, next: Next<_>| {
                crate::metrics::middleware::record(metrics.clone(), request, next)
            }))
            .wrap(TracingLogger::default())
            .app_data(data.clone())
            .configure(|config| routes::configure(config, &data))
    })
    .listen(listener)?
    // Signals start `Stopper::stop` (`run_until_stopped`), not actix-web's immediate stop.
    .disable_signals()
    .shutdown_timeout(SHUTDOWN_TIMEOUT.as_secs())
    .run();
    Ok(server)
}
