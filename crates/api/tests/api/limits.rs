//! Abuse limits over real HTTP: sign-in failures throttled per account and per address (successes
//! never count), the bounded password-hashing pool under a burst of sign-ins at the production
//! argon2 cost, quotas on the actions that cost someone mail or money, and a provider's stored key
//! that stays with its host.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use ferrodesk::config::{PasswordHashing, RateLimit};
use ferrodesk::db::entities::outbox;
use ferrodesk_shared::ErrorCode;
use ferrodesk_shared::ai::{AiSettings, ReplyOrigin, SuggestedReply};
use ferrodesk_shared::auth::AuthResponse;
use ferrodesk_shared::tickets::TicketDetail;
use reqwest::{Method, Response, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TestApp, TestWorkspace, expect_error, expect_json, resident_kib, retry_after, spawn_app_with,
};

/// Expects `429 rate_limited` with a Retry-After of at most `max` seconds; returns it.
async fn expect_limited(response: Response, max: u64) -> u64 {
    let seconds = retry_after(&response);
    assert!((1..=max).contains(&seconds), "Retry-After {seconds}");
    expect_error(response, StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited).await;
    seconds
}

#[tokio::test]
async fn wrong_passwords_are_throttled_per_account_known_or_not() {
    // Every test request comes from 127.0.0.1: the address limit is set far away, so what bites is
    // the account's, as it would for guesses spread over 20 addresses.
    let app = spawn_app_with(|settings| {
        settings.limits.sign_in_account_failures = 10;
        settings.limits.sign_in_address_failures = 1_000;
    })
    .await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let owner = "owner@acme.example";
    for _ in 0..10 {
        let response = app.login("acme", owner, "wrong password guess").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    for _ in 10..20 {
        expect_limited(app.login("acme", owner, "wrong password guess").await, 900).await;
    }
    // The right password is refused too until the window passes, and the account is the same
    // however the email is spelled.
    expect_limited(app.login("acme", owner, PASSWORD).await, 900).await;
    expect_limited(app.login(" ACME", " Owner@Acme.Example ", PASSWORD).await, 900).await;

    // An unknown email is throttled exactly alike, so a 429 does not tell who has an account.
    for attempt in 0..12 {
        let response = app.login("acme", "nobody@acme.example", "wrong password guess").await;
        if attempt < 10 {
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        } else {
            expect_limited(response, 900).await;
        }
    }
    // Other accounts, in the same workspace and from the same address, are not affected.
    let agent: AuthResponse =
        expect_json(app.login("acme", "agent0@acme.example", PASSWORD).await, StatusCode::OK).await;
    assert_eq!(agent.user.id, acme.agent().id());
}

#[tokio::test]
async fn a_throttled_account_signs_in_again_once_its_window_passes() {
    let app = spawn_app_with(|settings| {
        settings.limits.sign_in_account_failures = 3;
        settings.limits.sign_in_failure_window = chrono::Duration::seconds(3);
    })
    .await;
    app.signup("acme").await;
    for _ in 0..3 {
        let response = app.login("acme", "owner@acme.example", "wrong password guess").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let wait = expect_limited(app.login("acme", "owner@acme.example", PASSWORD).await, 3).await;
    tokio::time::sleep(Duration::from_secs(wait) + Duration::from_millis(200)).await;
    let response = app.login("acme", "owner@acme.example", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_office_behind_one_address_signs_in_and_only_failures_count() {
    // 60 requests per address would have covered the 50 registrations and then run out after 10
    // sign-ins when sign-in counted every attempt.
    let app = spawn_app_with(|settings| {
        settings.auth.rate_limit = RateLimit {
            burst: 60,
            seconds_per_request: 3_600,
        };
        settings.limits.sign_in_address_failures = 5;
        settings.limits.sign_in_account_failures = 3;
    })
    .await;
    app.signup("acme").await;
    let people: Vec<String> = (0..50).map(|n| format!("person{n}@office.example")).collect();
    for email in &people {
        app.register_customer("acme", email).await;
    }
    // Four typos from the office do not get near the address's five.
    for email in &people[..4] {
        let response = app.login("acme", email, "a typo in it").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    for email in &people {
        let response = app.login("acme", email, PASSWORD).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{email}: {}",
            response.text().await.unwrap()
        );
    }
    // Each of the 50 again: successes cost nothing, not even to an account with two typos.
    for email in &people {
        let response = app.login("acme", email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    // The fifth failure from the address reaches its limit: then every account there waits.
    let response = app.login("acme", &people[10], "a typo in it").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    expect_limited(app.login("acme", &people[11], "a typo in it").await, 900).await;
    expect_limited(app.login("acme", &people[12], PASSWORD).await, 900).await;
}

#[tokio::test]
async fn a_burst_of_sign_ins_hashes_on_a_bounded_pool_and_the_rest_get_503_fast() {
    let app = spawn_app_with(|settings| {
        settings.auth.password_hashing = PasswordHashing::RECOMMENDED;
        settings.limits.password_hashing_concurrency = 1;
        settings.limits.password_hashing_wait = Duration::from_millis(300);
        settings.limits.sign_in_address_failures = 1_000;
    })
    .await;
    app.signup("acme").await;

    // Sample the resident size every few milliseconds while 50 sign-ins (50 accounts, none of them
    // known, so each verifies against the dummy hash at full cost) arrive at once.
    let baseline = resident_kib();
    let peak = Arc::new(AtomicU64::new(baseline));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(Ordering::Relaxed) {
                peak.fetch_max(resident_kib(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let started = Instant::now();
    let answers = futures_util::future::join_all((0..50).map(|n| {
        let app = &app;
        async move {
            let response = app
                .login("acme", &format!("guest{n}@acme.example"), "wrong password guess")
                .await;
            let elapsed = started.elapsed();
            let status = response.status();
            let retry = response.headers().get("retry-after").is_some();
            let body: Value = response.json().await.unwrap();
            (status, retry, body, elapsed)
        }
    }))
    .await;
    let took = started.elapsed();
    sampling.store(false, Ordering::Relaxed);
    sampler.join().unwrap();
    let growth_mib = peak.load(Ordering::Relaxed).saturating_sub(baseline) / 1024;

    let refused: Vec<_> = answers
        .iter()
        .filter(|(status, ..)| *status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    let answered = answers
        .iter()
        .filter(|(status, ..)| *status == StatusCode::UNAUTHORIZED)
        .count();
    eprintln!(
        "50 concurrent sign-ins at 19 MiB argon2id, 1 hashing slot: {answered} answered 401, {} got 503; \
         peak RSS growth {growth_mib} MiB; all answered in {took:?}",
        refused.len()
    );
    assert_eq!(answered + refused.len(), 50, "{answers:?}");
    assert!(answered >= 1, "the pool still works");
    assert!(!refused.is_empty(), "over capacity some are refused");
    for (_, retry, body, elapsed) in &refused {
        assert!(*retry, "503 carries Retry-After");
        assert_eq!(body["code"], "service_unavailable");
        assert!(
            *elapsed < Duration::from_secs(5),
            "refused fast, not after hashing: {elapsed:?}"
        );
    }
    // One hash at a time in memory kept by its thread (measured: 2 MiB of growth, the thread's 19 MiB
    // having been taken at sign-up); unbounded, the same burst grew this process by 955 MiB. The
    // margin is for the other tests running in this process.
    assert!(growth_mib < 100, "peak RSS grew by {growth_mib} MiB");
}

#[tokio::test]
async fn sign_in_links_are_limited_per_requested_address_known_or_not() {
    let app = spawn_app_with(|settings| settings.limits.sign_in_links_per_hour = 5).await;
    let acme = TestWorkspace::create(&app, "acme", 0).await;
    let customer = acme.customer().auth.user.email.clone();
    for (email, known) in [(customer.as_str(), true), ("stranger@mail.example", false)] {
        for attempt in 0..12 {
            let body = json!({ "workspace_slug": "acme", "email": email });
            let response = app.post("/api/v1/auth/link-request", None, &body).await;
            if attempt < 5 {
                assert_eq!(response.status(), StatusCode::ACCEPTED, "{email} {attempt}");
            } else {
                // The same for a known and an unknown address.
                expect_limited(response, 3_600).await;
            }
        }
        let expected = if known { 5 } else { 0 };
        assert_eq!(app.mails_to(email, "sign_in_link").await, expected, "{email}");
    }
    // Another address is not affected.
    let other = acme.customers[1].auth.user.email.clone();
    let response = app
        .post(
            "/api/v1/auth/link-request",
            None,
            &json!({ "workspace_slug": "acme", "email": other }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
}

#[tokio::test]
async fn a_requester_gets_a_few_confirmations_an_hour_and_every_ticket_is_kept() {
    let app = spawn_app_with(|settings| settings.limits.ticket_confirmations_per_hour = 5).await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let customer = acme.customer();
    for n in 0..15 {
        app.create_ticket(customer, &format!("Request {n}"), "Please help.")
            .await;
    }
    let list: Value = expect_json(app.get("/api/v1/tickets", &customer.token).await, StatusCode::OK).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 15, "every ticket is kept");
    assert_eq!(app.mails_to(&customer.auth.user.email, "ticket_received").await, 5);
    // Staff opening tickets for someone else's address: that address has its own quota.
    app.create_ticket_for(acme.agent(), "carol@mail.example", "Called in")
        .await;
    assert_eq!(app.mails_to("carol@mail.example", "ticket_received").await, 1);
    // And replies from the team still reach the customer.
    let ticket = app.create_ticket(customer, "One more", "Still there?").await;
    let path = format!("/api/v1/tickets/{}/messages", ticket.ticket.id);
    let reply = app
        .post(
            &path,
            Some(&acme.agent().token),
            &json!({ "body": "Yes, we are on it." }),
        )
        .await;
    assert_eq!(reply.status(), StatusCode::CREATED);
    assert_eq!(app.mails_to(&customer.auth.user.email, "agent_replied").await, 1);
}

#[tokio::test]
async fn invitations_are_limited_per_workspace_per_day() {
    let app = spawn_app_with(|settings| settings.limits.invitations_per_day = 5).await;
    let acme = app.signup("acme").await;
    let globex = app.signup("globex").await;
    for n in 0..30 {
        let body = json!({ "email": format!("new{n}@acme.example"), "role": "agent" });
        let response = app.post("/api/v1/invitations", Some(&acme.token), &body).await;
        if n < 5 {
            assert_eq!(response.status(), StatusCode::CREATED);
        } else {
            expect_limited(response, 24 * 3_600).await;
        }
    }
    let sent = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("invitation"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(sent, 5, "only the invitations let through were mailed");
    // Withdrawing one does not give its mail back.
    let list: Value = expect_json(app.get("/api/v1/invitations", &acme.token).await, StatusCode::OK).await;
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let revoked = app
        .send(
            Method::DELETE,
            &format!("/api/v1/invitations/{id}"),
            Some(&acme.token),
            None,
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let again = json!({ "email": "again@acme.example", "role": "agent" });
    expect_limited(
        app.post("/api/v1/invitations", Some(&acme.token), &again).await,
        24 * 3_600,
    )
    .await;
    // Another workspace has its own quota.
    let theirs = json!({ "email": "new@globex.example", "role": "agent" });
    let response = app.post("/api/v1/invitations", Some(&globex.token), &theirs).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

/// An OpenAI-compatible provider on loopback that counts its calls and keeps each Authorization header.
struct Provider {
    base_url: String,
    authorizations: Arc<Mutex<Vec<Option<String>>>>,
}

impl Provider {
    async fn start() -> Provider {
        let authorizations = Arc::new(Mutex::new(Vec::new()));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = authorizations.clone();
        let server = HttpServer::new(move || {
            let seen = seen.clone();
            App::new().default_service(web::to(move |request: HttpRequest| {
                let seen = seen.clone();
                async move {
                    let authorization = request
                        .headers()
                        .get("authorization")
                        .and_then(|value| value.to_str().ok())
                        .map(str::to_owned);
                    seen.lock().unwrap().push(authorization);
                    HttpResponse::Ok().json(json!({
                        "id": "chatcmpl-1", "object": "chat.completion", "created": 1_700_000_000, "model": "tiny-llm",
                        "choices": [{ "index": 0, "finish_reason": "stop",
                            "message": { "role": "assistant", "content": "Hi,\n\nWe are on it.\n\nBest regards" } }],
                    }))
                }
            }))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Provider {
            base_url: format!("http://127.0.0.1:{port}/v1"),
            authorizations,
        }
    }

    fn calls(&self) -> Vec<Option<String>> {
        self.authorizations.lock().unwrap().clone()
    }
}

async fn set_provider(app: &TestApp, owner: &str, provider: Value) -> AiSettings {
    let body = json!({ "enabled": true, "min_confidence": 0.5, "custom_categories": [], "provider": provider });
    expect_json(
        app.send(Method::PUT, "/api/v1/ai/settings", Some(owner), Some(&body))
            .await,
        StatusCode::OK,
    )
    .await
}

async fn ask_draft(app: &TestApp, token: &str, ticket: &TicketDetail) -> Response {
    let path = format!("/api/v1/tickets/{}/suggest-reply", ticket.ticket.id);
    app.post(&path, Some(token), &json!({})).await
}

#[tokio::test]
async fn provider_drafts_are_limited_per_user_and_offline_ones_are_not() {
    let app = spawn_app_with(|settings| settings.limits.ai_suggestions_per_hour = 5).await;
    let acme = TestWorkspace::create(&app, "acme", 2).await;
    let globex = TestWorkspace::create(&app, "globex", 1).await;
    let provider = Provider::start().await;
    set_provider(
        &app,
        &acme.owner.token,
        json!({ "base_url": provider.base_url, "model": "tiny-llm", "api_key": "sk-paid" }),
    )
    .await;
    let ticket = app
        .create_ticket(acme.customer(), "Refund", "I was charged twice.")
        .await;
    for attempt in 0..25 {
        let response = ask_draft(&app, &acme.agents[0].token, &ticket).await;
        if attempt < 5 {
            let draft: SuggestedReply = expect_json(response, StatusCode::OK).await;
            assert_eq!(draft.origin, ReplyOrigin::Provider);
        } else {
            expect_limited(response, 3_600).await;
        }
    }
    assert_eq!(provider.calls().len(), 5, "25 asks, 5 paid calls");
    // Per user: another agent still has theirs.
    let draft: SuggestedReply =
        expect_json(ask_draft(&app, &acme.agents[1].token, &ticket).await, StatusCode::OK).await;
    assert_eq!(draft.origin, ReplyOrigin::Provider);
    // A workspace without a provider drafts offline, at no cost and without a quota.
    let theirs = app
        .create_ticket(globex.customer(), "Refund", "I was charged twice.")
        .await;
    for _ in 0..8 {
        let draft: SuggestedReply =
            expect_json(ask_draft(&app, &globex.agent().token, &theirs).await, StatusCode::OK).await;
        assert_ne!(draft.origin, ReplyOrigin::Provider);
    }
}

#[tokio::test]
async fn a_stored_provider_key_never_follows_the_url_to_another_host() {
    let app = spawn_app_with(|_| {}).await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let (first, second) = (Provider::start().await, Provider::start().await);
    let owner = &acme.owner.token;
    let ticket = app
        .create_ticket(acme.customer(), "Refund", "I was charged twice.")
        .await;
    set_provider(
        &app,
        owner,
        json!({ "base_url": first.base_url, "model": "tiny-llm", "api_key": "sk-first" }),
    )
    .await;

    // Another path on the same scheme, host and port keeps the key.
    let same_origin = format!("{}/", first.base_url);
    let kept = set_provider(&app, owner, json!({ "base_url": same_origin, "model": "other-model" })).await;
    assert!(kept.provider.is_some_and(|provider| provider.has_api_key));
    expect_json::<SuggestedReply>(ask_draft(&app, &acme.agent().token, &ticket).await, StatusCode::OK).await;
    assert_eq!(first.calls(), vec![Some("Bearer sk-first".to_owned())]);

    // Another host (here another port) without a key: the stored key is dropped, not sent there.
    let moved = set_provider(&app, owner, json!({ "base_url": second.base_url, "model": "tiny-llm" })).await;
    assert!(moved.provider.is_some_and(|provider| !provider.has_api_key));
    let draft: SuggestedReply = expect_json(ask_draft(&app, &acme.agent().token, &ticket).await, StatusCode::OK).await;
    assert_eq!(draft.origin, ReplyOrigin::Provider);
    assert_eq!(second.calls(), vec![None], "no Authorization reaches the new host");

    // Moving back does not bring the old key back either; a key given with the URL is used.
    let back = set_provider(&app, owner, json!({ "base_url": first.base_url, "model": "tiny-llm" })).await;
    assert!(back.provider.is_some_and(|provider| !provider.has_api_key));
    set_provider(
        &app,
        owner,
        json!({ "base_url": second.base_url, "model": "tiny-llm", "api_key": "sk-second" }),
    )
    .await;
    expect_json::<SuggestedReply>(ask_draft(&app, &acme.agent().token, &ticket).await, StatusCode::OK).await;
    assert_eq!(second.calls(), vec![None, Some("Bearer sk-second".to_owned())]);
}

#[tokio::test]
async fn user_input_cannot_forge_or_colour_a_line_of_the_servers_text_log() {
    // The real binary, as deployed: its text log goes to a file (not a terminal).
    let database = crate::helpers::TestDatabase::create().await;
    let dir = std::env::temp_dir().join(format!("ferrodesk-log-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let log_path = dir.join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_ferrodesk"));
    for (name, _) in std::env::vars() {
        if name.starts_with("FERRODESK_") || name.starts_with("SMTP_") || name == "DATABASE_URL" {
            command.env_remove(name);
        }
    }
    let mut server = command
        .arg("serve")
        .env("FERRODESK_ADDR", format!("127.0.0.1:{port}"))
        .env("FERRODESK_DATA_DIR", &dir)
        .env("DATABASE_URL", &database.url)
        .env("FERRODESK_SLA_SCHEDULE", "off")
        .env("FERRODESK_MODEL_DIR", dir.join("no-model"))
        .env("RUST_LOG", "info,sqlx=warn,sea_orm=warn")
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("the ferrodesk binary starts");
    let address = format!("http://127.0.0.1:{port}");
    // Other tests' apps install the TLS provider; this one starts none in-process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let started = Instant::now();
    while !client
        .get(format!("{address}/readyz"))
        .send()
        .await
        .is_ok_and(|response| response.status() == StatusCode::OK)
    {
        assert!(started.elapsed() < Duration::from_secs(60), "the server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let forged = "acme\n2026-12-05T09:00:00.000000Z  INFO FORGED: the owner was granted admin\u{1b}[2J\u{1b}[31m";
    let body = json!({ "workspace_slug": forged, "email": "ada@acme.example\r\nFORGED too", "password": "wrong password guess" });
    let response = client
        .post(format!("{address}/api/v1/auth/login"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // The event is written as it happens; give the writer a moment, then stop the server.
    let mut text = String::new();
    for _ in 0..50 {
        text = std::fs::read_to_string(&log_path).unwrap();
        if text.contains("sign-in refused") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill().await.ok();
    std::fs::remove_dir_all(&dir).ok();

    let refused: Vec<&str> = text.lines().filter(|line| line.contains("sign-in refused")).collect();
    assert_eq!(refused.len(), 1, "{text}");
    assert!(
        refused[0].contains("acme\\n2026-12-05T09:00:00.000000Z  INFO FORGED"),
        "the slug is logged, escaped: {}",
        refused[0]
    );
    assert!(
        !text.lines().any(|line| line.starts_with("2026-12-05T09:00:00")
            || line.contains("FORGED") && !line.contains("sign-in refused")),
        "no forged line: {text}"
    );
    assert!(
        !text.contains('\u{1b}') && !text.contains('\r'),
        "no raw escape sequences: {text:?}"
    );
}
