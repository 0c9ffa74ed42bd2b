//! AI through the API: categories on arrival (with the TF-IDF fallback these apps run on, and with the
//! real model when its weights are present), learning from corrections within one workspace only,
//! reply drafts from similar solved tickets, and the OpenAI-compatible provider against a server on
//! loopback that speaks `/v1/chat/completions`, failing in each way a real one can.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use ferrodesk_shared::ErrorCode;
use ferrodesk_shared::ai::{AiSettings, CategoryList, CategorySource, ClassifierMethod, ReplyOrigin, SuggestedReply};
use ferrodesk_shared::tickets::{Ticket, TicketDetail};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Statement};
use serde_json::{Value, json};

use chrono::Utc;
use ferrodesk::ai::categorise::{DrainReport, LEASE, drain};
use ferrodesk::db::entities::{events, ticket_embeddings};
use ferrodesk::db::lease::Lease;
use ferrodesk::startup::Application;
use ferrodesk_shared::events::ServerEvent;
use uuid::Uuid;

use crate::live::Socket;

use crate::helpers::{Session, TestApp, TestWorkspace, expect_error, expect_json, spawn_app, spawn_app_with};

/// What the categorisation worker does a moment after a ticket arrives, done now.
async fn categorise(app: &TestApp) -> DrainReport {
    drain(&app.state, Utc::now()).await.expect("the queue drains")
}

async fn put_settings(app: &TestApp, owner: &Session, body: Value) -> reqwest::Response {
    app.send(Method::PUT, "/api/v1/ai/settings", Some(&owner.token), Some(&body))
        .await
}

fn settings_body(min_confidence: f64, custom: Value, provider: Value) -> Value {
    json!({ "enabled": true, "min_confidence": min_confidence, "custom_categories": custom, "provider": provider })
}

/// Asks for a draft as `caller`, for a test that checks the refusal.
async fn ask_suggestion(app: &TestApp, caller: &Session, ticket: &TicketDetail) -> reqwest::Response {
    let path = format!("/api/v1/tickets/{}/suggest-reply", ticket.ticket.id);
    app.post(&path, Some(&caller.token), &json!({})).await
}

async fn suggest(app: &TestApp, agent: &Session, ticket: &TicketDetail) -> SuggestedReply {
    expect_json(ask_suggestion(app, agent, ticket).await, StatusCode::OK).await
}

async fn set_category(app: &TestApp, staff: &Session, ticket: &TicketDetail, category: &str) -> Ticket {
    app.update_ticket(staff, ticket.ticket.id, &json!({ "category": category }))
        .await
}

/// An agent answers the ticket publicly and solves it.
async fn answer_and_solve(app: &TestApp, agent: &Session, ticket: &TicketDetail, answer: &str) {
    app.reply(agent, ticket.ticket.id, answer, false).await;
    app.update_ticket(agent, ticket.ticket.id, &json!({ "status": "solved" }))
        .await;
}

#[tokio::test]
async fn new_tickets_are_categorised_and_a_low_confidence_is_left_for_a_human() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let billing = app
        .create_ticket(
            acme.customer(),
            "Charged twice on my invoice",
            "My credit card was charged twice for the subscription. I need a refund of the second payment.",
        )
        .await;
    assert_eq!(
        billing.ticket.ai_category, None,
        "the guess is a hint for staff, not for the customer"
    );
    assert_eq!(
        categorise(&app).await,
        DrainReport {
            categorised: 1,
            ..DrainReport::default()
        }
    );
    let seen = app.ticket_as(acme.agent(), billing.ticket.id).await;
    let guess = seen
        .ticket
        .ai_category
        .clone()
        .expect("staff see what the AI made of it");
    assert_eq!(guess.category, "billing");
    assert!(guess.confidence > 0.5 && guess.confidence <= 1.0, "{guess:?}");
    assert!(guess.assigned);
    assert_eq!(seen.ticket.category.as_deref(), Some("billing"));
    assert_eq!(seen.ticket.category_source, Some(CategorySource::Ai));
    let as_customer = app.ticket_as(acme.customer(), billing.ticket.id).await;
    assert_eq!(as_customer.ticket.ai_category, None);

    // Above every confidence: the guess is kept as a hint and the category left empty.
    let strict = put_settings(&app, &acme.owner, settings_body(0.99, json!([]), Value::Null)).await;
    assert_eq!(strict.status(), StatusCode::OK);
    let unsure = app
        .create_ticket(
            acme.customer(),
            "My parcel has not arrived",
            "The delivery of my order is late and the tracking shows nothing.",
        )
        .await;
    assert_eq!(
        categorise(&app).await,
        DrainReport {
            abstained: 1,
            ..DrainReport::default()
        }
    );
    let detail = app.ticket_as(acme.agent(), unsure.ticket.id).await;
    let guess = detail.ticket.ai_category.expect("a guess");
    assert_eq!(guess.category, "shipping");
    assert!(!guess.assigned);
    assert_eq!(detail.ticket.category, None);
    assert_eq!(detail.ticket.category_source, None);

    // The owner's switch: no AI at all.
    let off = json!({ "enabled": false, "min_confidence": 0.5, "custom_categories": [], "provider": null });
    assert_eq!(put_settings(&app, &acme.owner, off).await.status(), StatusCode::OK);
    let plain = app
        .create_ticket(acme.customer(), "Refund please", "I was charged twice.")
        .await;
    assert_eq!(
        categorise(&app).await,
        DrainReport {
            skipped: 1,
            ..DrainReport::default()
        },
        "dropped from the queue unread"
    );
    let detail = app.ticket_as(acme.agent(), plain.ticket.id).await;
    assert_eq!(detail.ticket.ai_category, None);
    expect_error(
        ask_suggestion(&app, acme.agent(), &plain).await,
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
    )
    .await;
}

