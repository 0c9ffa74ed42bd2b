//! Real-time delivery at many connected sockets: `cargo bench -p ferrodesk --bench live`.
//!
//! Starts the release server binary on a free loopback port with a fresh database (SQLite in a
//! temporary folder, or a fresh PostgreSQL database when `BENCH_DATABASE_URL=postgres://...` is
//! set), connects N staff WebSockets (`--sockets N` or `BENCH_SOCKETS`, default 1000), creates M
//! tickets for a customer (`--tickets M` or `BENCH_TICKETS`, default 50, one every `--spacing-ms`,
//! default 100) and reports how long each `ticket.created` took from the ticket's `created_at` to
//! its receipt on every socket, whether every socket got every event, the HTTP round trip of each
//! creation and the server's memory per connection. It measures; it asserts nothing about speed.
//! Other knobs: `--agents K` / `BENCH_AGENTS` (default 10: the sockets are spread over K agents).
//! `--workspaces W` / `BENCH_WORKSPACES` (default 1) spreads the sockets evenly over W workspaces
//! of K agents each, and the tickets over them in turn: one workspace is the worst case (every
//! ticket goes to every socket), many workspaces the shape of an instance hosting many teams.
//! `--per-ticket` (or `BENCH_PER_TICKET=1`) adds one line per ticket. `--instances 2` (or
//! `BENCH_INSTANCES`, PostgreSQL only) starts two servers on the one database, opens the sockets
//! on each in turn and creates the tickets through the first: the second hears of them through the
//! database, as a second instance behind a load balancer would.
//!
//! Issue 17's targets are printed beside the figures: at 10,000 sockets, commit-to-receipt p99
//! under 100 ms and each server's RSS under 500 MB (`--sockets 10000`).
//!
//! The server runs with the embedded model (`FERRODESK_MODEL_DIR`, default `models/all-MiniLM-L6-v2`
//! at the workspace root; `FERRODESK_MODEL_DIR=/nonexistent` for the TF-IDF fallback), as a real one
//! does: each ticket's category, and its `ticket.updated`, take their share of the cores and memory.
//! At the end each socket closes with the closing handshake.
//!
//! The memory per connection is the RSS growth from an idle server to one holding the idle sockets.
//! The RSS before the sockets (about 240 MiB) is mostly the model: its weights and the embedder's
//! working memory. The clients share the machine's cores with the server: the latencies include
//! their scheduling, and other load on the machine (the report prints the load average).

// A benchmark prints its report, and stops with an error when its setup fails.
#![allow(clippy::print_stdout)]

use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};
use ferrodesk_dev::ThrowawayDatabase;
use ferrodesk_shared::auth::{AuthResponse, InvitationCreated, InvitationRequest, SignupRequest};
use ferrodesk_shared::tickets::{NewTicket, TicketDetail};
use ferrodesk_shared::{Role, TicketId};
use futures_util::StreamExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message as Frame;

mod support;

use support::Memory;

const PASSWORD: &str = "correct horse battery staple";
const SLUG: &str = "bench";
/// Sockets opened at the same time while connecting.
const CONNECT_CONCURRENCY: usize = 32;
/// How long a socket may take from TCP connect to `ready`.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the server may take to answer `/readyz` after it starts (migrations included).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);
/// How long after the last ticket the benchmark waits for missing events.
const DELIVERY_GRACE: Duration = Duration::from_secs(10);
/// Quiet time before a memory reading, so that reading is of an idle server.
const SETTLE: Duration = Duration::from_secs(2);
/// File descriptors the benchmark needs beside one per socket (HTTP client, runtime, stdio...).
const SPARE_FILES: u64 = 256;

fn main() -> Result<()> {
    let options = Options::parse()?;
    // The server inherits this limit: raise it before starting it.
    ensure_open_files(options.sockets as u64 + SPARE_FILES)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(options))
}

#[derive(Debug, Clone)]
struct Options {
    sockets: usize,
    tickets: usize,
    agents: usize,
    /// Workspaces the sockets and tickets are spread over, `agents` agents each.
    workspaces: usize,
    spacing: Duration,
    /// `--per-ticket` or `BENCH_PER_TICKET=1`: also print one line per ticket.
    per_ticket: bool,
    /// Servers on the one PostgreSQL database.
    instances: usize,
}

