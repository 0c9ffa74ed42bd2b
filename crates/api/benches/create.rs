//! Ticket creation under load: `cargo bench -p ferrodesk --bench create`.
//!
//! On PostgreSQL (a fresh database on the server `BENCH_DATABASE_URL=postgres://...` names; skipped
//! when unset) and then on SQLite (a fresh file), it starts the release server binary on a free
//! loopback port with the embedded model (`FERRODESK_MODEL_DIR`, default `models/all-MiniLM-L6-v2`
//! at the workspace root; without it the server falls back to TF-IDF and the report says so) and:
//! - drives replies (`POST /api/v1/tickets/{id}/messages`) and status changes (`PATCH
//!   /api/v1/tickets/{id}`) with 16 clients on the quiet server;
//! - drives `POST /api/v1/tickets` (an agent creating a ticket for a new requester's email, a fresh
//!   `Idempotency-Key` each) with 64 clients for a fixed time after a warm-up, first in one
//!   workspace, then spread over 8;
//! - drives the replies and status changes again, while the embedder works through the
//!   categorisation backlog the creates queued;
//! - reports the categorisation backlog's drain rate (`categorisation_backlog`);
//! - on PostgreSQL, counts the statements one create sends, through a counting proxy on loopback;
//! - stops the server and measures the baseline: the same rows (the ticket and its first message,
//!   as the server writes them) inserted through sea-orm's raw connection by 64 tasks, one
//!   transaction each, on the same database and pool size.
//!
//! It prints creates/s, p50/p99, the ratio to the baseline and the targets beside them; it
//! asserts nothing. Every loop is bounded in time and stops by itself; all traffic is on loopback.
//! Knobs: `CREATE_SECONDS` (measured window, default 10), `CREATE_WARMUP_SECONDS` (default 2),
//! `CREATE_CLIENTS` (64), `CREATE_WORKSPACES` (8), `CREATE_UPDATE_CLIENTS` (16),
//! `CREATE_UPDATE_SECONDS` (5), `CREATE_ONLY=postgres|sqlite`, `CREATE_PRINT_STATEMENTS=1` (print
//! the text of each statement the counted create sends, in order), `CREATE_TIMELINE=1` (each
//! phase's slow requests by the quarter second they started in).
//!
//! The clients share the machine's cores with the server and the database: the figures include
//! their scheduling and any other load (the report prints the load average).

// A benchmark prints its report, and stops with an error when its setup fails.
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use ferrodesk::db::{self, PoolSettings};
use ferrodesk_dev::ThrowawayDatabase;
use ferrodesk_shared::auth::{AuthResponse, InvitationCreated, InvitationRequest, SignupRequest};
use ferrodesk_shared::tickets::{NewMessage, NewTicket, TicketDetail, TicketPatch, TicketStatus};
use ferrodesk_shared::{Role, TicketId};
use futures_util::future::BoxFuture;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

mod support;

const PASSWORD: &str = "correct horse battery staple";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);
/// One request may take this long; a slower one counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The server's default pool (`FERRODESK_DB_MAX_CONNECTIONS`); the baseline gets the same.
const POOL: u32 = 10;
/// How long the backlog may take to drain before the benchmark stops waiting.
const DRAIN_LIMIT: Duration = Duration::from_secs(120);

const SUBJECTS: &[&str] = &[
    "Invoice shows the wrong VAT number",
    "Cannot sign in after the password reset",
    "Refund for a double charge",
    "The export to CSV is empty",
    "Shipping address change for my order",
    "App crashes when I upload a photo",
    "How do I add a second admin?",
    "Card declined although it is valid",
];

fn main() -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run())
}

#[derive(Debug, Clone)]
struct Options {
    window: Duration,
    warmup: Duration,
    clients: usize,
    workspaces: usize,
    update_clients: usize,
    update_window: Duration,
    model_dir: PathBuf,
    postgres: Option<String>,
    sqlite: bool,
}

impl Options {
    fn from_env() -> Result<Options> {
        let only = std::env::var("CREATE_ONLY").unwrap_or_default();
        let model_dir = support::model_dir();
        let options = Options {
            window: Duration::from_secs(support::number("CREATE_SECONDS", 10)?.clamp(1, 300)),
            warmup: Duration::from_secs(support::number("CREATE_WARMUP_SECONDS", 2)?.min(60)),
            clients: support::number("CREATE_CLIENTS", 64)?.clamp(1, 1024) as usize,
            workspaces: support::number("CREATE_WORKSPACES", 8)?.clamp(1, 64) as usize,
            update_clients: support::number("CREATE_UPDATE_CLIENTS", 16)?.clamp(1, 1024) as usize,
            update_window: Duration::from_secs(support::number("CREATE_UPDATE_SECONDS", 5)?.clamp(1, 300)),
            model_dir,
            postgres: std::env::var("BENCH_DATABASE_URL")
                .ok()
                .filter(|url| !url.is_empty() && only != "sqlite"),
            sqlite: only != "postgres",
        };
        Ok(options)
    }

    fn model_present(&self) -> bool {
        support::model_present(&self.model_dir)
    }
}

