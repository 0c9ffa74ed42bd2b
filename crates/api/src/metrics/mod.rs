//! Prometheus metrics at `/metrics` for the operator: requests by route pattern, the pool, the
//! queues' backlogs, SLA scans, sockets, rate-limit refusals. The registry belongs to the app (in
//! `AppState`), never to the process, so many apps in one process (the tests) keep apart.

pub mod handlers;
pub mod middleware;
pub mod repo;

use std::borrow::Cow;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::sla::jobs::ScanReport;

/// Seconds; from a fast cached read to a request that waited for the pool's whole timeout.
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Seconds; a scan of a quiet instance takes milliseconds, a backlog of breaches seconds.
const SCAN_BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0];

/// The route label of a request no route took (an unknown path, or one refused before routing).
pub const UNMATCHED: &str = "unmatched";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The matched pattern (`/api/v1/tickets/{id}`), never the raw path: ids would make the
    /// series unbounded.
    pub route: Cow<'static, str>,
    pub method: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: Cow<'static, str>,
    pub method: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabel {
    action: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabel {
    queue: &'static str,
}

/// Which WebSocket: the agents' (`/api/v1/ws`) or the widget's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketKind {
    Agent,
    Widget,
}

/// Why a request got 429: set on the answer by `ApiError::RateLimited` (its `kind`), read by the
/// middleware. A 429 without it counts as `other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitRefusal(pub &'static str);

/// A queue's rows waiting and how long the oldest has waited, read at scrape time.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Backlog {
    pub waiting: i64,
    pub oldest_age_seconds: f64,
}

type Float = Gauge<f64, AtomicU64>;

/// Every metric of one app, registered once in its own registry.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    refusals: Family<KindLabel, Counter>,
    sockets_agent: Gauge,
    sockets_widget: Gauge,
    sla_scan: Histogram,
    sla_breaches: Family<ActionLabel, Counter>,
    pool_connections: Family<StateLabel, Gauge>,
    pool_max: Gauge,
    queue_waiting: Family<QueueLabel, Gauge>,
    queue_oldest: Family<QueueLabel, Float>,
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("ferrodesk");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by matched route pattern, method and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its answer's head, by matched route pattern and method",
            latency.clone(),
        );
        let refusals = Family::<KindLabel, Counter>::default();
        registry.register(
            "rate_limit_refusals",
            "Requests refused with 429, by the limit that refused them",
            refusals.clone(),
        );
        let sockets = Family::<KindLabel, Gauge>::default();
        registry.register(
            "sockets_connected",
            "WebSockets open now (agents' /api/v1/ws and the widget's), from the upgrade to the close",
            sockets.clone(),
        );
        let sockets_agent = sockets.get_or_create_owned(&KindLabel { kind: "agent" });
        let sockets_widget = sockets.get_or_create_owned(&KindLabel { kind: "widget" });
        let sla_scan = Histogram::new(SCAN_BUCKETS);
        registry.register(
            "sla_scan_duration_seconds",
            "How long each SLA scan took",
            sla_scan.clone(),
        );
        let sla_breaches = Family::<ActionLabel, Counter>::default();
        registry.register(
            "sla_breaches_acted_on",
            "SLA breaches this instance acted on, by what it did",
            sla_breaches.clone(),
        );
        let pool_connections = Family::<StateLabel, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections of the pool, in use or idle, sampled at scrape time",
            pool_connections.clone(),
        );
        let pool_max = Gauge::default();
        registry.register(
            "db_pool_max_connections",
            "The most connections the pool opens",
            pool_max.clone(),
        );
        let queue_waiting = Family::<QueueLabel, Gauge>::default();
        registry.register(
            "queue_waiting",
            "Rows waiting in a queue (mail outbox, webhook deliveries, categorisation), all workspaces, at scrape time",
            queue_waiting.clone(),
        );
        let queue_oldest = Family::<QueueLabel, Float>::default();
        registry.register(
            "queue_oldest_age_seconds",
            "How long the oldest waiting row of a queue has waited (0 when none), at scrape time",
            queue_oldest.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            refusals,
            sockets_agent,
            sockets_widget,
            sla_scan,
            sla_breaches,
            pool_connections,
            pool_max,
            queue_waiting,
            queue_oldest,
        }
    }

    /// One answered request. `route` is the matched pattern or [`UNMATCHED`].
    pub fn request(
        &self,
        route: Cow<'static, str>,
        method: &'static str,
        status: u16,
        took: Duration,
        refusal: Option<RateLimitRefusal>,
    ) {
        let labels = RouteLabels { route, method };
        self.latency.get_or_create(&labels).observe(took.as_secs_f64());
        let RouteLabels { route, method } = labels;
        self.requests
            .get_or_create(&RequestLabels { route, method, status })
            .inc();
        if status == 429 {
            let kind = refusal.map_or("other", |refusal| refusal.0);
            self.refusals.get_or_create(&KindLabel { kind }).inc();
        }
    }

    /// Counts a socket as connected until the guard drops, which every way a socket ends does
    /// (its task returns, panics or is dropped with the runtime), so the gauge cannot drift.
    pub fn socket_connected(&self, kind: SocketKind) -> SocketGuard {
        let gauge = match kind {
            SocketKind::Agent => self.sockets_agent.clone(),
            SocketKind::Widget => self.sockets_widget.clone(),
        };
        gauge.inc();
        SocketGuard(gauge)
    }

    pub fn sla_scanned(&self, took: Duration, report: &ScanReport) {
        self.sla_scan.observe(took.as_secs_f64());
        for (action, count) in [("assigned", report.assigned), ("escalated", report.escalated)] {
            let counter = self.sla_breaches.get_or_create(&ActionLabel { action });
            counter.inc_by(u64::try_from(count).unwrap_or(u64::MAX));
        }
    }

    pub fn set_pool(&self, in_use: i64, idle: i64, max: i64) {
        self.pool_connections
            .get_or_create(&StateLabel { state: "in_use" })
            .set(in_use);
        self.pool_connections
            .get_or_create(&StateLabel { state: "idle" })
            .set(idle);
        self.pool_max.set(max);
    }

    pub fn set_backlog(&self, queue: &'static str, backlog: Backlog) {
        let label = QueueLabel { queue };
        self.queue_waiting.get_or_create(&label).set(backlog.waiting);
        self.queue_oldest.get_or_create(&label).set(backlog.oldest_age_seconds);
    }

    /// The exposition in the Prometheus text format (0.0.4).
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::with_capacity(16 * 1024);
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// One connected socket; see [`Metrics::socket_connected`].
pub struct SocketGuard(Gauge);

impl Drop for SocketGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}
