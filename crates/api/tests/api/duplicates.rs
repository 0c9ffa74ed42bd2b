//! "Possible duplicate of #N": a new ticket that reads very like an open one of the same requester
//! is marked for staff when it is categorised (these apps run the TF-IDF fallback embedder, so the
//! rewordings here share words; the model's threshold is checked on its own pairs when its weights
//! are present); never across requesters, workspaces or done tickets; dismissed, or cleared by the
//! merge it suggests; never shown to the customer.

use std::path::PathBuf;

use chrono::Utc;
use ferrodesk::ai::categorise::{DrainReport, drain, ticket_text};
use ferrodesk::ai::duplicates::{FALLBACK_THRESHOLD, MODEL_THRESHOLD};
use ferrodesk_ai::vector::dot;
use ferrodesk_ai::{Embedder, EmbedderKind, TfIdfEmbedder, load_embedder};
use ferrodesk_shared::ErrorCode;
use ferrodesk_shared::tickets::{MergeResult, PossibleDuplicate, TicketDetail, TicketStatus};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, TestWorkspace, expect_error, expect_json, spawn_app};

/// What the categorisation worker does a moment after tickets arrive, done now.
async fn categorise(app: &TestApp) -> DrainReport {
    drain(&app.state, Utc::now()).await.expect("the queue drains")
}

async fn hint(app: &TestApp, viewer: &Session, ticket: &TicketDetail) -> Option<PossibleDuplicate> {
    app.ticket_as(viewer, ticket.ticket.id).await.possible_duplicate
}

fn dismiss_path(ticket: &TicketDetail) -> String {
    format!("/api/v1/tickets/{}/possible-duplicate", ticket.ticket.id)
}

async fn dismiss(app: &TestApp, who: &Session, ticket: &TicketDetail) -> reqwest::Response {
    app.send(Method::DELETE, &dismiss_path(ticket), Some(&who.token), None)
        .await
}