#[tokio::test]
async fn corrections_teach_the_workspace_and_no_other() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let globex = TestWorkspace::create(&app, "globex", 1).await;
    let custom = json!([{ "name": "hardware", "description": "a broken physical device" }]);
    assert_eq!(
        put_settings(&app, &acme.owner, settings_body(0.3, custom, Value::Null))
            .await
            .status(),
        StatusCode::OK
    );
    let texts = [
        (
            "Printer jammed",
            "The office printer jams on every page and blinks orange.",
        ),
        (
            "Printer offline",
            "Our printer shows offline and will not print the labels.",
        ),
        ("Printer toner", "The printer says toner empty after a new cartridge."),
        ("Printer paper", "Paper gets stuck in the printer tray again."),
    ];
    for (subject, body) in texts {
        let ticket = app.create_ticket(acme.customer(), subject, body).await;
        set_category(&app, acme.agent(), &ticket, "hardware").await;
        // The same words in another workspace, labelled differently there.
        let theirs = app.create_ticket(globex.customer(), subject, body).await;
        set_category(&app, globex.agent(), &theirs, "technical").await;
    }
    // The tickets' embeddings, which the labels are learnt with; the agents' categories stay.
    let report = categorise(&app).await;
    assert_eq!(report.categorised + report.abstained, 8, "{report:?}");
    // The job the corrections scheduled, run now rather than waited for.
    for workspace in [&acme, &globex] {
        ferrodesk::ai::learn::retrain_workspace(&app.state, workspace.owner.auth.workspace.id)
            .await
            .expect("retrains");
    }
    let learnt: AiSettings = expect_json(app.get("/api/v1/ai/settings", &acme.owner.token).await, StatusCode::OK).await;
    assert_eq!(learnt.classifier.labels, 4);
    assert_eq!(learnt.classifier.method, ClassifierMethod::Centroid);
    assert!(learnt.classifier.trained_at.is_some());

    let subject = "Printer broken";
    let body = "The printer jams and the paper is stuck.";
    let ours = app.create_ticket(acme.customer(), subject, body).await;
    categorise(&app).await;
    let ours = app.ticket_as(acme.agent(), ours.ticket.id).await;
    assert_eq!(ours.ticket.ai_category.map(|g| g.category).as_deref(), Some("hardware"));
    let theirs = app.create_ticket(globex.customer(), subject, body).await;
    categorise(&app).await;
    let theirs = app.ticket_as(globex.agent(), theirs.ticket.id).await;
    assert_eq!(
        theirs.ticket.ai_category.map(|g| g.category).as_deref(),
        Some("technical"),
        "globex learnt its own label, and never acme's category"
    );
    let categories: CategoryList = expect_json(
        app.get("/api/v1/ai/categories", &globex.agent().token).await,
        StatusCode::OK,
    )
    .await;
    assert!(categories.items.iter().all(|category| category.name != "hardware"));
    assert_eq!(categories.items.len(), 5);

    // A correction schedules the retraining by itself.
    let another = app
        .create_ticket(acme.customer(), "Printer smoke", "Smoke came out of the printer.")
        .await;
    categorise(&app).await;
    set_category(&app, acme.agent(), &another, "hardware").await;
    let mut labels = 0;
    for _ in 0..100 {
        let now: AiSettings =
            expect_json(app.get("/api/v1/ai/settings", &acme.owner.token).await, StatusCode::OK).await;
        labels = now.classifier.labels;
        if labels == 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(labels, 5, "the background retraining took the new label");
}

