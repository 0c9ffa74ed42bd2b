//! What the benchmarks share: the server binary as a child process on a free loopback port, an
//! authenticated socket, the knobs read from the environment and the machine's load. Their
//! throwaway databases come from `ferrodesk_dev::throwaway`, as the integration tests' do.

// Each benchmark compiles this module and uses a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use ferrodesk_shared::events::{ClientEvent, ServerEvent};
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_tungstenite::tungstenite::Message as Frame;

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

/// A whole number from the environment variable `name` (`_` between digits allowed), or `default`
/// when it is unset or empty.
pub fn number(name: &str, default: u64) -> Result<u64> {
    match std::env::var(name).ok().filter(|value| !value.is_empty()) {
        None => Ok(default),
        Some(value) => value
            .replace('_', "")
            .trim()
            .parse()
            .map_err(|_| anyhow!("{name} must be a whole number, not `{value}`")),
    }
}

/// The machine's load average over 1, 5 and 15 minutes, as `/proc/loadavg` says.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The server log's warnings, errors and panics.
pub fn server_warnings(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|line| line.contains("WARN") || line.contains("ERROR") || line.contains("panicked"))
        .map(str::to_owned)
        .collect()
}

pub type Stream = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The closing handshake: our close, then the server's, within `wait`. The TCP connection is
/// then the server's to end, which actix does after its client-disconnect timeout (a second)
/// unless the client hangs up first: the caller drops the stream. Dropping it before the answer
/// is a broken stream to the server, which logs an error for each.
pub async fn close_socket(stream: &mut Stream, wait: Duration) -> bool {
    tokio::time::timeout(wait, async {
        stream.send(Frame::Close(None)).await.ok();
        loop {
            match stream.next().await {
                Some(Ok(Frame::Close(_))) => return true,
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return false,
            }
        }
    })
    .await
    .unwrap_or(false)
}

/// Connects a staff socket, authenticates and waits for `ready`.
pub async fn open_socket(url: &str, token: &str) -> Result<Stream> {
    let (mut stream, _) = tokio_tungstenite::connect_async(url).await.context("connecting")?;
    let auth = ClientEvent::Auth {
        access_token: token.to_owned(),
        last_event_id: None,
    };
    stream.send(Frame::text(serde_json::to_string(&auth)?)).await?;
    loop {
        match stream.next().await {
            Some(Ok(Frame::Text(text))) => match serde_json::from_str::<ServerEvent>(&text)? {
                ServerEvent::Ready { .. } => return Ok(stream),
                other => bail!("expected ready, got {other:?}"),
            },
            Some(Ok(Frame::Close(frame))) => bail!("closed before ready: {frame:?}"),
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(error.into()),
            None => bail!("closed before ready"),
        }
    }
}

/// A process's memory from `/proc/<pid>/status`, in KiB.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    /// `VmRSS`: resident now.
    pub rss: u64,
    /// `VmHWM`: the highest `VmRSS` so far.
    pub peak: u64,
    /// `RssAnon`: the heap and stacks (what the allocator holds).
    pub anon: u64,
    /// `RssFile`: mapped files (the binary, a memory-mapped model).
    pub file: u64,
    pub threads: u64,
}

impl Memory {
    pub fn of(pid: u32) -> Result<Memory> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .context("reading the server's /proc/<pid>/status")?;
        let field = |name: &str| -> Result<u64> {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
                .ok_or_else(|| anyhow!("no {name} in the server's status"))
        };
        Ok(Memory {
            rss: field("VmRSS:")?,
            peak: field("VmHWM:")?,
            anon: field("RssAnon:")?,
            file: field("RssFile:")?,
            threads: field("Threads:")?,
        })
    }
}

/// `POST address+path` with a JSON body (and a bearer token), its 2xx answer parsed; any other
/// status is an error carrying the start of the answer.
pub async fn post_json<B: Serialize, T: DeserializeOwned>(
    client: &reqwest::Client,
    address: &str,
    path: &str,
    token: Option<&str>,
    body: &B,
) -> Result<T> {
    let mut request = client.post(format!("{address}{path}")).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.with_context(|| format!("POST {path}"))?;
    let status = response.status();
    let text = response.text().await?;
    let start = &text[..text.floor_char_boundary(300)];
    if !status.is_success() {
        bail!("POST {path} answered {status}: {start}");
    }
    serde_json::from_str(&text).with_context(|| format!("POST {path}: cannot parse {start}"))
}

/// The embedded model's folder: `FERRODESK_MODEL_DIR`, else `models/all-MiniLM-L6-v2` at the
/// workspace root (where `scripts/fetch-model` puts it).
pub fn model_dir() -> PathBuf {
    std::env::var("FERRODESK_MODEL_DIR")
        .ok()
        .filter(|dir| !dir.is_empty())
        .map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/all-MiniLM-L6-v2"),
            PathBuf::from,
        )
}

/// Whether the model's weights are in `dir` (without them the server falls back to TF-IDF).
pub fn model_present(dir: &Path) -> bool {
    dir.join("model.safetensors").is_file()
}

/// The report's `model` line: present, or absent with what that means for `measured`.
pub fn model_line(dir: &Path, when_absent: &str) -> String {
    if model_present(dir) {
        format!("model       embedded MiniLM present ({})", dir.display())
    } else {
        format!(
            "model       ABSENT at {}: the server categorises with the TF-IDF fallback{when_absent}",
            dir.display()
        )
    }
}