async fn rows(app: &TestApp) -> i64 {
    let backend = app.state.db.get_database_backend();
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM ticket_duplicates",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

// The same problem twice, as a customer writes it a second time. The fallback matches words, so
// the second shares the words that name the problem.
const FIRST: (&str, &str) = (
    "Cannot log in after password reset",
    "I reset my password yesterday but I still cannot log in: the login page says my password is wrong.",
);
const AGAIN: (&str, &str) = (
    "Still cannot log in after the password reset",
    "I reset my password again this morning and I still cannot log in, the login page says the password is wrong.",
);
// The same customer's other problem.
const OTHER: (&str, &str) = (
    "Please change my billing address",
    "We moved offices: please put our new address on the next invoices.",
);

async fn create(app: &TestApp, who: &Session, (subject, body): (&str, &str)) -> TicketDetail {
    app.create_ticket(who, subject, body).await
}

#[tokio::test]
async fn a_reworded_request_of_the_same_customer_names_the_open_one() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let first = create(&app, acme.customer(), FIRST).await;
    categorise(&app).await;
    let again = create(&app, acme.customer(), AGAIN).await;
    assert_eq!(again.possible_duplicate, None, "found when categorised, not before");
    let report = categorise(&app).await;
    assert_eq!(report.possible_duplicates, 1, "{report:?}");

    let found = hint(&app, acme.agent(), &again).await.expect("a hint for staff");
    assert_eq!(found.ticket_id, first.ticket.id);
    assert_eq!(found.number, first.ticket.number);
    assert_eq!(found.subject, FIRST.0);
    assert!(
        found.similarity >= FALLBACK_THRESHOLD && found.similarity <= 1.0 + 1e-4,
        "{found:?}"
    );
    assert_eq!(
        hint(&app, acme.agent(), &first).await,
        None,
        "the older ticket is the original"
    );

    // The customer sees neither the hint nor the field.
    let raw: Value = expect_json(
        app.get(&format!("/api/v1/tickets/{}", again.ticket.id), &acme.customer().token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(raw.get("possible_duplicate").is_none(), "{raw}");
    assert!(raw.get("ai_category").is_some_and(Value::is_null));
    assert_eq!(hint(&app, acme.customer(), &again).await, None);
    let staff_raw: Value = expect_json(
        app.get(&format!("/api/v1/tickets/{}", again.ticket.id), &acme.agent().token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(staff_raw["possible_duplicate"]["number"], first.ticket.number);
}

#[tokio::test]
async fn two_alike_tickets_in_one_batch_mark_the_later() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let first = create(&app, acme.customer(), FIRST).await;
    let again = create(&app, acme.customer(), AGAIN).await;
    let report = categorise(&app).await;
    assert_eq!(report.possible_duplicates, 1, "{report:?}");
    assert_eq!(hint(&app, acme.agent(), &first).await, None);
    assert_eq!(
        hint(&app, acme.agent(), &again).await.map(|found| found.ticket_id),
        Some(first.ticket.id)
    );
}

/// Holds (or lets go of) `ticket`'s place in the categorisation queue, as another lane or instance
/// that claimed it and is still embedding would.
async fn hold_in_queue(app: &TestApp, ticket: &TicketDetail, until: chrono::DateTime<Utc>) {
    use ferrodesk::db::entities::categorise_queue;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let held = categorise_queue::Entity::update_many()
        .col_expr(categorise_queue::Column::ClaimedBy, Expr::value(uuid::Uuid::now_v7()))
        .col_expr(categorise_queue::Column::ClaimedUntil, Expr::value(until))
        .filter(categorise_queue::Column::TicketId.eq(ticket.ticket.id.0))
        .exec(&app.state.db)
        .await
        .unwrap();
    assert_eq!(held.rows_affected, 1);
}

#[tokio::test]
async fn a_later_ticket_stored_first_is_named_when_the_earlier_arrives() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let first = create(&app, acme.customer(), FIRST).await;
    let again = create(&app, acme.customer(), AGAIN).await;
    // The first is still being embedded elsewhere when the second is stored: nothing to compare with.
    hold_in_queue(&app, &first, Utc::now() + chrono::Duration::hours(1)).await;
    assert_eq!(categorise(&app).await.possible_duplicates, 0);
    assert_eq!(hint(&app, acme.agent(), &again).await, None);
    // Then the first is stored: the second, already stored, now names it.
    hold_in_queue(&app, &first, Utc::now() - chrono::Duration::seconds(1)).await;
    let report = categorise(&app).await;
    assert_eq!(report.possible_duplicates, 1, "{report:?}");
    assert_eq!(
        hint(&app, acme.agent(), &again).await.map(|found| found.ticket_id),
        Some(first.ticket.id)
    );
    assert_eq!(
        hint(&app, acme.agent(), &first).await,
        None,
        "the older is the original"
    );
}

#[tokio::test]
async fn another_problem_of_the_same_customer_is_no_duplicate() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    create(&app, acme.customer(), FIRST).await;
    categorise(&app).await;
    let other = create(&app, acme.customer(), OTHER).await;
    assert_eq!(categorise(&app).await.possible_duplicates, 0);
    assert_eq!(hint(&app, acme.agent(), &other).await, None);
}

#[tokio::test]
async fn the_same_words_from_another_customer_are_no_duplicate() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    create(&app, &acme.customers[0], FIRST).await;
    categorise(&app).await;
    let theirs = create(&app, &acme.customers[1], FIRST).await;
    assert_eq!(categorise(&app).await.possible_duplicates, 0);
    assert_eq!(hint(&app, acme.agent(), &theirs).await, None);
}

