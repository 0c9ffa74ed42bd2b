//! SLA targets, due times, and the scan that auto-assigns or escalates a breach exactly once.

use chrono::{Duration, Utc};
use ferrodesk::sla::jobs::{ScanReport, scan};
use ferrodesk_shared::notifications::{NotificationKind, NotificationPage};
use ferrodesk_shared::sla::{BreachAction, BreachKind, SlaPolicies, SlaPolicy};
use ferrodesk_shared::tickets::{Priority, TicketPage};
use ferrodesk_shared::{ErrorCode, UserId};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Session, TestApp, TestWorkspace, expect_error, expect_json, spawn_app};

async fn notifications(app: &TestApp, who: &Session, kind: NotificationKind) -> usize {
    let page: NotificationPage = expect_json(
        app.get("/api/v1/notifications?limit=100", &who.token).await,
        StatusCode::OK,
    )
    .await;
    page.items
        .iter()
        .filter(|notification| notification.kind == kind)
        .count()
}

#[tokio::test]
async fn tickets_get_due_times_from_their_priority_and_pending_pauses_the_clock() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let created = app
        .create_ticket(acme.customer(), "Due?", "When is this due")
        .await
        .ticket;
    // SLA targets are the team's: the customer's view has none, the agent's has them.
    assert_eq!(created.sla, Default::default());
    let ticket = app.ticket_as(acme.agent(), created.id).await.ticket;
    let created = ticket.created_at;
    assert_eq!(
        ticket.sla.first_response_due_at,
        Some(created + Duration::hours(8)),
        "normal: 8 h"
    );
    assert_eq!(ticket.sla.resolution_due_at, Some(created + Duration::hours(72)));
    assert_eq!(ticket.sla.next_due_at, ticket.sla.first_response_due_at);

    let urgent = app
        .update_ticket(acme.agent(), ticket.id, &json!({"priority": "urgent"}))
        .await;
    assert_eq!(
        urgent.sla.first_response_due_at,
        Some(created + Duration::hours(1)),
        "recomputed on priority change"
    );
    assert_eq!(urgent.sla.resolution_due_at, Some(created + Duration::hours(8)));

    let reply = app
        .post(
            &format!("/api/v1/tickets/{}/messages", ticket.id),
            Some(&acme.agent().token),
            &json!({"body": "On it"}),
        )
        .await;
    assert_eq!(reply.status(), StatusCode::CREATED);
    let answered = app.ticket_as(acme.agent(), ticket.id).await.ticket;
    assert_eq!(
        answered.sla.next_due_at, answered.sla.resolution_due_at,
        "answered: the resolution target is next"
    );

    let pending = app
        .update_ticket(acme.agent(), ticket.id, &json!({"status": "pending"}))
        .await;
    assert_eq!(pending.sla.next_due_at, None, "waiting on the customer: no clock");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let back = app
        .post(
            &format!("/api/v1/tickets/{}/messages", ticket.id),
            Some(&acme.customer().token),
            &json!({"body": "Here you go"}),
        )
        .await;
    assert_eq!(back.status(), StatusCode::CREATED);
    let resumed = app.ticket_as(acme.agent(), ticket.id).await.ticket;
    let pushed = resumed.sla.resolution_due_at.unwrap() - urgent.sla.resolution_due_at.unwrap();
    assert!(
        pushed >= Duration::seconds(1) && pushed < Duration::seconds(30),
        "the paused time moves the target: {pushed}"
    );
    assert_eq!(resumed.sla.next_due_at, resumed.sla.resolution_due_at);

    let solved = app
        .update_ticket(acme.agent(), ticket.id, &json!({"status": "solved"}))
        .await;
    assert_eq!(solved.sla.next_due_at, None);
}

