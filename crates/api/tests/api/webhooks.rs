//! Outgoing webhooks against a real HTTP receiver on 127.0.0.1: the endpoints' CRUD and
//! validation, the SSRF guard, signed deliveries whose signatures verify (HMAC computed here,
//! independently), internal notes only when asked, retries with backoff, a receiver that is down,
//! two instances sharing the outbox, the failure window, tenancy, roles and API keys with `webhooks:manage`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use ferrodesk::clock;
use ferrodesk::startup::Application;
use ferrodesk::webhooks::jobs::deliver_due;
use ferrodesk_shared::api_keys::ApiScope;
use ferrodesk_shared::notifications::{NotificationKind, NotificationPage};
use ferrodesk_shared::webhooks::{
    DeliveryStatus, Webhook, WebhookDelivery, WebhookDeliveryPage, WebhookList, WebhookWithSecret,
};
use ferrodesk_shared::{ErrorCode, Role};
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{Session, TestApp, TestWorkspace, expect_error, expect_json, spawn_app, spawn_app_with};

#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: HashMap<String, String>,
    body: String,
    at: Instant,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }
}

/// An HTTP server on loopback that records every request and answers the statuses queued in
/// `answers` (then `200 ok`).
struct Receiver {
    port: u16,
    seen: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
    always: Arc<Mutex<Option<u16>>>,
    server: actix_web::dev::ServerHandle,
}

impl Receiver {
    async fn start() -> Receiver {
        Receiver::on(std::net::TcpListener::bind("127.0.0.1:0").unwrap())
    }

    fn on(listener: std::net::TcpListener) -> Receiver {
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let answers = Arc::new(Mutex::new(VecDeque::new()));
        let always = Arc::new(Mutex::new(None));
        let (server_seen, server_answers, server_always) = (seen.clone(), answers.clone(), always.clone());
        let server = HttpServer::new(move || {
            let (seen, answers, always) = (server_seen.clone(), server_answers.clone(), server_always.clone());
            App::new().default_service(web::to(move |request: HttpRequest, body: web::Bytes| {
                let (seen, answers, always) = (seen.clone(), answers.clone(), always.clone());
                async move {
                    let headers = request
                        .headers()
                        .iter()
                        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or("").to_owned()))
                        .collect();
                    seen.lock().unwrap().push(Received {
                        path: request.path().to_owned(),
                        headers,
                        body: String::from_utf8_lossy(&body).into_owned(),
                        at: Instant::now(),
                    });
                    let status = always
                        .lock()
                        .unwrap()
                        .or_else(|| answers.lock().unwrap().pop_front())
                        .unwrap_or(200);
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).body(if status == 200 {
                        "ok".to_owned()
                    } else {
                        format!("broken {status} ").repeat(200)
                    })
                }
            }))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Receiver {
            port,
            seen,
            answers,
            always,
            server: handle,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn seen(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }

    fn answer(&self, statuses: &[u16]) {
        self.answers.lock().unwrap().extend(statuses);
    }

    fn always(&self, status: u16) {
        *self.always.lock().unwrap() = Some(status);
    }
}

/// The Standard Webhooks check, computed here without the server's code.
fn verifies(secret: &str, received: &Received) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(
        format!(
            "{}.{}.{}",
            received.header("webhook-id"),
            received.header("webhook-timestamp"),
            received.body
        )
        .as_bytes(),
    );
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    received
        .header("webhook-signature")
        .split(' ')
        .any(|signature| signature == expected)
}

async fn create_webhook(app: &TestApp, owner: &Session, body: Value) -> WebhookWithSecret {
    expect_json(
        app.post("/api/v1/webhooks", Some(&owner.token), &body).await,
        StatusCode::CREATED,
    )
    .await
}

async fn subscribe(app: &TestApp, owner: &Session, url: &str) -> WebhookWithSecret {
    create_webhook(
        app,
        owner,
        json!({ "url": url, "events": ["ticket.created", "ticket.updated", "message.created"] }),
    )
    .await
}