impl Options {
    /// `--name N`, `--name=N` or the environment variable; anything else (cargo's `--bench`) is ignored.
    fn parse() -> Result<Options> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let number = |flag: &str, env: &str, default: usize| -> Result<usize> {
            let from_args = args.iter().enumerate().find_map(|(index, arg)| {
                if arg == flag {
                    Some(args.get(index + 1).cloned().unwrap_or_default())
                } else {
                    arg.strip_prefix(flag)
                        .and_then(|rest| rest.strip_prefix('='))
                        .map(str::to_owned)
                }
            });
            match from_args.or_else(|| std::env::var(env).ok().filter(|value| !value.is_empty())) {
                None => Ok(default),
                Some(value) => value
                    .trim()
                    .parse()
                    .map_err(|_| anyhow!("{flag} (or {env}) must be a whole number, not `{value}`")),
            }
        };
        let options = Options {
            sockets: number("--sockets", "BENCH_SOCKETS", 1000)?,
            tickets: number("--tickets", "BENCH_TICKETS", 50)?,
            agents: number("--agents", "BENCH_AGENTS", 10)?,
            workspaces: number("--workspaces", "BENCH_WORKSPACES", 1)?,
            spacing: Duration::from_millis(number("--spacing-ms", "BENCH_SPACING_MS", 100)? as u64),
            per_ticket: args.iter().any(|arg| arg == "--per-ticket")
                || std::env::var("BENCH_PER_TICKET").is_ok_and(|value| value == "1"),
            instances: number("--instances", "BENCH_INSTANCES", 1)?,
        };
        if [
            options.sockets,
            options.tickets,
            options.agents,
            options.instances,
            options.workspaces,
        ]
        .contains(&0)
        {
            bail!("--sockets, --tickets, --agents, --workspaces and --instances must be at least 1");
        }
        if options.sockets < options.workspaces {
            bail!("--sockets must be at least --workspaces (every workspace gets its sockets)");
        }
        if options.instances > 1 && !std::env::var("BENCH_DATABASE_URL").is_ok_and(|url| !url.is_empty()) {
            bail!("--instances above 1 share one PostgreSQL database: set BENCH_DATABASE_URL=postgres://...");
        }
        Ok(options)
    }
}

/// The soft and hard `Max open files` of this process, from `/proc/self/limits`.
fn open_file_limits() -> Result<(u64, u64)> {
    let limits = std::fs::read_to_string("/proc/self/limits").context("reading /proc/self/limits")?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .ok_or_else(|| anyhow!("no `Max open files` in /proc/self/limits"))?;
    let mut numbers = line["Max open files".len()..]
        .split_whitespace()
        .map(|value| match value {
            "unlimited" => Ok(u64::MAX),
            other => other.parse::<u64>().map_err(|_| anyhow!("cannot read `{line}`")),
        });
    let soft = numbers.next().ok_or_else(|| anyhow!("cannot read `{line}`"))??;
    let hard = numbers.next().ok_or_else(|| anyhow!("cannot read `{line}`"))??;
    Ok((soft, hard))
}

