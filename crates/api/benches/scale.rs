//! The dashboard and the inbox on a workspace of a million tickets: `cargo bench -p ferrodesk --bench scale`.
//!
//! Seeds a fresh database with `ferrodesk_dev::scale` (what `seed-scale` runs): SQLite in a
//! temporary folder, or a fresh PostgreSQL database when `BENCH_DATABASE_URL=postgres://...` names a
//! server (created for the run, dropped after it). Then starts the release server binary on a free
//! loopback port against it, signs in as the supervisor (and an agent, for `view=mine`), and times
//! each request one at a time: one untimed first run (printed as `first`, it warms the caches) and
//! `SCALE_RUNS` timed runs (default 5), printed as min / median / max. It measures; it asserts
//! nothing about speed.
//!
//! Knobs: `SCALE_TICKETS` (default 1000000), `SCALE_RUNS`, `SCALE_KEEP=1` (keep the folder and the
//! PostgreSQL database and print where they are, to look at query plans afterwards),
//! `SCALE_DATA_DIR=/path` (SQLite in that folder, kept; a second run reuses what the first seeded) and
//! `SCALE_DATABASE_URL=postgres://.../db` (that database, kept and reused likewise).

// A benchmark prints its report, and stops with an error when its setup fails.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use chrono::{Days, Utc};
use chrono_tz::Tz;
use ferrodesk_dev::scale::{self, ScaleOptions, ScaleReport};
use ferrodesk_shared::auth::{AuthResponse, LoginRequest};
use ferrodesk_shared::reports::Overview;
use ferrodesk_shared::tickets::{InboxCounts, TicketPage};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde::de::DeserializeOwned;
use uuid::Uuid;

mod support;

const TZ: &str = "Europe/Paris";
/// How long the server may take to answer `/readyz` (its migrations included).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(600);
/// One request may take this long before the benchmark gives up.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);
/// Access tokens live 15 minutes: sign in again before that.
const TOKEN_AGE: Duration = Duration::from_secs(600);
/// The page whose cursor the "later page" rows use.
const LATER_PAGE: usize = 6;
const PAGE: usize = 50;
/// Issue 17: a search's 99th percentile at 1M tickets, hit or no hit.
const SEARCH_TARGET_MS: f64 = 50.0;

fn main() -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run())
}

