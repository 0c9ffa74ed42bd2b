//! The server's memory under a long mixed load: `cargo bench -p ferrodesk --bench memory`.
//!
//! Issue 17: idle RSS with the model loaded was about 127 MB and the demo server grew to about
//! 430 MB after an hour of use. This starts the release server binary on a free loopback port with
//! a fresh database (SQLite in a temporary folder, or a fresh PostgreSQL database when
//! `BENCH_DATABASE_URL=postgres://...` is set) and the embedded model (`FERRODESK_MODEL_DIR`, default
//! `models/all-MiniLM-L6-v2` at the workspace root; without it the server falls back to TF-IDF and
//! the report says so), and reads the server's `VmRSS` (and `VmHWM`, the peak) from
//! `/proc/<pid>/status`:
//! - idle, after `/readyz` and a quiet moment (the model loaded);
//! - after the set-up: a workspace on Pro (so the AI runs) with a few agents and a ticket per client;
//! - after each round of mixed load, once the categorisation backlog has drained (a bounded wait)
//!   and the server has been quiet for a moment. A round: a few NEW workspaces signed up (on Pro)
//!   and used a little (each makes the per-workspace caches grow: the AI engine's classifiers, the
//!   plan cache, the request buckets' keys, the batcher's queues), then C clients for a fixed time,
//!   each request picked at random among ticket creates (a new requester's email each), public
//!   replies, internal notes, status changes, the inbox, full-text search (`q=`), inbox counts,
//!   ticket details, the dashboard (`/reports/overview`) and the AI reply suggestion, while
//!   WebSockets are opened, held a moment and closed;
//! - once more after a longer quiet time at the end.
//!
//! It prints, per round, the requests done (and every answer that was not 2xx, by status), the RSS
//! after the round and its growth, then a summary: idle, after set-up, after each round, the peak,
//! and the growth per round over the last rounds (whether something grows without bound). It
//! asserts nothing about speed; it fails when most requests of a round fail. Every loop is bounded
//! in time and stops by itself; all traffic is on loopback.
//!
//! Knobs: `MEMORY_ROUNDS` (default 3), `MEMORY_SECONDS` (each round's load, default 20),
//! `MEMORY_CLIENTS` (16), `MEMORY_AGENTS` (4), `MEMORY_SOCKETS` (opened and closed per round, 300),
//! `MEMORY_WORKSPACES` (new workspaces per round, 3), `MEMORY_QUIET_SECONDS` (before each reading,
//! 5), `MEMORY_FINAL_QUIET_SECONDS` (before the last reading, 20).
//!
//! The clients share the machine's cores with the server: the figures include their scheduling and
//! any other load (the report prints the load average). RSS counts what the allocator keeps, not
//! only what is live: a plateau after the first rounds is the allocator's working set, steady
//! growth round after round is something kept.

// A benchmark prints its report, and stops with an error when its setup fails.
#![allow(clippy::print_stdout)]

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use ferrodesk_dev::ThrowawayDatabase;
use ferrodesk_shared::auth::{AuthResponse, InvitationCreated, InvitationRequest, LoginRequest, SignupRequest};
use ferrodesk_shared::tickets::{NewMessage, NewTicket, Priority, TicketDetail, TicketPatch, TicketStatus};
use ferrodesk_shared::workspaces::Plan;
use ferrodesk_shared::{Role, TicketId};
use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as Frame;
use uuid::Uuid;

use support::Memory;

mod support;

const PASSWORD: &str = "correct horse battery staple";
/// The workspace the load runs in.
const MAIN_SLUG: &str = "memory-main";
/// How long the server may take to answer `/readyz` after it starts (migrations, the model).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(180);
/// One request may take this long; a slower one counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a socket may take from TCP connect to `ready`.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the categorisation backlog may take to drain after a round.
const DRAIN_LIMIT: Duration = Duration::from_secs(120);
/// Sockets opening at the same time.
const SOCKET_CONCURRENCY: usize = 16;
/// How long a socket waits for the server's answer to its close before it drops the connection.
const CLOSE_WAIT: Duration = Duration::from_millis(500);
/// Tickets the replies, notes and status changes pick from: the newest ones created.
const TICKET_POOL: usize = 512;
/// Access tokens live 15 minutes: the people sign in again when theirs are older than this.
const TOKEN_REFRESH: Duration = Duration::from_secs(10 * 60);

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

/// What the search clients look for: whole words, prefixes, two words.
const SEARCHES: &[&str] = &[
    "invoice",
    "refund",
    "password",
    "export csv",
    "shipping",
    "crash",
    "admin",
    "card declined",
    "refu",
    "order reference",
];

fn main() -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run())
}

#[derive(Debug, Clone)]
struct Options {
    rounds: usize,
    window: Duration,
    clients: usize,
    agents: usize,
    sockets: usize,
    workspaces: usize,
    quiet: Duration,
    final_quiet: Duration,
    model_dir: PathBuf,
    postgres: Option<String>,
}