#[tokio::test]
async fn only_a_ticket_still_open_is_named() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let agent = acme.agent();
    // Solved, then closed: done either way.
    let solved = create(&app, acme.customer(), FIRST).await;
    categorise(&app).await;
    app.update_ticket(agent, solved.ticket.id, &json!({ "status": "solved" }))
        .await;
    let after_solved = create(&app, acme.customer(), AGAIN).await;
    assert_eq!(categorise(&app).await.possible_duplicates, 0);
    assert_eq!(hint(&app, agent, &after_solved).await, None);
    app.update_ticket(agent, after_solved.ticket.id, &json!({ "status": "solved" }))
        .await;
    app.update_ticket(agent, after_solved.ticket.id, &json!({ "status": "closed" }))
        .await;
    app.update_ticket(agent, solved.ticket.id, &json!({ "status": "closed" }))
        .await;
    let after_closed = create(&app, acme.customer(), AGAIN).await;
    assert_eq!(categorise(&app).await.possible_duplicates, 0);
    assert_eq!(hint(&app, agent, &after_closed).await, None);
    app.update_ticket(agent, after_closed.ticket.id, &json!({ "status": "solved" }))
        .await;

    // Open when it was found, solved since: the hint goes with it, and comes back if it reopens.
    let pending = create(&app, acme.customer(), FIRST).await;
    app.update_ticket(agent, pending.ticket.id, &json!({ "status": "pending" }))
        .await;
    categorise(&app).await;
    let later = create(&app, acme.customer(), AGAIN).await;
    categorise(&app).await;
    assert_eq!(
        hint(&app, agent, &later).await.map(|found| found.ticket_id),
        Some(pending.ticket.id),
        "pending still needs work"
    );
    app.update_ticket(agent, pending.ticket.id, &json!({ "status": "solved" }))
        .await;
    assert_eq!(hint(&app, agent, &later).await, None);
    app.update_ticket(agent, pending.ticket.id, &json!({ "status": "open" }))
        .await;
    assert!(hint(&app, agent, &later).await.is_some());
}

#[tokio::test]
async fn another_workspace_is_never_compared_nor_reached() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let globex = TestWorkspace::create(&app, "globex", 1).await;
    // The same person (by address) in both workspaces, writing the same words.
    assert_eq!(acme.customer().auth.user.email, globex.customer().auth.user.email);
    create(&app, acme.customer(), FIRST).await;
    categorise(&app).await;
    let elsewhere = create(&app, globex.customer(), FIRST).await;
    assert_eq!(categorise(&app).await.possible_duplicates, 0);
    assert_eq!(hint(&app, globex.agent(), &elsewhere).await, None);

    // A hint in acme is acme's alone: globex's staff cannot dismiss it, and it stays.
    let again = create(&app, acme.customer(), AGAIN).await;
    assert_eq!(categorise(&app).await.possible_duplicates, 1);
    for outsider in [globex.agent(), &globex.owner] {
        expect_error(
            dismiss(&app, outsider, &again).await,
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        )
        .await;
    }
    assert!(hint(&app, acme.agent(), &again).await.is_some());
}

#[tokio::test]
async fn not_a_duplicate_forgets_it_for_good() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    create(&app, acme.customer(), FIRST).await;
    categorise(&app).await;
    let again = create(&app, acme.customer(), AGAIN).await;
    categorise(&app).await;
    assert!(hint(&app, acme.agent(), &again).await.is_some());

    // Only staff who may change the ticket's fields.
    expect_error(
        dismiss(&app, acme.customer(), &again).await,
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
    )
    .await;
    assert!(hint(&app, acme.agent(), &again).await.is_some());

    assert_eq!(
        dismiss(&app, acme.agent(), &again).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(hint(&app, acme.agent(), &again).await, None);
    assert_eq!(rows(&app).await, 0);
    assert_eq!(
        dismiss(&app, acme.agent(), &again).await.status(),
        StatusCode::NO_CONTENT,
        "saying it twice is no error"
    );
}