/// Makes sure this process (and so the server it starts) may open `needed` files. Without `libc`
/// (the workspace forbids unsafe code) the soft limit is raised to the hard one with util-linux's
/// `prlimit` when it is there; otherwise the benchmark says what to run.
fn ensure_open_files(needed: u64) -> Result<()> {
    let (soft, hard) = open_file_limits()?;
    if soft >= needed {
        return Ok(());
    }
    let advice = format!(
        "{needed} open files are needed (one per socket here, and as many in the server, which inherits the limit) \
         but the limit is {soft} (hard limit {hard}); \
         run `ulimit -n {}` in this shell first, or ask for fewer sockets with --sockets",
        needed.max(4096)
    );
    if hard < needed {
        bail!(advice);
    }
    let target = hard.min(needed.max(65_536));
    let raised = std::process::Command::new("prlimit")
        .arg(format!("--pid={}", std::process::id()))
        .arg(format!("--nofile={target}:{hard}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match (raised, open_file_limits()?) {
        (Ok(status), (now, _)) if status.success() && now >= needed => {
            println!("(raised the open-file limit from {soft} to {now})");
            Ok(())
        }
        _ => bail!(advice),
    }
}

async fn run(options: Options) -> Result<()> {
    // reqwest is built without a TLS provider of its own; the server installs ring the same way.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let database = bench_database().await?;
    let outcome = async {
        let mut servers = Vec::new();
        for instance in 0..options.instances {
            servers.push(Server::start(&database, instance).await?);
        }
        let result = measure(&servers, &database, &options).await;
        for server in &mut servers {
            server.stop().await;
        }
        let report = result?;
        report.print(&options, &database, &servers);
        Ok(())
    }
    .await;
    if let Err(error) = &outcome {
        support::print_log_tail(&database.dir.join("server.log"));
        println!("benchmark failed: {error:#}");
    }
    drop(database);
    outcome
}

/// A fresh data folder, and a fresh PostgreSQL database when `BENCH_DATABASE_URL` names a server;
/// both removed on every way out, a panic included.
async fn bench_database() -> Result<ThrowawayDatabase> {
    let admin_url = std::env::var("BENCH_DATABASE_URL").ok().filter(|url| !url.is_empty());
    let database = ThrowawayDatabase::create("bench", admin_url.as_deref())
        .await
        .context("BENCH_DATABASE_URL (a postgres:// URL; leave it unset for SQLite)")?;
    support::stand_in_web_app(&database.dir)?;
    Ok(database)
}

/// The server binary as a child process; killed when dropped, so also on every error path.
struct Server {
    child: tokio::process::Child,
    pid: u32,
    address: String,
    client: reqwest::Client,
}

impl Server {
    /// Instance 0 logs to `server.log`, the others to `server-<n>.log`.
    async fn start(database: &ThrowawayDatabase, instance: usize) -> Result<Server> {
        let (dir, url, timeout) = (&database.dir, Some(database.url.as_str()), Duration::from_secs(30));
        // The embedded model, as a real server has it: each ticket's category (and its
        // `ticket.updated`) takes its share of the cores.
        let env = [("FERRODESK_MODEL_DIR", support::model_dir().display().to_string())];
        let spawned = match instance {
            0 => support::spawn_server(dir, url, &env, timeout, STARTUP_TIMEOUT).await?,
            n => support::spawn_server_logging_to(&log_name(n), dir, url, &env, timeout, STARTUP_TIMEOUT).await?,
        };
        let pid = spawned.child.id().ok_or_else(|| anyhow!("the server exited at once"))?;
        Ok(Server {
            child: spawned.child,
            pid,
            address: spawned.address,
            client: spawned.client,
        })
    }

    fn ws_url(&self) -> String {
        format!("{}/api/v1/ws", self.address.replacen("http://", "ws://", 1))
    }

    async fn stop(&mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }

    /// The server's memory now, and its peak.
    fn memory(&self) -> Result<Memory> {
        Memory::of(self.pid)
    }

    async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, token: Option<&str>, body: &B) -> Result<T> {
        support::post_json(&self.client, &self.address, path, token, body).await
    }
}

fn log_name(instance: usize) -> String {
    match instance {
        0 => "server.log".to_owned(),
        n => format!("server-{n}.log"),
    }
}

/// CPU time (user + system) of a process so far, from `/proc/<pid>/stat`.
fn cpu_seconds(pid: &str) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).context("reading /proc/<pid>/stat")?;
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of stat(5), counted here from field 3 (the state).
    let ticks = |index: usize| -> Result<f64> {
        fields
            .get(index)
            .and_then(|value| value.parse::<f64>().ok())
            .ok_or_else(|| anyhow!("cannot read /proc/{pid}/stat"))
    };
    Ok((ticks(11)? + ticks(12)?) / clock_ticks_per_second())
}

fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|output| String::from_utf8(output.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// CPU used by the server and by this benchmark (its socket readers and HTTP client) over a phase.
#[derive(Debug, Clone, Copy)]
struct CpuUse {
    server: f64,
    client: f64,
    wall: f64,
    /// The machine's 1-minute load average at the end: other work on the machine skews the numbers.
    load: f64,
}

struct CpuMeter {
    server_pid: String,
    server: f64,
    client: f64,
    started: Instant,
}

impl CpuMeter {
    fn start(server: &Server) -> Result<CpuMeter> {
        let server_pid = server.pid.to_string();
        Ok(CpuMeter {
            server: cpu_seconds(&server_pid)?,
            client: cpu_seconds("self")?,
            server_pid,
            started: Instant::now(),
        })
    }

    fn stop(&self) -> Result<CpuUse> {
        Ok(CpuUse {
            server: cpu_seconds(&self.server_pid)? - self.server,
            client: cpu_seconds("self")? - self.client,
            wall: self.started.elapsed().as_secs_f64(),
            load: std::fs::read_to_string("/proc/loadavg")
                .ok()
                .and_then(|text| text.split_whitespace().next().and_then(|value| value.parse().ok()))
                .unwrap_or(f64::NAN),
        })
    }
}

/// The people of one benchmark workspace.
struct Workspace {
    agents: Vec<String>,
    /// Who opens the tickets: the owner, for the customer.
    customer: String,
}

/// The workspace is put on Pro as its operator would (`ferrodesk plan set`): Free has two staff
/// seats, fewer than the benchmark's agents.
async fn set_up_workspace(server: &Server, database_url: &str, agents: usize, number: usize) -> Result<Workspace> {
    let slug = match number {
        0 => SLUG.to_owned(),
        n => format!("{SLUG}{n}"),
    };
    let signup = SignupRequest {
        workspace_name: format!("Bench {number} Inc."),
        workspace_slug: slug.clone(),
        name: "Bench Owner".to_owned(),
        email: format!("owner@{slug}.example"),
        password: PASSWORD.to_owned(),
    };
    let owner: AuthResponse = server.post("/api/v1/signup", None, &signup).await?;
    let db = ferrodesk::db::connect(database_url, 1).await?;
    ferrodesk::workspaces::plans::set_by_slug(&db, &slug, ferrodesk_shared::workspaces::Plan::Pro)
        .await?
        .context("the benchmark workspace was just made")?;
    db.close().await?;
    let mut tokens = Vec::new();
    for index in 0..agents {
        let invitation = InvitationRequest {
            email: format!("agent{index}@{slug}.example"),
            role: Role::Agent,
        };
        let created: InvitationCreated = server
            .post("/api/v1/invitations", Some(&owner.access_token), &invitation)
            .await?;
        let accept = json!({"token": created.token, "name": format!("Agent {index}"), "password": PASSWORD});
        let agent: AuthResponse = server.post("/api/v1/invitations/accept", None, &accept).await?;
        tokens.push(agent.access_token);
    }
    // A customer's own sign-up waits for the address to be proven by mail: the owner opens the
    // tickets for the customer instead (the owner holds no bench socket).
    Ok(Workspace {
        agents: tokens,
        customer: owner.access_token,
    })
}

/// What one socket saw, from `ready` until the benchmark stopped it.
#[derive(Default)]
struct SocketLog {
    /// `(ticket, its created_at, when this socket read the event)`.
    created: Vec<(TicketId, DateTime<Utc>, DateTime<Utc>)>,
    notifications: usize,
    /// `ticket.updated`: the category the AI found, a moment after each ticket.
    updates: usize,
    other: Vec<String>,
    /// Why the socket ended before the benchmark stopped it.
    ended: Option<String>,
}

/// What a socket needs of an event: its type, and a ticket's id and creation time. The rest of the
/// frame is skipped unread: 30,000 frames a second at 10,000 sockets, parsed whole into
/// `ServerEvent`s, took a core of this machine from the server being measured.
#[derive(serde::Deserialize)]
struct Peek<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    ticket: Option<PeekTicket>,
}

#[derive(serde::Deserialize)]
struct PeekTicket {
    id: TicketId,
    created_at: DateTime<Utc>,
}

/// Reads every frame (which also answers the server's pings) until told to stop.
async fn listen(
    mut stream: support::Stream,
    mut stop: watch::Receiver<bool>,
    delivered: Arc<AtomicUsize>,
) -> SocketLog {
    let mut log = SocketLog::default();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            frame = stream.next() => {
                let received = Utc::now();
                match frame {
                    Some(Ok(Frame::Text(text))) => match serde_json::from_str::<Peek>(&text) {
                        Ok(Peek { kind: "ticket.created", ticket: Some(ticket) }) => {
                            log.created.push((ticket.id, ticket.created_at, received));
                            delivered.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(Peek { kind: "notification.created", .. }) => log.notifications += 1,
                        Ok(Peek { kind: "ticket.updated", .. }) => log.updates += 1,
                        Ok(_) => log.other.push(text.chars().take(200).collect()),
                        Err(error) => log.other.push(format!("unparsable: {error}")),
                    },
                    Some(Ok(Frame::Close(frame))) => {
                        log.ended = Some(format!("closed by the server: {frame:?}"));
                        break;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(error)) => {
                        log.ended = Some(format!("error: {error}"));
                        break;
                    }
                    None => {
                        log.ended = Some("the stream ended".to_owned());
                        break;
                    }
                }
            }
        }
    }
    if log.ended.is_none() {
        support::close_socket(&mut stream, Duration::from_secs(5)).await;
    }
    log
}