impl Options {
    fn from_env() -> Result<Options> {
        let model_dir = support::model_dir();
        Ok(Options {
            rounds: support::number("MEMORY_ROUNDS", 3)?.clamp(1, 100) as usize,
            window: Duration::from_secs(support::number("MEMORY_SECONDS", 20)?.clamp(1, 3600)),
            clients: support::number("MEMORY_CLIENTS", 16)?.clamp(1, 512) as usize,
            agents: support::number("MEMORY_AGENTS", 4)?.clamp(1, 20) as usize,
            sockets: support::number("MEMORY_SOCKETS", 300)?.min(100_000) as usize,
            workspaces: support::number("MEMORY_WORKSPACES", 3)?.min(100) as usize,
            quiet: Duration::from_secs(support::number("MEMORY_QUIET_SECONDS", 5)?.min(600)),
            final_quiet: Duration::from_secs(support::number("MEMORY_FINAL_QUIET_SECONDS", 20)?.min(3600)),
            model_dir,
            postgres: std::env::var("BENCH_DATABASE_URL").ok().filter(|url| !url.is_empty()),
        })
    }
}

async fn run() -> Result<()> {
    // reqwest is built without a TLS provider of its own; the server installs ring the same way.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let options = Options::from_env()?;
    let database = ThrowawayDatabase::create("memory", options.postgres.as_deref())
        .await
        .context("BENCH_DATABASE_URL (a postgres:// URL; leave it unset for SQLite)")?;
    support::stand_in_web_app(&database.dir)?;
    print_header(&options, &database);
    let outcome = measure(&options, &database).await;
    let log = database.dir.join("server.log");
    if let Err(error) = &outcome {
        support::print_log_tail(&log);
        println!("benchmark failed: {error:#}");
    }
    print_server_warnings(&log);
    println!("{}", "-".repeat(110));
    drop(database);
    outcome
}

fn print_header(options: &Options, database: &ThrowawayDatabase) {
    println!();
    println!("Ferrodesk memory benchmark");
    println!("{}", "-".repeat(110));
    println!("server      {}", env!("CARGO_BIN_EXE_ferrodesk"));
    println!("database    {}", database.describe());
    println!(
        "machine     {} CPU(s), load average {} (clients and server share them)",
        std::thread::available_parallelism().map_or(0, usize::from),
        support::load_average()
    );
    println!(
        "{}",
        support::model_line(&options.model_dir, " (idle RSS without the model)")
    );
    println!(
        "method      {} round(s) of {} s: {} clients (mixed requests, {} agents + the owner), {} sockets opened and \
         closed, {} new workspace(s) per round; readings after the backlog drains and {} s of quiet",
        options.rounds,
        options.window.as_secs(),
        options.clients,
        options.agents,
        options.sockets,
        options.workspaces,
        options.quiet.as_secs()
    );
    println!("{}", "-".repeat(110));
}

/// The server binary as a child process; killed when dropped, so also on every error path.
struct Server {
    child: tokio::process::Child,
    pid: u32,
    address: String,
    client: reqwest::Client,
}

impl Server {
    async fn start(options: &Options, database: &ThrowawayDatabase) -> Result<Server> {
        let env = [("FERRODESK_MODEL_DIR", options.model_dir.display().to_string())];
        let spawned = support::spawn_server(
            &database.dir,
            Some(&database.url),
            &env,
            REQUEST_TIMEOUT,
            STARTUP_TIMEOUT,
        )
        .await?;
        let pid = spawned.child.id().ok_or_else(|| anyhow!("the server exited at once"))?;
        // A client of its own with room for every benchmark client's connection.
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .pool_max_idle_per_host(1024)
            .build()?;
        drop(spawned.client);
        Ok(Server {
            child: spawned.child,
            pid,
            address: spawned.address,
            client,
        })
    }

    fn ws_url(&self) -> String {
        format!("{}/api/v1/ws", self.address.replacen("http://", "ws://", 1))
    }

    async fn stop(&mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }

    /// Fails when the server has exited (a crash is not a memory reading).
    fn ensure_running(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("the server exited ({status})");
        }
        Ok(())
    }

    fn memory(&mut self) -> Result<Memory> {
        self.ensure_running()?;
        Memory::of(self.pid)
    }

    async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, token: Option<&str>, body: &B) -> Result<T> {
        support::post_json(&self.client, &self.address, path, token, body).await
    }
}