async fn run() -> Result<()> {
    // reqwest is built without a TLS provider of its own; the server installs ring the same way.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let options = Options::from_env()?;
    print_header(&options);
    let mut failed = None;
    if let Some(admin_url) = options.postgres.clone() {
        if let Err(error) = backend(&options, Some(&admin_url)).await {
            println!("PostgreSQL run failed: {error:#}");
            failed = Some(error);
        }
    } else if options.sqlite {
        println!("PostgreSQL  skipped: set BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres");
    }
    if options.sqlite
        && let Err(error) = backend(&options, None).await
    {
        println!("SQLite run failed: {error:#}");
        failed = Some(error);
    }
    match failed {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

fn print_header(options: &Options) {
    println!();
    println!("Ferrodesk ticket-creation benchmark");
    println!("{}", "-".repeat(110));
    println!("server      {}", env!("CARGO_BIN_EXE_ferrodesk"));
    println!(
        "machine     {} CPU(s), load average {} (clients, server and database share them)",
        std::thread::available_parallelism().map_or(0, usize::from),
        support::load_average()
    );
    println!("{}", support::model_line(&options.model_dir, ""));
    println!(
        "method      {} s warm-up, then {} s measured; creates: {} clients, 1 then {} workspaces; \
         replies and status changes: {} clients, {} s each; server pool {POOL} connections; \
         workspaces on Pro (AI on); PostgreSQL analysed half-way through the first warm-up",
        options.warmup.as_secs(),
        options.window.as_secs(),
        options.clients,
        options.workspaces,
        options.update_clients,
        options.update_window.as_secs()
    );
    println!("{}", "-".repeat(110));
}

/// One database: the HTTP phases, the statement count (PostgreSQL), then the baseline.
async fn backend(options: &Options, admin_url: Option<&str>) -> Result<()> {
    let database = ThrowawayDatabase::create("create", admin_url).await?;
    support::stand_in_web_app(&database.dir)?;
    println!("{}", database.describe());
    let outcome = measure_backend(options, &database).await;
    if outcome.is_err() {
        support::print_log_tail(&database.dir.join("server.log"));
    }
    print_server_warnings(&database.dir.join("server.log"));
    outcome
}

async fn measure_backend(options: &Options, database: &ThrowawayDatabase) -> Result<()> {
    let postgres = database.is_postgres();
    let mut server = Server::start(options, database, &database.url).await?;
    let workspaces = set_up_workspaces(&server, &database.url, options.workspaces).await?;
    let one = &workspaces[..1];

    // Replies and status changes twice: first on a quiet server, then after the creates, while the
    // embedder still works through the categorisation backlog they queued (it takes both cores).
    let tickets = tickets_for_updates(&server, &workspaces[0], options.update_clients).await?;
    categorisation_backlog(&database.url).await?;
    update_phases(&server, options, &workspaces[0], &tickets, "quiet server").await?;

    // A fresh database has no planner statistics, and autovacuum analyses only after a minute:
    // with none, PostgreSQL takes the tables for empty and scans a workspace's whole range of an
    // index where one probe per key would do. A live system has them; so does the benchmark, from
    // half-way through the first warm-up.
    let analysed = postgres.then(|| tokio::spawn(analyse_after(database.url.clone(), options.warmup / 2)));
    let single = create_phase(&server, options, one).await?;
    if let Some(analysed) = analysed {
        analysed.await?.context("analysing the database after the warm-up")?;
    }
    print_load(
        &format!("create, 1 workspace, {} clients", options.clients),
        &single,
        None,
    );
    let spread = create_phase(&server, options, &workspaces).await?;
    print_load(
        &format!("create, {} workspaces, {} clients", workspaces.len(), options.clients),
        &spread,
        None,
    );
    // The categorisation queue (once there is one) is drained right after the creates.
    let backlog = categorisation_backlog(&database.url).await;

    let during = match &backlog {
        Ok(Backlog::NotDrained { left, .. }) => format!("{left} tickets still to categorise"),
        _ => "after the creates".to_owned(),
    };
    // Fresh tickets: the first round left a few hundred replies on each.
    let tickets = tickets_for_updates(&server, &workspaces[0], options.update_clients).await?;
    update_phases(&server, options, &workspaces[0], &tickets, &during).await?;
    server.stop().await;

    // The reference the drain is held to: the model alone on the same threads, nothing else running.
    let embedder = embedder_speed(options);
    match &embedder {
        Ok(rate) => println!(
            "  embedder alone: {rate:.0} tickets/s ({EMBED_TEXTS} ticket texts, batches of {EMBED_BATCH}, {} threads, \
             server stopped)",
            embedder_threads()
        ),
        Err(error) => println!("  embedder alone: could not measure: {error:#}"),
    }
    match backlog {
        Ok(Backlog::Inline) => println!(
            "  categorisation: categorised inline (inside each create, before its transaction): no backlog to drain"
        ),
        Ok(Backlog::Drained { rows, took }) => {
            let rate = rows as f64 / took.as_secs_f64().max(1e-9);
            println!(
                "  categorisation: backlog of {rows} drained in {:.1} s: {rate:.0} tickets/s{}",
                took.as_secs_f64(),
                embedder.as_ref().map_or(String::new(), |alone| format!(
                    ", {:.2} of the embedder alone",
                    rate / alone
                ))
            );
        }
        Ok(Backlog::NotDrained { rows, left }) => println!(
            "  categorisation: backlog of {rows} NOT drained within {} s ({left} left)",
            DRAIN_LIMIT.as_secs()
        ),
        Err(error) => println!("  categorisation: could not read the backlog: {error:#}"),
    }

    if postgres {
        match count_statements(options, database, &workspaces[0]).await {
            Ok(count) => println!(
                "  statements per create (PostgreSQL, one request on an idle server): {} ({} BEGIN/COMMIT/ROLLBACK), \
                 {} round trips, {} pool pings; {} more statements in the {} ms after the answer (hub, mail worker)",
                count.during.statements,
                count.during.transaction_control,
                count.during.round_trips,
                count.during.pings,
                count.after.statements,
                AFTER_ANSWER.as_millis()
            ),
            Err(error) => println!("  statements per create: could not count: {error:#}"),
        }
    }

    let baseline = baseline_phase(options, database, &workspaces[0]).await?;
    print_load(
        &format!("baseline: 2 INSERTs in 1 transaction, {} tasks", options.clients),
        &baseline,
        None,
    );
    let target = if postgres {
        "target >= 1000/s, p99 < 50 ms, ratio >= 0.3"
    } else {
        "target >= 800/s"
    };
    let ratio = |load: &Load| load.rate() / baseline.rate().max(1e-9);
    println!(
        "  => create, 1 workspace: {:.0}/s, p99 {:.1} ms, ratio to baseline {:.3}   ({target})",
        single.rate(),
        single.percentile(99.0),
        ratio(&single)
    );
    println!(
        "  => create, {} workspaces: {:.0}/s, p99 {:.1} ms, ratio to baseline {:.3}",
        workspaces.len(),
        spread.rate(),
        spread.percentile(99.0),
        ratio(&spread)
    );
    println!("{}", "-".repeat(110));
    Ok(())
}

/// The server binary as a child process; killed when dropped, so also on every error path.
struct Server {
    child: tokio::process::Child,
    address: String,
    client: reqwest::Client,
}

impl Server {
    async fn start(options: &Options, database: &ThrowawayDatabase, url: &str) -> Result<Server> {
        let env = [
            ("FERRODESK_MODEL_DIR", options.model_dir.display().to_string()),
            // The per-minute SLA scan would add its own statements to the count; it is not the
            // write path measured here.
            ("FERRODESK_SLA_SCHEDULE", "off".to_owned()),
            ("FERRODESK_DB_MAX_CONNECTIONS", POOL.to_string()),
        ];
        let spawned = support::spawn_server(&database.dir, Some(url), &env, REQUEST_TIMEOUT, STARTUP_TIMEOUT).await?;
        // A client of its own with room for every benchmark client's connection.
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .pool_max_idle_per_host(1024)
            .build()?;
        drop(spawned.client);
        Ok(Server {
            child: spawned.child,
            address: spawned.address,
            client,
        })
    }

    async fn stop(&mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }

    async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, token: Option<&str>, body: &B) -> Result<T> {
        support::post_json(&self.client, &self.address, path, token, body).await
    }
}

/// A workspace of the benchmark: its agent, who creates the tickets.
struct Workspace {
    agent_token: String,
    agent_id: Uuid,
    workspace_id: Uuid,
}

/// Each workspace is put on Pro as its operator would (`ferrodesk plan set`), before anyone signs in:
/// Free has no AI, so its tickets would skip the categorisation this benchmark includes.
async fn set_up_workspaces(server: &Server, url: &str, count: usize) -> Result<Vec<Workspace>> {
    let db = db::connect(url, 1).await?;
    let mut workspaces = Vec::with_capacity(count);
    for index in 0..count {
        let slug = format!("bench{index}");
        let signup = SignupRequest {
            workspace_name: format!("Bench {index}"),
            workspace_slug: slug.clone(),
            name: "Bench Owner".to_owned(),
            email: format!("owner@{slug}.example"),
            password: PASSWORD.to_owned(),
        };
        let owner: AuthResponse = server.post("/api/v1/signup", None, &signup).await?;
        ferrodesk::workspaces::plans::set_by_slug(&db, &slug, ferrodesk_shared::workspaces::Plan::Pro)
            .await?
            .with_context(|| format!("{slug} was just made"))?;
        let invitation = InvitationRequest {
            email: format!("agent@{slug}.example"),
            role: Role::Agent,
        };
        let created: InvitationCreated = server
            .post("/api/v1/invitations", Some(&owner.access_token), &invitation)
            .await?;
        let accept = json!({"token": created.token, "name": "Bench Agent", "password": PASSWORD});
        let agent: AuthResponse = server.post("/api/v1/invitations/accept", None, &accept).await?;
        workspaces.push(Workspace {
            agent_token: agent.access_token,
            agent_id: agent.user.id.0,
            workspace_id: agent.workspace.id.0,
        });
    }
    db.close().await?;
    Ok(workspaces)
}

/// What a load phase saw: each finished request's start (from the phase's start) and latency.
struct Load {
    window: Duration,
    warmup: Duration,
    /// `(started after, latency)` of the successful requests.
    samples: Vec<(Duration, Duration)>,
    errors: u64,
    first_error: Option<String>,
}

impl Load {
    /// Successes that started after the warm-up and ended within the window.
    fn measured(&self) -> impl Iterator<Item = Duration> + '_ {
        let end = self.warmup + self.window;
        self.samples
            .iter()
            .filter(move |(start, latency)| *start >= self.warmup && *start + *latency <= end)
            .map(|(_, latency)| *latency)
    }

    fn rate(&self) -> f64 {
        self.measured().count() as f64 / self.window.as_secs_f64()
    }

    /// Nearest-rank percentile in milliseconds, of the requests started after the warm-up.
    fn percentile(&self, point: f64) -> f64 {
        let mut latencies: Vec<f64> = self
            .samples
            .iter()
            .filter(|(start, _)| *start >= self.warmup)
            .map(|(_, latency)| latency.as_secs_f64() * 1000.0)
            .collect();
        if latencies.is_empty() {
            return f64::NAN;
        }
        latencies.sort_by(f64::total_cmp);
        let rank = ((point / 100.0) * latencies.len() as f64).ceil() as usize;
        latencies[rank.clamp(1, latencies.len()) - 1]
    }
}