async fn run() -> Result<()> {
    // reqwest is built without a TLS provider of its own; the server installs ring the same way.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tickets = support::number("SCALE_TICKETS", scale::DEFAULT_TICKETS)?;
    let runs = support::number("SCALE_RUNS", 5)?.clamp(1, 100) as usize;
    if tickets == 0 {
        bail!("SCALE_TICKETS must be at least 1");
    }
    let database = BenchDatabase::create().await?;
    let outcome = async {
        println!("seeding {tickets} tickets into {} ...", database.describe());
        // Each ticket's opening message too: the search reads subjects and threads.
        let options = ScaleOptions {
            tickets,
            messages: true,
            ..ScaleOptions::default()
        };
        let step = (tickets / 10).max(1);
        let mut shown = 0;
        let started = Instant::now();
        let mut progress = move |done: u64, total: u64| {
            if done / step > shown || done == total {
                shown = done / step;
                println!(
                    "  {done:>9} / {total} tickets, {:.1} s",
                    started.elapsed().as_secs_f64()
                );
            }
        };
        let seeded = scale::run(&database.url(), &options, &mut progress).await?;
        let size = database.size().await?;
        let mut server = Server::start(&database).await?;
        let result = measure(&server, &seeded, runs).await;
        server.stop().await;
        let rows = result?;
        print_report(&database, &seeded, &size, runs, &rows);
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

/// The data folder and, for PostgreSQL, the database; both removed at the end unless kept.
struct BenchDatabase {
    dir: PathBuf,
    /// `(admin url or none when given by SCALE_DATABASE_URL, database name, its url)`.
    postgres: Option<(Option<String>, String, String)>,
    /// Leave the folder (`SCALE_KEEP=1`, `SCALE_DATA_DIR`) and the database (`SCALE_KEEP=1`,
    /// `SCALE_DATABASE_URL`) in place at the end.
    keep_dir: bool,
    keep_database: bool,
}

impl BenchDatabase {
    async fn create() -> Result<BenchDatabase> {
        let given_dir = std::env::var("SCALE_DATA_DIR").ok().filter(|dir| !dir.is_empty());
        let keep_env = std::env::var("SCALE_KEEP").is_ok_and(|value| value == "1");
        // Built first, so that its `Drop` cleans up after a failure below.
        let mut database = BenchDatabase {
            dir: given_dir.clone().map_or_else(
                || std::env::temp_dir().join(format!("ferrodesk-scale-{}", Uuid::now_v7().simple())),
                PathBuf::from,
            ),
            postgres: None,
            keep_dir: keep_env || given_dir.is_some(),
            keep_database: keep_env,
        };
        support::stand_in_web_app(&database.dir)?;
        if let Some(url) = std::env::var("SCALE_DATABASE_URL").ok().filter(|url| !url.is_empty()) {
            if !url.starts_with("postgres") {
                bail!("SCALE_DATABASE_URL must be a postgres:// URL");
            }
            let name = url.rsplit_once('/').map_or("", |(_, name)| name).to_owned();
            database.postgres = Some((None, name, url));
            database.keep_database = true;
            return Ok(database);
        }
        let Some(admin_url) = std::env::var("BENCH_DATABASE_URL").ok().filter(|url| !url.is_empty()) else {
            return Ok(database);
        };
        let name = format!("ferrodesk_scale_{}", Uuid::now_v7().simple());
        let url = ferrodesk_dev::throwaway::create_database(&admin_url, &name)
            .await
            .context("BENCH_DATABASE_URL (a postgres:// URL; leave it unset for SQLite)")?;
        database.postgres = Some((Some(admin_url), name, url));
        Ok(database)
    }

    fn sqlite_file(&self) -> PathBuf {
        self.dir.join("ferrodesk.db")
    }

    fn url(&self) -> String {
        match &self.postgres {
            Some((_, _, url)) => url.clone(),
            None => ferrodesk::config::sqlite_url(&self.sqlite_file()),
        }
    }

    fn describe(&self) -> String {
        match &self.postgres {
            Some((admin, name, url)) => {
                let host = url.rsplit_once('@').map_or(url.as_str(), |(_, host)| host);
                let host = host.rsplit_once('/').map_or(host, |(host, _)| host);
                let fresh = if admin.is_some() { "fresh database" } else { "database" };
                format!("PostgreSQL ({fresh} {name} on {host})")
            }
            None => format!("SQLite ({}, WAL)", self.sqlite_file().display()),
        }
    }

    /// The space the data takes, as a line of the report.
    async fn size(&self) -> Result<String> {
        match &self.postgres {
            None => {
                let file = std::fs::metadata(self.sqlite_file()).map_or(0, |meta| meta.len());
                let wal = std::fs::metadata(self.dir.join("ferrodesk.db-wal")).map_or(0, |meta| meta.len());
                Ok(format!("database file {} (+ WAL {})", mib(file), mib(wal)))
            }
            Some((_, _, url)) => {
                let db = Database::connect(url).await?;
                let row = db
                    .query_one_raw(Statement::from_string(
                        db.get_database_backend(),
                        "SELECT pg_database_size(current_database()) AS db, pg_table_size('tickets') AS t, \
                         pg_indexes_size('tickets') AS i",
                    ))
                    .await?
                    .ok_or_else(|| anyhow!("no size"))?;
                let (all, table, indexes): (i64, i64, i64) =
                    (row.try_get("", "db")?, row.try_get("", "t")?, row.try_get("", "i")?);
                db.close().await.ok();
                Ok(format!(
                    "database {}; tickets table {} + its indexes {}",
                    mib(all.max(0) as u64),
                    mib(table.max(0) as u64),
                    mib(indexes.max(0) as u64)
                ))
            }
        }
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Removes the folder and the PostgreSQL database on every way out, a panic included, unless kept.
impl Drop for BenchDatabase {
    fn drop(&mut self) {
        use std::io::Write;
        if self.keep_dir || self.keep_database {
            let _ = writeln!(std::io::stdout(), "kept: {}", self.describe());
        }
        if self.keep_dir {
            let _ = writeln!(std::io::stdout(), "kept: the folder {}", self.dir.display());
        } else {
            std::fs::remove_dir_all(&self.dir).ok();
        }
        if self.keep_database {
            return;
        }
        let Some((Some(admin_url), name, _)) = self.postgres.take() else {
            return;
        };
        ferrodesk_dev::throwaway::drop_database(admin_url, name);
    }
}

/// The server binary as a child process; killed when dropped, so also on every error path.
struct Server {
    child: tokio::process::Child,
    address: String,
    client: reqwest::Client,
}

impl Server {
    async fn start(database: &BenchDatabase) -> Result<Server> {
        let url = database.postgres.as_ref().map(|(_, _, url)| url.as_str());
        let spawned = support::spawn_server(&database.dir, url, &[], REQUEST_TIMEOUT, STARTUP_TIMEOUT).await?;
        Ok(Server {
            child: spawned.child,
            address: spawned.address,
            client: spawned.client,
        })
    }

    async fn stop(&mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }

    async fn login(&self, slug: &str, email: &str) -> Result<String> {
        let request = LoginRequest {
            workspace_slug: slug.to_owned(),
            email: email.to_owned(),
            password: scale::PASSWORD.to_owned(),
        };
        let response = self
            .client
            .post(format!("{}/api/v1/auth/login", self.address))
            .json(&request)
            .send()
            .await
            .context("signing in")?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("signing in as {email} answered {status}: {text}");
        }
        Ok(serde_json::from_str::<AuthResponse>(&text)?.access_token)
    }

    /// One GET, timed from sending to the last byte of the answer.
    async fn get(&self, token: &str, path: &str) -> Result<(Duration, String)> {
        let started = Instant::now();
        let response = self
            .client
            .get(format!("{}{path}", self.address))
            .bearer_auth(token)
            .send()
            .await
            .with_context(|| format!("GET {path}"))?;
        let status = response.status();
        let text = response.text().await?;
        let elapsed = started.elapsed();
        if !status.is_success() {
            bail!("GET {path} answered {status}: {text}");
        }
        Ok((elapsed, text))
    }
}

/// A signed-in person whose token is renewed before it expires.
struct Session {
    email: String,
    token: String,
    signed_in: Instant,
}

impl Session {
    async fn new(server: &Server, slug: &str, email: String) -> Result<Session> {
        Ok(Session {
            token: server.login(slug, &email).await?,
            email,
            signed_in: Instant::now(),
        })
    }

    async fn token(&mut self, server: &Server, slug: &str) -> Result<String> {
        if self.signed_in.elapsed() > TOKEN_AGE {
            self.token = server.login(slug, &self.email).await?;
            self.signed_in = Instant::now();
        }
        Ok(self.token.clone())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Who {
    Supervisor,
    Agent,
}

/// What an answer says, for the `result` column.
#[derive(Clone, Copy)]
enum Shape {
    Overview,
    Page,
    Counts,
}

fn summarise(shape: Shape, text: &str) -> Result<String> {
    Ok(match shape {
        Shape::Overview => {
            let overview: Overview = parse(text)?;
            format!("{} created, {} solved", overview.sla.tickets, overview.resolution.count)
        }
        Shape::Page => {
            let page: TicketPage = parse(text)?;
            format!(
                "{} rows{}",
                page.items.len(),
                if page.next_cursor.is_some() { ", more" } else { "" }
            )
        }
        Shape::Counts => {
            let counts: InboxCounts = parse(text)?;
            format!(
                "mine {} unassigned {} open {} pending {} solved {}",
                counts.mine, counts.unassigned, counts.open, counts.pending, counts.solved
            )
        }
    })
}

fn parse<T: DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).with_context(|| format!("cannot parse {}", &text[..text.len().min(200)]))
}

struct Row {
    label: String,
    result: String,
    first: f64,
    timings: Vec<f64>,
}

async fn measure(server: &Server, seeded: &ScaleReport, runs: usize) -> Result<Vec<Row>> {
    let slug = seeded.workspace_slug.as_str();
    let mut supervisor = Session::new(server, slug, seeded.supervisor_email.clone()).await?;
    let agent_email = seeded
        .agent_emails
        .first()
        .cloned()
        .ok_or_else(|| anyhow!("the workspace has no agent"))?;
    let mut agent = Session::new(server, slug, agent_email).await?;

    let tz: Tz = TZ.parse().map_err(|_| anyhow!("unknown time zone {TZ}"))?;
    let today = Utc::now().with_timezone(&tz).date_naive();
    let overview = |days: u64| -> String {
        let from = today.checked_sub_days(Days::new(days - 1)).unwrap_or(today);
        format!("/api/v1/reports/overview?from={from}&to={today}&tz={TZ}")
    };
    let list = "/api/v1/tickets";
    let mut queries: Vec<(String, Who, String, Shape)> = vec![
        (
            "overview, last 7 days".into(),
            Who::Supervisor,
            overview(7),
            Shape::Overview,
        ),
        (
            "overview, last 30 days".into(),
            Who::Supervisor,
            overview(30),
            Shape::Overview,
        ),
        (
            "overview, last 365 days".into(),
            Who::Supervisor,
            overview(365),
            Shape::Overview,
        ),
        (
            "inbox sort=due, first page".into(),
            Who::Supervisor,
            format!("{list}?sort=due&limit={PAGE}"),
            Shape::Page,
        ),
    ];
    let token = supervisor.token(server, slug).await?;
    for (label, sort) in [("inbox sort=due", "due"), ("inbox sort=updated", "updated")] {
        if let Some((page, cursor)) =
            cursor_of_page(server, &token, &format!("{list}?sort={sort}&limit={PAGE}"), LATER_PAGE).await?
        {
            queries.push((
                format!("{label}, page {page} (cursor)"),
                Who::Supervisor,
                format!("{list}?sort={sort}&limit={PAGE}&cursor={cursor}"),
                Shape::Page,
            ));
        }
        if sort == "updated" {
            queries.push((
                "inbox default (sort=updated), first page".into(),
                Who::Supervisor,
                format!("{list}?limit={PAGE}"),
                Shape::Page,
            ));
        }
    }
    queries.extend([
        (
            "view=mine (an agent)".into(),
            Who::Agent,
            format!("{list}?view=mine&limit={PAGE}"),
            Shape::Page,
        ),
        (
            "view=mine, sort=due (an agent)".into(),
            Who::Agent,
            format!("{list}?view=mine&sort=due&limit={PAGE}"),
            Shape::Page,
        ),
        (
            "view=unassigned".into(),
            Who::Supervisor,
            format!("{list}?view=unassigned&limit={PAGE}"),
            Shape::Page,
        ),
        (
            "view=unassigned, sort=due".into(),
            Who::Supervisor,
            format!("{list}?view=unassigned&sort=due&limit={PAGE}"),
            Shape::Page,
        ),
        (
            "view=open, sort=due".into(),
            Who::Supervisor,
            format!("{list}?view=open&sort=due&limit={PAGE}"),
            Shape::Page,
        ),
        (
            "view=pending".into(),
            Who::Supervisor,
            format!("{list}?view=pending&limit={PAGE}"),
            Shape::Page,
        ),
        (
            "counts (an agent)".into(),
            Who::Agent,
            format!("{list}/counts"),
            Shape::Counts,
        ),
        (
            // A word in about one ticket in eight: ranks the newest 1,000 matches, then a page.
            "search q=invoice (hit, ranked)".into(),
            Who::Supervisor,
            format!("{list}?q=invoice&limit={PAGE}"),
            Shape::Page,
        ),
        (
            "search q=charges twice (two words)".into(),
            Who::Supervisor,
            format!("{list}?q=charges%20twice&limit={PAGE}"),
            Shape::Page,
        ),
        (
            // The last word as typed so far: every indexed word starting with it.
            "search q=refu (prefix)".into(),
            Who::Supervisor,
            format!("{list}?q=refu&limit={PAGE}"),
            Shape::Page,
        ),
        (
            // The middle: too rare to be settled among the newest documents, thousands of matches.
            "search q=webhook (1 ticket in 30)".into(),
            Who::Supervisor,
            format!("{list}?q=webhook&limit={PAGE}"),
            Shape::Page,
        ),
        (
            "search q=okta (1 in 100)".into(),
            Who::Supervisor,
            format!("{list}?q=okta&limit={PAGE}"),
            Shape::Page,
        ),
        (
            "search q=enterprise (1 in 200)".into(),
            Who::Supervisor,
            format!("{list}?q=enterprise&limit={PAGE}"),
            Shape::Page,
        ),
        (
            // A reference number: a handful of tickets among the million.
            "search q=48213 (rare hit)".into(),
            Who::Supervisor,
            format!("{list}?q=48213&limit={PAGE}"),
            Shape::Page,
        ),
        (
            "search q=nomatch (no hit)".into(),
            Who::Supervisor,
            format!("{list}?q=nomatch&limit={PAGE}"),
            Shape::Page,
        ),
        (
            "search q=invoice, sort=due".into(),
            Who::Supervisor,
            format!("{list}?q=invoice&sort=due&limit={PAGE}"),
            Shape::Page,
        ),
    ]);

    let mut rows = Vec::new();
    for (label, who, path, shape) in queries {
        let session = match who {
            Who::Supervisor => &mut supervisor,
            Who::Agent => &mut agent,
        };
        let token = session.token(server, slug).await?;
        let (first, text) = server.get(&token, &path).await?;
        let result = summarise(shape, &text)?;
        let mut timings = Vec::with_capacity(runs);
        for _ in 0..runs {
            let token = session.token(server, slug).await?;
            timings.push(millis(server.get(&token, &path).await?.0));
        }
        let row = Row {
            label,
            result,
            first: millis(first),
            timings,
        };
        print_row(&row);
        rows.push(row);
    }
    Ok(rows)
}

/// The cursor of page `pages` (1 is the first), or of the last page when there are fewer; `None`
/// when everything fits on the first page.
async fn cursor_of_page(server: &Server, token: &str, path: &str, pages: usize) -> Result<Option<(usize, String)>> {
    let mut cursor: Option<(usize, String)> = None;
    for page in 2..=pages {
        let url = match &cursor {
            Some((_, cursor)) => format!("{path}&cursor={cursor}"),
            None => path.to_owned(),
        };
        let answer: TicketPage = parse(&server.get(token, &url).await?.1)?;
        match answer.next_cursor {
            Some(next) => cursor = Some((page, next)),
            None => break,
        }
    }
    Ok(cursor)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn stats(values: &[f64]) -> (f64, f64, f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    };
    (
        sorted.first().copied().unwrap_or(f64::NAN),
        median,
        sorted.last().copied().unwrap_or(f64::NAN),
    )
}

const HEADER: &str = "query                                          first ms     min ms  median ms     max ms  result";

fn format_row(row: &Row) -> String {
    let (min, median, max) = stats(&row.timings);
    let target = target_of(&row.label).map_or(String::new(), |(limit, what)| {
        let verdict = if max < limit { "met" } else { "NOT met" };
        format!("  [target: {what} < {limit} ms: {verdict}]")
    });
    format!(
        "{:<44} {:>10.1} {:>10.1} {:>10.1} {:>10.1}  {}{target}",
        row.label, row.first, min, median, max, row.result
    )
}

/// The targets the scale issue names (at 1M tickets), checked against the slowest timed run.
fn target_of(label: &str) -> Option<(f64, &'static str)> {
    if label.starts_with("overview, last 30 days") {
        Some((50.0, "max"))
    } else if label.starts_with("overview, last 365 days") {
        Some((150.0, "max"))
    } else if label.starts_with("counts") {
        Some((10.0, "max"))
    } else if label.starts_with("search") {
        Some((50.0, "max"))
    } else {
        None
    }
}

fn print_row(row: &Row) {
    println!("  measured: {}", format_row(row));
}

fn print_report(database: &BenchDatabase, seeded: &ScaleReport, size: &str, runs: usize, rows: &[Row]) {
    let rule = "-".repeat(HEADER.len() + 20);
    println!();
    println!("Ferrodesk scale benchmark: dashboard and inbox");
    println!("{rule}");
    println!("server      {}", env!("CARGO_BIN_EXE_ferrodesk"));
    println!("database    {}", database.describe());
    match &seeded.seeded {
        Some(done) => {
            println!(
                "seeding     {} tickets in {:.1} s ({:.0} tickets/s); {:.1} s with migrations, people and {}",
                done.tickets,
                done.insert_time.as_secs_f64(),
                done.tickets_per_second(),
                done.total_time.as_secs_f64(),
                if database.postgres.is_some() {
                    "VACUUM ANALYZE"
                } else {
                    "the WAL checkpoint"
                }
            );
            println!(
                "            the kept counters computed from them in {:.1} s",
                done.rollup_time.as_secs_f64()
            );
            let statuses: Vec<String> = done
                .by_status
                .iter()
                .map(|(status, count)| format!("{status} {count}"))
                .collect();
            println!(
                "            {}; breached {}; unassigned new/open {}",
                statuses.join(", "),
                done.breached,
                done.unassigned_open
            );
        }
        None => println!("seeding     none: the workspace already held the tickets (reused)"),
    }
    println!("size        {size}");
    println!(
        "machine     {} CPU(s), load average {} (client and server share it)",
        std::thread::available_parallelism().map_or(0, usize::from),
        support::load_average()
    );
    println!(
        "method      per query: one first run (warms caches), then {runs} timed runs, one request at a time; \
         overview in {TZ}; pages of {PAGE}"
    );
    println!("{rule}");
    println!("{HEADER}");
    for row in rows {
        println!("{}", format_row(row));
    }
    println!("{rule}");
    // The target for search at 1M tickets, hit or no hit, on both databases. With a few
    // runs, the highest stands in for the 99th percentile.
    for row in rows.iter().filter(|row| row.label.starts_with("search")) {
        let (_, _, max) = stats(&row.timings);
        println!(
            "target      {:<40} max {:>8.1} ms over {} runs; target p99 < {SEARCH_TARGET_MS} ms: {}",
            row.label,
            max,
            row.timings.len(),
            if max < SEARCH_TARGET_MS { "met" } else { "missed" }
        );
    }
    println!("{rule}");
    let warnings: Vec<String> = std::fs::read_to_string(database.dir.join("server.log"))
        .unwrap_or_default()
        .lines()
        .filter(|line| line.contains("WARN") || line.contains("ERROR") || line.contains("panicked"))
        .map(str::to_owned)
        .collect();
    println!("server log  {} warning/error lines", warnings.len());
    for line in warnings.iter().take(10) {
        println!("              {line}");
    }
}
