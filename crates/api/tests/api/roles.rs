//! Roles: every endpoint refuses the roles below the one it needs with 403 `forbidden` (and anyone
//! without a valid token with 401 `unauthenticated`), stores nothing when it refuses, and lets the
//! role that is allowed through. Order: customer < agent < supervisor < owner.

use ferrodesk_shared::api_keys::ApiScope;
use ferrodesk_shared::auth::{AuthResponse, InvitationCreated, InvitationRequest, Me};
use ferrodesk_shared::tickets::{Message, Priority, Ticket, TicketDetail, TicketPage, TicketStatus};
use ferrodesk_shared::users::User;
use ferrodesk_shared::{ErrorCode, Role};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Session, TestApp, TestWorkspace, expect_error, expect_json, spawn_app, ticket_path};

fn user_path(user: &Session) -> String {
    format!("/api/v1/users/{}", user.id())
}

async fn role_of(app: &TestApp, user: &Session) -> Role {
    let me: Me = expect_json(app.get("/api/v1/me", &user.token).await, StatusCode::OK).await;
    me.user.role
}

/// Rows of `table`, read straight from the database: proof that a refused write stored nothing,
/// even where the API has no way to list it (invitations).
async fn count_rows(app: &TestApp, table: &str) -> i64 {
    let db = Database::connect(&app.settings.database_url).await.unwrap();
    let statement = Statement::from_string(db.get_database_backend(), format!("SELECT COUNT(*) AS n FROM {table}"));
    let row = db.query_one_raw(statement).await.unwrap().unwrap();
    let count: i64 = row.try_get("", "n").unwrap();
    db.close().await.ok();
    count
}

async fn expect_forbidden(response: reqwest::Response, what: &str) {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["code"], "forbidden", "{what}: {text}");
}