fn print_load(label: &str, load: &Load, target: Option<&str>) {
    println!(
        "  {label:<46} {:>8.1}/s   p50 {:>8.1} ms   p99 {:>8.1} ms   errors {}{}",
        load.rate(),
        load.percentile(50.0),
        load.percentile(99.0),
        load.errors,
        target.map_or(String::new(), |target| format!("   ({target})"))
    );
    if let Some(error) = &load.first_error {
        println!("      first error: {error}");
    }
    if std::env::var("CREATE_TIMELINE").is_ok_and(|value| value == "1") {
        print_timeline(load);
    }
}

/// A slot of the measured window, for the timeline.
const SLOT: Duration = Duration::from_millis(250);
/// What the timeline counts as slow: the p99 target.
const SLOW: Duration = Duration::from_millis(50);

/// Slow requests by the slot they started in: a tail made of stalls (everything in flight slow at
/// once, a few slots) looks different from one made of queueing (a few in every slot).
fn print_timeline(load: &Load) {
    let slots = (load.window.as_millis() / SLOT.as_millis()).max(1) as usize;
    let mut slow = vec![0_u32; slots];
    let mut worst = vec![Duration::ZERO; slots];
    for (start, latency) in load.samples.iter().filter(|(start, _)| *start >= load.warmup) {
        let slot = ((start.saturating_sub(load.warmup)).as_millis() / SLOT.as_millis()) as usize;
        if slot < slots {
            worst[slot] = worst[slot].max(*latency);
            if *latency > SLOW {
                slow[slot] += 1;
            }
        }
    }
    let total: u32 = slow.iter().sum();
    let mut sorted = slow.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let in_worst: u32 = sorted.iter().take(slots.div_ceil(10)).sum();
    println!(
        "      slow (> {} ms) by {} ms slot: {total} in all, {:.0}% of them in the worst tenth of the slots",
        SLOW.as_millis(),
        SLOT.as_millis(),
        100.0 * f64::from(in_worst) / f64::from(total.max(1))
    );
    println!(
        "      count: {}",
        slow.iter().map(u32::to_string).collect::<Vec<_>>().join(" ")
    );
    println!(
        "      max ms: {}",
        worst
            .iter()
            .map(|max| max.as_millis().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    );
}

/// One request of a load phase: client `client`'s `n`th. `Ok` is a success; an `Err` is counted.
type Operation = Arc<dyn Fn(usize, u64) -> BoxFuture<'static, Result<()>> + Send + Sync>;

/// Runs `clients` loops of `operation` for `warmup + window`, then waits for the requests in flight.
async fn load(clients: usize, warmup: Duration, window: Duration, operation: Operation) -> Result<Load> {
    let started = Instant::now();
    let end = started + warmup + window;
    let mut tasks = Vec::with_capacity(clients);
    for client in 0..clients {
        let operation = operation.clone();
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut errors = 0;
            let mut first_error = None;
            let mut n = 0;
            while Instant::now() < end {
                let sent = Instant::now();
                let result = operation(client, n).await;
                n += 1;
                match result {
                    Ok(()) => samples.push((sent - started, sent.elapsed())),
                    Err(error) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| format!("{error:#}"));
                        // An erroring server (503 at saturation) is not hammered in a tight loop.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            (samples, errors, first_error)
        }));
    }
    let mut result = Load {
        window,
        warmup,
        samples: Vec::new(),
        errors: 0,
        first_error: None,
    };
    for task in tasks {
        let (samples, errors, first_error) = task.await.context("a client task failed")?;
        result.samples.extend(samples);
        result.errors += errors;
        if result.first_error.is_none() {
            result.first_error = first_error;
        }
    }
    Ok(result)
}