async fn deliveries(app: &TestApp, owner: &Session, webhook: &Webhook) -> Vec<WebhookDelivery> {
    let page: WebhookDeliveryPage = expect_json(
        app.get(
            &format!("/api/v1/webhooks/{}/deliveries?limit=100", webhook.id),
            &owner.token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    page.items
}

async fn deliver(app: &TestApp, now: DateTime<Utc>) -> (usize, usize) {
    let outcome = deliver_due(&app.state, now).await.unwrap();
    (outcome.delivered, outcome.failed)
}

#[tokio::test]
async fn endpoints_are_created_listed_changed_rotated_and_deleted() {
    let app = spawn_app().await;
    let owner = app.signup("hooks").await;
    let created = create_webhook(
        &app,
        &owner,
        json!({ "url": "https://example.com/hooks", "events": ["message.created", "ticket.created", "message.created"],
                "description": "CRM sync" }),
    )
    .await;
    assert!(created.secret.starts_with("whsec_"));
    assert!(STANDARD.decode(&created.secret["whsec_".len()..]).unwrap().len() >= 24);
    let webhook = created.webhook;
    assert_eq!(webhook.url, "https://example.com/hooks");
    assert_eq!(webhook.events.len(), 2, "each event once");
    assert!(webhook.enabled && !webhook.include_internal);
    assert_eq!(webhook.description.as_deref(), Some("CRM sync"));

    let listed: WebhookList = expect_json(app.get("/api/v1/webhooks", &owner.token).await, StatusCode::OK).await;
    assert_eq!(listed.items, vec![webhook.clone()]);
    assert!(
        !serde_json::to_string(&listed).unwrap().contains(&created.secret),
        "secrets are shown once"
    );
    let path = format!("/api/v1/webhooks/{}", webhook.id);
    let fetched: Webhook = expect_json(app.get(&path, &owner.token).await, StatusCode::OK).await;
    assert_eq!(fetched, webhook);

    let changed: Webhook = expect_json(
        app.patch(
            &path,
            &owner.token,
            &json!({ "events": ["ticket.updated"], "description": null, "include_internal": true }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        changed.events,
        vec![ferrodesk_shared::webhooks::WebhookEvent::TicketUpdated]
    );
    assert_eq!(changed.description, None);
    assert!(changed.include_internal);
    assert_eq!(changed.url, webhook.url, "a missing field is left alone");

    let rotated: WebhookWithSecret = expect_json(
        app.post(&format!("{path}/rotate-secret"), Some(&owner.token), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(rotated.secret.starts_with("whsec_"));
    assert_ne!(rotated.secret, created.secret);

    let deleted = app.send(Method::DELETE, &path, Some(&owner.token), None).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    expect_error(
        app.get(&path, &owner.token).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;
    let again = app.send(Method::DELETE, &path, Some(&owner.token), None).await;
    expect_error(again, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

#[tokio::test]
async fn bad_input_is_refused_with_codes_and_nothing_is_stored() {
    let app = spawn_app().await;
    let owner = app.signup("hooks").await;
    for (body, status, code, field) in [
        (
            json!({ "url": "not a url", "events": ["ticket.created"] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            Some("url"),
        ),
        (
            json!({ "url": "ftp://example.com/x", "events": ["ticket.created"] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            Some("url"),
        ),
        (
            json!({ "url": "https://example.com/x", "events": [] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            Some("events"),
        ),
        (
            json!({ "url": "https://example.com/x", "events": ["ticket.created"], "description": "two\nlines" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            Some("description"),
        ),
        (
            json!({ "url": "https://example.com/x", "events": ["ticket.deleted"] }),
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            None,
        ),
        (
            json!({ "url": "https://example.com/x", "events": ["ticket.created"], "secret": "mine" }),
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            None,
        ),
        (
            json!({ "events": ["ticket.created"] }),
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            None,
        ),
    ] {
        let error = expect_error(
            app.post("/api/v1/webhooks", Some(&owner.token), &body).await,
            status,
            code,
        )
        .await;
        if let Some(field) = field {
            assert!(error.fields.contains_key(field), "{body}: {error:?}");
        }
    }
    let listed: WebhookList = expect_json(app.get("/api/v1/webhooks", &owner.token).await, StatusCode::OK).await;
    assert!(listed.items.is_empty());

    let webhook = create_webhook(
        &app,
        &owner,
        json!({ "url": "https://example.com/x", "events": ["ticket.created"] }),
    )
    .await
    .webhook;
    let path = format!("/api/v1/webhooks/{}", webhook.id);
    expect_error(
        app.patch(
            &path,
            &owner.token,
            &json!({ "url": "https://example.com/y", "events": [] }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    )
    .await;
    let unchanged: Webhook = expect_json(app.get(&path, &owner.token).await, StatusCode::OK).await;
    assert_eq!(unchanged.url, "https://example.com/x", "nothing half-stored");
    expect_error(
        app.get(&format!("{path}/deliveries?limit=0"), &owner.token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    )
    .await;
}

#[tokio::test]
async fn private_addresses_are_refused_when_not_allowed() {
    let app = spawn_app_with(|settings| settings.webhooks.allow_local = false).await;
    let owner = app.signup("hooks").await;
    for url in [
        "http://127.0.0.1:9/hooks",
        "https://127.0.0.1/hooks",
        "https://10.1.2.3/hooks",
        "https://192.168.0.10/hooks",
        "https://[::1]/hooks",
        "https://localhost/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://metadata.google.internal/x",
        "http://example.com/plain-http",
    ] {
        let body = json!({ "url": url, "events": ["ticket.created"] });
        let error = expect_error(
            app.post("/api/v1/webhooks", Some(&owner.token), &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
        )
        .await;
        assert!(error.fields.contains_key("url"), "{url}");
    }

    // Checked again when sending: a name that resolves to a private address (here `localhost`,
    // written behind the API's back), or a stored address literal, is never connected to.
    let receiver = Receiver::start().await;
    let webhook = subscribe(&app, &owner, "https://example.com/hooks").await.webhook;
    for url in [
        format!("http://localhost:{}/hooks", receiver.port),
        receiver.url("/hooks"),
    ] {
        use ferrodesk::db::entities::webhook_endpoints;
        use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
        let row = webhook_endpoints::Entity::find_by_id(webhook.id.0)
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        let mut row = row.into_active_model();
        row.url = Set(url.clone());
        row.update(&app.state.db).await.unwrap();
        app.create_ticket_for(&owner, "customer@mail.example", &format!("To {url}"))
            .await;
        let (delivered, failed) = deliver(&app, clock::now() + chrono::Duration::hours(1)).await;
        assert_eq!(delivered, 0, "{url}");
        assert!(failed >= 1, "{url}");
    }
    assert!(receiver.seen().is_empty(), "nothing reached the private address");
    let logged = deliveries(&app, &owner, &webhook).await;
    assert!(
        logged
            .iter()
            .all(|delivery| delivery.status == DeliveryStatus::Pending && delivery.error.is_some())
    );
}

#[tokio::test]
async fn ticket_changes_deliver_signed_events_with_the_staff_payload() {
    let app = spawn_app().await;
    let workspace = TestWorkspace::create(&app, "hooks", 1).await;
    let receiver = Receiver::start().await;
    let created = subscribe(&app, &workspace.owner, &receiver.url("/ferrodesk")).await;

    let ticket = app
        .create_ticket(workspace.customer(), "Card declined", "My card was declined twice.")
        .await;
    app.reply(
        workspace.agent(),
        ticket.ticket.id,
        "Sorry! Could you try again?",
        false,
    )
    .await;
    app.update_ticket(workspace.agent(), ticket.ticket.id, &json!({ "status": "pending" }))
        .await;
    assert!(receiver.seen().is_empty(), "nothing is sent before the worker runs");

    let now = clock::now();
    let (delivered, failed) = deliver(&app, now).await;
    assert_eq!(failed, 0);
    let seen = receiver.seen();
    assert_eq!(seen.len(), delivered);
    let kinds: Vec<String> = seen
        .iter()
        .map(|received| received.json()["type"].as_str().unwrap().to_owned())
        .collect();
    for kind in ["ticket.created", "message.created", "ticket.updated"] {
        assert!(kinds.iter().any(|seen| seen == kind), "{kind} in {kinds:?}");
    }
    for received in &seen {
        assert_eq!(received.path, "/ferrodesk");
        assert_eq!(received.header("content-type"), "application/json");
        assert!(received.header("webhook-id").starts_with("msg_"));
        let timestamp: i64 = received.header("webhook-timestamp").parse().unwrap();
        assert!(
            (now.timestamp()..=now.timestamp() + 2).contains(&timestamp),
            "sent at the job's now"
        );
        assert!(
            verifies(&created.secret, received),
            "the signature verifies: {received:?}"
        );
        assert!(
            !verifies("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", received),
            "and only with the secret"
        );
        let body = received.json();
        assert_eq!(body["data"]["type"], body["type"], "data is the socket's event");
        assert_eq!(body["data"]["ticket"]["id"], json!(ticket.ticket.id));
        assert!(body["timestamp"].is_string());
    }
    let reply = seen
        .iter()
        .map(Received::json)
        .find(|body| body["type"] == "message.created")
        .unwrap();
    assert_eq!(reply["data"]["message"]["body"], "Sorry! Could you try again?");

    let logged = deliveries(&app, &workspace.owner, &created.webhook).await;
    assert_eq!(logged.len(), seen.len());
    for delivery in &logged {
        assert_eq!(delivery.status, DeliveryStatus::Delivered);
        assert_eq!(delivery.attempts, 1);
        assert_eq!(delivery.response_status, Some(200));
        assert_eq!(delivery.response_body.as_deref(), Some("ok"));
        assert!(delivery.latency_ms.is_some() && delivery.delivered_at.is_some());
        assert!(
            seen.iter()
                .any(|received| received.header("webhook-id") == format!("msg_{}", delivery.id.0.simple()))
        );
    }
    assert!(
        logged.windows(2).all(|pair| pair[0].event_id > pair[1].event_id),
        "newest first"
    );
    assert_eq!(
        deliver(&app, now + chrono::Duration::hours(1)).await,
        (0, 0),
        "each once"
    );

    // A retry sends the same message again (same webhook-id), signed with the current secret.
    let rotated: WebhookWithSecret = expect_json(
        app.post(
            &format!("/api/v1/webhooks/{}/rotate-secret", created.webhook.id),
            Some(&workspace.owner.token),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let first = &logged[logged.len() - 1];
    let retried: WebhookDelivery = expect_json(
        app.post(
            &format!("/api/v1/webhooks/{}/deliveries/{}/retry", created.webhook.id, first.id),
            Some(&workspace.owner.token),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(retried.status, DeliveryStatus::Pending);
    assert_eq!(deliver(&app, clock::now()).await, (1, 0));
    let again = receiver.seen().pop().unwrap();
    assert_eq!(again.header("webhook-id"), format!("msg_{}", first.id.0.simple()));
    assert!(verifies(&rotated.secret, &again) && !verifies(&created.secret, &again));
}

#[tokio::test]
async fn internal_notes_go_only_to_endpoints_that_asked() {
    let app = spawn_app().await;
    let workspace = TestWorkspace::create(&app, "hooks", 1).await;
    let receiver = Receiver::start().await;
    let events = json!(["message.created"]);
    create_webhook(
        &app,
        &workspace.owner,
        json!({ "url": receiver.url("/public"), "events": events }),
    )
    .await;
    create_webhook(
        &app,
        &workspace.owner,
        json!({ "url": receiver.url("/internal"), "events": events, "include_internal": true }),
    )
    .await;
    let ticket = app
        .create_ticket(workspace.customer(), "Refund", "Please refund me.")
        .await;
    app.reply(workspace.agent(), ticket.ticket.id, "Secret: customer is VIP", true)
        .await;
    app.reply(workspace.agent(), ticket.ticket.id, "Refund is on its way", false)
        .await;
    deliver(&app, clock::now()).await;
    let seen = receiver.seen();
    let bodies = |path: &str| -> Vec<String> {
        seen.iter()
            .filter(|received| received.path == path)
            .map(|received| received.json()["data"]["message"]["body"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        bodies("/public"),
        vec!["Refund is on its way".to_owned()],
        "no internal note"
    );
    let internal = bodies("/internal");
    assert_eq!(internal.len(), 2);
    assert!(internal.contains(&"Secret: customer is VIP".to_owned()));
    assert!(
        seen.iter().all(|received| !received.body.contains("ticket.created")),
        "only subscribed events"
    );
}

#[tokio::test]
async fn a_failing_answer_is_retried_with_backoff_then_delivered() {
    let app = spawn_app().await;
    let owner = app.signup("hooks").await;
    let receiver = Receiver::start().await;
    let webhook = create_webhook(
        &app,
        &owner,
        json!({ "url": receiver.url("/"), "events": ["ticket.created"] }),
    )
    .await
    .webhook;
    receiver.answer(&[500, 503]);
    app.create_ticket_for(&owner, "customer@mail.example", "Printer on fire")
        .await;

    let t0 = clock::now();
    assert_eq!(deliver(&app, t0).await, (0, 1));
    let [first] = &deliveries(&app, &owner, &webhook).await[..] else {
        panic!("one delivery")
    };
    assert_eq!(first.status, DeliveryStatus::Pending);
    assert_eq!(first.response_status, Some(500));
    assert!(
        first.response_body.as_deref().unwrap().len() <= 1024,
        "the answer's first kilobyte"
    );
    assert!(first.response_body.as_deref().unwrap().starts_with("broken 500"));
    assert!(first.error.is_some());
    let retry_at = first.next_attempt_at.unwrap();
    assert!(retry_at >= t0 + chrono::Duration::seconds(10) && retry_at < t0 + chrono::Duration::seconds(12));
    let failing: Webhook = expect_json(
        app.get(&format!("/api/v1/webhooks/{}", webhook.id), &owner.token).await,
        StatusCode::OK,
    )
    .await;
    assert!(failing.failing_since.is_some());

    assert_eq!(
        deliver(&app, t0 + chrono::Duration::seconds(5)).await,
        (0, 0),
        "not before its time"
    );
    assert_eq!(deliver(&app, t0 + chrono::Duration::seconds(11)).await, (0, 1));
    let second = &deliveries(&app, &owner, &webhook).await[0];
    let wait = second.next_attempt_at.unwrap() - (t0 + chrono::Duration::seconds(11));
    assert!(wait >= chrono::Duration::seconds(20), "the wait doubles: {wait}");
    assert_eq!(deliver(&app, t0 + chrono::Duration::seconds(40)).await, (1, 0));
    let done = &deliveries(&app, &owner, &webhook).await[0];
    assert_eq!(done.status, DeliveryStatus::Delivered);
    assert_eq!(done.attempts, 3);
    assert_eq!(done.response_status, Some(200));
    assert_eq!(done.error, None);
    assert_eq!(receiver.seen().len(), 3);
    let ids: Vec<String> = receiver
        .seen()
        .iter()
        .map(|received| received.header("webhook-id").to_owned())
        .collect();
    assert!(ids.iter().all(|id| id == &ids[0]), "every attempt is the same message");
    let healthy: Webhook = expect_json(
        app.get(&format!("/api/v1/webhooks/{}", webhook.id), &owner.token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(healthy.failing_since, None, "a success ends the failing streak");
}

#[tokio::test]
async fn a_receiver_that_is_down_delays_delivery_and_loses_nothing() {
    let app = spawn_app().await;
    let owner = app.signup("hooks").await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let webhook = create_webhook(
        &app,
        &owner,
        json!({ "url": format!("http://127.0.0.1:{port}/hooks"), "events": ["ticket.created"] }),
    )
    .await
    .webhook;
    for index in 0..3 {
        app.create_ticket_for(&owner, "customer@mail.example", &format!("Ticket {index}"))
            .await;
    }
    let t0 = clock::now();
    assert_eq!(deliver(&app, t0).await, (0, 3));
    let logged = deliveries(&app, &owner, &webhook).await;
    assert!(logged.iter().all(|delivery| delivery.status == DeliveryStatus::Pending
        && delivery.response_status.is_none()
        && delivery.error.as_deref().unwrap().contains("cannot reach")));

    let receiver = Receiver::on(std::net::TcpListener::bind(("127.0.0.1", port)).unwrap());
    assert_eq!(deliver(&app, t0 + chrono::Duration::seconds(30)).await, (3, 0));
    let mut subjects: Vec<String> = receiver
        .seen()
        .iter()
        .map(|received| {
            received.json()["data"]["ticket"]["subject"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    subjects.sort();
    assert_eq!(subjects, ["Ticket 0", "Ticket 1", "Ticket 2"]);
}

#[tokio::test]
async fn two_instances_share_the_outbox_without_sending_twice() {
    let app = spawn_app().await;
    let owner = app.signup("hooks").await;
    let receiver = Receiver::start().await;
    subscribe(&app, &owner, &receiver.url("/")).await;
    for index in 0..12 {
        app.create_ticket_for(&owner, "customer@mail.example", &format!("Ticket {index}"))
            .await;
    }
    let other = Application::build(app.settings.clone()).await.unwrap();
    let now = clock::now();
    let (one, two) = tokio::join!(deliver_due(&app.state, now), deliver_due(other.state(), now));
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_eq!(one.failed + two.failed, 0);
    assert_eq!(one.delivered + two.delivered, 12);
    let mut ids: Vec<String> = receiver
        .seen()
        .iter()
        .map(|received| received.header("webhook-id").to_owned())
        .collect();
    assert_eq!(ids.len(), 12);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12, "no delivery was sent twice");
}

#[tokio::test]
async fn an_endpoint_failing_for_the_whole_window_is_disabled_and_the_owners_told() {
    let app = spawn_app().await;
    let workspace = TestWorkspace::create(&app, "hooks", 1).await;
    let owner = &workspace.owner;
    let receiver = Receiver::start().await;
    receiver.always(500);
    let webhook = subscribe(&app, owner, &receiver.url("/")).await.webhook;
    app.create_ticket_for(owner, "customer@mail.example", "One").await;
    let t0 = clock::now();
    assert_eq!(deliver(&app, t0).await, (0, 1));
    assert_eq!(deliver(&app, t0 + chrono::Duration::hours(71)).await, (0, 1), "not yet");
    let still: Webhook = expect_json(
        app.get(&format!("/api/v1/webhooks/{}", webhook.id), &owner.token).await,
        StatusCode::OK,
    )
    .await;
    assert!(still.enabled);

    assert_eq!(deliver(&app, t0 + chrono::Duration::hours(73)).await, (0, 1));
    let disabled: Webhook = expect_json(
        app.get(&format!("/api/v1/webhooks/{}", webhook.id), &owner.token).await,
        StatusCode::OK,
    )
    .await;
    assert!(!disabled.enabled);
    assert!(disabled.disabled_reason.as_deref().unwrap().contains("72 hours"));
    let logged = deliveries(&app, owner, &webhook).await;
    assert_eq!(logged[0].status, DeliveryStatus::Failed);

    let told: NotificationPage =
        expect_json(app.get("/api/v1/notifications", &owner.token).await, StatusCode::OK).await;
    let notice = told
        .items
        .iter()
        .find(|notification| notification.kind == NotificationKind::WebhookDisabled)
        .expect("the owner is told");
    assert!(notice.title.contains("127.0.0.1"));
    let agent_told: NotificationPage = expect_json(
        app.get("/api/v1/notifications", &workspace.agent().token).await,
        StatusCode::OK,
    )
    .await;
    assert!(
        agent_told
            .items
            .iter()
            .all(|notification| notification.kind != NotificationKind::WebhookDisabled)
    );

    // Disabled: new changes write no deliveries, nothing is sent, a retry is refused.
    let before = receiver.seen().len();
    app.create_ticket_for(owner, "customer@mail.example", "Two").await;
    assert_eq!(deliver(&app, t0 + chrono::Duration::hours(80)).await, (0, 0));
    assert_eq!(receiver.seen().len(), before);
    assert_eq!(deliveries(&app, owner, &webhook).await.len(), 1);
    expect_error(
        app.post(
            &format!("/api/v1/webhooks/{}/deliveries/{}/retry", webhook.id, logged[0].id),
            Some(&owner.token),
            &json!({}),
        )
        .await,
        StatusCode::CONFLICT,
        ErrorCode::Conflict,
    )
    .await;

    // On again: a fresh window, and a retry goes out.
    let enabled: Webhook = expect_json(
        app.patch(
            &format!("/api/v1/webhooks/{}", webhook.id),
            &owner.token,
            &json!({ "enabled": true }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(enabled.enabled && enabled.failing_since.is_none() && enabled.disabled_reason.is_none());
    receiver.always.lock().unwrap().take();
    expect_json::<WebhookDelivery>(
        app.post(
            &format!("/api/v1/webhooks/{}/deliveries/{}/retry", webhook.id, logged[0].id),
            Some(&owner.token),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(deliver(&app, clock::now()).await, (1, 0));
}

#[tokio::test]
async fn another_workspace_gets_404_and_only_owners_manage_webhooks() {
    let app = spawn_app().await;
    let workspace = TestWorkspace::create(&app, "hooks", 1).await;
    let stranger = app.signup("other").await;
    let receiver = Receiver::start().await;
    let webhook = subscribe(&app, &workspace.owner, &receiver.url("/")).await.webhook;
    app.create_ticket(workspace.customer(), "Hello", "Hi").await;
    let delivery = deliveries(&app, &workspace.owner, &webhook).await[0].clone();

    let base = format!("/api/v1/webhooks/{}", webhook.id);
    let patch = json!({ "description": "mine now" });
    let scoped: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, base.clone(), None),
        (Method::PATCH, base.clone(), Some(patch.clone())),
        (Method::POST, format!("{base}/rotate-secret"), Some(json!({}))),
        (Method::GET, format!("{base}/deliveries"), None),
        (
            Method::POST,
            format!("{base}/deliveries/{}/retry", delivery.id),
            Some(json!({})),
        ),
        (Method::DELETE, base.clone(), None),
    ];
    for (method, path, body) in &scoped {
        let response = app
            .send(method.clone(), path, Some(&stranger.token), body.as_ref())
            .await;
        expect_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    }
    let theirs: WebhookList = expect_json(app.get("/api/v1/webhooks", &stranger.token).await, StatusCode::OK).await;
    assert!(theirs.items.is_empty());
    // A delivery of one endpoint is not found under another endpoint of the same workspace.
    let sibling = subscribe(&app, &workspace.owner, &receiver.url("/b")).await.webhook;
    let response = app
        .post(
            &format!("/api/v1/webhooks/{}/deliveries/{}/retry", sibling.id, delivery.id),
            Some(&workspace.owner.token),
            &json!({}),
        )
        .await;
    expect_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;

    let mut everything = scoped.clone();
    everything.push((Method::GET, "/api/v1/webhooks".to_owned(), None));
    everything.push((
        Method::POST,
        "/api/v1/webhooks".to_owned(),
        Some(json!({ "url": "https://example.com/x", "events": ["ticket.created"] })),
    ));
    for session in [workspace.agent(), &workspace.supervisor, workspace.customer()] {
        assert_ne!(session.auth.user.role, Role::Owner);
        for (method, path, body) in &everything {
            let response = app
                .send(method.clone(), path, Some(&session.token), body.as_ref())
                .await;
            expect_error(response, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
        }
    }
    for (method, path, body) in &everything {
        let response = app.send(method.clone(), path, None, body.as_ref()).await;
        expect_error(response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
    }
    let untouched: Webhook = expect_json(app.get(&base, &workspace.owner.token).await, StatusCode::OK).await;
    assert_eq!(untouched, webhook);
    let listed: WebhookList = expect_json(
        app.get("/api/v1/webhooks", &workspace.owner.token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed.items.len(), 2, "a refused create stores nothing");
}

#[tokio::test]
async fn a_key_with_webhooks_manage_manages_webhooks_and_others_are_refused() {
    let app = spawn_app().await;
    let workspace = TestWorkspace::create(&app, "hooks", 1).await;
    let manager = app
        .create_api_key(&workspace.owner, "Zapier", &[ApiScope::WebhooksManage])
        .await
        .key;
    let body = json!({ "url": "https://example.com/from-a-key", "events": ["ticket.created"] });
    let created: WebhookWithSecret = expect_json(
        app.post("/api/v1/webhooks", Some(&manager), &body).await,
        StatusCode::CREATED,
    )
    .await;
    assert!(created.secret.starts_with("whsec_"));
    let listed: WebhookList = expect_json(app.get("/api/v1/webhooks", &manager).await, StatusCode::OK).await;
    assert_eq!(listed.items, vec![created.webhook.clone()]);
    // The owner sees what the key made: one workspace, two ways in.
    let seen: WebhookList = expect_json(
        app.get("/api/v1/webhooks", &workspace.owner.token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(seen.items, listed.items);

    // Every scope but this one: 403 naming the missing scope, and nothing stored.
    let others: Vec<ApiScope> = ApiScope::ALL
        .into_iter()
        .filter(|scope| *scope != ApiScope::WebhooksManage)
        .collect();
    let without = app.create_api_key(&workspace.owner, "Tickets", &others).await.key;
    let base = format!("/api/v1/webhooks/{}", created.webhook.id);
    for (method, path, body) in [
        (Method::POST, "/api/v1/webhooks".to_owned(), Some(&body)),
        (Method::GET, "/api/v1/webhooks".to_owned(), None),
        (Method::GET, base.clone(), None),
        (Method::DELETE, base.clone(), None),
    ] {
        let response = app.send(method.clone(), &path, Some(&without), body).await;
        let error = expect_error(response, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
        assert!(error.message.contains("webhooks:manage"), "{method} {path}: {error:?}");
    }

    // Another workspace's key with the scope: this endpoint does not exist for it.
    let stranger = app.signup("other").await;
    let theirs = app
        .create_api_key(&stranger, "Theirs", &[ApiScope::WebhooksManage])
        .await
        .key;
    for (method, path, body) in [
        (Method::GET, base.clone(), None),
        (Method::PATCH, base.clone(), Some(json!({ "enabled": false }))),
        (Method::POST, format!("{base}/rotate-secret"), None),
        (Method::GET, format!("{base}/deliveries"), None),
        (Method::DELETE, base.clone(), None),
    ] {
        let response = app.send(method.clone(), &path, Some(&theirs), body.as_ref()).await;
        expect_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    }
    let empty: WebhookList = expect_json(app.get("/api/v1/webhooks", &theirs).await, StatusCode::OK).await;
    assert!(empty.items.is_empty());
    let untouched: Webhook = expect_json(app.get(&base, &workspace.owner.token).await, StatusCode::OK).await;
    assert_eq!(untouched, created.webhook);
    let listed: WebhookList = expect_json(
        app.get("/api/v1/webhooks", &workspace.owner.token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed.items.len(), 1, "a refused create stores nothing");
}

#[tokio::test]
async fn the_worker_delivers_right_after_the_commit() {
    let app = spawn_app_with(|settings| settings.webhooks.worker = true).await;
    let owner = app.signup("hooks").await;
    let receiver = Receiver::start().await;
    subscribe(&app, &owner, &receiver.url("/")).await;
    let committed = Instant::now();
    app.create_ticket_for(&owner, "customer@mail.example", "Fast").await;
    let deadline = Instant::now() + Duration::from_secs(4);
    while receiver.seen().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let seen = receiver.seen();
    assert_eq!(seen.len(), 1, "woken by the commit, well before the 5 s timer");
    let latency = seen[0].at - committed;
    assert!(latency < Duration::from_secs(4));
    eprintln!("webhook latency from the create request to receipt: {latency:?}");
    app.stopper.stop().await;
    receiver.server.stop(false).await;
}