impl Memory {
    fn describe(&self) -> String {
        format!(
            "RSS {:>9} (anon {:>9}, file {:>8}), peak {:>9}, {} threads",
            mib(self.rss),
            mib(self.anon),
            mib(self.file),
            mib(self.peak),
            self.threads
        )
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn signed_mib(kib: i64) -> String {
    format!("{:+.1} MiB", kib as f64 / 1024.0)
}

/// A workspace's people: whom the load acts as.
struct Team {
    slug: String,
    owner: String,
    agents: Vec<String>,
    owner_email: String,
    agent_emails: Vec<String>,
    signed_in: Instant,
}

impl Team {
    /// Signs everyone in again when the tokens are close to their 15 minutes.
    async fn refresh_if_old(&mut self, server: &Server) -> Result<()> {
        if self.signed_in.elapsed() < TOKEN_REFRESH {
            return Ok(());
        }
        self.owner = sign_in(server, &self.slug, &self.owner_email).await?;
        for (token, email) in self.agents.iter_mut().zip(&self.agent_emails) {
            *token = sign_in(server, &self.slug, email).await?;
        }
        self.signed_in = Instant::now();
        Ok(())
    }
}

async fn sign_in(server: &Server, slug: &str, email: &str) -> Result<String> {
    let login = LoginRequest {
        workspace_slug: slug.to_owned(),
        email: email.to_owned(),
        password: PASSWORD.to_owned(),
    };
    let answer: AuthResponse = server.post("/api/v1/auth/login", None, &login).await?;
    Ok(answer.access_token)
}

/// Signs up `slug` and puts it on Pro as its operator would (`ferrodesk plan set`): Free has no AI
/// (so no categorisation, no classifier) and two staff seats.
async fn sign_up(server: &Server, db: &DatabaseConnection, slug: &str, agents: usize) -> Result<Team> {
    let owner_email = format!("owner@{slug}.example");
    let signup = SignupRequest {
        workspace_name: format!("Memory {slug}"),
        workspace_slug: slug.to_owned(),
        name: "Memory Owner".to_owned(),
        email: owner_email.clone(),
        password: PASSWORD.to_owned(),
    };
    let owner: AuthResponse = server.post("/api/v1/signup", None, &signup).await?;
    ferrodesk::workspaces::plans::set_by_slug(db, slug, Plan::Pro)
        .await?
        .with_context(|| format!("{slug} was just made"))?;
    let mut tokens = Vec::with_capacity(agents);
    let mut emails = Vec::with_capacity(agents);
    for index in 0..agents {
        let email = format!("agent{index}@{slug}.example");
        let invitation = InvitationRequest {
            email: email.clone(),
            role: Role::Agent,
        };
        let created: InvitationCreated = server
            .post("/api/v1/invitations", Some(&owner.access_token), &invitation)
            .await?;
        let accept = json!({"token": created.token, "name": format!("Agent {index}"), "password": PASSWORD});
        let agent: AuthResponse = server.post("/api/v1/invitations/accept", None, &accept).await?;
        tokens.push(agent.access_token);
        emails.push(email);
    }
    Ok(Team {
        slug: slug.to_owned(),
        owner: owner.access_token,
        agents: tokens,
        owner_email,
        agent_emails: emails,
        signed_in: Instant::now(),
    })
}

/// The kinds of request of the mixed load, with their share of it (out of `WEIGHT_TOTAL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Op {
    Create,
    Reply,
    Note,
    Status,
    Inbox,
    Search,
    Counts,
    Detail,
    Overview,
    Suggest,
}

const OPS: [(Op, u32); 10] = [
    (Op::Create, 20),
    (Op::Reply, 12),
    (Op::Note, 8),
    (Op::Status, 10),
    (Op::Inbox, 12),
    (Op::Search, 10),
    (Op::Counts, 4),
    (Op::Detail, 12),
    (Op::Overview, 7),
    (Op::Suggest, 5),
];
const WEIGHT_TOTAL: u32 = 100;

impl Op {
    fn label(self) -> &'static str {
        match self {
            Op::Create => "create ticket",
            Op::Reply => "public reply",
            Op::Note => "internal note",
            Op::Status => "status/priority",
            Op::Inbox => "inbox list",
            Op::Search => "search (q=)",
            Op::Counts => "inbox counts",
            Op::Detail => "ticket detail",
            Op::Overview => "reports overview",
            Op::Suggest => "AI suggest-reply",
        }
    }

    fn pick(random: u64) -> Op {
        let mut left = (random % u64::from(WEIGHT_TOTAL)) as u32;
        for (op, weight) in OPS {
            if left < weight {
                return op;
            }
            left -= weight;
        }
        Op::Inbox
    }
}

/// xorshift64: each client's own sequence, so no shared generator.
fn next_random(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    x
}

/// What the requests of one kind did.
#[derive(Default, Clone)]
struct Tally {
    ok: u64,
    /// Answers that were not 2xx, by status.
    refused: BTreeMap<u16, u64>,
    /// No answer at all (connection, timeout).
    failed: u64,
    first_problem: Option<String>,
    /// Milliseconds of the successful requests.
    latencies: Vec<f64>,
}

impl Tally {
    fn problems(&self) -> u64 {
        self.refused.values().sum::<u64>() + self.failed
    }

    fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        for (status, count) in other.refused {
            *self.refused.entry(status).or_default() += count;
        }
        self.failed += other.failed;
        if self.first_problem.is_none() {
            self.first_problem = other.first_problem;
        }
        self.latencies.extend(other.latencies);
    }
}

type Tallies = BTreeMap<Op, Tally>;

fn merge_tallies(into: &mut Tallies, from: Tallies) {
    for (op, tally) in from {
        into.entry(op).or_default().merge(tally);
    }
}

fn totals(tallies: &Tallies) -> (u64, u64) {
    tallies.values().fold((0, 0), |(ok, problems), tally| {
        (ok + tally.ok, problems + tally.problems())
    })
}