/// Each ticket for a requester never seen before, with a text of its own (no embedding cache hit).
fn new_ticket(workspace: usize, client: usize, n: u64) -> NewTicket {
    let subject = SUBJECTS[(client + n as usize) % SUBJECTS.len()];
    let unique = Uuid::now_v7().simple().to_string();
    NewTicket {
        subject: format!("{subject} ({client}-{n})"),
        body: format!(
            "Hello, {} Order reference {unique}. I tried again this morning and it still happens; \
             could you have a look? Thanks.",
            subject.to_lowercase()
        ),
        priority: None,
        requester_email: Some(format!("requester-{unique}@customers{workspace}.example")),
        requester_name: Some(format!("Requester {client}-{n}")),
        attachment_ids: Vec::new(),
    }
}

async fn create(client: &reqwest::Client, address: &str, token: &str, ticket: &NewTicket) -> Result<TicketId> {
    let response = client
        .post(format!("{address}/api/v1/tickets"))
        .bearer_auth(token)
        .header("Idempotency-Key", Uuid::now_v7().to_string())
        .json(ticket)
        .send()
        .await?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        bail!("create answered {status}: {}", &text[..text.len().min(200)]);
    }
    Ok(serde_json::from_str::<TicketDetail>(&text)?.ticket.id)
}