#[tokio::test]
async fn every_authenticated_endpoint_refuses_a_missing_or_invalid_token() {
    let app = spawn_app().await;
    let ws = TestWorkspace::create(&app, "acme", 2).await;
    let created = app.create_ticket(ws.customer(), "Printer on fire", "It smokes.").await;
    // The reference is what staff see (customers are not shown the AI's category guess).
    let ticket = app.ticket_as(&ws.owner, created.ticket.id).await;
    let id = ticket.ticket.id;

    // A session that was signed out: its access token must stop working at once.
    let login = json!({ "workspace_slug": "acme", "email": ws.owner.auth.user.email, "password": PASSWORD });
    let signed_out: AuthResponse =
        expect_json(app.post("/api/v1/auth/login", None, &login).await, StatusCode::OK).await;
    let response = app
        .send(
            Method::POST,
            "/api/v1/auth/logout",
            Some(&signed_out.access_token),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let endpoints: Vec<(Method, String, Option<Value>, StatusCode)> = vec![
        (Method::GET, "/api/v1/me".to_owned(), None, StatusCode::OK),
        (Method::GET, "/api/v1/users".to_owned(), None, StatusCode::OK),
        (Method::GET, "/api/v1/tickets".to_owned(), None, StatusCode::OK),
        (Method::GET, ticket_path(id), None, StatusCode::OK),
        (
            Method::PATCH,
            ticket_path(id),
            Some(json!({ "status": "pending", "tags": ["x"] })),
            StatusCode::OK,
        ),
        (
            Method::POST,
            format!("{}/messages", ticket_path(id)),
            Some(json!({ "body": "hello", "internal": true })),
            StatusCode::CREATED,
        ),
        (
            Method::POST,
            "/api/v1/tickets".to_owned(),
            Some(json!({ "subject": "New", "body": "Body", "requester_email": "new@mail.example" })),
            StatusCode::CREATED,
        ),
        (
            Method::POST,
            "/api/v1/invitations".to_owned(),
            Some(json!({ "email": "newbie@acme.example", "role": "supervisor" })),
            StatusCode::CREATED,
        ),
        (
            Method::PATCH,
            user_path(&ws.agents[1]),
            Some(json!({ "role": "supervisor" })),
            StatusCode::OK,
        ),
        (
            Method::POST,
            "/api/v1/auth/confirm-email/resend".to_owned(),
            None,
            StatusCode::ACCEPTED,
        ),
    ];
    let tampered = format!("{}x", ws.owner.token);
    // The key column: a revoked and an expired key of this workspace, with every scope.
    let revoked = app.create_api_key(&ws.owner, "Revoked", &ApiScope::ALL).await;
    let response = app
        .send(
            Method::DELETE,
            &format!("/api/v1/api-keys/{}", revoked.id),
            Some(&ws.owner.token),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let expired = app.api_key_with_every_scope(&ws.owner, "Expired").await;
    app.execute_sql("UPDATE api_keys SET expires_at = created_at WHERE name = 'Expired'")
        .await;
    let unknown_key = format!("fd_{}", "x".repeat(43));
    let tokens: [(&str, Option<&str>); 8] = [
        ("no token", None),
        ("an empty bearer", Some("")),
        ("garbage", Some("not-a-jwt")),
        ("a tampered token", Some(&tampered)),
        ("a signed-out session's token", Some(&signed_out.access_token)),
        ("a revoked API key", Some(&revoked.key)),
        ("an expired API key", Some(&expired)),
        ("an unknown API key", Some(&unknown_key)),
    ];
    let tables = ["tickets", "messages", "users", "invitations"];
    let mut counts = Vec::new();
    for table in tables {
        counts.push(count_rows(&app, table).await);
    }

    for (method, path, body, _) in &endpoints {
        for (what, token) in &tokens {
            let response = app.send(method.clone(), path, *token, body.as_ref()).await;
            let error = expect_error(response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
            assert!(!error.message.is_empty(), "{method} {path} with {what}");
        }
        // Nothing was stored or changed.
        assert_eq!(app.ticket_as(&ws.owner, id).await, ticket, "after {method} {path}");
        assert_eq!(role_of(&app, &ws.agents[1]).await, Role::Agent);
        for (table, before) in tables.iter().zip(&counts) {
            assert_eq!(count_rows(&app, table).await, *before, "{table} after {method} {path}");
        }
    }

    // The same requests with the owner's token succeed.
    for (method, path, body, expected) in &endpoints {
        let response = app
            .send(method.clone(), path, Some(&ws.owner.token), body.as_ref())
            .await;
        let status = response.status();
        assert_eq!(
            status,
            *expected,
            "{method} {path} as the owner: {}",
            response.text().await.unwrap()
        );
    }
    assert_eq!(role_of(&app, &ws.agents[1]).await, Role::Supervisor);
}

#[tokio::test]
async fn only_staff_list_users() {
    let app = spawn_app().await;
    let ws = TestWorkspace::create(&app, "acme", 1).await;

    for customer in &ws.customers {
        for query in ["", "?role=agent", "?role=customer"] {
            let response = app.get(&format!("/api/v1/users{query}"), &customer.token).await;
            expect_forbidden(response, &format!("a customer listing users{query}")).await;
        }
    }
    for staff in [ws.agent(), &ws.supervisor, &ws.owner] {
        let users = app.users_as(staff, "").await;
        assert_eq!(users.len(), 5, "{:?} lists everyone", staff.auth.user.role);
    }
}

#[tokio::test]
async fn only_owners_change_roles() {
    let app = spawn_app().await;
    let ws = TestWorkspace::create(&app, "acme", 2).await;
    let target = &ws.agents[1];
    let before = app.users_as(&ws.owner, "").await;

    let refused = [
        ("a customer", ws.customer()),
        ("an agent", ws.agent()),
        ("a supervisor", &ws.supervisor),
    ];
    for (who, actor) in refused {
        for role in Role::ALL {
            let body = json!({ "role": role });
            // Someone else, the owner, and themselves (no one promotes themselves).
            for (whom, user) in [("an agent", target), ("the owner", &ws.owner), ("themselves", actor)] {
                let response = app.patch(&user_path(user), &actor.token, &body).await;
                expect_forbidden(response, &format!("{who} making {whom} {role}")).await;
            }
        }
        assert_eq!(app.users_as(&ws.owner, "").await, before, "after {who}'s attempts");
    }
    for (session, role) in [
        (ws.customer(), Role::Customer),
        (ws.agent(), Role::Agent),
        (&ws.supervisor, Role::Supervisor),
        (&ws.owner, Role::Owner),
    ] {
        assert_eq!(role_of(&app, session).await, role);
    }

    // The owner can.
    let updated: User = expect_json(
        app.patch(&user_path(target), &ws.owner.token, &json!({ "role": "supervisor" }))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!((updated.id, updated.role), (target.id(), Role::Supervisor));
    assert_eq!(role_of(&app, target).await, Role::Supervisor);
    // Promoted to supervisor, they still cannot change roles, their own included.
    let response = app
        .patch(&user_path(target), &target.token, &json!({ "role": "owner" }))
        .await;
    expect_forbidden(response, "a new supervisor making themselves owner").await;
    let response = app
        .patch(&user_path(ws.agent()), &target.token, &json!({ "role": "supervisor" }))
        .await;
    expect_forbidden(response, "a new supervisor promoting an agent").await;
    assert_eq!(role_of(&app, target).await, Role::Supervisor);
    assert_eq!(role_of(&app, ws.agent()).await, Role::Agent);
    // Made an owner, they can.
    let response = app
        .patch(&user_path(target), &ws.owner.token, &json!({ "role": "owner" }))
        .await;
    expect_json::<User>(response, StatusCode::OK).await;
    let response = app
        .patch(&user_path(ws.agent()), &target.token, &json!({ "role": "supervisor" }))
        .await;
    expect_json::<User>(response, StatusCode::OK).await;
    assert_eq!(role_of(&app, ws.agent()).await, Role::Supervisor);
}

#[tokio::test]
async fn only_supervisors_invite_and_only_owners_invite_supervisors_or_owners() {
    let app = spawn_app().await;
    let ws = TestWorkspace::create(&app, "acme", 1).await;
    let invitations = count_rows(&app, "invitations").await;
    let users = app.users_as(&ws.owner, "").await;

    let refused: [(&str, &Session, &[Role]); 3] = [
        (
            "a customer",
            ws.customer(),
            &[Role::Agent, Role::Supervisor, Role::Owner],
        ),
        ("an agent", ws.agent(), &[Role::Agent, Role::Supervisor, Role::Owner]),
        ("a supervisor", &ws.supervisor, &[Role::Supervisor, Role::Owner]),
    ];
    let mut refused_emails = Vec::new();
    for (who, inviter, roles) in refused {
        for role in roles {
            let email = format!("{}-{role}@acme.example", inviter.auth.user.role);
            let invitation = InvitationRequest {
                email: email.clone(),
                role: *role,
            };
            let response = app.post("/api/v1/invitations", Some(&inviter.token), &invitation).await;
            expect_forbidden(response, &format!("{who} inviting a {role}")).await;
            assert_eq!(
                count_rows(&app, "invitations").await,
                invitations,
                "{who} inviting a {role}"
            );
            refused_emails.push(email);
        }
    }
    assert_eq!(app.users_as(&ws.owner, "").await, users);
    // No one of those can sign in.
    for email in &refused_emails {
        let login = json!({ "workspace_slug": "acme", "email": email, "password": PASSWORD });
        let response = app.post("/api/v1/auth/login", None, &login).await;
        expect_error(response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
    }

    // A supervisor invites agents; the owner invites every staff role.
    let allowed: [(&Session, Role); 4] = [
        (&ws.supervisor, Role::Agent),
        (&ws.owner, Role::Agent),
        (&ws.owner, Role::Supervisor),
        (&ws.owner, Role::Owner),
    ];
    for (inviter, role) in allowed {
        let email = format!("invited-by-{}-{role}@acme.example", inviter.auth.user.role);
        let invitation = InvitationRequest {
            email: email.clone(),
            role,
        };
        let response = app.post("/api/v1/invitations", Some(&inviter.token), &invitation).await;
        let created: InvitationCreated = expect_json(response, StatusCode::CREATED).await;
        assert_eq!(created.role, role);
        let accept = json!({ "token": created.token, "name": "New colleague", "password": PASSWORD });
        let joined: AuthResponse = expect_json(
            app.post("/api/v1/invitations/accept", None, &accept).await,
            StatusCode::CREATED,
        )
        .await;
        assert_eq!((joined.user.email.as_str(), joined.user.role), (email.as_str(), role));
    }
    assert_eq!(count_rows(&app, "invitations").await, invitations + 4);
}

#[tokio::test]
async fn customers_cannot_change_ticket_fields() {
    let app = spawn_app().await;
    let ws = TestWorkspace::create(&app, "acme", 1).await;
    let customer = ws.customer();
    let own = app.create_ticket(customer, "My printer is on fire", "It smokes.").await;
    let own = app.ticket_as(&ws.owner, own.ticket.id).await;
    let others = app
        .create_ticket(&ws.customers[1], "Someone else's ticket", "Hello")
        .await;
    let others = app.ticket_as(&ws.owner, others.ticket.id).await;
    let patches = [
        json!({ "status": "solved" }),
        json!({ "status": "open" }),
        json!({ "priority": "urgent" }),
        json!({ "priority": "low" }),
        json!({ "assignee_id": ws.agent().id() }),
        json!({ "assignee_id": customer.id() }),
        json!({ "assignee_id": null }),
        json!({ "category": "billing" }),
        json!({ "category": null }),
        json!({ "tags": ["vip"] }),
        json!({ "tags": [] }),
    ];

    for ticket in [&own, &others] {
        for patch in &patches {
            let response = app.patch(&ticket_path(ticket.ticket.id), &customer.token, patch).await;
            expect_forbidden(response, &format!("a customer patching {patch}")).await;
            assert_eq!(
                &app.ticket_as(&ws.owner, ticket.ticket.id).await,
                ticket,
                "after {patch}"
            );
        }
    }

    // An agent may change each of them.
    let path = ticket_path(own.ticket.id);
    let agent = ws.agent();
    let changes = [
        json!({ "status": "pending" }),
        json!({ "priority": "urgent" }),
        json!({ "assignee_id": agent.id() }),
        json!({ "category": "billing" }),
        json!({ "tags": ["vip"] }),
    ];
    for change in &changes {
        expect_json::<Ticket>(app.patch(&path, &agent.token, change).await, StatusCode::OK).await;
    }
    let changed = app.ticket_as(&ws.owner, own.ticket.id).await.ticket;
    assert_eq!(changed.status, TicketStatus::Pending);
    assert_eq!(changed.priority, Priority::Urgent);
    assert_eq!(changed.assignee.map(|user| user.id), Some(agent.id()));
    assert_eq!(changed.category.as_deref(), Some("billing"));
    assert_eq!(changed.tags, vec!["vip".to_owned()]);
}

#[tokio::test]
async fn customers_cannot_write_internal_notes() {
    let app = spawn_app().await;
    let ws = TestWorkspace::create(&app, "acme", 1).await;
    let customer = ws.customer();
    let ticket = app.create_ticket(customer, "Printer on fire", "It smokes.").await;
    let ticket = app.ticket_as(&ws.owner, ticket.ticket.id).await;
    let path = format!("{}/messages", ticket_path(ticket.ticket.id));
    let messages = count_rows(&app, "messages").await;

    let note = json!({ "body": "psst, internal", "internal": true });
    expect_forbidden(
        app.post(&path, Some(&customer.token), &note).await,
        "a customer's internal note",
    )
    .await;
    assert_eq!(app.ticket_as(&ws.owner, ticket.ticket.id).await, ticket);
    assert_eq!(count_rows(&app, "messages").await, messages);

    // A public reply from the customer works, and so does an agent's internal note, which the
    // customer never sees.
    let reply = json!({ "body": "Any news?", "internal": false });
    let written: Message = expect_json(
        app.post(&path, Some(&customer.token), &reply).await,
        StatusCode::CREATED,
    )
    .await;
    assert!(!written.internal);
    let written: Message = expect_json(
        app.post(&path, Some(&ws.agent().token), &note).await,
        StatusCode::CREATED,
    )
    .await;
    assert!(written.internal);
    assert_eq!(app.ticket_as(&ws.owner, ticket.ticket.id).await.messages.len(), 3);
    let seen = app.ticket_as(customer, ticket.ticket.id).await;
    assert_eq!(seen.messages.len(), 2);
    assert!(seen.messages.iter().all(|message| !message.internal));
}

#[tokio::test]
async fn customers_cannot_choose_a_requester_or_a_priority() {
    let app = spawn_app().await;
    let ws = TestWorkspace::create(&app, "acme", 1).await;
    let customer = ws.customer();
    let refused = [
        json!({ "subject": "For someone", "body": "Hi", "requester_email": "victim@mail.example" }),
        json!({ "subject": "For me", "body": "Hi", "requester_email": customer.auth.user.email }),
        json!({ "subject": "For someone", "body": "Hi", "requester_email": ws.customers[1].auth.user.email }),
        json!({ "subject": "Named", "body": "Hi", "requester_name": "Someone Else" }),
        json!({ "subject": "Urgent!", "body": "Hi", "priority": "urgent" }),
        json!({ "subject": "Low", "body": "Hi", "priority": "low" }),
    ];
    let (tickets, users) = (count_rows(&app, "tickets").await, count_rows(&app, "users").await);
    for request in &refused {
        expect_forbidden(
            app.post("/api/v1/tickets", Some(&customer.token), request).await,
            &request.to_string(),
        )
        .await;
        assert_eq!(count_rows(&app, "tickets").await, tickets, "after {request}");
        assert_eq!(count_rows(&app, "users").await, users, "after {request}");
    }
    let page: TicketPage = expect_json(app.get("/api/v1/tickets", &ws.owner.token).await, StatusCode::OK).await;
    assert!(page.items.is_empty());

    // A customer writes their own ticket at the normal priority ...
    let own = app.create_ticket(customer, "Mine", "Hi").await;
    assert_eq!(
        (own.ticket.requester.id, own.ticket.priority),
        (customer.id(), Priority::Normal)
    );
    // ... and an agent writes for anyone, at any priority.
    let request =
        json!({ "subject": "By phone", "body": "Hi", "requester_email": "victim@mail.example", "priority": "urgent" });
    let for_someone: TicketDetail = expect_json(
        app.post("/api/v1/tickets", Some(&ws.agent().token), &request).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(for_someone.ticket.requester.email, "victim@mail.example");
    assert_eq!(for_someone.ticket.requester.role, Role::Customer);
    assert_eq!(for_someone.ticket.priority, Priority::Urgent);
}

#[tokio::test]
async fn agents_assign_only_themselves_while_supervisors_assign_anyone() {
    let app = spawn_app().await;
    let ws = TestWorkspace::create(&app, "acme", 2).await;
    let (agent, colleague) = (&ws.agents[0], &ws.agents[1]);
    let created = app.create_ticket(ws.customer(), "Printer on fire", "It smokes.").await;
    // The reference is what staff see (customers are not shown the AI's category guess).
    let ticket = app.ticket_as(&ws.owner, created.ticket.id).await;
    let path = ticket_path(ticket.ticket.id);
    let assign = |user: &Session| json!({ "assignee_id": user.id() });
    let assignee = |ticket: &Ticket| ticket.assignee.as_ref().map(|user| user.id);

    // An unassigned ticket: an agent cannot give it to anyone else.
    for other in [colleague, &ws.supervisor, &ws.owner] {
        expect_forbidden(
            app.patch(&path, &agent.token, &assign(other)).await,
            "an agent assigning someone else",
        )
        .await;
        // Not even with another, allowed change in the same request.
        let patch = json!({ "assignee_id": other.id(), "priority": "high" });
        expect_forbidden(
            app.patch(&path, &agent.token, &patch).await,
            "an agent assigning someone else",
        )
        .await;
        assert_eq!(app.ticket_as(&ws.owner, ticket.ticket.id).await, ticket);
    }

    // They can take it.
    let taken: Ticket = expect_json(app.patch(&path, &agent.token, &assign(agent)).await, StatusCode::OK).await;
    assert_eq!(assignee(&taken), Some(agent.id()));
    let snapshot = app.ticket_as(&ws.owner, ticket.ticket.id).await;

    // Another agent can neither take it from them nor unassign it, nor hand it to a third.
    for patch in [
        assign(colleague),
        json!({ "assignee_id": null }),
        assign(&ws.supervisor),
    ] {
        expect_forbidden(
            app.patch(&path, &colleague.token, &patch).await,
            &format!("another agent: {patch}"),
        )
        .await;
        assert_eq!(app.ticket_as(&ws.owner, ticket.ticket.id).await, snapshot);
    }

    // A supervisor moves it to anyone of the staff, and so does the owner.
    for (mover, to) in [
        (&ws.supervisor, colleague),
        (&ws.supervisor, &ws.owner),
        (&ws.owner, &ws.supervisor),
        (&ws.owner, agent),
    ] {
        let moved: Ticket = expect_json(app.patch(&path, &mover.token, &assign(to)).await, StatusCode::OK).await;
        assert_eq!(assignee(&moved), Some(to.id()));
    }
    // And the agent drops their own ticket.
    let dropped: Ticket = expect_json(
        app.patch(&path, &agent.token, &json!({ "assignee_id": null })).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(assignee(&dropped), None);
}