#[tokio::test]
async fn suggestions_adapt_a_similar_solved_ticket_of_the_same_workspace() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let globex = TestWorkspace::create(&app, "globex", 1).await;
    let solved = app
        .create_ticket(
            &acme.customers[1],
            "Cannot reset my password",
            "The password reset email never arrives.",
        )
        .await;
    answer_and_solve(
        &app,
        acme.agent(),
        &solved,
        "Hi there,\n\nThe reset email can land in spam. I sent a new link to you. The link expires in 24 \
         hours. Open Settings > Security to choose the new password.\n\nBest regards,\nAgent",
    )
    .await;
    let unrelated = app
        .create_ticket(
            &acme.customers[1],
            "Invoice address",
            "Please change the invoice address.",
        )
        .await;
    answer_and_solve(&app, acme.agent(), &unrelated, "Done, the invoice address is updated.").await;
    // The solved tickets' embeddings, stored a moment after they arrived.
    categorise(&app).await;

    let question = app
        .create_ticket(
            acme.customer(),
            "Password reset email",
            "I asked for a password reset but the email never arrives.",
        )
        .await;
    let suggestion = suggest(&app, acme.agent(), &question).await;
    assert_eq!(suggestion.origin, ReplyOrigin::Retrieval, "{suggestion:?}");
    assert!(suggestion.draft.starts_with("Hi Customer,\n\n"), "{}", suggestion.draft);
    assert!(
        suggestion.draft.contains("Open Settings > Security"),
        "{}",
        suggestion.draft
    );
    assert!(
        suggestion.draft.contains("The link expires in {{number}} hours"),
        "no copied figure: {}",
        suggestion.draft
    );
    // The other customer's "I sent a new link" did not happen here: the agent says what they did.
    assert!(
        suggestion.draft.contains("{{what_was_sent}}") && !suggestion.draft.contains("I sent"),
        "no claim of another ticket's action: {}",
        suggestion.draft
    );
    assert!(!suggestion.draft.contains("Hi there"));
    assert!(
        suggestion
            .draft
            .ends_with(&format!("Best regards,\n{}", acme.agent().auth.user.name))
    );
    assert_eq!(suggestion.placeholders, vec!["what_was_sent", "number"]);
    assert_eq!(suggestion.sources[0].ticket_id, solved.ticket.id);
    assert_eq!(suggestion.sources[0].number, solved.ticket.number);
    assert!(suggestion.sources[0].similarity > 0.2);
    assert!(suggestion.notice.is_none() && suggestion.model.is_none());

    // Another workspace with the same question draws on nothing of acme's, and cannot ask about acme's ticket.
    let theirs = app
        .create_ticket(
            globex.customer(),
            "Password reset email",
            "I asked for a password reset but the email never arrives.",
        )
        .await;
    let theirs_suggestion = suggest(&app, globex.agent(), &theirs).await;
    assert_eq!(theirs_suggestion.origin, ReplyOrigin::NoSimilar);
    assert!(theirs_suggestion.sources.is_empty());
    assert_eq!(theirs_suggestion.draft, "");
    assert!(theirs_suggestion.placeholders.is_empty());
    assert!(!theirs_suggestion.draft.contains("Settings > Security"));
    expect_error(
        ask_suggestion(&app, globex.agent(), &question).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;
    // Staff only.
    expect_error(
        ask_suggestion(&app, acme.customer(), &question).await,
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
    )
    .await;
}

#[tokio::test]
async fn settings_are_the_owners_validated_and_keep_the_key_sealed() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let globex = TestWorkspace::create(&app, "globex", 1).await;
    for staff in [acme.agent(), &acme.supervisor] {
        expect_error(
            app.get("/api/v1/ai/settings", &staff.token).await,
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
        )
        .await;
    }
    let defaults: AiSettings =
        expect_json(app.get("/api/v1/ai/settings", &acme.owner.token).await, StatusCode::OK).await;
    assert!(defaults.enabled && defaults.provider.is_none());
    assert_eq!(defaults.categories.len(), 5);
    assert_eq!(defaults.classifier.method, ClassifierMethod::ZeroShot);
    assert_eq!(defaults.engine.kind, ferrodesk_shared::ai::EmbedderKind::Fallback);
    assert!(defaults.engine.notice.is_some());

    let bad = [
        (settings_body(1.5, json!([]), Value::Null), "min_confidence"),
        (
            settings_body(0.5, json!([{ "name": "billing", "description": "again" }]), Value::Null),
            "custom_categories",
        ),
        (
            settings_body(0.5, json!([{ "name": "Bad Name!", "description": "x" }]), Value::Null),
            "custom_categories",
        ),
        (
            settings_body(
                0.5,
                json!([]),
                json!({ "base_url": "http://169.254.169.254/v1", "model": "m" }),
            ),
            "provider.base_url",
        ),
        (
            settings_body(0.5, json!([]), json!({ "base_url": "ftp://example.com", "model": "m" })),
            "provider.base_url",
        ),
        (
            settings_body(
                0.5,
                json!([]),
                json!({ "base_url": "https://api.example.com/v1", "model": "" }),
            ),
            "provider.model",
        ),
    ];
    for (body, field) in bad {
        let error = expect_error(
            put_settings(&app, &acme.owner, body.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
        )
        .await;
        assert!(error.fields.contains_key(field), "{body}: {error:?}");
    }
    let unchanged: AiSettings =
        expect_json(app.get("/api/v1/ai/settings", &acme.owner.token).await, StatusCode::OK).await;
    assert_eq!(unchanged, defaults, "nothing half-stored");

    let provider =
        json!({ "base_url": "https://llm.example.com/v1/", "model": "gpt-4o-mini", "api_key": "sk-very-secret" });
    let saved: AiSettings = expect_json(
        put_settings(&app, &acme.owner, settings_body(0.6, json!([]), provider)).await,
        StatusCode::OK,
    )
    .await;
    let view = saved.provider.expect("a provider");
    assert_eq!(view.base_url, "https://llm.example.com/v1");
    assert!(view.has_api_key);
    let stored = stored_key(&app).await.expect("a sealed key");
    assert!(!stored.contains("sk-very-secret"), "the key is encrypted at rest");

    // Omitting the key keeps it; an empty one removes it; no provider removes everything.
    let keep = json!({ "base_url": "https://llm.example.com/v1", "model": "gpt-4o" });
    let kept: AiSettings = expect_json(
        put_settings(&app, &acme.owner, settings_body(0.6, json!([]), keep)).await,
        StatusCode::OK,
    )
    .await;
    assert!(
        kept.provider
            .as_ref()
            .is_some_and(|p| p.has_api_key && p.model == "gpt-4o")
    );
    assert_eq!(stored_key(&app).await, Some(stored));
    let clear = json!({ "base_url": "https://llm.example.com/v1", "model": "gpt-4o", "api_key": "" });
    let cleared: AiSettings = expect_json(
        put_settings(&app, &acme.owner, settings_body(0.6, json!([]), clear)).await,
        StatusCode::OK,
    )
    .await;
    assert!(cleared.provider.as_ref().is_some_and(|p| !p.has_api_key));

    // Globex sees its own defaults, not acme's provider.
    let theirs: AiSettings = expect_json(
        app.get("/api/v1/ai/settings", &globex.owner.token).await,
        StatusCode::OK,
    )
    .await;
    assert!(theirs.provider.is_none());
    assert_eq!(theirs.min_confidence, 0.5);

    // /readyz says which embedder runs, and why the fallback.
    let ready: Value = expect_json(app.client.get(app.url("/readyz")).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(ready["ai"]["kind"], "fallback");
    assert!(
        ready["ai"]["notice"]
            .as_str()
            .is_some_and(|notice| notice.contains("fallback"))
    );
}

#[tokio::test]
async fn operators_without_local_providers_refuse_private_addresses() {
    let app = spawn_app_with(|settings| settings.ai.allow_local_providers = false).await;
    let acme = TestWorkspace::create(&app, "acme", 0).await;
    for url in [
        "http://llm.example.com/v1",
        "https://127.0.0.1:8000/v1",
        "https://localhost/v1",
        "https://10.0.0.8/v1",
    ] {
        let error = expect_error(
            put_settings(
                &app,
                &acme.owner,
                settings_body(0.5, json!([]), json!({ "base_url": url, "model": "m" })),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
        )
        .await;
        assert!(error.fields.contains_key("provider.base_url"), "{url}");
    }
}

async fn stored_key(app: &TestApp) -> Option<String> {
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT provider_key FROM ai_settings",
        ))
        .await
        .unwrap()?;
    row.try_get::<Option<String>>("", "provider_key").unwrap()
}