#[tokio::test]
async fn an_unanswered_unassigned_ticket_goes_to_the_least_busy_agent_once() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 2).await;
    // agent0 already carries an open ticket; agent1 carries none.
    let busy = app
        .create_ticket(acme.customer(), "Busy", "already assigned")
        .await
        .ticket;
    app.update_ticket(acme.agent(), busy.id, &json!({"assignee_id": acme.agent().id()}))
        .await;
    let ticket = app
        .create_ticket(acme.customer(), "Nobody answers", "hello?")
        .await
        .ticket;
    let now = Utc::now();

    assert_eq!(
        scan(&app.state, now + Duration::hours(7)).await.unwrap(),
        ScanReport::default(),
        "not due yet"
    );
    let report = scan(&app.state, now + Duration::hours(9)).await.unwrap();
    // `busy` breached too, and it is assigned: it is escalated.
    assert_eq!(
        report,
        ScanReport {
            assigned: 1,
            escalated: 1
        }
    );
    let after = app.ticket_as(&acme.supervisor, ticket.id).await;
    assert_eq!(
        after.ticket.assignee.as_ref().map(|a| a.id),
        Some(acme.agents[1].id()),
        "the agent with fewer open tickets"
    );
    assert_eq!(after.breaches.len(), 1);
    assert_eq!(after.breaches[0].kind, BreachKind::FirstResponse);
    assert_eq!(after.breaches[0].action, BreachAction::Assigned);
    assert_eq!(
        after.breaches[0].assigned_to.as_ref().map(|agent| agent.id),
        Some(acme.agents[1].id()),
        "the breach names whom it went to"
    );
    assert!(after.ticket.sla.breached);
    assert_eq!(
        notifications(&app, &acme.agents[1], NotificationKind::TicketAssigned).await,
        1
    );

    // Exactly once: later scans leave it alone, even far past the first target.
    assert_eq!(
        scan(&app.state, now + Duration::hours(10)).await.unwrap(),
        ScanReport::default()
    );
    assert_eq!(app.ticket_as(&acme.supervisor, ticket.id).await.breaches.len(), 1);
    // The customer never sees the team's timeline.
    assert!(app.ticket_as(acme.customer(), ticket.id).await.breaches.is_empty());
}

#[tokio::test]
async fn an_assigned_ticket_past_its_target_is_escalated_and_supervisors_are_told() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let ticket = app.create_ticket(acme.customer(), "Slow", "please answer").await.ticket;
    app.update_ticket(acme.agent(), ticket.id, &json!({"assignee_id": acme.agent().id()}))
        .await;
    let reply = app
        .post(
            &format!("/api/v1/tickets/{}/messages", ticket.id),
            Some(&acme.agent().token),
            &json!({"body": "Looking"}),
        )
        .await;
    assert_eq!(reply.status(), StatusCode::CREATED);
    let now = Utc::now();
    // Answered in time; the resolution target (72 h) is missed.
    assert_eq!(
        scan(&app.state, now + Duration::hours(71)).await.unwrap(),
        ScanReport::default()
    );
    assert_eq!(
        scan(&app.state, now + Duration::hours(73)).await.unwrap(),
        ScanReport {
            assigned: 0,
            escalated: 1
        }
    );
    let after = app.ticket_as(acme.agent(), ticket.id).await;
    assert_eq!(after.ticket.priority, Priority::High, "raised one step");
    assert!(after.ticket.sla.escalated);
    assert_eq!(
        after.ticket.assignee.as_ref().map(|a| a.id),
        Some(acme.agent().id()),
        "still theirs"
    );
    assert_eq!(after.breaches[0].kind, BreachKind::Resolution);
    assert_eq!(after.breaches[0].action, BreachAction::Escalated);
    assert_eq!(after.breaches[0].assigned_to, None);
    assert_eq!(
        notifications(&app, &acme.supervisor, NotificationKind::TicketEscalated).await,
        1
    );
    assert_eq!(
        notifications(&app, &acme.owner, NotificationKind::TicketEscalated).await,
        1
    );
    assert_eq!(
        notifications(&app, acme.agent(), NotificationKind::TicketEscalated).await,
        0
    );
    assert_eq!(
        scan(&app.state, now + Duration::hours(200)).await.unwrap(),
        ScanReport::default()
    );
}