async fn create_phase(server: &Server, options: &Options, workspaces: &[Workspace]) -> Result<Load> {
    let client = server.client.clone();
    let address = server.address.clone();
    let tokens: Arc<Vec<String>> = Arc::new(workspaces.iter().map(|ws| ws.agent_token.clone()).collect());
    let operation: Operation = Arc::new(move |index, n| {
        let (client, address, tokens) = (client.clone(), address.clone(), tokens.clone());
        Box::pin(async move {
            let workspace = index % tokens.len();
            let ticket = new_ticket(workspace, index, n);
            create(&client, &address, &tokens[workspace], &ticket).await.map(|_| ())
        })
    });
    load(options.clients, options.warmup, options.window, operation).await
}

/// Gathers PostgreSQL's planner statistics after `delay`, as autovacuum does on a live system.
async fn analyse_after(url: String, delay: Duration) -> Result<()> {
    tokio::time::sleep(delay).await;
    let db = db::connect(&url, 1).await?;
    db.execute_unprepared("ANALYZE").await?;
    db.close().await.ok();
    Ok(())
}

/// One ticket per update client, so the clients do not queue on one ticket's row.
/// Replies, then status changes, by `update_clients` agents on their own tickets; `when` says what
/// else the server was doing.
async fn update_phases(
    server: &Server,
    options: &Options,
    workspace: &Workspace,
    tickets: &[TicketId],
    when: &str,
) -> Result<()> {
    for (update, name) in [(Update::Reply, "reply"), (Update::Status, "status change")] {
        let load = update_phase(server, options, workspace, tickets, update).await?;
        print_load(
            &format!("{name}, {} clients, {when}", options.update_clients),
            &load,
            Some("target p99 < 20 ms"),
        );
    }
    Ok(())
}

async fn tickets_for_updates(server: &Server, workspace: &Workspace, count: usize) -> Result<Vec<TicketId>> {
    let mut tickets = Vec::with_capacity(count);
    for index in 0..count {
        let ticket = new_ticket(0, 10_000 + index, 0);
        tickets.push(create(&server.client, &server.address, &workspace.agent_token, &ticket).await?);
    }
    Ok(tickets)
}

#[derive(Clone, Copy)]
enum Update {
    Reply,
    Status,
}

async fn update_phase(
    server: &Server,
    options: &Options,
    workspace: &Workspace,
    tickets: &[TicketId],
    kind: Update,
) -> Result<Load> {
    let client = server.client.clone();
    let address = server.address.clone();
    let token = workspace.agent_token.clone();
    let tickets: Arc<Vec<TicketId>> = Arc::new(tickets.to_vec());
    let operation: Operation = Arc::new(move |index, n| {
        let (client, address, token, tickets) = (client.clone(), address.clone(), token.clone(), tickets.clone());
        Box::pin(async move {
            let ticket = tickets[index % tickets.len()].0;
            let request = match kind {
                Update::Reply => client
                    .post(format!("{address}/api/v1/tickets/{ticket}/messages"))
                    .json(&NewMessage {
                        body: format!("Thanks, we are looking into it (update {n})."),
                        internal: false,
                        macro_id: None,
                        attachment_ids: Vec::new(),
                    }),
                Update::Status => client
                    .patch(format!("{address}/api/v1/tickets/{ticket}"))
                    .json(&TicketPatch {
                        status: Some(if n % 2 == 0 {
                            TicketStatus::Pending
                        } else {
                            TicketStatus::Open
                        }),
                        ..TicketPatch::default()
                    }),
            };
            let response = request.bearer_auth(&token).send().await?;
            let status = response.status();
            let text = response.text().await?;
            if !status.is_success() {
                bail!("answered {status}: {}", &text[..text.len().min(200)]);
            }
            Ok(())
        })
    });
    load(
        options.update_clients,
        Duration::from_secs(1).min(options.warmup),
        options.update_window,
        operation,
    )
    .await
}

/// Ticket texts the embedder-alone reference embeds.
const EMBED_TEXTS: usize = 2048;
/// The drain's batch (`ai::categorise`'s claim, the engine's `MAX_BATCH`).
const EMBED_BATCH: usize = 32;

/// The server's embedder threads (`FERRODESK_EMBEDDER_THREADS`' default).
fn embedder_threads() -> usize {
    1
}