/// What one request got back.
enum Answer {
    Ok(String),
    Refused(u16, String),
}

/// What the clients of a workspace share: whom to act as and the tickets to act on.
#[derive(Clone)]
struct Desk {
    client: reqwest::Client,
    address: String,
    /// The tokens the clients take turns with (agents, or the owner of a small workspace).
    tokens: Arc<Vec<String>>,
    /// The owner's: the dashboard needs a supervisor.
    owner: Arc<String>,
    /// A tag for the requesters' addresses, so every workspace has its own customers.
    tag: Arc<String>,
    tickets: Arc<Mutex<VecDeque<TicketId>>>,
}

impl Desk {
    fn new(server: &Server, team: &Team, tag: &str) -> Desk {
        let tokens = if team.agents.is_empty() {
            vec![team.owner.clone()]
        } else {
            team.agents.clone()
        };
        Desk {
            client: server.client.clone(),
            address: server.address.clone(),
            tokens: Arc::new(tokens),
            owner: Arc::new(team.owner.clone()),
            tag: Arc::new(tag.to_owned()),
            tickets: Arc::default(),
        }
    }

    fn remember(&self, ticket: TicketId) {
        let mut tickets = self.tickets.lock().unwrap_or_else(PoisonError::into_inner);
        if tickets.len() >= TICKET_POOL {
            tickets.pop_front();
        }
        tickets.push_back(ticket);
    }

    fn some_ticket(&self, random: u64) -> Option<TicketId> {
        let tickets = self.tickets.lock().unwrap_or_else(PoisonError::into_inner);
        if tickets.is_empty() {
            return None;
        }
        // Mostly the newest tickets, as people work on the fresh ones.
        let span = tickets.len().min(64) as u64;
        let newest = tickets.len() - 1;
        let back = if random.is_multiple_of(4) {
            random % tickets.len() as u64
        } else {
            random % span
        };
        tickets.get(newest - back as usize).copied()
    }

    /// One request of kind `op` as client `client`. A create (or any request with no ticket to act
    /// on yet) creates; `Err` is a request that got no answer.
    async fn perform(&self, op: Op, client: usize, n: u64, random: u64) -> Result<(Op, Answer)> {
        let token = &self.tokens[client % self.tokens.len()];
        let ticket = match op {
            Op::Create | Op::Inbox | Op::Search | Op::Counts | Op::Overview => None,
            _ => match self.some_ticket(random >> 8) {
                Some(ticket) => Some(ticket),
                None => {
                    return self
                        .perform_create(token, client, n)
                        .await
                        .map(|answer| (Op::Create, answer));
                }
            },
        };
        let address = &self.address;
        let id = ticket.map(|ticket| ticket.0).unwrap_or_default();
        let request = match op {
            Op::Create => return self.perform_create(token, client, n).await.map(|answer| (op, answer)),
            Op::Reply | Op::Note => self
                .client
                .post(format!("{address}/api/v1/tickets/{id}/messages"))
                .json(&NewMessage {
                    body: if op == Op::Note {
                        format!("Internal: checked the logs for this one ({client}-{n}); looks like the known issue.")
                    } else {
                        format!("Thanks for writing in; we are looking into it and will update you shortly ({n}).")
                    },
                    internal: op == Op::Note,
                    macro_id: None,
                    attachment_ids: Vec::new(),
                }),
            Op::Status => self
                .client
                .patch(format!("{address}/api/v1/tickets/{id}"))
                // Open and solved only: a solved ticket cannot become pending (409), and the load
                // does not know which tickets another client solved. A third of them move the
                // priority instead.
                .json(&match random % 3 {
                    0 => TicketPatch {
                        status: Some(TicketStatus::Open),
                        ..TicketPatch::default()
                    },
                    1 => TicketPatch {
                        status: Some(TicketStatus::Solved),
                        ..TicketPatch::default()
                    },
                    _ => TicketPatch {
                        priority: Some([Priority::Low, Priority::Normal, Priority::High][(random % 9 / 3) as usize]),
                        ..TicketPatch::default()
                    },
                }),
            Op::Inbox => {
                let filter = match random % 4 {
                    0 => "",
                    1 => "&status=open",
                    2 => "&assignee=me",
                    _ => "&status=new",
                };
                self.client.get(format!("{address}/api/v1/tickets?limit=25{filter}"))
            }
            Op::Search => {
                let words = SEARCHES[(random % SEARCHES.len() as u64) as usize].replace(' ', "%20");
                self.client.get(format!("{address}/api/v1/tickets?q={words}"))
            }
            Op::Counts => self.client.get(format!("{address}/api/v1/tickets/counts")),
            Op::Detail => self.client.get(format!("{address}/api/v1/tickets/{id}")),
            Op::Overview => {
                let to = chrono::Utc::now().date_naive();
                let from = to - chrono::Days::new(if random.is_multiple_of(2) { 6 } else { 29 });
                let request = self.client.get(format!(
                    "{address}/api/v1/reports/overview?from={from}&to={to}&tz=Europe/Paris"
                ));
                return send(request.bearer_auth(self.owner.as_str()))
                    .await
                    .map(|answer| (op, answer));
            }
            Op::Suggest => self.client.post(format!("{address}/api/v1/tickets/{id}/suggest-reply")),
        };
        send(request.bearer_auth(token)).await.map(|answer| (op, answer))
    }

