//! Merging a ticket into another of the same requester: the messages move with their authors and
//! times, the merged one is closed with a note, the customer is told when asked; refusals move
//! nothing; another workspace's tickets are not there to merge.

use ferrodesk_shared::ErrorCode;
use ferrodesk_shared::tickets::{MergeResult, TicketDetail, TicketStatus};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Session, TestApp, TestWorkspace, expect_error, expect_json, spawn_app};

fn merge_path(id: impl std::fmt::Display) -> String {
    format!("/api/v1/tickets/{id}/merge")
}

async fn merge(app: &TestApp, who: &Session, from: &TicketDetail, into: &TicketDetail, notify: bool) -> MergeResult {
    let body = json!({"into": into.ticket.id, "notify_customer": notify});
    expect_json(
        app.post(&merge_path(from.ticket.id), Some(&who.token), &body).await,
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn messages_move_with_their_authors_and_times_and_the_merged_ticket_closes() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let customer = acme.customer();
    let into = app.create_ticket(customer, "Order 7 late", "Where is order 7?").await;
    let from = app
        .create_ticket(customer, "Order 7 again", "Still waiting for order 7")
        .await;
    app.reply(acme.agent(), from.ticket.id, "Checking with the courier.", false)
        .await;
    app.reply(acme.agent(), from.ticket.id, "Courier says Friday.", true)
        .await;
    let before = app.ticket_as(acme.agent(), from.ticket.id).await.messages;

    let result = merge(&app, acme.agent(), &from, &into, false).await;
    assert_eq!(result.moved_messages, 3);
    assert_eq!(result.merged.status, TicketStatus::Closed);
    assert_eq!(result.into.id, into.ticket.id);

    let merged = app.ticket_as(acme.agent(), from.ticket.id).await;
    assert_eq!(merged.ticket.status, TicketStatus::Closed);
    let notes: Vec<&str> = merged.messages.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(notes, [format!("Merged into #{}.", into.ticket.number)]);
    assert!(merged.messages[0].internal);

    let target = app.ticket_as(acme.agent(), into.ticket.id).await;
    for moved in &before {
        let found = target
            .messages
            .iter()
            .find(|m| m.id == moved.id)
            .expect("every message moved");
        assert_eq!(
            (found.author.id, found.created_at, found.internal),
            (moved.author.id, moved.created_at, moved.internal)
        );
    }
    let last = target.messages.last().expect("a note");
    assert!(
        last.internal && last.body.contains(&format!("#{}", from.ticket.number)),
        "{last:?}"
    );

    // The customer sees their own words and the public reply in one place, never the notes.
    let theirs = app.ticket_as(customer, into.ticket.id).await;
    assert!(theirs.messages.iter().all(|m| !m.internal));
    assert_eq!(theirs.messages.len(), 3, "{:?}", theirs.messages);
    assert_eq!(
        app.ticket_as(customer, from.ticket.id).await.ticket.status,
        TicketStatus::Closed
    );
}

#[tokio::test]
async fn the_customer_is_told_when_asked() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let customer = acme.customer();
    let into = app.create_ticket(customer, "Login broken", "Cannot sign in").await;
    let from = app.create_ticket(customer, "Login broken 2", "Still cannot").await;
    let mails = app.mails_to(&customer.auth.user.email, "agent_replied").await;
    merge(&app, acme.agent(), &from, &into, true).await;
    let theirs = app.ticket_as(customer, into.ticket.id).await;
    let told = theirs.messages.last().expect("a reply");
    assert!(!told.internal);
    assert!(told.body.contains(&format!("#{}", from.ticket.number)), "{told:?}");
    assert_eq!(
        app.mails_to(&customer.auth.user.email, "agent_replied").await,
        mails + 1
    );
}

#[tokio::test]
async fn a_refused_merge_moves_nothing() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let (ada, bob) = (&acme.customers[0], &acme.customers[1]);
    let first = app.create_ticket(ada, "One", "First").await;
    let second = app.create_ticket(ada, "Two", "Second").await;
    let bobs = app.create_ticket(bob, "Bob's", "Bob's words").await;
    let agent = acme.agent();

    let cases = [
        (
            &first,
            json!({"into": first.ticket.id}),
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
        ),
        (
            &first,
            json!({"into": bobs.ticket.id}),
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
        ),
        (
            &first,
            json!({"into": uuid::Uuid::now_v7()}),
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
        ),
    ];
    for (from, body, status, code) in cases {
        let response = app.post(&merge_path(from.ticket.id), Some(&agent.token), &body).await;
        expect_error(response, status, code).await;
    }
    let by_customer = app
        .post(
            &merge_path(first.ticket.id),
            Some(&ada.token),
            &json!({"into": second.ticket.id}),
        )
        .await;
    expect_error(by_customer, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;

    // Into a closed ticket, or a closed one away: both refused.
    app.update_ticket(agent, second.ticket.id, &json!({"status": "solved"}))
        .await;
    app.update_ticket(agent, second.ticket.id, &json!({"status": "closed"}))
        .await;
    let into_closed = app
        .post(
            &merge_path(first.ticket.id),
            Some(&agent.token),
            &json!({"into": second.ticket.id}),
        )
        .await;
    expect_error(into_closed, StatusCode::CONFLICT, ErrorCode::Conflict).await;
    let closed_away = app
        .post(
            &merge_path(second.ticket.id),
            Some(&agent.token),
            &json!({"into": first.ticket.id}),
        )
        .await;
    expect_error(closed_away, StatusCode::CONFLICT, ErrorCode::Conflict).await;

    for (ticket, messages) in [(&first, 1), (&second, 1), (&bobs, 1)] {
        assert_eq!(app.ticket_as(agent, ticket.ticket.id).await.messages.len(), messages);
    }
    assert_eq!(
        app.ticket_as(agent, first.ticket.id).await.ticket.status,
        TicketStatus::New
    );
}

#[tokio::test]
async fn another_workspaces_tickets_cannot_be_merged_from_or_into() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let globex = TestWorkspace::create(&app, "globex", 1).await;
    let ours = app.create_ticket(acme.customer(), "Ours", "Ours").await;
    let theirs = app.create_ticket(globex.customer(), "Theirs", "Theirs").await;

    let into_theirs = app
        .post(
            &merge_path(ours.ticket.id),
            Some(&acme.agent().token),
            &json!({"into": theirs.ticket.id}),
        )
        .await;
    expect_error(
        into_theirs,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    )
    .await;
    let from_theirs = app
        .post(
            &merge_path(theirs.ticket.id),
            Some(&acme.agent().token),
            &json!({"into": ours.ticket.id}),
        )
        .await;
    expect_error(from_theirs, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;

    let untouched = app.ticket_as(globex.agent(), theirs.ticket.id).await;
    assert_eq!(untouched.ticket.status, TicketStatus::New);
    assert_eq!(untouched.messages.len(), 1);
    assert_eq!(app.ticket_as(acme.agent(), ours.ticket.id).await.messages.len(), 1);
}
