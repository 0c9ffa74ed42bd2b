//! A person beside their ticket: their tickets and the team's note about them, for staff of their
//! own workspace only.

use ferrodesk_shared::ErrorCode;
use ferrodesk_shared::users::{PersonNote, PersonProfile, RequesterCounts};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Session, TestApp, TestWorkspace, expect_error, expect_json, spawn_app};

fn profile_path(who: &Session) -> String {
    format!("/api/v1/users/{}/profile", who.id())
}

fn note_path(who: &Session) -> String {
    format!("/api/v1/users/{}/note", who.id())
}

async fn profile(app: &TestApp, viewer: &Session, of: &Session) -> PersonProfile {
    expect_json(app.get(&profile_path(of), &viewer.token).await, StatusCode::OK).await
}

#[tokio::test]
async fn staff_see_a_customers_tickets_at_a_glance() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let customer = acme.customer();
    let empty = profile(&app, acme.agent(), customer).await;
    assert_eq!(empty.user.id, customer.id());
    assert_eq!(empty.first_ticket_at, None);
    assert_eq!(empty.tickets, RequesterCounts::default());
    assert!(empty.recent_tickets.is_empty());

    let mut ids = Vec::new();
    for n in 0..12 {
        ids.push(
            app.create_ticket(customer, &format!("Question {n}"), "Body")
                .await
                .ticket,
        );
    }
    app.update_ticket(acme.agent(), ids[0].id, &json!({"status": "pending"}))
        .await;
    app.update_ticket(acme.agent(), ids[1].id, &json!({"status": "solved"}))
        .await;
    // Another customer's ticket is not theirs.
    app.create_ticket(&acme.customers[1], "Not theirs", "Body").await;

    let seen = profile(&app, acme.agent(), customer).await;
    assert_eq!(
        seen.tickets,
        RequesterCounts {
            open: 10,
            pending: 1,
            solved: 1,
            closed: 0
        }
    );
    assert_eq!(seen.first_ticket_at, Some(ids[0].created_at));
    let recent: Vec<_> = seen.recent_tickets.iter().map(|ticket| ticket.id).collect();
    let newest: Vec<_> = ids.iter().rev().take(10).map(|ticket| ticket.id).collect();
    assert_eq!(recent, newest, "the ten newest, newest first");
}

#[tokio::test]
async fn the_team_keeps_a_note_about_a_person_that_customers_never_see() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let customer = acme.customer();
    let written: PersonNote = expect_json(
        app.send(
            Method::PUT,
            &note_path(customer),
            Some(&acme.agent().token),
            Some(&json!({"body": "  VIP since 2019. Prefers email.\r\n"})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(written.body, "VIP since 2019. Prefers email.");
    assert_eq!(written.updated_by.map(|user| user.id), Some(acme.agent().id()));
    let seen = profile(&app, &acme.supervisor, customer).await;
    assert_eq!(
        seen.note.map(|note| note.body).as_deref(),
        Some("VIP since 2019. Prefers email.")
    );

    // Customers read no profile and write no note, not even their own.
    let theirs = app.get(&profile_path(customer), &customer.token).await;
    expect_error(theirs, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    let write = app
        .send(
            Method::PUT,
            &note_path(customer),
            Some(&customer.token),
            Some(&json!({"body": "hi"})),
        )
        .await;
    expect_error(write, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;

    let long = "x".repeat(5_001);
    let refused = app
        .send(
            Method::PUT,
            &note_path(customer),
            Some(&acme.agent().token),
            Some(&json!({"body": long})),
        )
        .await;
    expect_error(refused, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed).await;
    assert!(
        profile(&app, acme.agent(), customer).await.note.is_some(),
        "the old note stays"
    );

    let cleared = app
        .send(
            Method::PUT,
            &note_path(customer),
            Some(&acme.agent().token),
            Some(&json!({"body": "  "})),
        )
        .await;
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
    assert_eq!(profile(&app, acme.agent(), customer).await.note, None);
}

#[tokio::test]
async fn another_workspaces_people_have_no_profile_here() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let globex = TestWorkspace::create(&app, "globex", 1).await;
    app.create_ticket(globex.customer(), "Theirs", "Body").await;
    let note = json!({"body": "Theirs to keep"});
    let kept = app
        .send(
            Method::PUT,
            &note_path(globex.customer()),
            Some(&globex.agent().token),
            Some(&note),
        )
        .await;
    assert_eq!(kept.status(), StatusCode::OK);

    let read = app.get(&profile_path(globex.customer()), &acme.agent().token).await;
    expect_error(read, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let write = app
        .send(
            Method::PUT,
            &note_path(globex.customer()),
            Some(&acme.owner.token),
            Some(&json!({"body": ""})),
        )
        .await;
    expect_error(write, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let theirs = profile(&app, globex.agent(), globex.customer()).await;
    assert_eq!(theirs.note.map(|note| note.body).as_deref(), Some("Theirs to keep"));
    assert_eq!(theirs.tickets.open, 1);
}