/// Tickets per second the model embeds on its own: the tickets' texts (as the drain builds them) in
/// batches of `EMBED_BATCH`, on as many threads as the server gives the embedder, while nothing else runs.
fn embedder_speed(options: &Options) -> Result<f64> {
    if !options.model_present() {
        bail!("no model in {}", options.model_dir.display());
    }
    let embedder = ferrodesk_ai::MiniLmEmbedder::load(&options.model_dir).map_err(|error| anyhow!("{error}"))?;
    let texts: Vec<String> = (0..EMBED_TEXTS)
        .map(|n| {
            let ticket = new_ticket(n % 8, n % 64, n as u64);
            format!("{}\n{}", ticket.subject, ticket.body)
        })
        .collect();
    // A first batch outside the clock: the first pass allocates what the others reuse.
    let warm: Vec<&str> = texts.iter().take(EMBED_BATCH).map(String::as_str).collect();
    ferrodesk_ai::Embedder::embed_batch(&embedder, &warm).map_err(|error| anyhow!("{error}"))?;
    let batches: Vec<Vec<&str>> = texts
        .chunks(EMBED_BATCH)
        .map(|chunk| chunk.iter().map(String::as_str).collect())
        .collect();
    let next = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..embedder_threads())
            .map(|_| {
                scope.spawn(|| -> Result<()> {
                    loop {
                        let at = next.fetch_add(1, Ordering::Relaxed) as usize;
                        let Some(batch) = batches.get(at) else { return Ok(()) };
                        ferrodesk_ai::Embedder::embed_batch(&embedder, batch).map_err(|error| anyhow!("{error}"))?;
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|worker| worker.join().map_err(|_| anyhow!("an embedder thread panicked"))?)
    })?;
    Ok(texts.len() as f64 / started.elapsed().as_secs_f64())
}

/// What the categorisation backlog did after the creates.
enum Backlog {
    /// No queue: each create categorises its ticket before answering.
    Inline,
    Drained {
        rows: i64,
        took: Duration,
    },
    NotDrained {
        rows: i64,
        left: i64,
    },
}

/// The one place that knows how categorisation is queued. Today it is not: `tickets::service::create`
/// categorises inline, so there is no backlog. Once a durable queue lands (issue 11, item 3), this
/// finds its table (any table whose name has `categor` and `queue` in it) and waits until it is
/// empty, polling its row count; adjust `QUEUE_TABLES` / the count if the queue is a column instead.
async fn categorisation_backlog(url: &str) -> Result<Backlog> {
    let db = db::connect(url, 1).await?;
    let backend = db.get_database_backend();
    let tables_sql = match backend {
        DbBackend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name LIKE '%categor%queue%'"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%categor%queue%'",
    };
    let tables = db
        .query_all_raw(Statement::from_string(backend, tables_sql))
        .await?
        .into_iter()
        .map(|row| row.try_get::<String>("", "name"))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(table) = tables.first() else {
        db.close().await.ok();
        return Ok(Backlog::Inline);
    };
    let count_sql = format!("SELECT COUNT(*) AS n FROM \"{table}\"");
    let count = |db: DatabaseConnection, sql: String| async move {
        let row = db
            .query_one_raw(Statement::from_string(backend, sql))
            .await?
            .ok_or_else(|| anyhow!("no count"))?;
        Ok::<(DatabaseConnection, i64), anyhow::Error>((db, row.try_get::<i64>("", "n")?))
    };
    let started = Instant::now();
    let (mut db, rows) = count(db, count_sql.clone()).await?;
    let mut left = rows;
    while left > 0 && started.elapsed() < DRAIN_LIMIT {
        tokio::time::sleep(Duration::from_millis(100)).await;
        (db, left) = count(db, count_sql.clone()).await?;
    }
    db.close().await.ok();
    Ok(if left == 0 {
        Backlog::Drained {
            rows,
            took: started.elapsed(),
        }
    } else {
        Backlog::NotDrained { rows, left }
    })
}

/// The baseline: 64 tasks inserting a ticket and its first message, one transaction each, with
/// the server's connection set-up (`ferrodesk::db`, WAL on SQLite) and pool size, and the columns
/// the server writes (a categorised ticket with its AI guess). Numbers come from a counter in
/// memory: the per-workspace number lock is the server's work, not the database's.
async fn baseline_phase(options: &Options, database: &ThrowawayDatabase, workspace: &Workspace) -> Result<Load> {
    let db = db::connect_with(
        &database.url,
        PoolSettings {
            max_connections: POOL,
            acquire_timeout: REQUEST_TIMEOUT,
            busy_timeout: Duration::from_secs(5),
        },
    )
    .await?;
    let backend = db.get_database_backend();
    let highest = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT COALESCE(MAX(number), 0) AS n FROM tickets WHERE workspace_id = {}",
                db::placeholder(backend, 1)
            ),
            [Value::from(workspace.workspace_id)],
        ))
        .await?
        .ok_or_else(|| anyhow!("no highest number"))?
        .try_get::<i64>("", "n")?;
    let next = Arc::new(AtomicI64::new(highest + 1));
    let ticket_columns = [
        "id",
        "workspace_id",
        "number",
        "subject",
        "status",
        "priority",
        "category",
        "category_source",
        "ai_category",
        "ai_confidence",
        "ai_assigned",
        "tags",
        "requester_id",
        "created_by",
        "assignee_id",
        "created_at",
        "updated_at",
        "first_response_at",
        "solved_at",
        "preview",
        "first_response_due_at",
        "resolution_due_at",
        "next_due_at",
        "pending_since",
        "paused_seconds",
        "breached_first_response",
        "breached_resolution",
        "escalated",
    ];
    let message_columns = [
        "id",
        "workspace_id",
        "ticket_id",
        "author_id",
        "body",
        "internal",
        "created_at",
    ];
    let insert = |table: &str, columns: &[&str]| {
        let values: Vec<String> = (1..=columns.len()).map(|n| db::placeholder(backend, n)).collect();
        format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            columns.join(", "),
            values.join(", ")
        )
    };
    let ticket_sql = Arc::new(insert("tickets", &ticket_columns));
    let message_sql = Arc::new(insert("messages", &message_columns));
    let (workspace_id, author) = (workspace.workspace_id, workspace.agent_id);
    let operation: Operation = Arc::new(move |client, n| {
        let (db, next, ticket_sql, message_sql) = (db.clone(), next.clone(), ticket_sql.clone(), message_sql.clone());
        Box::pin(async move {
            let ticket = new_ticket(0, client, n);
            let (id, now) = (Uuid::now_v7(), ferrodesk::clock::now());
            let none_time: Option<chrono::DateTime<chrono::Utc>> = None;
            let ticket_values: Vec<Value> = vec![
                id.into(),
                workspace_id.into(),
                next.fetch_add(1, Ordering::Relaxed).into(),
                ticket.subject.clone().into(),
                "new".into(),
                "normal".into(),
                Option::<String>::None.into(),
                Option::<String>::None.into(),
                Some("billing".to_owned()).into(),
                Some(0.42_f64).into(),
                false.into(),
                "[]".into(),
                author.into(),
                Some(author).into(),
                Option::<Uuid>::None.into(),
                now.into(),
                now.into(),
                none_time.into(),
                none_time.into(),
                Some(ticket.body.chars().take(140).collect::<String>()).into(),
                none_time.into(),
                none_time.into(),
                none_time.into(),
                none_time.into(),
                0_i64.into(),
                false.into(),
                false.into(),
                false.into(),
            ];
            let message_values: Vec<Value> = vec![
                Uuid::now_v7().into(),
                workspace_id.into(),
                id.into(),
                author.into(),
                ticket.body.into(),
                false.into(),
                now.into(),
            ];
            let txn = db::begin_write(&db).await?;
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                ticket_sql.as_str(),
                ticket_values,
            ))
            .await?;
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                message_sql.as_str(),
                message_values,
            ))
            .await?;
            txn.commit().await?;
            Ok(())
        })
    });
    let result = load(options.clients, options.warmup, options.window, operation).await;
    // `db` lives on in the operation's clones until here; closing one handle closes the pool.
    result
}