    async fn perform_create(&self, token: &str, client: usize, n: u64) -> Result<Answer> {
        let ticket = new_ticket(&self.tag, client, n);
        let request = self
            .client
            .post(format!("{}/api/v1/tickets", self.address))
            .bearer_auth(token)
            .header("Idempotency-Key", Uuid::now_v7().to_string())
            .json(&ticket);
        let answer = send(request).await?;
        if let Answer::Ok(text) = &answer {
            let detail: TicketDetail =
                serde_json::from_str(text).with_context(|| format!("create: cannot parse {}", clip(text)))?;
            self.remember(detail.ticket.id);
        }
        Ok(answer)
    }
}

async fn send(request: reqwest::RequestBuilder) -> Result<Answer> {
    let response = request.send().await?;
    let status = response.status();
    let text = response.text().await?;
    Ok(if status.is_success() {
        Answer::Ok(text)
    } else {
        Answer::Refused(status.as_u16(), clip(&text).to_owned())
    })
}

fn clip(text: &str) -> &str {
    let end = text.char_indices().nth(200).map_or(text.len(), |(at, _)| at);
    &text[..end]
}

/// A ticket for a requester never seen before, with a text of its own.
fn new_ticket(tag: &str, client: usize, n: u64) -> NewTicket {
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
        requester_email: Some(format!("requester-{unique}@{tag}.example")),
        requester_name: Some(format!("Requester {client}-{n}")),
        attachment_ids: Vec::new(),
    }
}