/// How the fake provider answers.
#[derive(Clone, Copy, Debug)]
enum Mode {
    Answer,
    RateLimited,
    Broken,
    Slow,
    Malformed,
}

#[derive(Default)]
struct Seen {
    path: String,
    authorization: Option<String>,
    body: Value,
}

struct FakeProvider {
    base_url: String,
    mode: Arc<Mutex<Mode>>,
    seen: Arc<Mutex<Seen>>,
}

/// An OpenAI-compatible server on loopback: `POST /v1/chat/completions` in the real wire format.
async fn fake_provider() -> FakeProvider {
    let mode = Arc::new(Mutex::new(Mode::Answer));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (server_mode, server_seen) = (mode.clone(), seen.clone());
    let server = HttpServer::new(move || {
        let (mode, seen) = (server_mode.clone(), server_seen.clone());
        App::new().default_service(web::to(move |request: HttpRequest, body: web::Bytes| {
            let (mode, seen) = (mode.clone(), seen.clone());
            async move {
                let mode = *mode.lock().unwrap();
                {
                    let mut seen = seen.lock().unwrap();
                    seen.path = request.path().to_owned();
                    seen.authorization = request
                        .headers()
                        .get("authorization")
                        .and_then(|value| value.to_str().ok())
                        .map(str::to_owned);
                    seen.body = serde_json::from_slice(&body).unwrap_or(Value::Null);
                }
                match mode {
                    Mode::Answer => HttpResponse::Ok().json(json!({
                        "id": "chatcmpl-1", "object": "chat.completion", "created": 1_700_000_000, "model": "tiny-llm",
                        "choices": [{ "index": 0, "finish_reason": "stop",
                            "message": { "role": "assistant", "content": "Hi Customer,\n\nYour refund of {{amount}} is on its way.\n\nBest regards" } }],
                        "usage": { "prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20 }
                    })),
                    Mode::RateLimited => HttpResponse::TooManyRequests().json(json!({
                        "error": { "message": "Rate limit reached for requests", "type": "requests", "code": "rate_limit_exceeded" }
                    })),
                    Mode::Broken => HttpResponse::InternalServerError().json(json!({
                        "error": { "message": "The server had an error", "type": "server_error" }
                    })),
                    Mode::Slow => {
                        tokio::time::sleep(Duration::from_secs(3)).await;
                        HttpResponse::Ok().json(json!({ "choices": [] }))
                    }
                    Mode::Malformed => HttpResponse::Ok().content_type("application/json").body("{\"choices\": \"nope\""),
                }
            }
        }))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    FakeProvider {
        base_url: format!("http://127.0.0.1:{port}/v1"),
        mode,
        seen,
    }
}

#[tokio::test]
async fn the_provider_drafts_and_every_failure_falls_back_to_retrieval() {
    let app = spawn_app_with(|settings| settings.ai.provider_timeout = Duration::from_secs(1)).await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let provider = fake_provider().await;
    let solved = app
        .create_ticket(&acme.customers[1], "Refund for a double charge", "I was charged twice.")
        .await;
    answer_and_solve(&app, acme.agent(), &solved, "I refunded the second charge of $20.").await;
    categorise(&app).await;
    let ticket = app
        .create_ticket(
            acme.customer(),
            "Double charge refund",
            "I was charged twice, please refund me.",
        )
        .await;
    let config = json!({ "base_url": provider.base_url, "model": "tiny-llm", "api_key": "sk-loopback" });
    assert_eq!(
        put_settings(&app, &acme.owner, settings_body(0.5, json!([]), config))
            .await
            .status(),
        StatusCode::OK
    );

    let drafted = suggest(&app, acme.agent(), &ticket).await;
    assert_eq!(drafted.origin, ReplyOrigin::Provider, "{drafted:?}");
    assert_eq!(drafted.model.as_deref(), Some("tiny-llm"));
    assert!(drafted.draft.contains("Your refund of {{amount}} is on its way."));
    assert_eq!(drafted.placeholders, vec!["amount"]);
    assert_eq!(
        drafted.sources[0].ticket_id, solved.ticket.id,
        "grounded in the similar ticket"
    );
    {
        let seen = provider.seen.lock().unwrap();
        assert_eq!(seen.path, "/v1/chat/completions");
        assert_eq!(seen.authorization.as_deref(), Some("Bearer sk-loopback"));
        assert_eq!(seen.body["model"], "tiny-llm");
        let messages = seen.body["messages"].as_array().expect("messages");
        assert_eq!(messages[0]["role"], "system");
        assert_eq!(messages[1]["role"], "user");
        let user = messages[1]["content"].as_str().unwrap();
        assert!(user.contains("I was charged twice, please refund me."), "{user}");
        assert!(
            user.contains("I refunded the second charge of $20."),
            "the retrieved reply grounds it: {user}"
        );
    }

    for (mode, says) in [
        (Mode::RateLimited, "rate limiting"),
        (Mode::Broken, "the provider failed"),
        (Mode::Slow, "did not answer in time"),
        (Mode::Malformed, "not a chat completion"),
    ] {
        *provider.mode.lock().unwrap() = mode;
        let fallback = suggest(&app, acme.agent(), &ticket).await;
        assert_eq!(fallback.origin, ReplyOrigin::Retrieval, "{mode:?}: {fallback:?}");
        // Nothing on this ticket says a refund was made: the other ticket's refund is not claimed.
        assert!(
            fallback.draft.contains("{{refund_status}}") && !fallback.draft.contains("I refunded"),
            "{}",
            fallback.draft
        );
        let notice = fallback.notice.expect("the agent is told");
        assert!(notice.contains(says), "{mode:?}: {notice}");
        assert!(!notice.contains("sk-loopback"));
    }
    // Once this ticket's own note says the refund was made, the draft may say so.
    app.reply(
        acme.agent(),
        ticket.ticket.id,
        "Refunded the duplicate charge in Stripe.",
        true,
    )
    .await;
    let grounded = suggest(&app, acme.agent(), &ticket).await;
    assert!(
        grounded.draft.contains("I refunded the second charge of {{amount}}."),
        "{}",
        grounded.draft
    );

    // Nobody listening at all.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone = format!("http://127.0.0.1:{}/v1", closed.local_addr().unwrap().port());
    drop(closed);
    let config = json!({ "base_url": gone, "model": "tiny-llm" });
    assert_eq!(
        put_settings(&app, &acme.owner, settings_body(0.5, json!([]), config))
            .await
            .status(),
        StatusCode::OK
    );
    let fallback = suggest(&app, acme.agent(), &ticket).await;
    assert_eq!(fallback.origin, ReplyOrigin::Retrieval);
    assert!(fallback.notice.is_some_and(|notice| notice.contains("cannot reach")));
}

fn model_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/all-MiniLM-L6-v2");
    if dir.join("model.safetensors").is_file() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: no weights in {} (run scripts/fetch-model)", dir.display());
        None
    }
}

#[tokio::test]
async fn with_the_real_model_tickets_are_understood_by_meaning() {
    let Some(dir) = model_dir() else { return };
    let app = spawn_app_with(|settings| settings.ai.model_dir = dir).await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let ready: Value = expect_json(app.client.get(app.url("/readyz")).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(ready["ai"]["kind"], "model");
    assert_eq!(ready["ai"]["embedder"], "all-MiniLM-L6-v2");
    // Before anyone labels a ticket, the built-in categories come from the shipped prior.
    let settings: AiSettings =
        expect_json(app.get("/api/v1/ai/settings", &acme.owner.token).await, StatusCode::OK).await;
    assert_eq!(settings.classifier.method, ClassifierMethod::Prior);
    assert_eq!(settings.classifier.labels, 0);
    // No word of these is in the categories' descriptions.
    let cases = [
        (
            "I can't get into my profile",
            "It keeps saying my credentials are wrong after I changed them.",
            "account",
        ),
        (
            "Where is my stuff?",
            "I ordered a lamp ten days ago and the courier has not shown up.",
            "shipping",
        ),
        (
            "Money taken twice",
            "You took the monthly fee from my bank two times this month.",
            "billing",
        ),
        (
            "Export keeps spinning",
            "Hi, when I click Export CSV nothing happens and the console shows a 500. Tried Chrome and Firefox.\n\nThanks,\nRafael",
            "technical",
        ),
    ];
    for (subject, body, expected) in cases {
        let ticket = app.create_ticket(acme.customer(), subject, body).await;
        categorise(&app).await;
        let detail = app.ticket_as(acme.agent(), ticket.ticket.id).await;
        let guess = detail.ticket.ai_category.expect("a guess");
        assert_eq!(guess.category, expected, "{subject}: {guess:?}");
    }
}

/// How many rows `sql` counts (a `SELECT COUNT(*) AS n ...`).
async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_string(app.state.db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// The `ticket.updated` events logged for `ticket` (in `workspace`'s log, when given).
async fn updates_logged_in(app: &TestApp, ticket: &TicketDetail, workspace: Option<&TestWorkspace>) -> u64 {
    let mut query = events::Entity::find()
        .filter(events::Column::Kind.eq("ticket.updated"))
        .filter(events::Column::TicketId.eq(ticket.ticket.id.0));
    if let Some(workspace) = workspace {
        query = query.filter(events::Column::WorkspaceId.eq(workspace.owner.auth.workspace.id.0));
    }
    query.count(&app.state.db).await.unwrap()
}

async fn updates_logged(app: &TestApp, ticket: &TicketDetail) -> u64 {
    updates_logged_in(app, ticket, None).await
}

/// Whether `ticket` has an embedding stored.
async fn embedded(app: &TestApp, ticket: &TicketDetail) -> bool {
    ticket_embeddings::Entity::find_by_id(ticket.ticket.id.0)
        .one(&app.state.db)
        .await
        .unwrap()
        .is_some()
}

/// The ticket events among `events` (the team also gets notifications).
fn ticket_events(events: Vec<ServerEvent>) -> Vec<ServerEvent> {
    events
        .into_iter()
        .filter(|event| {
            matches!(
                event,
                ServerEvent::TicketCreated { .. }
                    | ServerEvent::TicketUpdated { .. }
                    | ServerEvent::MessageCreated { .. }
            )
        })
        .collect()
}

fn charged_twice() -> (&'static str, &'static str) {
    (
        "Charged twice on my invoice",
        "My credit card was charged twice for the subscription. I need a refund of the second payment.",
    )
}

#[tokio::test]
async fn a_ticket_commits_at_once_and_its_category_arrives_as_ticket_updated() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let mut agent = Socket::connect(&app, acme.agent()).await;
    let mut customer = Socket::connect(&app, acme.customer()).await;
    let (subject, body) = charged_twice();
    let created = app.create_ticket(acme.customer(), subject, body).await;

    // Committed uncategorised, and queued.
    let before = app.ticket_as(acme.agent(), created.ticket.id).await;
    assert_eq!(before.ticket.ai_category, None);
    assert_eq!(before.ticket.category, None);
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM categorise_queue").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM ticket_embeddings").await, 0);
    let first = ticket_events(agent.drain().await);
    assert!(
        matches!(first.as_slice(), [ServerEvent::TicketCreated { ticket, .. }] if ticket.ai_category.is_none()),
        "{first:?}"
    );
    customer.drain().await;

    assert_eq!(
        categorise(&app).await,
        DrainReport {
            categorised: 1,
            ..DrainReport::default()
        }
    );
    let events = ticket_events(agent.drain().await);
    let [ServerEvent::TicketUpdated { ticket, .. }] = events.as_slice() else {
        panic!("one ticket.updated for the team: {events:?}");
    };
    assert_eq!(ticket.id, created.ticket.id);
    assert_eq!(ticket.category.as_deref(), Some("billing"));
    assert_eq!(ticket.category_source, Some(CategorySource::Ai));
    let guess = ticket.ai_category.clone().expect("the guess, for staff");
    assert!(guess.assigned && guess.category == "billing");
    assert_eq!(
        ticket.updated_at, before.ticket.updated_at,
        "the category belongs to the arrival: the inbox order does not move"
    );
    let after = app.ticket_as(acme.agent(), created.ticket.id).await;
    assert_eq!(&after.ticket, ticket, "the event and REST agree");
    // The requester hears of it in their projection: no guess, no category.
    let theirs = customer.drain().await;
    let [ServerEvent::TicketUpdated { ticket: projected, .. }] = theirs.as_slice() else {
        panic!("one ticket.updated for the requester: {theirs:?}");
    };
    assert_eq!(projected.ai_category, None);
    assert_eq!(projected.category, None);
    assert_eq!(
        projected,
        &app.ticket_as(acme.customer(), created.ticket.id).await.ticket
    );

    // Stored with its embedding, and gone from the queue: a second drain has nothing to do.
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM ticket_embeddings").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM categorise_queue").await, 0);
    assert_eq!(categorise(&app).await, DrainReport::default());
    assert_eq!(updates_logged(&app, &created).await, 1);
}