/// How long after a create's answer the statements of its aftermath (the hub reading the new
/// events, the mail worker sending the confirmation) are counted.
const AFTER_ANSWER: Duration = Duration::from_millis(1000);

#[derive(Default, Clone, Copy)]
struct Counted {
    /// Executes of the extended protocol plus simple queries, pings excluded.
    statements: u64,
    /// Of those, BEGIN / COMMIT / ROLLBACK (and SAVEPOINT) sent as simple queries.
    transaction_control: u64,
    /// Syncs plus simple queries: each waits for the server's ReadyForQuery.
    round_trips: u64,
    /// sqlx's `/* SQLx ping */` before handing out a pooled connection.
    pings: u64,
}

struct StatementCount {
    during: Counted,
    after: Counted,
}

/// Counts the frontend messages of every connection through the proxy.
#[derive(Default)]
struct Counters {
    statements: AtomicU64,
    transaction_control: AtomicU64,
    round_trips: AtomicU64,
    pings: AtomicU64,
    /// While set, each statement's text is printed as it is executed.
    printing: std::sync::atomic::AtomicBool,
}

impl Counters {
    fn read(&self) -> Counted {
        Counted {
            statements: self.statements.load(Ordering::SeqCst),
            transaction_control: self.transaction_control.load(Ordering::SeqCst),
            round_trips: self.round_trips.load(Ordering::SeqCst),
            pings: self.pings.load(Ordering::SeqCst),
        }
    }
}

fn minus(later: Counted, earlier: Counted) -> Counted {
    Counted {
        statements: later.statements - earlier.statements,
        transaction_control: later.transaction_control - earlier.transaction_control,
        round_trips: later.round_trips - earlier.round_trips,
        pings: later.pings - earlier.pings,
    }
}

/// Starts the server again on the same database, but through a PostgreSQL wire-protocol proxy on
/// loopback that counts what the server sends, and creates tickets one at a time on an idle server;
/// reports the last one (the first ones train the classifier and warm the connections'
/// prepared-statement caches, whose misses add round trips but no statements).
async fn count_statements(
    options: &Options,
    database: &ThrowawayDatabase,
    workspace: &Workspace,
) -> Result<StatementCount> {
    let (upstream, rest) = postgres_host(&database.url)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let proxy_address = listener.local_addr()?;
    let counters = Arc::new(Counters::default());
    let proxy = tokio::spawn(proxy(listener, upstream.clone(), counters.clone()));
    // No TLS between the server and the proxy, so the proxy can read the messages.
    let separator = if rest.contains('?') { '&' } else { '?' };
    let url = format!(
        "{}{proxy_address}{rest}{separator}sslmode=disable",
        &database.url[..database.url.find(&upstream).unwrap_or(0)]
    );
    let mut server = Server::start(options, database, &url).await?;
    let outcome = async {
        let mut last = None;
        for n in 0..8 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let before = counters.read();
            let printing = n == 7 && std::env::var("CREATE_PRINT_STATEMENTS").is_ok_and(|value| value == "1");
            counters.printing.store(printing, Ordering::SeqCst);
            create(
                &server.client,
                &server.address,
                &workspace.agent_token,
                &new_ticket(0, 20_000, n),
            )
            .await?;
            let answered = counters.read();
            counters.printing.store(false, Ordering::SeqCst);
            tokio::time::sleep(AFTER_ANSWER).await;
            let after = counters.read();
            last = Some(StatementCount {
                during: minus(answered, before),
                after: minus(after, answered),
            });
        }
        last.ok_or_else(|| anyhow!("no create"))
    }
    .await;
    server.stop().await;
    proxy.abort();
    outcome
}

