//! What the benchmarks share: the server binary as a child process on a free loopback port. Their
//! throwaway databases come from `ferrodesk_dev::throwaway`, as the integration tests' do.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use reqwest::StatusCode;

/// A started server: its process (killed when dropped), its address and a client for it.
pub struct Spawned {
    pub child: tokio::process::Child,
    pub address: String,
    pub client: reqwest::Client,
}

/// Starts the release server on data folder `dir` (its log in `dir/server.log`), on `database_url`
/// when given (else SQLite in `dir`), with the extra environment `env`, and waits until `/readyz` answers.
pub async fn spawn_server(
    dir: &Path,
    database_url: Option<&str>,
    env: &[(&str, String)],
    request_timeout: Duration,
    startup_timeout: Duration,
) -> Result<Spawned> {
    spawn_server_logging_to("server.log", dir, database_url, env, request_timeout, startup_timeout).await
}

/// `spawn_server`, its output in `dir/log` (a second instance on the same folder keeps its own).
pub async fn spawn_server_logging_to(
    log: &str,
    dir: &Path,
    database_url: Option<&str>,
    env: &[(&str, String)],
    request_timeout: Duration,
    startup_timeout: Duration,
) -> Result<Spawned> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let log = std::fs::File::create(dir.join(log))?;
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_ferrodesk"));
    // Nothing from the caller's environment may point the server elsewhere.
    for (name, _) in std::env::vars() {
        if name.starts_with("FERRODESK_") || name.starts_with("SMTP_") || name == "DATABASE_URL" {
            command.env_remove(name);
        }
    }
    command
        .arg("serve")
        .env("FERRODESK_ADDR", format!("127.0.0.1:{port}"))
        .env("FERRODESK_DATA_DIR", dir)
        .env("FERRODESK_WEB_DIR", dir.join("web"))
        .env("FERRODESK_AUTH_BURST", "1000000")
        // Every bench socket comes from loopback, a hundred per agent.
        .env("FERRODESK_WS_MAX_PER_USER", "1000000")
        .env("FERRODESK_WS_MAX_PER_ADDRESS", "1000000")
        // The request buckets are still checked on every request (their cost is part of what a
        // benchmark measures) but sized so that a benchmark's load never spends them.
        .env("FERRODESK_RATE_LIMIT_CALLER_PER_MINUTE", "1000000000")
        .env("FERRODESK_RATE_LIMIT_CALLER_BURST", "1000000000")
        .env("FERRODESK_RATE_LIMIT_WORKSPACE_PER_MINUTE", "1000000000")
        .env("FERRODESK_RATE_LIMIT_WORKSPACE_BURST", "1000000000")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true);
    if let Some(url) = database_url {
        command.env("DATABASE_URL", url);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().context("starting the ferrodesk binary")?;
    let address = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().timeout(request_timeout).build()?;
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            bail!("the server exited during start-up ({status})");
        }
        if let Ok(response) = client.get(format!("{address}/readyz")).send().await
            && response.status() == StatusCode::OK
        {
            break;
        }
        if started.elapsed() > startup_timeout {
            bail!("the server did not answer /readyz within {startup_timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(Spawned { child, address, client })
}

/// A stand-in web app in the data folder `dir`, so the server does not warn that none is built.
pub fn stand_in_web_app(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir.join("web")).context("creating the data folder")?;
    std::fs::write(dir.join("web/index.html"), "<!doctype html><title>bench</title>")?;
    Ok(())
}

pub fn print_log_tail(path: &Path) {
    let Ok(log) = std::fs::read_to_string(path) else {
        return;
    };
    let lines: Vec<&str> = log.lines().collect();
    println!("last lines of the server log:");
    for line in &lines[lines.len().saturating_sub(20)..] {
        println!("  {line}");
    }
}