/// Records one request's outcome in `tallies`.
fn record(tallies: &mut Tallies, planned: Op, outcome: Result<(Op, Answer)>, started: Instant) {
    match outcome {
        Ok((op, Answer::Ok(_))) => {
            let tally = tallies.entry(op).or_default();
            tally.ok += 1;
            tally.latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        Ok((op, Answer::Refused(status, body))) => {
            let tally = tallies.entry(op).or_default();
            *tally.refused.entry(status).or_default() += 1;
            tally.first_problem.get_or_insert_with(|| format!("{status}: {body}"));
        }
        Err(error) => {
            let tally = tallies.entry(planned).or_default();
            tally.failed += 1;
            tally.first_problem.get_or_insert_with(|| format!("{error:#}"));
        }
    }
}

/// `clients` loops of random requests until `window` has passed; then waits for those in flight.
async fn mixed_load(desk: &Desk, clients: usize, window: Duration, seed: u64) -> Result<Tallies> {
    let end = Instant::now() + window;
    let mut tasks = Vec::with_capacity(clients);
    for client in 0..clients {
        let desk = desk.clone();
        tasks.push(tokio::spawn(async move {
            let mut tallies = Tallies::new();
            let mut random = (seed ^ 0x9E37_79B9_7F4A_7C15_u64.wrapping_mul(client as u64 + 1)) | 1;
            let mut n = 0;
            while Instant::now() < end {
                let roll = next_random(&mut random);
                let op = Op::pick(roll);
                let started = Instant::now();
                let outcome = desk.perform(op, client, n, next_random(&mut random)).await;
                let answered = outcome
                    .as_ref()
                    .is_ok_and(|(_, answer)| matches!(answer, Answer::Ok(_)));
                record(&mut tallies, op, outcome, started);
                n += 1;
                if !answered {
                    // A failing server is not hammered in a tight loop.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            tallies
        }));
    }
    let mut tallies = Tallies::new();
    for task in tasks {
        merge_tallies(&mut tallies, task.await.context("a client task failed")?);
    }
    Ok(tallies)
}

/// Opens a socket, reads what arrives for `hold`, and closes it. Returns the frames read.
/// Opens a socket, reads what arrives for `hold`, and closes it: `(frames read, whether the server
/// answered our close within `CLOSE_WAIT`)`.
async fn socket_visit(url: &str, token: &str, hold: Duration) -> Result<(u64, bool)> {
    let mut stream = tokio::time::timeout(HANDSHAKE_TIMEOUT, support::open_socket(url, token))
        .await
        .map_err(|_| anyhow!("no ready within {HANDSHAKE_TIMEOUT:?}"))??;
    let mut frames = 0;
    let until = tokio::time::Instant::now() + hold;
    loop {
        match tokio::time::timeout_at(until, stream.next()).await {
            Err(_) => break,
            Ok(Some(Ok(Frame::Close(frame)))) => bail!("closed by the server: {frame:?}"),
            Ok(Some(Ok(_))) => frames += 1,
            Ok(Some(Err(error))) => return Err(error.into()),
            Ok(None) => bail!("the stream ended"),
        }
    }
    let answered = support::close_socket(&mut stream, CLOSE_WAIT).await;
    Ok((frames, answered))
}

#[derive(Default)]
struct Sockets {
    opened: u64,
    failed: u64,
    frames: u64,
    /// Closes the server did not answer within `CLOSE_WAIT` (the connection was then dropped).
    unanswered_closes: u64,
    first_error: Option<String>,
}

impl Sockets {
    fn add(&mut self, other: Sockets) {
        self.opened += other.opened;
        self.failed += other.failed;
        self.frames += other.frames;
        self.unanswered_closes += other.unanswered_closes;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

/// `total` sockets spread over `window`, each held a fraction of a second, then closed.
async fn churn_sockets(url: String, tokens: Arc<Vec<String>>, total: usize, window: Duration) -> Sockets {
    let started = tokio::time::Instant::now();
    let spacing = window.checked_div(total.max(1) as u32).unwrap_or_default();
    let visits: Vec<Result<(u64, bool)>> = futures_util::stream::iter(0..total)
        .map(|index| {
            let (url, token) = (url.clone(), tokens[index % tokens.len()].clone());
            async move {
                tokio::time::sleep_until(started + spacing * index as u32).await;
                let hold = Duration::from_millis(100 + (index as u64 * 37) % 500);
                socket_visit(&url, &token, hold).await
            }
        })
        .buffer_unordered(SOCKET_CONCURRENCY)
        .collect()
        .await;
    let mut sockets = Sockets::default();
    for visit in visits {
        match visit {
            Ok((frames, answered)) => {
                sockets.opened += 1;
                sockets.frames += frames;
                sockets.unanswered_closes += u64::from(!answered);
            }
            Err(error) => {
                sockets.failed += 1;
                sockets.first_error.get_or_insert_with(|| format!("{error:#}"));
            }
        }
    }
    sockets
}

/// A new workspace, used a little: a few tickets, a reply, a note, a status change, the inbox, a
/// search, the counts, a detail, the dashboard, a suggestion and a socket.
async fn use_new_workspace(server: &Server, db: &DatabaseConnection, slug: &str) -> Result<(Tallies, Sockets)> {
    let team = sign_up(server, db, slug, 0).await?;
    let desk = Desk::new(server, &team, slug);
    let script = [
        Op::Create,
        Op::Create,
        Op::Create,
        Op::Create,
        Op::Reply,
        Op::Note,
        Op::Status,
        Op::Inbox,
        Op::Search,
        Op::Counts,
        Op::Detail,
        Op::Overview,
        Op::Suggest,
    ];
    let mut tallies = Tallies::new();
    let mut random = 0x5DEE_CE66_D1CE_4E5B_u64;
    for (n, op) in script.into_iter().enumerate() {
        let started = Instant::now();
        let outcome = desk.perform(op, 0, n as u64, next_random(&mut random)).await;
        record(&mut tallies, op, outcome, started);
    }
    let sockets = churn_sockets(
        server.ws_url(),
        Arc::new(vec![team.owner.clone()]),
        2,
        Duration::from_millis(200),
    )
    .await;
    Ok((tallies, sockets))
}

/// Rows waiting in the categorisation queue.
async fn backlog(db: &DatabaseConnection) -> Result<i64> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM categorise_queue",
        ))
        .await?
        .ok_or_else(|| anyhow!("no count"))?;
    Ok(row.try_get::<i64>("", "n")?)
}

/// Waits (at most `DRAIN_LIMIT`) until the categorisation queue is empty: `(rows at first, time, rows left)`.
async fn wait_for_backlog(db: &DatabaseConnection) -> Result<(i64, Duration, i64)> {
    let started = Instant::now();
    let first = backlog(db).await?;
    let mut left = first;
    while left > 0 && started.elapsed() < DRAIN_LIMIT {
        tokio::time::sleep(Duration::from_millis(250)).await;
        left = backlog(db).await?;
    }
    Ok((first, started.elapsed(), left))
}

struct Round {
    number: usize,
    tallies: Tallies,
    new_workspaces: usize,
    new_workspace_tallies: Tallies,
    sockets: Sockets,
    /// The mixed requests' time (the window, and the requests in flight at its end).
    load_time: Duration,
    /// Until the last socket closed.
    socket_time: Duration,
    backlog: (i64, Duration, i64),
    memory: Memory,
}

async fn measure(options: &Options, database: &ThrowawayDatabase) -> Result<()> {
    let mut server = Server::start(options, database).await?;
    let outcome = measure_server(options, database, &mut server).await;
    server.stop().await;
    outcome
}

async fn measure_server(options: &Options, database: &ThrowawayDatabase, server: &mut Server) -> Result<()> {
    let started = Instant::now();
    let fresh = server.memory()?;
    tokio::time::sleep(options.quiet).await;
    let idle = server.memory()?;
    println!("idle, model loaded        {}", idle.describe());
    println!(
        "                          (right after /readyz: RSS {}; pid {})",
        mib(fresh.rss),
        server.pid
    );

    let db = ferrodesk::db::connect(&database.url, 1).await?;
    let mut team = sign_up(server, &db, MAIN_SLUG, options.agents).await?;
    let mut desk = Desk::new(server, &team, MAIN_SLUG);
    // A ticket per client, so replies and details have something to act on from the start.
    for client in 0..options.clients {
        let token = desk.tokens[client % desk.tokens.len()].clone();
        match desk.perform_create(&token, client, 0).await? {
            Answer::Ok(_) => {}
            Answer::Refused(status, body) => bail!("a set-up ticket was refused: {status}: {body}"),
        }
    }
    let setup_backlog = wait_for_backlog(&db).await?;
    tokio::time::sleep(options.quiet).await;
    let after_setup = server.memory()?;
    println!(
        "after set-up              {}  ({} agents, {} tickets; backlog {} drained in {:.1} s)",
        after_setup.describe(),
        options.agents,
        options.clients,
        setup_backlog.0,
        setup_backlog.1.as_secs_f64()
    );

    let mut rounds: Vec<Round> = Vec::with_capacity(options.rounds);
    let mut previous = after_setup;
    for number in 1..=options.rounds {
        team.refresh_if_old(server).await?;
        let tickets = desk.tickets.clone();
        desk = Desk::new(server, &team, MAIN_SLUG);
        desk.tickets = tickets;

        let mut new_workspace_tallies = Tallies::new();
        let mut new_sockets = Sockets::default();
        for index in 0..options.workspaces {
            let slug = format!("memory-r{number}-w{index}");
            let (tallies, sockets) = use_new_workspace(server, &db, &slug)
                .await
                .with_context(|| format!("using the new workspace {slug}"))?;
            merge_tallies(&mut new_workspace_tallies, tallies);
            new_sockets.add(sockets);
        }

        let load_started = Instant::now();
        let churn = tokio::spawn(churn_sockets(
            server.ws_url(),
            desk.tokens.clone(),
            options.sockets,
            options.window,
        ));
        let tallies = mixed_load(
            &desk,
            options.clients,
            options.window,
            0xA076_1D64_78BD_642F ^ number as u64,
        )
        .await?;
        let load_time = load_started.elapsed();
        let mut sockets = churn.await.context("the socket task failed")?;
        let socket_time = load_started.elapsed();
        sockets.add(new_sockets);

        let backlog = wait_for_backlog(&db).await?;
        tokio::time::sleep(options.quiet).await;
        let memory = server.memory()?;
        let round = Round {
            number,
            tallies,
            new_workspaces: options.workspaces,
            new_workspace_tallies,
            sockets,
            load_time,
            socket_time,
            backlog,
            memory,
        };
        print_round(&round, &previous, options);
        previous = memory;
        let (ok, problems) = totals(&round.tallies);
        rounds.push(round);
        if problems > ok {
            bail!("round {number}: most requests failed ({problems} failed, {ok} succeeded)");
        }
    }

    tokio::time::sleep(options.final_quiet).await;
    let last = server.memory()?;
    db.close().await.ok();
    print_summary(options, idle, after_setup, &rounds, last, started.elapsed());
    Ok(())
}

fn percentile(values: &[f64], point: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((point / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn print_round(round: &Round, previous: &Memory, options: &Options) {
    let (ok, problems) = totals(&round.tallies);
    let (new_ok, new_problems) = totals(&round.new_workspace_tallies);
    println!();
    println!(
        "round {}                   {} requests in {:.1} s ({:.0}/s), {} not 2xx or unanswered; {} new workspace(s): \
         {} requests, {} not 2xx",
        round.number,
        ok + problems,
        round.load_time.as_secs_f64(),
        (ok + problems) as f64 / round.load_time.as_secs_f64().max(1e-9),
        problems,
        round.new_workspaces,
        new_ok + new_problems,
        new_problems
    );
    for (op, tally) in &round.tallies {
        let refused: Vec<String> = tally
            .refused
            .iter()
            .map(|(status, count)| format!("{count}x{status}"))
            .collect();
        println!(
            "    {:<18} {:>6} ok   p50 {:>7.1} ms   p99 {:>7.1} ms{}{}",
            op.label(),
            tally.ok,
            percentile(&tally.latencies, 50.0),
            percentile(&tally.latencies, 99.0),
            if refused.is_empty() {
                String::new()
            } else {
                format!("   not 2xx: {}", refused.join(", "))
            },
            if tally.failed > 0 {
                format!("   unanswered: {}", tally.failed)
            } else {
                String::new()
            }
        );
        if let Some(problem) = &tally.first_problem {
            println!("        first problem: {problem}");
        }
    }
    for (op, tally) in &round.new_workspace_tallies {
        if let Some(problem) = &tally.first_problem {
            println!("    new workspace, {}: first problem: {problem}", op.label());
        }
    }
    println!(
        "    sockets            {} opened and closed in {:.1} s, {} failed, {} frames read, {} closes not answered \
         within {} ms{}",
        round.sockets.opened,
        round.socket_time.as_secs_f64(),
        round.sockets.failed,
        round.sockets.frames,
        round.sockets.unanswered_closes,
        CLOSE_WAIT.as_millis(),
        round
            .sockets
            .first_error
            .as_ref()
            .map_or(String::new(), |error| format!("; first error: {error}"))
    );
    let (rows, took, left) = round.backlog;
    println!(
        "    categorisation     backlog of {rows} at the end of the load, {} in {:.1} s",
        if left == 0 {
            "drained".to_owned()
        } else {
            format!("NOT drained ({left} left)")
        },
        took.as_secs_f64()
    );
    println!(
        "    memory             {}  ({} since the previous reading; after {} s of quiet)",
        round.memory.describe(),
        signed_mib(round.memory.rss as i64 - previous.rss as i64),
        options.quiet.as_secs()
    );
}

fn print_summary(options: &Options, idle: Memory, after_setup: Memory, rounds: &[Round], last: Memory, took: Duration) {
    println!();
    println!(
        "summary (RSS of the server, MiB = 1,048,576 bytes; machine load average {})",
        support::load_average()
    );
    println!("    idle, model loaded       {:>10}", mib(idle.rss));
    println!(
        "    after set-up             {:>10}   {:>11} from idle",
        mib(after_setup.rss),
        signed_mib(after_setup.rss as i64 - idle.rss as i64)
    );
    let mut previous = after_setup.rss;
    let mut requests_so_far = 0;
    let mut workspaces_so_far = 1;
    for round in rounds {
        let (ok, problems) = totals(&round.tallies);
        let (new_ok, new_problems) = totals(&round.new_workspace_tallies);
        requests_so_far += ok + problems + new_ok + new_problems;
        workspaces_so_far += round.new_workspaces;
        println!(
            "    after round {:<3}          {:>10}   {:>11} from the previous   ({} requests, {} workspaces so far)",
            round.number,
            mib(round.memory.rss),
            signed_mib(round.memory.rss as i64 - previous as i64),
            requests_so_far,
            workspaces_so_far
        );
        previous = round.memory.rss;
    }
    println!(
        "    after {:>3} s more quiet   {:>10}   {:>11} from the last round",
        options.final_quiet.as_secs(),
        mib(last.rss),
        signed_mib(last.rss as i64 - previous as i64)
    );
    println!("    peak (VmHWM)             {:>10}", mib(last.peak));
    println!(
        "    heap (RssAnon) idle {} -> end {}; mapped files (RssFile) {} -> {}; threads {} -> {}",
        mib(idle.anon),
        mib(last.anon),
        mib(idle.file),
        mib(last.file),
        idle.threads,
        last.threads
    );
    // The rounds after the first: the first fills the allocator's working set and the caches that
    // are bounded by the load's shape; what still grows after it grows with use.
    let tail: Vec<&Round> = rounds.iter().skip(usize::from(rounds.len() > 2)).collect();
    if let (Some(first), Some(end)) = (tail.first(), tail.last())
        && tail.len() >= 2
    {
        let steps = (tail.len() - 1) as f64;
        let growth = (end.memory.rss as f64 - first.memory.rss as f64) / steps;
        let requests: u64 = tail
            .iter()
            .skip(1)
            .map(|round| {
                let (ok, problems) = totals(&round.tallies);
                let (new_ok, new_problems) = totals(&round.new_workspace_tallies);
                ok + problems + new_ok + new_problems
            })
            .sum();
        let per_round_requests = requests as f64 / steps;
        println!(
            "    growth per round, rounds {}..{}: {} per round ({:.0} bytes per request, {:.0} KiB per new workspace \
             if it were all theirs)",
            first.number,
            end.number,
            signed_mib(growth.round() as i64),
            growth * 1024.0 / per_round_requests.max(1.0),
            growth / options.workspaces.max(1) as f64
        );
        // The allocator returns freed memory in bursts: readings move by tens of MiB either way.
        // A trend counts only when it is larger than that noise.
        let readings = tail.iter().map(|round| round.memory.rss);
        let spread = readings.clone().max().unwrap_or(0) - readings.min().unwrap_or(0);
        let trend = growth * steps;
        let verdict = if growth.abs() < 1024.0 {
            "flat (under 1 MiB per round): no sign of unbounded growth at this load".to_owned()
        } else if trend.abs() < spread as f64 / 2.0 {
            format!(
                "no clear trend: {} over the rounds against readings {} apart (run more rounds: MEMORY_ROUNDS)",
                signed_mib(trend.round() as i64),
                mib(spread)
            )
        } else if growth > 0.0 {
            "STILL GROWING round after round: something is kept per request, ticket or workspace".to_owned()
        } else {
            "shrinking: the allocator returned memory".to_owned()
        };
        println!("    verdict                  {verdict}");
    } else {
        println!("    growth per round         (needs at least 2 rounds after the first: MEMORY_ROUNDS=3 or more)");
    }
    println!(
        "    issue 17                 reported ~127 MB idle, ~430 MB after an hour of the demo; here idle {:.0} MB, \
         end {:.0} MB (MB = 1,000,000 bytes); the run took {:.0} s",
        idle.rss as f64 * 1.024 / 1000.0,
        last.rss as f64 * 1.024 / 1000.0,
        took.as_secs_f64()
    );
}

fn print_server_warnings(log: &Path) {
    let warnings = support::server_warnings(log);
    println!("server log  {} warning/error lines", warnings.len());
    for line in warnings.iter().take(5) {
        println!("    {}", clip(line));
    }
}