/// `(host:port, everything after it)` of a PostgreSQL URL.
fn postgres_host(url: &str) -> Result<(String, String)> {
    let after_scheme = url.find("://").map(|at| at + 3).ok_or_else(|| anyhow!("not a URL"))?;
    let authority_start = url[after_scheme..]
        .rfind('@')
        .map_or(after_scheme, |at| after_scheme + at + 1);
    let authority_end = url[authority_start..]
        .find('/')
        .map_or(url.len(), |at| authority_start + at);
    let host = &url[authority_start..authority_end];
    let host = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    };
    Ok((host, url[authority_end..].to_owned()))
}

async fn proxy(listener: tokio::net::TcpListener, upstream: String, counters: Arc<Counters>) {
    while let Ok((client, _)) = listener.accept().await {
        let (upstream, counters) = (upstream.clone(), counters.clone());
        tokio::spawn(async move {
            let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                return;
            };
            let (mut client_read, mut client_write) = client.into_split();
            let (mut server_read, mut server_write) = server.into_split();
            let answers = tokio::spawn(async move { tokio::io::copy(&mut server_read, &mut client_write).await });
            let mut parser = Frontend::default();
            let mut buffer = vec![0_u8; 64 * 1024];
            loop {
                let read = match client_read.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(read) => read,
                };
                parser.feed(&buffer[..read], &counters);
                if server_write.write_all(&buffer[..read]).await.is_err() {
                    break;
                }
            }
            let _ = server_write.shutdown().await;
            answers.abort();
        });
    }
}

/// The frontend half of the PostgreSQL protocol, read only for counting: first untyped messages
/// (SSL or GSS requests, then the startup message), then `type byte + length + payload`.
#[derive(Default)]
struct Frontend {
    started: bool,
    pending: Vec<u8>,
    /// Prepared statements by name (from Parse), and the one the last Bind named: for printing.
    prepared: std::collections::HashMap<String, String>,
    bound: String,
}

/// The NUL-terminated strings at the start of a message's payload.
fn c_strings(payload: &[u8], count: usize) -> Vec<String> {
    payload
        .split(|byte| *byte == 0)
        .take(count)
        .map(|part| String::from_utf8_lossy(part).into_owned())
        .collect()
}

fn print_statement(text: &str) {
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    println!("    | {}", text.chars().take(240).collect::<String>());
}

impl Frontend {
    fn feed(&mut self, bytes: &[u8], counters: &Counters) {
        self.pending.extend_from_slice(bytes);
        loop {
            let header = if self.started { 5 } else { 4 };
            if self.pending.len() < header {
                return;
            }
            let length_at = if self.started { 1 } else { 0 };
            let length = u32::from_be_bytes([
                self.pending[length_at],
                self.pending[length_at + 1],
                self.pending[length_at + 2],
                self.pending[length_at + 3],
            ]) as usize;
            let total = length_at + length;
            if length < 4 || self.pending.len() < total {
                return;
            }
            let message: Vec<u8> = self.pending.drain(..total).collect();
            if !self.started {
                // 80877103 asks for SSL, 80877104 for GSS encryption; anything else is the startup.
                let code = u32::from_be_bytes([message[4], message[5], message[6], message[7]]);
                self.started = !matches!(code, 80_877_103 | 80_877_104);
                continue;
            }
            match message[0] {
                b'P' => {
                    if let [name, query] = c_strings(&message[5..], 2).as_slice() {
                        self.prepared.insert(name.clone(), query.clone());
                        self.bound.clone_from(query);
                    }
                }
                b'B' => {
                    if let [_portal, name] = c_strings(&message[5..], 2).as_slice()
                        && let Some(query) = self.prepared.get(name).filter(|_| !name.is_empty())
                    {
                        self.bound.clone_from(query);
                    }
                }
                b'Q' => {
                    let text = String::from_utf8_lossy(&message[5..]).trim().to_ascii_uppercase();
                    if counters.printing.load(Ordering::SeqCst) {
                        print_statement(&text);
                    }
                    counters.round_trips.fetch_add(1, Ordering::SeqCst);
                    if text.starts_with("/* SQLX PING */") {
                        counters.pings.fetch_add(1, Ordering::SeqCst);
                    } else {
                        counters.statements.fetch_add(1, Ordering::SeqCst);
                        if ["BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "START"]
                            .iter()
                            .any(|word| text.starts_with(word))
                        {
                            counters.transaction_control.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }
                b'E' => {
                    counters.statements.fetch_add(1, Ordering::SeqCst);
                    if counters.printing.load(Ordering::SeqCst) {
                        print_statement(&self.bound);
                    }
                }
                b'S' => {
                    counters.round_trips.fetch_add(1, Ordering::SeqCst);
                }
                _ => {}
            }
        }
    }
}

fn print_server_warnings(log: &Path) {
    let warnings = support::server_warnings(log);
    println!("  server log: {} warning/error lines", warnings.len());
    for line in warnings.iter().take(5) {
        println!("      {}", &line[..line.len().min(300)]);
    }
}
