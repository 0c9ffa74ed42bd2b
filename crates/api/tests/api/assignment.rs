//! The first public staff reply on an unassigned ticket assigns it to whoever sent it, unless the
//! workspace turned that off; supervisors change the setting, each workspace its own.

use ferrodesk_shared::ErrorCode;
use ferrodesk_shared::tickets::TicketStatus;
use ferrodesk_shared::workspaces::HelpdeskSettings;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Session, TestApp, TestWorkspace, expect_error, expect_json, spawn_app};

const SETTINGS: &str = "/api/v1/workspace/settings";

async fn set_assign_on_reply(app: &TestApp, who: &Session, on: bool) -> HelpdeskSettings {
    expect_json(
        app.patch(SETTINGS, &who.token, &json!({"assign_on_reply": on})).await,
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn the_first_public_staff_reply_takes_an_unassigned_ticket() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 2).await;
    let (first, second) = (&acme.agents[0], &acme.agents[1]);
    let id = app.create_ticket(acme.customer(), "Help", "Please").await.ticket.id;

    // A note is not an answer: the ticket stays in the unassigned view.
    app.reply(first, id, "Looking into it", true).await;
    assert_eq!(app.ticket_as(first, id).await.ticket.assignee, None);

    app.reply(first, id, "Here is what to do", false).await;
    let ticket = app.ticket_as(first, id).await.ticket;
    assert_eq!(ticket.assignee.map(|user| user.id), Some(first.id()));
    assert_eq!(ticket.status, TicketStatus::Open);
    let mine = app.tickets_as(first, "?view=mine").await;
    assert!(mine.items.iter().any(|item| item.id == id), "in My open now");

    // A teammate's reply later does not take it over.
    app.reply(second, id, "Adding to that", false).await;
    let ticket = app.ticket_as(first, id).await.ticket;
    assert_eq!(ticket.assignee.map(|user| user.id), Some(first.id()));

    // Nor does an API key's reply (an integration is no one to assign to).
    let other = app.create_ticket(acme.customer(), "Other", "Other").await.ticket.id;
    let key = app.api_key_with_every_scope(&acme.owner, "CRM").await;
    let response = app
        .post(
            &format!("/api/v1/tickets/{other}/messages"),
            Some(&key),
            &json!({"body": "Auto answer"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(app.ticket_as(first, other).await.ticket.assignee, None);
}

#[tokio::test]
async fn supervisors_turn_it_off_for_their_workspace_only() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let globex = TestWorkspace::create(&app, "globex", 1).await;
    let read: HelpdeskSettings = expect_json(app.get(SETTINGS, &acme.agent().token).await, StatusCode::OK).await;
    assert!(read.assign_on_reply, "on by default");

    // Agents read it but do not change it; customers do neither.
    let by_agent = app
        .patch(SETTINGS, &acme.agent().token, &json!({"assign_on_reply": false}))
        .await;
    expect_error(by_agent, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    let by_customer = app.get(SETTINGS, &acme.customer().token).await;
    expect_error(by_customer, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    let unknown = app
        .patch(SETTINGS, &acme.supervisor.token, &json!({"assign_on_replies": false}))
        .await;
    expect_error(unknown, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;

    let off = set_assign_on_reply(&app, &acme.supervisor, false).await;
    assert!(!off.assign_on_reply);
    let id = app.create_ticket(acme.customer(), "Help", "Please").await.ticket.id;
    app.reply(acme.agent(), id, "Here is what to do", false).await;
    assert_eq!(
        app.ticket_as(acme.agent(), id).await.ticket.assignee,
        None,
        "left for the team"
    );

    // Globex keeps its own setting.
    let theirs: HelpdeskSettings = expect_json(app.get(SETTINGS, &globex.agent().token).await, StatusCode::OK).await;
    assert!(theirs.assign_on_reply);
    let their_ticket = app.create_ticket(globex.customer(), "Help", "Please").await.ticket.id;
    app.reply(globex.agent(), their_ticket, "On it", false).await;
    let assignee = app.ticket_as(globex.agent(), their_ticket).await.ticket.assignee;
    assert_eq!(assignee.map(|user| user.id), Some(globex.agent().id()));

    // On again, from the next reply.
    assert!(set_assign_on_reply(&app, &acme.owner, true).await.assign_on_reply);
    let next = app.create_ticket(acme.customer(), "Again", "Please").await.ticket.id;
    app.reply(acme.agent(), next, "On it", false).await;
    let assignee = app.ticket_as(acme.agent(), next).await.ticket.assignee;
    assert_eq!(assignee.map(|user| user.id), Some(acme.agent().id()));
}