#[tokio::test]
async fn concurrent_scans_act_on_each_breach_once() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 3).await;
    for index in 0..6 {
        app.create_ticket(acme.customer(), &format!("Breach {index}"), "waiting")
            .await;
    }
    let later = Utc::now() + Duration::hours(9);
    let postgres = std::env::var("TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres"));
    let (a, b) = if postgres {
        // Two instances of the app on one PostgreSQL database, scanning at the same instant.
        let other = ferrodesk::startup::Application::build(app.settings.clone())
            .await
            .unwrap();
        let other_state = other.state().clone();
        tokio::spawn(other.run_until_stopped());
        tokio::join!(scan(&app.state, later), scan(&other_state, later))
    } else {
        tokio::join!(scan(&app.state, later), scan(&app.state, later))
    };
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.assigned + b.assigned, 6, "{a:?} {b:?}");
    assert_eq!(a.escalated + b.escalated, 0);
    let mut assigned_to: Vec<UserId> = Vec::new();
    let page: TicketPage = expect_json(
        app.get("/api/v1/tickets?limit=100", &acme.owner.token).await,
        StatusCode::OK,
    )
    .await;
    for ticket in &page.items {
        assert_eq!(
            app.ticket_as(&acme.owner, ticket.id).await.breaches.len(),
            1,
            "one breach row per ticket"
        );
        assigned_to.push(ticket.assignee.as_ref().expect("assigned").id);
    }
    // Fair: three agents, six tickets, two each.
    for agent in &acme.agents {
        assert_eq!(assigned_to.iter().filter(|id| **id == agent.id()).count(), 2);
        assert_eq!(notifications(&app, agent, NotificationKind::TicketAssigned).await, 2);
    }
}

#[tokio::test]
async fn the_inbox_sorts_by_the_nearest_target() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let low = app
        .create_ticket_for(acme.agent(), "low@mail.example", "Low")
        .await
        .ticket;
    let urgent = app
        .create_ticket_for(acme.agent(), "urgent@mail.example", "Urgent")
        .await
        .ticket;
    let normal = app
        .create_ticket_for(acme.agent(), "normal@mail.example", "Normal")
        .await
        .ticket;
    app.update_ticket(acme.agent(), low.id, &json!({"priority": "low"}))
        .await;
    app.update_ticket(acme.agent(), urgent.id, &json!({"priority": "urgent"}))
        .await;
    let solved = app
        .update_ticket(acme.agent(), normal.id, &json!({"status": "solved"}))
        .await;
    assert_eq!(solved.sla.next_due_at, None);
    let page: TicketPage = expect_json(
        app.get("/api/v1/tickets?sort=due&limit=1", &acme.agent().token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(page.items[0].id, urgent.id);
    let rest: TicketPage = expect_json(
        app.get(
            &format!("/api/v1/tickets?sort=due&limit=5&cursor={}", page.next_cursor.unwrap()),
            &acme.agent().token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        rest.items.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![low.id],
        "solved ones have no target"
    );
}

#[tokio::test]
async fn supervisors_set_targets_for_their_workspace_only() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let globex = TestWorkspace::create(&app, "globex", 0).await;
    let defaults: SlaPolicies = expect_json(
        app.get("/api/v1/sla/policies", &acme.agent().token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(defaults.items.len(), 4);
    assert!(defaults.items.contains(&SlaPolicy::default_for(Priority::Urgent)));

    let faster = json!({"items": [{"priority": "normal", "first_response_minutes": 30, "resolution_minutes": 600}]});
    let refused = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/sla/policies",
            Some(&acme.agent().token),
            Some(&faster),
        )
        .await;
    expect_error(refused, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    let bad = json!({"items": [{"priority": "normal", "first_response_minutes": 600, "resolution_minutes": 30}]});
    let refused = app
        .send(
            reqwest::Method::PUT,
            "/api/v1/sla/policies",
            Some(&acme.supervisor.token),
            Some(&bad),
        )
        .await;
    expect_error(refused, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed).await;
    let saved: SlaPolicies = expect_json(
        app.send(
            reqwest::Method::PUT,
            "/api/v1/sla/policies",
            Some(&acme.supervisor.token),
            Some(&faster),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let normal = saved
        .items
        .iter()
        .find(|policy| policy.priority == Priority::Normal)
        .unwrap();
    assert_eq!((normal.first_response_minutes, normal.resolution_minutes), (30, 600));
    let ticket = app.create_ticket(acme.customer(), "Fast", "now faster").await.ticket;
    let ticket = app.ticket_as(acme.agent(), ticket.id).await.ticket;
    assert_eq!(
        ticket.sla.first_response_due_at,
        Some(ticket.created_at + Duration::minutes(30))
    );

    let theirs: SlaPolicies = expect_json(
        app.get("/api/v1/sla/policies", &globex.owner.token).await,
        StatusCode::OK,
    )
    .await;
    assert!(
        theirs.items.contains(&SlaPolicy::default_for(Priority::Normal)),
        "another workspace keeps its own"
    );
    let customer = app.get("/api/v1/sla/policies", &acme.customer().token).await;
    expect_error(customer, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
}