/// One ticket as the customer's HTTP call saw it.
struct Created {
    id: TicketId,
    /// The benchmark workspace it was created in; only that workspace's sockets should hear of it.
    workspace: usize,
    number: i64,
    created_at: DateTime<Utc>,
    round_trip: Duration,
    /// Whether `created_at` falls between sending the request and reading the answer (same clock).
    clock_consistent: bool,
}

async fn create_ticket(server: &Server, workspace: (usize, &Workspace), index: usize) -> Result<Created> {
    let (number, workspace) = workspace;
    let token = workspace.customer.as_str();
    let request = NewTicket {
        subject: format!("Bench ticket {index}"),
        body: format!("Ticket {index} of the real-time benchmark: does every agent see it at once?"),
        priority: None,
        requester_email: Some("customer@mail.example".to_owned()),
        requester_name: Some("Bench Customer".to_owned()),
        attachment_ids: Vec::new(),
    };
    let sent = Utc::now();
    let started = Instant::now();
    let detail: TicketDetail = server.post("/api/v1/tickets", Some(token), &request).await?;
    let round_trip = started.elapsed();
    let answered = Utc::now();
    let created_at = detail.ticket.created_at;
    Ok(Created {
        id: detail.ticket.id,
        workspace: number,
        number: detail.ticket.number,
        created_at,
        round_trip,
        // The server cuts timestamps to microseconds: allow that much before `sent`.
        clock_consistent: created_at + chrono::Duration::microseconds(1) >= sent && created_at <= answered,
    })
}

struct Report {
    sockets: usize,
    agents: usize,
    open_time: Duration,
    handshakes: Vec<f64>,
    fresh: Memory,
    before: Memory,
    idle: Memory,
    after: Memory,
    tickets: Vec<Created>,
    expected: usize,
    delivered: usize,
    duplicates: usize,
    /// `(socket, ticket number)`.
    missing: Vec<(usize, i64)>,
    notifications: usize,
    updates: usize,
    latencies: Vec<f64>,
    first_per_ticket: Vec<f64>,
    last_per_ticket: Vec<f64>,
    spread_per_ticket: Vec<f64>,
    /// Every receipt's latency, per ticket in creation order.
    per_ticket: Vec<Vec<f64>>,
    /// From the last creation's answer to the moment the last expected event was read.
    drain: Option<Duration>,
    cpu: CpuUse,
    ended: Vec<(usize, String)>,
    other_events: Vec<(usize, String)>,
    server_warnings: Vec<String>,
    /// The other instances' memory with the idle sockets and after the tickets.
    others: Vec<(Memory, Memory)>,
}

