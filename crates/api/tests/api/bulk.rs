//! Bulk updates: one patch for many tickets, each applied as it would be alone, each refusal
//! reported with its ticket; another workspace's tickets are "not found" like missing ones.

use ferrodesk_shared::tickets::{BulkTicketResult, Priority, TicketStatus};
use ferrodesk_shared::{ErrorCode, TicketId};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, TestWorkspace, expect_error, expect_json, spawn_app};

const BULK: &str = "/api/v1/tickets/bulk-update";

async fn bulk(app: &TestApp, who: &Session, ids: &[TicketId], patch: Value) -> BulkTicketResult {
    let body = json!({"ids": ids, "patch": patch});
    expect_json(app.post(BULK, Some(&who.token), &body).await, StatusCode::OK).await
}

async fn tickets(app: &TestApp, ws: &TestWorkspace, count: usize) -> Vec<TicketId> {
    let mut ids = Vec::new();
    for n in 0..count {
        ids.push(
            app.create_ticket(ws.customer(), &format!("Ticket {n}"), "Body")
                .await
                .ticket
                .id,
        );
    }
    ids
}

#[tokio::test]
async fn one_patch_changes_every_ticket_named() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let ids = tickets(&app, &acme, 5).await;
    let patch = json!({"status": "pending", "priority": "high", "tags": ["batch"], "assignee_id": acme.agent().id()});
    let result = bulk(&app, &acme.supervisor, &ids, patch).await;
    assert!(result.failed.is_empty(), "{:?}", result.failed);
    let answered: Vec<TicketId> = result.updated.iter().map(|ticket| ticket.id).collect();
    assert_eq!(answered, ids, "in the order asked");
    for id in &ids {
        let ticket = app.ticket_as(acme.agent(), *id).await.ticket;
        assert_eq!(ticket.status, TicketStatus::Pending);
        assert_eq!(ticket.priority, Priority::High);
        assert_eq!(ticket.tags, vec!["batch"]);
        assert_eq!(ticket.assignee.map(|user| user.id), Some(acme.agent().id()));
    }
    // Named twice is changed once.
    let twice = bulk(&app, &acme.supervisor, &[ids[0], ids[0]], json!({"priority": "low"})).await;
    assert_eq!(twice.updated.len(), 1);
}

#[tokio::test]
async fn each_refusal_is_reported_and_the_rest_go_ahead() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 2).await;
    let globex = TestWorkspace::create(&app, "globex", 1).await;
    let ids = tickets(&app, &acme, 3).await;
    // One is closed (no status change leaves closed), one is another workspace's, one is no ticket.
    app.update_ticket(&acme.supervisor, ids[1], &json!({"status": "solved"}))
        .await;
    app.update_ticket(&acme.supervisor, ids[1], &json!({"status": "closed"}))
        .await;
    let theirs = app.create_ticket(globex.customer(), "Theirs", "Body").await.ticket.id;
    let missing = TicketId(uuid::Uuid::now_v7());
    let asked = [ids[0], ids[1], theirs, ids[2], missing];
    let result = bulk(&app, acme.agent(), &asked, json!({"status": "open"})).await;
    let updated: Vec<TicketId> = result.updated.iter().map(|ticket| ticket.id).collect();
    assert_eq!(updated, vec![ids[0], ids[2]]);
    let failed: Vec<(TicketId, ErrorCode)> = result.failed.iter().map(|f| (f.id, f.error.code)).collect();
    assert_eq!(
        failed,
        vec![
            (ids[1], ErrorCode::Conflict),
            (theirs, ErrorCode::NotFound),
            (missing, ErrorCode::NotFound)
        ]
    );
    assert!(!result.failed[0].error.message.is_empty());
    let their_ticket = app.ticket_as(globex.agent(), theirs).await.ticket;
    assert_eq!(
        their_ticket.status,
        TicketStatus::New,
        "another workspace's ticket is untouched"
    );

    // An agent may take tickets but not give them to a teammate: each says so.
    let teammate = acme.agents[1].id();
    let result = bulk(&app, acme.agent(), &[ids[0], ids[2]], json!({"assignee_id": teammate})).await;
    assert!(result.updated.is_empty());
    assert!(
        result.failed.iter().all(|f| f.error.code == ErrorCode::Forbidden),
        "{result:?}"
    );
}

#[tokio::test]
async fn bad_bulk_requests_change_nothing() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let ids = tickets(&app, &acme, 2).await;
    let empty = app
        .post(
            BULK,
            Some(&acme.agent().token),
            &json!({"ids": [], "patch": {"priority": "low"}}),
        )
        .await;
    expect_error(empty, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed).await;
    let many: Vec<TicketId> = (0..101).map(|_| TicketId(uuid::Uuid::now_v7())).collect();
    let too_many = app
        .post(BULK, Some(&acme.agent().token), &json!({"ids": many, "patch": {}}))
        .await;
    expect_error(too_many, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed).await;
    let bad_tag = json!({"ids": ids, "patch": {"tags": ["not a tag!"]}});
    let refused = app.post(BULK, Some(&acme.agent().token), &bad_tag).await;
    expect_error(refused, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed).await;
    let customer = app
        .post(
            BULK,
            Some(&acme.customer().token),
            &json!({"ids": ids, "patch": {"status": "solved"}}),
        )
        .await;
    expect_error(customer, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    for id in &ids {
        let ticket = app.ticket_as(acme.agent(), *id).await.ticket;
        assert!(ticket.tags.is_empty());
        assert_eq!(ticket.status, TicketStatus::New);
    }
}
