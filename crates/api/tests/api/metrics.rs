//! `/metrics`: off without a token, refused without the right one, and with it the exposition's
//! samples (parsed, not searched) for requests by route pattern, latency, the pool, the queues'
//! backlogs, sockets, SLA scans and rate-limit refusals.

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use ferrodesk::config::{BucketSize, RateLimit, Secret};
use ferrodesk::db::entities::{categorise_queue, outbox, webhook_deliveries};
use ferrodesk::db::stored::StoredDeliveryStatus;
use ferrodesk::mail::outbox::OutboxStatus;
use ferrodesk::sla::jobs::scan;
use ferrodesk_shared::{ErrorCode, Role};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{TestApp, TestWorkspace, expect_error, spawn_app, spawn_app_with};
use crate::live::Socket;

const TOKEN: &str = "metrics-token-0123456789";

async fn app_with_metrics() -> TestApp {
    spawn_app_with(|settings| settings.metrics_token = Some(Secret::new(TOKEN))).await
}

/// One sample of the exposition: its labels and value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Every sample line of a Prometheus text exposition (comments skipped).
fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("a sample line: {line}"));
            let value: f64 = match value {
                "+Inf" => f64::INFINITY,
                value => value.parse().unwrap_or_else(|_| panic!("a number in {line}")),
            };
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, parse_labels(rest.strip_suffix('}').expect("closing brace"))),
                None => (series, BTreeMap::new()),
            };
            Sample {
                name: name.to_owned(),
                labels,
                value,
            }
        })
        .collect()
}

/// `a="x",b="y"`, values with `\"`, `\\` and `\n` escapes (and braces, as route patterns have).
fn parse_labels(text: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (key, after) = rest.split_once("=\"").expect("key=\"");
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next().expect("a closing quote") {
                (_, '\\') => match chars.next().expect("an escaped character").1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                (index, '"') => break index,
                (_, other) => value.push(other),
            }
        };
        labels.insert(key.to_owned(), value);
        rest = after[end + 1..].strip_prefix(',').unwrap_or(&after[end + 1..]);
    }
    labels
}

/// The value of the one sample named `name` with exactly these labels, if there is one.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let wanted: BTreeMap<String, String> = labels
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect();
    let found: Vec<f64> = samples
        .iter()
        .filter(|sample| sample.name == name && sample.labels == wanted)
        .map(|sample| sample.value)
        .collect();
    assert!(found.len() <= 1, "{name} {labels:?} appears {} times", found.len());
    found.first().copied()
}

fn must(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    value(samples, name, labels).unwrap_or_else(|| panic!("no sample {name} {labels:?}"))
}

async fn scrape_text(app: &TestApp) -> String {
    let response = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    response.text().await.unwrap()
}

async fn scrape(app: &TestApp) -> Vec<Sample> {
    parse(&scrape_text(app).await)
}