#[tokio::test]
async fn a_restart_between_enqueue_and_drain_loses_nothing() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let (subject, body) = charged_twice();
    let created = app.create_ticket(acme.customer(), subject, body).await;
    app.stopper.stop().await;

    // The next process on the same database finds the ticket queued.
    let restarted = Application::build(app.settings.clone()).await.expect("restarts");
    let state = restarted.state().clone();
    let address = format!("http://127.0.0.1:{}", restarted.port());
    let stopper = restarted.stopper();
    tokio::spawn(restarted.run_until_stopped());
    let report = drain(&state, Utc::now()).await.expect("drains");
    assert_eq!(report.categorised, 1, "{report:?}");
    let detail: TicketDetail = expect_json(
        app.client
            .get(format!("{address}/api/v1/tickets/{}", created.ticket.id))
            .bearer_auth(&acme.agent().token)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(detail.ticket.category.as_deref(), Some("billing"));
    stopper.stop().await;
}

#[tokio::test]
async fn a_crashed_workers_claim_is_taken_again_when_its_lease_runs_out() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let (subject, body) = charged_twice();
    let created = app.create_ticket(acme.customer(), subject, body).await;
    let now = Utc::now();
    // A worker claims the ticket, then its process dies before storing anything.
    let crashed = Uuid::now_v7();
    let lease = Lease {
        worker: crashed,
        now,
        limit: 32,
        length: LEASE,
    };
    let claimed = ferrodesk::ai::categorise::claim(&app.state.db, lease).await.unwrap();
    assert_eq!(claimed.len(), 1);

    assert_eq!(
        drain(&app.state, now).await.unwrap(),
        DrainReport::default(),
        "the lease holds"
    );
    assert_eq!(
        app.ticket_as(acme.agent(), created.ticket.id).await.ticket.category,
        None
    );
    let later = now + LEASE + chrono::Duration::seconds(1);
    assert_eq!(drain(&app.state, later).await.unwrap().categorised, 1, "taken again");
    assert_eq!(
        app.ticket_as(acme.agent(), created.ticket.id)
            .await
            .ticket
            .category
            .as_deref(),
        Some("billing")
    );
    assert_eq!(updates_logged(&app, &created).await, 1);
}

