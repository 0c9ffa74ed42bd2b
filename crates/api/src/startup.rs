//! `Application::build`: the one way to start Ferrodesk, in production and in every test. It
//! connects and migrates the database, builds the state and binds the listener (port 0 in tests).

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, middleware, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use crate::config::Settings;
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

    /// Runs until SIGINT/SIGTERM, then stops accepting, lets requests in flight finish (up to 10 s)
    /// and closes the database pool.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.state.db.close_by_ref().await.ok();
        tracing::info!("ferrodesk stopped");
        result
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
    .shutdown_timeout(10)
    .run();
    Ok(server)
}