#[tokio::test]
async fn metrics_answer_404_without_a_token_configured() {
    let app = spawn_app().await;
    let owner = app.signup("acme").await;
    for token in [None, Some(TOKEN), Some(owner.token.as_str())] {
        let mut request = app.client.get(app.url("/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        expect_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    }
}

#[tokio::test]
async fn metrics_refuse_a_missing_or_wrong_token_and_a_workspace_session() {
    let app = app_with_metrics().await;
    let owner = app.signup("acme").await;
    let refused = [
        None,
        Some(format!("Bearer {TOKEN}x")),
        Some(format!("Bearer {}", &TOKEN[..TOKEN.len() - 1])),
        Some(format!("Basic {TOKEN}")),
        Some(TOKEN.to_owned()),
        Some("Bearer ".to_owned()),
        // A workspace's session, even its owner's, is not the operator's token.
        Some(format!("Bearer {}", owner.token)),
    ];
    for authorization in refused {
        let mut request = app.client.get(app.url("/metrics"));
        if let Some(authorization) = &authorization {
            request = request.header("authorization", authorization);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response
                .headers()
                .get("www-authenticate")
                .map(|value| value.to_str().unwrap()),
            Some("Bearer"),
            "{authorization:?}"
        );
        let body = expect_error(response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
        assert!(!body.message.contains(TOKEN));
    }
    let samples = scrape(&app).await;
    // The refusals were counted like any request, by their route.
    assert_eq!(
        must(
            &samples,
            "ferrodesk_http_requests_total",
            &[("route", "/metrics"), ("method", "GET"), ("status", "401")]
        ),
        7.0
    );
}

#[test]
fn a_short_metrics_token_is_refused_at_start() {
    let dir = std::env::temp_dir().display().to_string();
    let settings = |token: &str| {
        let (token, dir) = (token.to_owned(), dir.clone());
        ferrodesk::config::Settings::from_lookup(move |name| match name {
            "FERRODESK_DATA_DIR" => Some(dir.clone()),
            "FERRODESK_METRICS_TOKEN" => Some(token.clone()),
            _ => None,
        })
    };
    assert!(settings("short").is_err());
    let on = settings(TOKEN).expect("valid");
    assert_eq!(on.metrics_token.as_ref().map(Secret::expose), Some(TOKEN));
    assert!(!format!("{on:?}").contains(TOKEN), "redacted in Debug");
}

#[tokio::test]
async fn requests_are_counted_by_route_pattern_method_and_status_with_latency() {
    let app = spawn_app_with(|settings| {
        settings.metrics_token = Some(Secret::new(TOKEN));
        settings.api_rate_limits.caller = BucketSize {
            per_minute: 1,
            burst: 6,
        };
        settings.api_rate_limits.workspace = BucketSize {
            per_minute: 100_000,
            burst: 10_000,
        };
    })
    .await;
    let owner = app.signup("acme").await;
    let ticket = app
        .create_ticket_for(&owner, "pat@customer.example", "Printer on fire")
        .await;
    let missing = "00000000-0000-7000-8000-000000000000";
    let response = app.get(&format!("/api/v1/tickets/{missing}"), &owner.token).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = app.get("/api/v1/no-such-thing", &owner.token).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // Spend the caller's bucket: six requests, then one 429.
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(app.get("/api/v1/me", &owner.token).await.status().as_u16());
    }
    assert_eq!(
        statuses,
        [200, 200, 200, 200, 429],
        "ticket, 404, then /me until refused"
    );

    let text = scrape_text(&app).await;
    let samples = parse(&text);
    let requests = |route: &str, method: &str, status: &str| {
        value(
            &samples,
            "ferrodesk_http_requests_total",
            &[("route", route), ("method", method), ("status", status)],
        )
    };
    assert_eq!(requests("/api/v1/signup", "POST", "201"), Some(1.0));
    assert_eq!(requests("/api/v1/tickets", "POST", "201"), Some(1.0));
    assert_eq!(requests("/api/v1/tickets/{id}", "GET", "404"), Some(1.0));
    assert_eq!(requests("unmatched", "GET", "404"), Some(1.0));
    assert_eq!(requests("/api/v1/me", "GET", "200"), Some(4.0));
    assert_eq!(requests("/api/v1/me", "GET", "429"), Some(1.0));
    assert_eq!(requests("/api/v1/me", "GET", "404"), None);
    // No raw path, id or tenant in any label.
    for forbidden in [missing, &ticket.ticket.id.to_string(), "no-such-thing", "acme"] {
        assert!(!text.contains(forbidden), "{forbidden} leaked into the metrics");
    }

    let created = [("route", "/api/v1/tickets"), ("method", "POST")];
    let count = must(&samples, "ferrodesk_http_request_duration_seconds_count", &created);
    assert_eq!(count, 1.0);
    let sum = must(&samples, "ferrodesk_http_request_duration_seconds_sum", &created);
    assert!(sum > 0.0 && sum < 30.0, "took {sum} s");
    let bucket = |le: &str| {
        must(
            &samples,
            "ferrodesk_http_request_duration_seconds_bucket",
            &[("route", "/api/v1/tickets"), ("method", "POST"), ("le", le)],
        )
    };
    assert_eq!(bucket("+Inf"), 1.0);
    assert_eq!(bucket("30"), 1.0);
    assert!(bucket("0.001") <= bucket("0.1"), "cumulative buckets");
    let me = [("route", "/api/v1/me"), ("method", "GET")];
    assert_eq!(
        must(&samples, "ferrodesk_http_request_duration_seconds_count", &me),
        5.0
    );

    assert_eq!(
        must(
            &samples,
            "ferrodesk_rate_limit_refusals_total",
            &[("kind", "api_requests")]
        ),
        1.0
    );

    let max = must(&samples, "ferrodesk_db_pool_max_connections", &[]);
    assert_eq!(max, f64::from(app.settings.database_max_connections));
    let in_use = must(&samples, "ferrodesk_db_pool_connections", &[("state", "in_use")]);
    let idle = must(&samples, "ferrodesk_db_pool_connections", &[("state", "idle")]);
    // The background workers (categorisation, mail, SLA, the hub's listener) may hold every open
    // connection at the moment of the scrape: none idle is a fair reading, none open is not.
    assert!(
        in_use >= 0.0 && idle >= 0.0 && in_use + idle >= 1.0 && in_use + idle <= max,
        "{in_use} in use, {idle} idle"
    );
}

#[tokio::test]
async fn each_limit_counts_its_own_refusals() {
    let app = spawn_app_with(|settings| {
        settings.metrics_token = Some(Secret::new(TOKEN));
        // Two account creations from one address, then 429 (the per-address limit).
        settings.auth.rate_limit = RateLimit {
            burst: 2,
            seconds_per_request: 3600,
        };
    })
    .await;
    app.signup("acme").await;
    app.signup("globex").await;
    let refused = app
        .post(
            "/api/v1/signup",
            None,
            &json!({"workspace_name": "Initech", "workspace_slug": "initech", "name": "Bill",
                    "email": "bill@initech.example", "password": crate::helpers::PASSWORD}),
        )
        .await;
    expect_error(refused, StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited).await;
    let samples = scrape(&app).await;
    assert_eq!(
        must(
            &samples,
            "ferrodesk_rate_limit_refusals_total",
            &[("kind", "client_address")]
        ),
        1.0
    );
    assert_eq!(
        must(
            &samples,
            "ferrodesk_http_requests_total",
            &[("route", "/api/v1/signup"), ("method", "POST"), ("status", "429")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &samples,
            "ferrodesk_rate_limit_refusals_total",
            &[("kind", "api_requests")]
        ),
        None,
        "no other limit refused anything"
    );
}

#[tokio::test]
async fn queue_backlogs_and_their_oldest_age_are_read_at_scrape_time() {
    let app = spawn_app_with(|settings| {
        settings.metrics_token = Some(Secret::new(TOKEN));
        settings.mail.worker = false;
    })
    .await;
    let owner = app.signup("acme").await;
    let waiting = |samples: &[Sample], queue: &str| must(samples, "ferrodesk_queue_waiting", &[("queue", queue)]);
    let oldest =
        |samples: &[Sample], queue: &str| must(samples, "ferrodesk_queue_oldest_age_seconds", &[("queue", queue)]);

    let before = scrape(&app).await;
    let db = &app.state.db;
    let pending_mail = || {
        outbox::Entity::find()
            .filter(outbox::Column::Status.eq(OutboxStatus::Pending))
            .count(db)
    };
    assert_eq!(waiting(&before, "mail_outbox"), pending_mail().await.unwrap() as f64);
    assert_eq!(waiting(&before, "webhook_deliveries"), 0.0);
    assert_eq!(oldest(&before, "webhook_deliveries"), 0.0, "no row, no age");
    assert_eq!(waiting(&before, "categorisation"), 0.0);

    // One invitation: one mail in the outbox.
    let invited = app
        .post(
            "/api/v1/invitations",
            Some(&owner.token),
            &json!({"email": "ada@acme.example", "role": Role::Agent}),
        )
        .await;
    assert_eq!(invited.status(), StatusCode::CREATED);
    let after = scrape(&app).await;
    assert_eq!(waiting(&after, "mail_outbox"), waiting(&before, "mail_outbox") + 1.0);
    assert_eq!(waiting(&after, "mail_outbox"), pending_mail().await.unwrap() as f64);

    // A webhook endpoint, then a ticket: its deliveries wait (no worker in tests), and the ticket
    // waits for its category.
    let webhook = app
        .post(
            "/api/v1/webhooks",
            Some(&owner.token),
            &json!({"url": "http://127.0.0.1:9/hook", "events": ["ticket.created", "message.created"]}),
        )
        .await;
    assert_eq!(webhook.status(), StatusCode::CREATED);
    app.create_ticket_for(&owner, "pat@customer.example", "Refund").await;
    let pending_deliveries = webhook_deliveries::Entity::find()
        .filter(webhook_deliveries::Column::Status.eq(StoredDeliveryStatus::Pending))
        .count(db)
        .await
        .unwrap();
    assert!(pending_deliveries >= 1);

    // Backdate every waiting row by an hour: the ages are read from the rows, not guessed.
    let hour_ago = Utc::now() - Duration::hours(1);
    outbox::Entity::update_many()
        .col_expr(outbox::Column::CreatedAt, Expr::value(hour_ago))
        .exec(db)
        .await
        .unwrap();
    webhook_deliveries::Entity::update_many()
        .col_expr(webhook_deliveries::Column::CreatedAt, Expr::value(hour_ago))
        .exec(db)
        .await
        .unwrap();
    categorise_queue::Entity::update_many()
        .col_expr(categorise_queue::Column::EnqueuedAt, Expr::value(hour_ago))
        .exec(db)
        .await
        .unwrap();

    let samples = scrape(&app).await;
    assert_eq!(waiting(&samples, "webhook_deliveries"), pending_deliveries as f64);
    assert_eq!(waiting(&samples, "categorisation"), 1.0);
    assert_eq!(waiting(&samples, "mail_outbox"), pending_mail().await.unwrap() as f64);
    for queue in ["mail_outbox", "webhook_deliveries", "categorisation"] {
        let age = oldest(&samples, queue);
        assert!((3600.0..3700.0).contains(&age), "{queue}: oldest {age} s");
    }

    // Categorised: the queue is empty again.
    ferrodesk::ai::categorise::drain(&app.state, Utc::now()).await.unwrap();
    let drained = scrape(&app).await;
    assert_eq!(waiting(&drained, "categorisation"), 0.0);
    assert_eq!(oldest(&drained, "categorisation"), 0.0);
}

#[tokio::test]
async fn a_socket_is_counted_while_it_is_open() {
    let app = app_with_metrics().await;
    let owner = app.signup("acme").await;
    let agents = |samples: &[Sample]| must(samples, "ferrodesk_sockets_connected", &[("kind", "agent")]);
    assert_eq!(agents(&scrape(&app).await), 0.0);
    assert_eq!(
        must(
            &scrape(&app).await,
            "ferrodesk_sockets_connected",
            &[("kind", "widget")]
        ),
        0.0
    );

    let mut first = Socket::connect(&app, &owner).await;
    let second = Socket::connect(&app, &owner).await;
    assert_eq!(agents(&scrape(&app).await), 2.0);

    // One closed by the client, one cut without a close frame.
    first.stream.close(None).await.unwrap();
    drop(second);
    let mut connected = 2.0;
    for _ in 0..50 {
        connected = agents(&scrape(&app).await);
        if connected == 0.0 {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert_eq!(connected, 0.0, "both sockets uncounted after they end");
    // The upgrade itself is a request of its route.
    assert_eq!(
        must(
            &scrape(&app).await,
            "ferrodesk_http_requests_total",
            &[("route", "/api/v1/ws"), ("method", "GET"), ("status", "101")]
        ),
        2.0
    );
}

#[tokio::test]
async fn an_sla_scan_records_its_duration_and_the_breaches_it_acted_on() {
    let app = app_with_metrics().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    app.create_ticket(acme.customer(), "Nobody answers", "hello?").await;
    let before = scrape(&app).await;
    assert_eq!(must(&before, "ferrodesk_sla_scan_duration_seconds_count", &[]), 0.0);

    let report = scan(&app.state, Utc::now() + Duration::hours(9)).await.unwrap();
    assert_eq!(report.assigned + report.escalated, 1, "{report:?}");
    scan(&app.state, Utc::now() + Duration::hours(9)).await.unwrap();

    let samples = scrape(&app).await;
    assert_eq!(must(&samples, "ferrodesk_sla_scan_duration_seconds_count", &[]), 2.0);
    let took = must(&samples, "ferrodesk_sla_scan_duration_seconds_sum", &[]);
    assert!(took > 0.0 && took < 30.0, "{took} s");
    assert_eq!(
        must(
            &samples,
            "ferrodesk_sla_breaches_acted_on_total",
            &[("action", "assigned")]
        ),
        report.assigned as f64
    );
    assert_eq!(
        must(
            &samples,
            "ferrodesk_sla_breaches_acted_on_total",
            &[("action", "escalated")]
        ),
        report.escalated as f64
    );
}

#[test]
fn the_parser_reads_escapes_and_braces() {
    let samples = parse(
        "# HELP x y\nx_total{route=\"/a/{id}\",q=\"say \\\"hi\\\"\\\\\"} 3\nplain 1.5\nh_bucket{le=\"+Inf\"} 2\n",
    );
    assert_eq!(
        must(&samples, "x_total", &[("route", "/a/{id}"), ("q", "say \"hi\"\\")]),
        3.0
    );
    assert_eq!(must(&samples, "plain", &[]), 1.5);
    assert_eq!(must(&samples, "h_bucket", &[("le", "+Inf")]), 2.0);
    assert_eq!(
        value(&samples, "x_total", &[("route", "/a/{id}")]),
        None,
        "labels match exactly"
    );
}

/// The scrape's three backlog queries read an index, never the whole table. Which one is the
/// planner's choice: SQLite (no statistics) takes either `ix_outbox_pending_age`, covering, or the
/// workers' `ix_outbox_due` and then the pending rows; PostgreSQL an index-only scan once the
/// visibility map is current. So only "an index, no table scan" is asserted, on PostgreSQL with
/// the planner told to avoid a sequential scan as it does on a large table.
#[tokio::test]
async fn the_backlog_queries_read_an_index() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
    let app = spawn_app().await;
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let statements = ferrodesk::metrics::repo::backlog_statements(backend);
    let tables = ["outbox", "webhook_deliveries", "categorise_queue"];
    for (statement, table) in statements.into_iter().zip(tables) {
        let plan: Vec<String> = match backend {
            DbBackend::Sqlite => {
                let explain = Statement {
                    sql: format!("EXPLAIN QUERY PLAN {}", statement.sql),
                    ..statement.clone()
                };
                db.query_all_raw(explain)
                    .await
                    .unwrap()
                    .iter()
                    .map(|row| row.try_get::<String>("", "detail").unwrap())
                    .collect()
            }
            _ => {
                let txn = db.begin().await.unwrap();
                txn.execute_unprepared("SET LOCAL enable_seqscan = off").await.unwrap();
                let explain = Statement {
                    sql: format!("EXPLAIN {}", statement.sql),
                    ..statement.clone()
                };
                let plan = txn
                    .query_all_raw(explain)
                    .await
                    .unwrap()
                    .iter()
                    .map(|row| row.try_get::<String>("", "QUERY PLAN").unwrap())
                    .collect();
                txn.rollback().await.unwrap();
                plan
            }
        };
        let plan = plan.join("\n");
        assert!(!plan.contains("Seq Scan"), "{}\n{plan}", statement.sql);
        if backend == DbBackend::Sqlite {
            let through_index = plan.contains(&format!("SEARCH {table} USING "))
                || plan.contains(&format!("SCAN {table} USING COVERING INDEX"));
            assert!(through_index && plan.contains("INDEX ix_"), "{}\n{plan}", statement.sql);
        } else {
            assert!(plan.contains("Index"), "{}\n{plan}", statement.sql);
        }
    }
}