#[tokio::test]
async fn two_drains_at_once_categorise_each_ticket_once() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let globex = TestWorkspace::create(&app, "globex", 1).await;
    let (subject, body) = charged_twice();
    let mut tickets = Vec::new();
    for n in 0..40 {
        let workspace = if n % 4 == 0 { &globex } else { &acme };
        tickets.push(app.create_ticket(workspace.customer(), subject, body).await);
    }
    // This instance and another on the same database, each with its lanes, at the same moment.
    let other = Application::build(app.settings.clone())
        .await
        .expect("a second instance");
    let now = Utc::now();
    let (ours, theirs) = tokio::join!(drain(&app.state, now), drain(other.state(), now));
    let (ours, theirs) = (ours.unwrap(), theirs.unwrap());
    assert_eq!(
        ours.categorised + theirs.categorised,
        40,
        "ours {ours:?}, theirs {theirs:?}"
    );
    assert_eq!(ours.abstained + theirs.abstained + ours.skipped + theirs.skipped, 0);
    for ticket in &tickets {
        assert_eq!(updates_logged(&app, ticket).await, 1, "#{}", ticket.ticket.number);
    }
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM ticket_embeddings").await, 40);
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM categorise_queue").await, 0);
}

#[tokio::test]
async fn a_drain_touches_each_workspace_with_its_own_settings_and_no_other() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let globex = TestWorkspace::create(&app, "globex", 1).await;
    let initech = TestWorkspace::create(&app, "initech", 1).await;
    // Acme has a category of its own and a low bar; initech turned AI off.
    let custom = json!([{ "name": "hardware", "description": "printer jams paper stuck broken printer" }]);
    assert_eq!(
        put_settings(&app, &acme.owner, settings_body(0.2, custom, Value::Null))
            .await
            .status(),
        StatusCode::OK
    );
    let off = json!({ "enabled": false, "min_confidence": 0.5, "custom_categories": [], "provider": null });
    assert_eq!(put_settings(&app, &initech.owner, off).await.status(), StatusCode::OK);
    let (subject, body) = ("Printer jammed", "The printer jams and the paper is stuck.");
    let ours = app.create_ticket(acme.customer(), subject, body).await;
    let theirs = app.create_ticket(globex.customer(), subject, body).await;
    let off = app.create_ticket(initech.customer(), subject, body).await;
    let mut initech_socket = Socket::connect(&app, initech.agent()).await;

    let report = categorise(&app).await;
    assert_eq!(report.skipped, 1, "{report:?}");
    let ours = app.ticket_as(acme.agent(), ours.ticket.id).await;
    assert_eq!(
        ours.ticket.ai_category.as_ref().map(|guess| guess.category.as_str()),
        Some("hardware")
    );
    let theirs = app.ticket_as(globex.agent(), theirs.ticket.id).await;
    let guess = theirs.ticket.ai_category.clone().expect("globex's own guess");
    assert!(
        guess.category != "hardware",
        "acme's category never reaches globex: {guess:?}"
    );
    // Each event in its own workspace's log.
    for (workspace, ticket) in [(&acme, &ours), (&globex, &theirs)] {
        assert_eq!(updates_logged_in(&app, ticket, Some(workspace)).await, 1);
    }
    // The workspace without AI: nothing stored, nothing said.
    let untouched = app.ticket_as(initech.agent(), off.ticket.id).await;
    assert_eq!(untouched.ticket.ai_category, None);
    assert_eq!(untouched.ticket.category, None);
    assert_eq!(updates_logged(&app, &off).await, 0);
    assert!(!embedded(&app, &off).await);
    assert!(embedded(&app, &ours).await && embedded(&app, &theirs).await);
    assert!(initech_socket.drain().await.is_empty());
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM categorise_queue").await, 0);
}

