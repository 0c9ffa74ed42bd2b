//! `Application::build`: the one way to start Ferrodesk, in production and in every test. It
//! connects and migrates the database, builds the state and binds the listener (port 0 in tests).

use std::net::TcpListener;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpServer, middleware, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use crate::config::Settings;
use crate::realtime::Hub;
use crate::state::AppState;
use crate::{db, mail, routes};

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    /// Kept for the server's life: dropping it would stop the jobs.
    _scheduler: Option<tokio_cron_scheduler::JobScheduler>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        // One TLS provider for every client in the process (database and, later, HTTP clients).
        let _ = rustls::crypto::ring::default_provider().install_default();

        let db = db::connect(&settings.database_url, settings.database_max_connections).await?;
        db::migrate(&db).await?;
        let listener =
            TcpListener::bind(settings.addr).with_context(|| format!("cannot listen on {}", settings.addr))?;
        let port = listener.local_addr()?.port();
        let state = AppState::new(db, settings)?;
        if state.settings.mail.worker {
            mail::jobs::spawn_worker(
                state.clone(),
                state.mail.wake.clone(),
                std::time::Duration::from_secs(5),
            );
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
        }
    }

    /// Runs until SIGINT/SIGTERM (or `Stopper::stop`), then closes the WebSockets with 1001, stops
    /// accepting, lets requests in flight finish (up to 10 s) and closes the database pool.
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

/// Stops a running application.
#[derive(Clone)]
pub struct Stopper {
    server: ServerHandle,
    realtime: Hub,
}

impl Stopper {
    pub async fn stop(&self) {
        // The sockets first, with a close frame: actix's graceful stop would wait the whole
        // timeout for them (they never end by themselves), then drop them without a word.
        self.realtime.shut_down();
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
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(middleware::Compress::default())
            .wrap(TracingLogger::default())
            .app_data(data.clone())
            .configure(|config| routes::configure(config, &data))
    })
    .listen(listener)?
    .disable_signals()
    .shutdown_timeout(10)
    .run();
    Ok(server)
}