async fn measure(servers: &[Server], database: &ThrowawayDatabase, options: &Options) -> Result<Report> {
    let server = &servers[0];
    let fresh = server.memory()?;
    let mut workspaces = Vec::new();
    for number in 0..options.workspaces {
        workspaces.push(set_up_workspace(server, &database.url, options.agents, number).await?);
    }
    // One ticket before measuring, so the pools, caches and workers the ticket path uses are warm.
    create_ticket(server, (0, &workspaces[0]), 0).await?;
    tokio::time::sleep(SETTLE).await;
    let before = server.memory()?;

    let urls: Vec<String> = servers.iter().map(Server::ws_url).collect();
    let (stop, stopped) = watch::channel(false);
    let delivered = Arc::new(AtomicUsize::new(0));
    let opening = Instant::now();
    let opened: Vec<(usize, Result<(support::Stream, Duration)>)> = futures_util::stream::iter(0..options.sockets)
        .map(|index| {
            let url = urls[index % urls.len()].clone();
            let workspace = &workspaces[index % workspaces.len()];
            let token = workspace.agents[(index / workspaces.len()) % workspace.agents.len()].clone();
            async move {
                let started = Instant::now();
                let result = tokio::time::timeout(HANDSHAKE_TIMEOUT, support::open_socket(&url, &token))
                    .await
                    .map_err(|_| anyhow!("no ready within {HANDSHAKE_TIMEOUT:?}"))
                    .and_then(|opened| opened)
                    .map(|stream| (stream, started.elapsed()));
                (index, result)
            }
        })
        .buffer_unordered(CONNECT_CONCURRENCY)
        .collect()
        .await;
    let open_time = opening.elapsed();
    let mut listeners = Vec::new();
    let mut handshakes = Vec::new();
    let mut failures = Vec::new();
    for (index, result) in opened {
        match result {
            Ok((stream, handshake)) => {
                handshakes.push(millis(handshake));
                listeners.push((index, tokio::spawn(listen(stream, stopped.clone(), delivered.clone()))));
            }
            Err(error) => failures.push(format!("socket {index}: {error:#}")),
        }
    }
    if !failures.is_empty() {
        let _ = stop.send(true);
        bail!(
            "{} of {} sockets did not open; first: {}",
            failures.len(),
            options.sockets,
            failures[0]
        );
    }
    listeners.sort_by_key(|(index, _)| *index);
    tokio::time::sleep(SETTLE).await;
    let idle = server.memory()?;
    let others_idle = servers[1..].iter().map(Server::memory).collect::<Result<Vec<_>>>()?;
    let meter = CpuMeter::start(server)?;

    let mut tickets = Vec::new();
    let mut ticks = tokio::time::interval(options.spacing);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for index in 1..=options.tickets {
        ticks.tick().await;
        let number = (index - 1) % workspaces.len();
        tickets.push(create_ticket(server, (number, &workspaces[number]), index).await?);
    }
    let last_answer = Instant::now();
    let expected: usize = tickets
        .iter()
        .map(|created| sockets_of(options, created.workspace))
        .sum();
    let mut drain = None;
    while last_answer.elapsed() < DELIVERY_GRACE {
        if delivered.load(Ordering::Relaxed) >= expected {
            drain = Some(last_answer.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let cpu = meter.stop()?;
    // Late notifications (they follow their ticket.created) get a moment too.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = server.memory()?;
    let others_after = servers[1..].iter().map(Server::memory).collect::<Result<Vec<_>>>()?;
    let _ = stop.send(true);

    let mut logs = Vec::new();
    for (index, listener) in listeners {
        logs.push((index, listener.await.context("a socket task failed")?));
    }
    Ok(analyse(
        options,
        database,
        AnalysisInput {
            fresh,
            open_time,
            handshakes,
            before,
            idle,
            after,
            tickets,
            expected,
            drain,
            cpu,
            logs,
            others: others_idle.into_iter().zip(others_after).collect(),
        },
    ))
}

struct AnalysisInput {
    fresh: Memory,
    open_time: Duration,
    handshakes: Vec<f64>,
    before: Memory,
    idle: Memory,
    after: Memory,
    tickets: Vec<Created>,
    /// Receipts expected: each ticket on every socket of its workspace.
    expected: usize,
    drain: Option<Duration>,
    cpu: CpuUse,
    logs: Vec<(usize, SocketLog)>,
    others: Vec<(Memory, Memory)>,
}

/// How many of the sockets belong to benchmark workspace `number` (socket i is in workspace i mod W).
fn sockets_of(options: &Options, number: usize) -> usize {
    (options.sockets + options.workspaces - 1 - number) / options.workspaces
}

fn analyse(options: &Options, database: &ThrowawayDatabase, input: AnalysisInput) -> Report {
    let wanted: HashMap<TicketId, (usize, &Created)> = input
        .tickets
        .iter()
        .enumerate()
        .map(|(position, created)| (created.id, (position, created)))
        .collect();
    let mut latencies = Vec::new();
    let mut first = vec![f64::INFINITY; input.tickets.len()];
    let mut last = vec![f64::NEG_INFINITY; input.tickets.len()];
    let mut per_ticket = vec![Vec::new(); input.tickets.len()];
    let (mut delivered, mut duplicates, mut notifications, mut updates) = (0, 0, 0, 0);
    let mut missing = Vec::new();
    let mut ended = Vec::new();
    let mut other_events = Vec::new();
    for (index, log) in &input.logs {
        let mut seen = HashSet::new();
        for (ticket, created_at, received) in &log.created {
            let Some((position, created)) = wanted.get(ticket) else {
                other_events.push((*index, format!("ticket.created for an unknown ticket {ticket:?}")));
                continue;
            };
            if created.created_at != *created_at {
                other_events.push((
                    *index,
                    format!(
                        "ticket #{}: the event's created_at differs from the HTTP answer's",
                        created.number
                    ),
                ));
            }
            if !seen.insert(*ticket) {
                duplicates += 1;
                continue;
            }
            delivered += 1;
            let latency = (*received - *created_at)
                .num_microseconds()
                .map_or(f64::INFINITY, |micros| micros as f64 / 1000.0);
            latencies.push(latency);
            first[*position] = first[*position].min(latency);
            last[*position] = last[*position].max(latency);
            per_ticket[*position].push(latency);
        }
        for created in &input.tickets {
            if created.workspace == index % options.workspaces && !seen.contains(&created.id) {
                missing.push((*index, created.number));
            }
        }
        notifications += log.notifications;
        updates += log.updates;
        if let Some(reason) = &log.ended {
            ended.push((*index, reason.clone()));
        }
        other_events.extend(log.other.iter().map(|event| (*index, event.clone())));
    }
    let received: Vec<usize> = (0..input.tickets.len()).filter(|&i| first[i].is_finite()).collect();
    let server_warnings = (0..options.instances)
        .flat_map(|instance| {
            std::fs::read_to_string(database.dir.join(log_name(instance)))
                .unwrap_or_default()
                .lines()
                .filter(|line| line.contains("WARN") || line.contains("ERROR") || line.contains("panicked"))
                .map(|line| format!("[{instance}] {line}"))
                .collect::<Vec<_>>()
        })
        .collect();
    Report {
        sockets: options.sockets,
        agents: options.agents,
        open_time: input.open_time,
        handshakes: input.handshakes,
        fresh: input.fresh,
        before: input.before,
        idle: input.idle,
        after: input.after,
        expected: input.expected,
        delivered,
        duplicates,
        missing,
        notifications,
        updates,
        latencies,
        first_per_ticket: received.iter().map(|&i| first[i]).collect(),
        last_per_ticket: received.iter().map(|&i| last[i]).collect(),
        spread_per_ticket: received.iter().map(|&i| last[i] - first[i]).collect(),
        per_ticket,
        drain: input.drain,
        cpu: input.cpu,
        ended,
        other_events,
        server_warnings,
        tickets: input.tickets,
        others: input.others,
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Nearest-rank percentiles of `values` (sorted here); `None` when empty.
fn percentiles(values: &[f64], points: &[f64]) -> Option<Vec<f64>> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(
        points
            .iter()
            .map(|point| {
                let rank = ((point / 100.0) * sorted.len() as f64).ceil() as usize;
                sorted[rank.clamp(1, sorted.len()) - 1]
            })
            .collect(),
    )
}

fn summary(values: &[f64]) -> String {
    match percentiles(values, &[50.0, 95.0, 99.0, 100.0]) {
        Some(p) => format!(
            "p50 {:>8.2}  p95 {:>8.2}  p99 {:>8.2}  max {:>8.2} ms",
            p[0], p[1], p[2], p[3]
        ),
        None => "(no samples)".to_owned(),
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

impl Report {
    fn print(&self, options: &Options, database: &ThrowawayDatabase, servers: &[Server]) {
        let per_connection = (self.idle.rss as f64 - self.before.rss as f64) / self.sockets as f64;
        let round_trips: Vec<f64> = self.tickets.iter().map(|created| millis(created.round_trip)).collect();
        let inconsistent = self.tickets.iter().filter(|created| !created.clock_consistent).count();
        let rule = "-".repeat(100);
        println!();
        println!("Ferrodesk real-time benchmark");
        println!("{rule}");
        let pids: Vec<String> = servers.iter().map(|server| server.pid.to_string()).collect();
        println!(
            "server          {} ({} instance(s), pid {}; tickets created through the first, sockets on each in turn)",
            env!("CARGO_BIN_EXE_ferrodesk"),
            servers.len(),
            pids.join(", ")
        );
        println!("database        {}", database.describe());
        println!(
            "machine         {} CPU(s); the clients run on the same machine as the server",
            std::thread::available_parallelism().map_or(0, usize::from)
        );
        println!(
            "{}",
            support::model_line(&support::model_dir(), "").replacen("model      ", "model          ", 1)
        );
        println!(
            "sockets         {} staff WebSockets in {} workspace(s) of {} agents, opened in {:.2} s ({} at a time); \
             connect->ready {}",
            self.sockets,
            options.workspaces,
            self.agents,
            self.open_time.as_secs_f64(),
            CONNECT_CONCURRENCY,
            summary(&self.handshakes)
        );
        println!(
            "tickets         {} created over HTTP for a customer (by the owner), one every {} ms, \
             in the workspaces in turn: each goes to {} sockets",
            self.tickets.len(),
            options.spacing.as_millis(),
            if options.workspaces == 1 {
                self.sockets.to_string()
            } else {
                format!("about {}", self.sockets / options.workspaces)
            }
        );
        println!(
            "ticket.created  delivered {} / {} expected; missing {}; duplicates {}",
            self.delivered,
            self.expected,
            self.missing.len(),
            self.duplicates
        );
        println!(
            "notifications   {} notification.created received ({} expected: one per socket and ticket); \
             {} ticket.updated (the AI's category)",
            self.notifications, self.expected, self.updates
        );
        println!("latency         created_at -> receipt, every socket x ticket:");
        println!("                  all receipts          {}", summary(&self.latencies));
        println!(
            "                  first socket / ticket {}",
            summary(&self.first_per_ticket)
        );
        println!(
            "                  last socket / ticket  {}",
            summary(&self.last_per_ticket)
        );
        println!(
            "                  fan-out spread        {}  (last minus first socket)",
            summary(&self.spread_per_ticket)
        );
        match self.drain {
            Some(drain) => println!(
                "                  every expected event was read {:.1} ms after the last creation answered",
                millis(drain)
            ),
            None => println!(
                "                  NOT every expected event arrived within {} s of the last creation",
                DELIVERY_GRACE.as_secs()
            ),
        }
        println!("HTTP create     round trip {}", summary(&round_trips));
        println!(
            "CPU             during the ticket phase ({:.2} s): server {:.2} s ({:.0}% of one core), \
             benchmark clients {:.2} s ({:.0}%); machine load average {:.2}",
            self.cpu.wall,
            self.cpu.server,
            100.0 * self.cpu.server / self.cpu.wall,
            self.cpu.client,
            100.0 * self.cpu.client / self.cpu.wall,
            self.cpu.load
        );
        if inconsistent > 0 {
            println!(
                "                {inconsistent} created_at values fall outside their request's send/answer window"
            );
        }
        println!(
            "server memory   RSS at start {}; before sockets (after sign-ups and one ticket) {}",
            mib(self.fresh.rss),
            mib(self.before.rss)
        );
        println!(
            "                with {} idle sockets {}; after the tickets {}; peak {}",
            self.sockets,
            mib(self.idle.rss),
            mib(self.after.rss),
            mib(self.after.peak)
        );
        println!(
            "                {:.1} KiB per connection ((idle - before) / sockets); threads {} -> {} -> {} -> {}",
            per_connection, self.fresh.threads, self.before.threads, self.idle.threads, self.after.threads
        );
        for (number, (idle, after)) in self.others.iter().enumerate() {
            println!(
                "instance {}      with its idle sockets {}; after the tickets {}; peak {}",
                number + 2,
                mib(idle.rss),
                mib(after.rss),
                mib(after.peak)
            );
        }
        // Issue 17's targets, for 10,000 sockets.
        let p99 = percentiles(&self.latencies, &[99.0]).map_or(f64::NAN, |points| points[0]);
        let largest = std::iter::once(self.after.peak)
            .chain(self.others.iter().map(|(_, after)| after.peak))
            .max()
            .unwrap_or(0);
        let met = |ok: bool| if ok { "met" } else { "NOT met" };
        println!(
            "targets         at {} sockets: receipt p99 {:.1} ms (target < 100 ms: {}); largest server peak RSS {} \
             (target < 500 MB: {}){}",
            self.sockets,
            p99,
            met(p99 < 100.0 && self.missing.is_empty()),
            mib(largest),
            met(largest * 1024 < 500 * 1_000_000),
            if self.sockets < 10_000 {
                "; the targets are for 10,000 sockets"
            } else {
                ""
            }
        );
        if options.per_ticket {
            println!("per ticket      #number  HTTP ms  first ms  p50 ms  last ms  sockets");
            for (created, latencies) in self.tickets.iter().zip(&self.per_ticket) {
                let points = percentiles(latencies, &[0.0, 50.0, 100.0]).unwrap_or_else(|| vec![f64::NAN; 3]);
                println!(
                    "                #{:<6} {:>8.2} {:>9.2} {:>7.2} {:>8.2}  {}",
                    created.number,
                    millis(created.round_trip),
                    points[0],
                    points[1],
                    points[2],
                    latencies.len()
                );
            }
        }
        if !self.missing.is_empty() {
            println!("missing events  (socket, ticket number), first 20:");
            for (socket, number) in self.missing.iter().take(20) {
                println!("                  socket {socket}: ticket #{number}");
            }
        }
        print_list("sockets ended early", &self.ended);
        print_list("unexpected events", &self.other_events);
        println!("server log      {} warning/error lines", self.server_warnings.len());
        for line in self.server_warnings.iter().take(10) {
            println!("                  {line}");
        }
        println!("{rule}");
    }
}

fn print_list(title: &str, entries: &[(usize, String)]) {
    if entries.is_empty() {
        return;
    }
    println!("{title}: {} (first 10)", entries.len());
    for (socket, entry) in entries.iter().take(10) {
        println!("                  socket {socket}: {entry}");
    }
}