#[tokio::test]
async fn an_agents_category_set_before_the_drain_is_kept_and_learnt() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let (subject, body) = charged_twice();
    let created = app.create_ticket(acme.customer(), subject, body).await;
    let chosen = set_category(&app, acme.agent(), &created, "account").await;
    assert_eq!(chosen.category_source, Some(CategorySource::Agent));
    let mut agent = Socket::connect(&app, acme.agent()).await;

    assert_eq!(categorise(&app).await.categorised, 1);
    let detail = app.ticket_as(acme.agent(), created.ticket.id).await;
    assert_eq!(
        detail.ticket.category.as_deref(),
        Some("account"),
        "the agent's choice stays"
    );
    assert_eq!(detail.ticket.category_source, Some(CategorySource::Agent));
    let guess = detail.ticket.ai_category.clone().expect("the AI's guess, beside it");
    assert_eq!(guess.category, "billing");
    let events = ticket_events(agent.drain().await);
    assert!(
        matches!(events.as_slice(), [ServerEvent::TicketUpdated { ticket, .. }] if *ticket == detail.ticket),
        "{events:?}"
    );
    // The label had no embedding when it was set; now it has, and the classifier learns it.
    let mut labels = 0;
    for _ in 0..100 {
        let settings: AiSettings =
            expect_json(app.get("/api/v1/ai/settings", &acme.owner.token).await, StatusCode::OK).await;
        labels = settings.classifier.labels;
        if labels == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(labels, 1);
}