#[tokio::test]
async fn merging_into_the_named_ticket_clears_the_hint() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let first = create(&app, acme.customer(), FIRST).await;
    categorise(&app).await;
    let again = create(&app, acme.customer(), AGAIN).await;
    categorise(&app).await;
    let found = hint(&app, acme.agent(), &again).await.expect("a hint");

    // What the banner's one click sends.
    let body = json!({ "into": found.ticket_id, "notify_customer": false });
    let merged: MergeResult = expect_json(
        app.post(
            &format!("/api/v1/tickets/{}/merge", again.ticket.id),
            Some(&acme.agent().token),
            &body,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(merged.merged.status, TicketStatus::Closed);
    assert_eq!(merged.into.id, first.ticket.id);
    assert_eq!(rows(&app).await, 0);
    assert_eq!(hint(&app, acme.agent(), &again).await, None);
    assert_eq!(hint(&app, acme.agent(), &first).await, None);
}

/// Tickets one customer might write: (first, the same problem reworded, a different problem of theirs).
const PAIRS: [[(&str, &str); 3]; 8] = [
    [
        (
            "Charged twice for my subscription",
            "Hi, my credit card was charged twice for the monthly plan this month. Please refund the extra payment.",
        ),
        (
            "Double charge on my card",
            "Hello, I see two identical payments for my subscription on my card statement this month. Can you give one back?",
        ),
        (
            "Change the billing address on my invoices",
            "Hi, please put our new office address on the invoices for my subscription from this month on.",
        ),
    ],
    [
        (
            "Cannot log in",
            "I reset my password but the login page still says my password is wrong.",
        ),
        (
            "Sign-in not working after password reset",
            "After resetting my password I still can't get into my account, it keeps telling me the password is incorrect.",
        ),
        (
            "Add a second user to my account",
            "How do I invite my colleague to my account so that she can log in too?",
        ),
    ],
    [
        (
            "Where is my order?",
            "I ordered a blue jacket two weeks ago and it has not arrived yet. The tracking has not changed since Monday.",
        ),
        (
            "Jacket still not delivered",
            "My jacket from two weeks ago never came, and the tracking page shows no update since Monday.",
        ),
        (
            "Wrong size jacket",
            "The jacket I received is a size M but I ordered an L. How do I exchange it?",
        ),
    ],
    [
        (
            "App crashes when uploading photos",
            "Every time I try to upload a photo from my gallery the app closes immediately.",
        ),
        (
            "Photo upload makes the app crash",
            "The app shuts down as soon as I pick a picture to send. It happens every single time.",
        ),
        (
            "How do I change the app language?",
            "The app is in English but I would like to use it in German.",
        ),
    ],
    [
        (
            "Export to CSV broken",
            "When I click export to CSV on the reports page nothing downloads.",
        ),
        (
            "CSV export does not download",
            "The export button on reports does nothing, no CSV file ever arrives in my downloads.",
        ),
        (
            "Filter reports by date",
            "It would be great to filter the reports page by a date range before I export it.",
        ),
    ],
    [
        (
            "Refund for order 4417",
            "I returned order 4417 last week, when will I get my refund?",
        ),
        (
            "Still waiting for my money back",
            "Hi again, I sent back order 4417 and the money is still not back on my card.",
        ),
        (
            "Cancel my subscription",
            "Please cancel my subscription at the end of this month, thank you.",
        ),
    ],
    [
        (
            "Two-factor code never arrives",
            "I can log in with my password but the text message with the two-factor code never comes.",
        ),
        (
            "No SMS code for 2FA",
            "The security code for signing in is never sent to my phone, so I am stuck at the two-step verification screen.",
        ),
        (
            "Cannot log in",
            "I reset my password but the login page still says my password is wrong.",
        ),
    ],
    [
        (
            "Still charged after cancelling",
            "I cancelled my subscription last month but my card was charged again this month. Please refund it.",
        ),
        (
            "Charged although I cancelled",
            "You took another payment from my card even though I ended my plan in May. I want that money back.",
        ),
        (
            "Charged twice for my subscription",
            "Hi, my credit card was charged twice for the monthly plan this month. Please refund the extra payment.",
        ),
    ],
];

/// The similarities of each first ticket with its rewording (`same`), and with the same customer's
/// other problem and every other group's tickets (`different`).
fn similarities(embedder: &dyn Embedder) -> (Vec<f32>, Vec<f32>) {
    let texts: Vec<String> = PAIRS
        .iter()
        .flatten()
        .map(|(subject, body)| ticket_text(subject, body))
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = embedder.embed_batch(&refs).expect("embedded");
    let (mut same, mut other_problem, mut cross) = (Vec::new(), Vec::new(), Vec::new());
    for group in 0..PAIRS.len() {
        let first = &vectors[group * 3];
        same.push(dot(first, &vectors[group * 3 + 1]));
        other_problem.push(dot(first, &vectors[group * 3 + 2]));
        for other in (0..PAIRS.len()).filter(|other| *other != group) {
            // A hard case reuses another group's first ticket: not a different problem of its own.
            for at in (0..3).filter(|at| texts[other * 3 + at] != texts[group * 3]) {
                cross.push(dot(first, &vectors[other * 3 + at]));
            }
        }
    }
    let top = |values: &[f32]| values.iter().copied().fold(f32::MIN, f32::max);
    eprintln!(
        "{}: reworded {same:.3?}; the same customer's other problem {other_problem:.3?}; other groups up to {:.3}",
        embedder.name(),
        top(&cross)
    );
    (same, other_problem.into_iter().chain(cross).collect())
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

fn pair(embedder: &dyn Embedder, (a, b): ((&str, &str), (&str, &str))) -> f32 {
    let vectors = embedder
        .embed_batch(&[&ticket_text(a.0, a.1), &ticket_text(b.0, b.1)])
        .expect("embedded");
    dot(&vectors[0], &vectors[1])
}

/// The thresholds' calibration, kept as a test (the figures are in `ai::duplicates`): neither
/// embedder takes another problem for the same one; the model recognises most rewordings, the
/// fallback only a near-copy such as the API tests'.
#[test]
fn the_thresholds_tell_a_reworded_request_from_another_problem() {
    let fallback = TfIdfEmbedder::default();
    let (_, different) = similarities(&fallback);
    let max_different = different.iter().copied().fold(f32::MIN, f32::max);
    assert!(
        max_different < FALLBACK_THRESHOLD,
        "another problem scored {max_different}"
    );
    let (again, other) = (pair(&fallback, (FIRST, AGAIN)), pair(&fallback, (FIRST, OTHER)));
    eprintln!("tf-idf: the tests' near-copy {again:.3}, their other problem {other:.3}");
    assert!(again >= FALLBACK_THRESHOLD && other < FALLBACK_THRESHOLD);

    let Some(dir) = model_dir() else { return };
    let loaded = load_embedder(&dir);
    assert_eq!(
        loaded.embedder.kind(),
        EmbedderKind::Model,
        "{:?}",
        loaded.fallback_reason
    );
    let model = loaded.embedder.as_ref();
    let (same, different) = similarities(model);
    let max_different = different.iter().copied().fold(f32::MIN, f32::max);
    assert!(
        max_different < MODEL_THRESHOLD,
        "another problem scored {max_different}"
    );
    let recognised = same.iter().filter(|similarity| **similarity >= MODEL_THRESHOLD).count();
    assert!(recognised >= 5, "{recognised} rewordings of {} recognised", same.len());
    let (again, other) = (pair(model, (FIRST, AGAIN)), pair(model, (FIRST, OTHER)));
    eprintln!(
        "{}: the tests' near-copy {again:.3}, their other problem {other:.3}",
        model.name()
    );
    assert!(again >= MODEL_THRESHOLD && other < MODEL_THRESHOLD);
}