/// A report, not a test: `FERRODESK_BURST=5000 cargo test -p ferrodesk --test api --release burst --
/// --ignored --nocapture` (with `FERRODESK_MODEL_DIR` for the model, the TF-IDF fallback otherwise;
/// `FERRODESK_EMBEDDER_THREADS` to compare thread counts). Every ticket ends with its category or
/// an explicit abstention.
#[tokio::test]
#[ignore]
async fn a_burst_of_tickets_is_categorised_in_batches() {
    let burst: usize = std::env::var("FERRODESK_BURST")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    let model = std::env::var("FERRODESK_MODEL_DIR").ok().map(PathBuf::from);
    let threads = std::env::var("FERRODESK_EMBEDDER_THREADS")
        .ok()
        .and_then(|n| n.parse().ok());
    let app = spawn_app_with(|settings| {
        if let Some(dir) = model {
            settings.ai.model_dir = dir;
        }
        if let Some(threads) = threads {
            settings.ai.embedder_threads = threads;
        }
        settings.database_max_connections = 20;
    })
    .await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let subjects = [
        charged_twice(),
        (
            "Where is my parcel?",
            "The tracking page has shown the same status for ten days.",
        ),
        (
            "Cannot log in",
            "The password reset email never arrives, not even in spam.",
        ),
        (
            "The app crashes",
            "When I upload a photo the app closes. Version 4.2 on Android.",
        ),
        ("A question", "Do you have a discount for charities?"),
    ];
    let created = std::time::Instant::now();
    let agent = acme.agent().clone();
    let mut tasks = tokio::task::JoinSet::new();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for _ in 0..16 {
        let (client, url, token, next) = (
            app.client.clone(),
            app.url("/api/v1/tickets"),
            agent.token.clone(),
            next.clone(),
        );
        tasks.spawn(async move {
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if n >= burst {
                    return;
                }
                let (subject, body) = subjects[n % subjects.len()];
                let response = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({
                        "subject": format!("{subject} ({n})"),
                        "body": body,
                        "requester_email": format!("customer{}@burst.example", n % 50),
                    }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::CREATED);
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let creating = created.elapsed();
    let started = std::time::Instant::now();
    let report = categorise(&app).await;
    let draining = started.elapsed();
    eprintln!(
        "{burst} tickets ({} embedder, {} threads, {}): created in {:.1} s; drained in {:.1} s = {:.0} tickets/s ({report:?})",
        app.state.ai.embedder(),
        app.state.ai.threads(),
        if app.settings.database_url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        creating.as_secs_f64(),
        draining.as_secs_f64(),
        burst as f64 / draining.as_secs_f64()
    );
    assert_eq!(report.categorised + report.abstained, burst, "{report:?}");
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM categorise_queue").await, 0);
    let decided = count(&app, "SELECT COUNT(*) AS n FROM tickets WHERE ai_category IS NOT NULL").await;
    assert_eq!(
        decided as usize, burst,
        "a category or an explicit abstention for every ticket"
    );
}
