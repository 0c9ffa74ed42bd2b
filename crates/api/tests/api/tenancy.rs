//! Tenancy: a workspace never sees, changes, or even learns of the existence of another workspace's
//! tickets and users. An object of another workspace answers exactly like one that does not exist.

use std::collections::BTreeSet;

use ferrodesk_shared::auth::{AuthResponse, Me, RegistrationAccepted};
use ferrodesk_shared::tickets::{TicketDetail, TicketPage, TicketStatus};
use ferrodesk_shared::users::UserList;
use ferrodesk_shared::{ErrorBody, ErrorCode, Role, TicketId, UserId};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    Caller, PASSWORD, Session, TestApp, TestWorkspace, expect_error, expect_json, spawn_app, ticket_path,
};

/// Two workspaces on one app, A (`acme`) and B (`globex`). Both have a customer with the same email
/// (`customer0@mail.example`), as `TestWorkspace::create` makes them.
struct Tenants {
    a: TestWorkspace,
    b: TestWorkspace,
    /// By A's first customer: an agent's public reply and an internal note, assigned to A's agent,
    /// category `hardware`, priority `urgent`, status `open`. Its words are found nowhere in B.
    a_ticket: TicketDetail,
    /// Opened by A's supervisor for A's second customer; status `new`.
    a_new_ticket: TicketDetail,
    /// By B's first customer, answered by B's agent: status `open`.
    b_ticket: TicketDetail,
    /// Opened by B's supervisor for B's second customer: status `new`.
    b_new_ticket: TicketDetail,
}

/// Only in A: in the subject of `a_ticket`, and in its internal note.
const A_SUBJECT_WORD: &str = "zanzibar";
const A_NOTE_WORD: &str = "quokka";
/// In the subjects of both `a_ticket` and `b_ticket`.
const SHARED_WORD: &str = "printer";

async fn two_workspaces(app: &TestApp) -> Tenants {
    let a = TestWorkspace::create(app, "acme", 2).await;
    let b = TestWorkspace::create(app, "globex", 2).await;

    let created = app
        .create_ticket(
            a.customer(),
            "Zanzibar printer is on fire",
            "It smokes since this morning.",
        )
        .await;
    let id = created.ticket.id;
    app.reply(a.agent(), id, "We are on it.", false).await;
    app.reply(a.agent(), id, "quokka: check the fuse box first", true).await;
    let patch = json!({ "assignee_id": a.agent().id(), "category": "hardware", "priority": "urgent" });
    expect_json::<Value>(
        app.patch(&ticket_path(id), &a.agent().token, &patch).await,
        StatusCode::OK,
    )
    .await;
    let a_ticket = app.ticket_as(&a.owner, id).await;
    let a_new_ticket = app
        .create_ticket_for(&a.supervisor, "customer1@mail.example", "Refund for order 7")
        .await;

    let created = app
        .create_ticket(b.customer(), "Printer jam at the front desk", "Paper everywhere.")
        .await;
    app.reply(b.agent(), created.ticket.id, "Open the tray.", false).await;
    let b_ticket = app.ticket_as(&b.owner, created.ticket.id).await;
    let b_new_ticket = app
        .create_ticket_for(&b.supervisor, "customer1@mail.example", "Invoice question")
        .await;

    assert_eq!(a_ticket.messages.len(), 3);
    assert_eq!(a_ticket.ticket.status, TicketStatus::Open);
    assert_eq!(b_ticket.ticket.status, TicketStatus::Open);
    assert_eq!(a_new_ticket.ticket.status, TicketStatus::New);
    assert_eq!(b_new_ticket.ticket.status, TicketStatus::New);
    // The customers of A and B share an email but are different people.
    assert_eq!(a.customer().auth.user.email, b.customer().auth.user.email);
    assert_ne!(a.customer().id(), b.customer().id());
    Tenants {
        a,
        b,
        a_ticket,
        a_new_ticket,
        b_ticket,
        b_new_ticket,
    }
}

impl Tenants {
    fn b_sessions(&self) -> Vec<(&'static str, &Session)> {
        vec![
            ("B's owner", &self.b.owner),
            ("B's supervisor", &self.b.supervisor),
            ("B's agent", self.b.agent()),
            ("B's customer", self.b.customer()),
        ]
    }

    fn a_users(&self) -> Vec<&Session> {
        let a = &self.a;
        [&a.owner, &a.supervisor]
            .into_iter()
            .chain(&a.agents)
            .chain(&a.customers)
            .collect()
    }

    fn a_ticket_ids(&self) -> BTreeSet<TicketId> {
        BTreeSet::from([self.a_ticket.ticket.id, self.a_new_ticket.ticket.id])
    }
}

fn random_id() -> Uuid {
    Uuid::now_v7()
}

/// The ids of `GET /tickets?{query}` as `viewer`, following every page.
async fn ticket_ids_as(app: &TestApp, viewer: &Session, query: &str) -> BTreeSet<TicketId> {
    let mut ids = BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/tickets?limit=100&{query}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page: TicketPage = expect_json(app.get(&path, &viewer.token).await, StatusCode::OK).await;
        ids.extend(page.items.iter().map(|ticket| ticket.id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return ids,
        }
    }
}

/// Which of `tickets` `viewer` may see: all of them for staff, their own for a customer.
fn visible_to(viewer: &Session, tickets: &[&TicketDetail]) -> BTreeSet<TicketId> {
    tickets
        .iter()
        .filter(|detail| viewer.auth.user.role.is_staff() || detail.ticket.requester.id == viewer.id())
        .map(|detail| detail.ticket.id)
        .collect()
}

/// Sends the same request to A's object and to an id that exists nowhere, and asserts both answer
/// the same status and the same body. Returns that body.
async fn same_as_missing(
    app: &TestApp,
    who: &str,
    method: Method,
    session: &(impl Caller + ?Sized),
    (existing, missing): (&str, &str),
    body: Option<&Value>,
) -> (StatusCode, ErrorBody) {
    let response = app.send(method.clone(), existing, Some(session.token()), body).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    let error: ErrorBody =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{who}: {method} {existing} -> {status} {text}"));
    let response = app.send(method.clone(), missing, Some(session.token()), body).await;
    let missing_status = response.status();
    let missing_error: ErrorBody = response.json().await.unwrap();
    assert_eq!(
        (status, &error),
        (missing_status, &missing_error),
        "{who}: {method} {existing} with {body:?} must answer exactly like a missing id"
    );
    (status, error)
}

#[tokio::test]
async fn another_workspaces_ticket_answers_404_like_a_missing_one_for_every_role() {
    let app = spawn_app().await;
    let tenants = two_workspaces(&app).await;
    let missing = format!("/api/v1/tickets/{}", random_id());

    for ticket in [&tenants.a_ticket, &tenants.a_new_ticket] {
        let existing = ticket_path(ticket.ticket.id);
        for (who, session) in tenants.b_sessions() {
            let is_customer = session.auth.user.role == Role::Customer;

            let (status, error) = same_as_missing(&app, who, Method::GET, session, (&existing, &missing), None).await;
            assert_eq!(
                (status, error.code),
                (StatusCode::NOT_FOUND, ErrorCode::NotFound),
                "{who}: GET {existing}"
            );

            let patches = [
                json!({ "status": "solved" }),
                json!({ "priority": "low" }),
                json!({ "assignee_id": session.id() }),
                json!({ "assignee_id": null }),
                json!({ "category": "stolen" }),
                json!({ "category": null }),
                json!({ "tags": ["pwned"] }),
            ];
            for patch in &patches {
                let (status, error) =
                    same_as_missing(&app, who, Method::PATCH, session, (&existing, &missing), Some(patch)).await;
                // Customers may patch no ticket at all: their 403 does not depend on the id, so it tells
                // nothing about A's ticket. Staff get the 404 of a missing ticket.
                let expected = if is_customer {
                    (StatusCode::FORBIDDEN, ErrorCode::Forbidden)
                } else {
                    (StatusCode::NOT_FOUND, ErrorCode::NotFound)
                };
                assert_eq!((status, error.code), expected, "{who}: PATCH {existing} {patch}");
            }

            let messages = (format!("{existing}/messages"), format!("{missing}/messages"));
            let public = json!({ "body": "Hello from B", "internal": false });
            let (status, error) = same_as_missing(
                &app,
                who,
                Method::POST,
                session,
                (&messages.0, &messages.1),
                Some(&public),
            )
            .await;
            assert_eq!(
                (status, error.code),
                (StatusCode::NOT_FOUND, ErrorCode::NotFound),
                "{who}: reply"
            );

            let internal = json!({ "body": "A note from B", "internal": true });
            let (status, error) = same_as_missing(
                &app,
                who,
                Method::POST,
                session,
                (&messages.0, &messages.1),
                Some(&internal),
            )
            .await;
            // Customers may write no internal note anywhere: 403 whatever the id.
            let expected = if is_customer {
                (StatusCode::FORBIDDEN, ErrorCode::Forbidden)
            } else {
                (StatusCode::NOT_FOUND, ErrorCode::NotFound)
            };
            assert_eq!((status, error.code), expected, "{who}: internal note");

            // Nothing of A's ticket changed: not a field, not a message, not even `updated_at`.
            assert_eq!(
                &app.ticket_as(&tenants.a.owner, ticket.ticket.id).await,
                ticket,
                "after {who}'s attempts"
            );
        }
    }

    // A's customer still sees their ticket with its two public messages, and only those.
    let seen = app.ticket_as(tenants.a.customer(), tenants.a_ticket.ticket.id).await;
    assert_eq!(seen.messages.len(), 2);
    assert!(seen.messages.iter().all(|message| !message.internal));
}

/// The key column: B's API key with every scope reaches none of A's tickets, users or keys, and
/// lists none of A's rows.
#[tokio::test]
async fn another_workspaces_api_key_gets_404_like_a_missing_id_and_lists_nothing_of_a() {
    let app = spawn_app().await;
    let tenants = two_workspaces(&app).await;
    let key = app.api_key_with_every_scope(&tenants.b.owner, "B's CRM").await;
    let who = "B's key";
    let missing = format!("/api/v1/tickets/{}", random_id());
    for ticket in [&tenants.a_ticket, &tenants.a_new_ticket] {
        let existing = ticket_path(ticket.ticket.id);
        let requests = [
            (Method::GET, existing.clone(), missing.clone(), None),
            (
                Method::PATCH,
                existing.clone(),
                missing.clone(),
                Some(json!({ "status": "solved", "tags": ["pwned"] })),
            ),
            (
                Method::POST,
                format!("{existing}/messages"),
                format!("{missing}/messages"),
                Some(json!({ "body": "hello from B", "internal": true })),
            ),
        ];
        for (method, existing, missing, body) in &requests {
            let (status, error) = same_as_missing(
                &app,
                who,
                method.clone(),
                key.as_str(),
                (existing, missing),
                body.as_ref(),
            )
            .await;
            assert_eq!(
                (status, error.code),
                (StatusCode::NOT_FOUND, ErrorCode::NotFound),
                "{who}: {method} {existing}"
            );
        }
        // Unchanged, as A's owner sees it.
        assert_eq!(app.ticket_as(&tenants.a.owner, ticket.ticket.id).await, *ticket);
    }
    let listed = app.tickets_as(key.as_str(), "?limit=100").await;
    let a_ids = tenants.a_ticket_ids();
    assert!(listed.items.iter().all(|ticket| !a_ids.contains(&ticket.id)));
    assert_eq!(listed.items.len(), 2, "B's own two tickets");
    let a_people: BTreeSet<UserId> = tenants.a_users().iter().map(|user| user.id()).collect();
    let b_people = app.users_as(key.as_str(), "").await;
    assert!(b_people.iter().all(|user| !a_people.contains(&user.id)));

    // And A's keys are not B's to revoke.
    let a_key = app.api_key_with_every_scope(&tenants.a.owner, "A's CRM").await;
    let a_keys: ferrodesk_shared::api_keys::ApiKeyList = expect_json(
        app.get("/api/v1/api-keys", &tenants.a.owner.token).await,
        StatusCode::OK,
    )
    .await;
    let a_key_path = format!("/api/v1/api-keys/{}", a_keys.items[0].id);
    let missing_key = format!("/api/v1/api-keys/{}", random_id());
    let (status, _) = same_as_missing(
        &app,
        "B's owner",
        Method::DELETE,
        &tenants.b.owner,
        (&a_key_path, &missing_key),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let b_keys: ferrodesk_shared::api_keys::ApiKeyList = expect_json(
        app.get("/api/v1/api-keys", &tenants.b.owner.token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(b_keys.items.len(), 1, "B lists only its own key");
    expect_json::<TicketPage>(app.get("/api/v1/tickets", &a_key).await, StatusCode::OK).await;
}

#[tokio::test]
async fn another_workspaces_users_answer_404_like_missing_ones() {
    let app = spawn_app().await;
    let tenants = two_workspaces(&app).await;
    let before = app.users_as(&tenants.a.owner, "").await;
    let missing = format!("/api/v1/users/{}", random_id());

    for target in tenants.a_users() {
        let existing = format!("/api/v1/users/{}", target.id());
        for role in Role::ALL {
            let body = json!({ "role": role });
            let (status, error) = same_as_missing(
                &app,
                "B's owner",
                Method::PATCH,
                &tenants.b.owner,
                (&existing, &missing),
                Some(&body),
            )
            .await;
            assert_eq!(
                (status, error.code),
                (StatusCode::NOT_FOUND, ErrorCode::NotFound),
                "{existing} -> {role}"
            );
            // The other roles of B may change no role at all: 403 whatever the id.
            for (who, session) in tenants.b_sessions().into_iter().skip(1) {
                let (status, error) =
                    same_as_missing(&app, who, Method::PATCH, session, (&existing, &missing), Some(&body)).await;
                assert_eq!(
                    (status, error.code),
                    (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
                    "{who}: {existing}"
                );
            }
        }
        assert_eq!(
            app.users_as(&tenants.a.owner, "").await,
            before,
            "A's users after changes to {existing}"
        );
    }

    // B's customer has the same email as A's customer: still two users, and B's owner cannot reach A's.
    let a_customer = format!("/api/v1/users/{}", tenants.a.customer().id());
    let response = app
        .patch(&a_customer, &tenants.b.owner.token, &json!({ "role": "agent" }))
        .await;
    expect_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let b_customer = format!("/api/v1/users/{}", tenants.b.customer().id());
    let response = app
        .patch(&b_customer, &tenants.a.owner.token, &json!({ "role": "agent" }))
        .await;
    expect_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    assert_eq!(app.users_as(&tenants.a.owner, "").await, before);
    let me: Me = expect_json(app.get("/api/v1/me", &tenants.b.customer().token).await, StatusCode::OK).await;
    assert_eq!(me.user.role, Role::Customer);
}

#[tokio::test]
async fn ticket_lists_never_show_another_workspaces_rows() {
    let app = spawn_app().await;
    let t = two_workspaces(&app).await;
    let a_agent = t.a.agent().id();
    let b_all = [&t.b_ticket, &t.b_new_ticket];
    let a_all = [&t.a_ticket, &t.a_new_ticket];

    // A cursor handed out to A's owner, replayed in B.
    let page: TicketPage = expect_json(
        app.get("/api/v1/tickets?limit=1", &t.a.owner.token).await,
        StatusCode::OK,
    )
    .await;
    let a_cursor = page.next_cursor.expect("A has two tickets: a second page");

    // Each query, what B's staff must see (before narrowing to a customer's own), and what A's
    // owner sees, so each query is shown to find A's rows when asked by A.
    let queries: Vec<(String, Vec<&TicketDetail>, Vec<&TicketDetail>)> = vec![
        (String::new(), b_all.to_vec(), a_all.to_vec()),
        (format!("q={A_SUBJECT_WORD}"), vec![], vec![&t.a_ticket]),
        (format!("q={A_NOTE_WORD}"), vec![], vec![&t.a_ticket]),
        (format!("q={SHARED_WORD}"), vec![&t.b_ticket], vec![&t.a_ticket]),
        ("status=open".to_owned(), vec![&t.b_ticket], vec![&t.a_ticket]),
        ("status=new".to_owned(), vec![&t.b_new_ticket], vec![&t.a_new_ticket]),
        ("status=solved".to_owned(), vec![], vec![]),
        (format!("assignee={a_agent}"), vec![], vec![&t.a_ticket]),
        // B's agent answered `b_ticket` in public, which assigned it to them.
        ("assignee=none".to_owned(), vec![&t.b_new_ticket], vec![&t.a_new_ticket]),
        ("priority=urgent".to_owned(), vec![], vec![&t.a_ticket]),
        ("category=hardware".to_owned(), vec![], vec![&t.a_ticket]),
        ("sort=created".to_owned(), b_all.to_vec(), a_all.to_vec()),
        (format!("cursor={a_cursor}&sort=updated"), vec![], vec![]),
    ];
    let a_ids = t.a_ticket_ids();
    for (query, b_expected, a_expected) in &queries {
        for (who, session) in t
            .b_sessions()
            .into_iter()
            .chain([("B's second customer", &t.b.customers[1])])
        {
            let seen = ticket_ids_as(&app, session, query).await;
            assert!(
                seen.is_disjoint(&a_ids),
                "{who} sees A's tickets with `{query}`: {seen:?}"
            );
            if !query.starts_with("cursor") {
                assert_eq!(seen, visible_to(session, b_expected), "{who} with `{query}`");
            }
        }
        if !query.starts_with("cursor") {
            assert_eq!(
                ticket_ids_as(&app, &t.a.owner, query).await,
                visible_to(&t.a.owner, a_expected),
                "A's owner with `{query}`"
            );
        }
    }

    // `assignee=me` for B's agent shows nothing of A's either, even once they have a ticket.
    let patch = json!({ "assignee_id": t.b.agent().id() });
    expect_json::<Value>(
        app.patch(&ticket_path(t.b_ticket.ticket.id), &t.b.agent().token, &patch)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        ticket_ids_as(&app, t.b.agent(), "assignee=me").await,
        BTreeSet::from([t.b_ticket.ticket.id])
    );
    assert_eq!(
        ticket_ids_as(&app, t.a.agent(), "assignee=me").await,
        BTreeSet::from([t.a_ticket.ticket.id])
    );
}

#[tokio::test]
async fn user_lists_never_show_another_workspaces_rows() {
    let app = spawn_app().await;
    let t = two_workspaces(&app).await;
    let a_ids: BTreeSet<UserId> = t.a_users().iter().map(|session| session.id()).collect();
    let b = &t.b;
    let b_ids: BTreeSet<UserId> = [&b.owner, &b.supervisor]
        .into_iter()
        .chain(&b.agents)
        .chain(&b.customers)
        .map(Session::id)
        .collect();
    let b_workspace = b.owner.auth.workspace.id;

    for (who, session) in t.b_sessions() {
        let response = app.get("/api/v1/users", &session.token).await;
        if session.auth.user.role == Role::Customer {
            expect_error(response, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
            continue;
        }
        let users: UserList = expect_json(response, StatusCode::OK).await;
        let seen: BTreeSet<UserId> = users.items.iter().map(|user| user.id).collect();
        assert_eq!(seen, b_ids, "{who}");
        assert!(seen.is_disjoint(&a_ids));
        assert!(
            users.items.iter().all(|user| user.workspace_id == b_workspace),
            "{who}: {users:?}"
        );
        for role in Role::ALL {
            let only: BTreeSet<UserId> = app
                .users_as(session, &format!("?role={role}"))
                .await
                .iter()
                .map(|user| user.id)
                .collect();
            assert!(only.is_disjoint(&a_ids), "{who} with role={role}");
            assert_eq!(
                only.len(),
                match role {
                    Role::Owner | Role::Supervisor => 1,
                    Role::Agent | Role::Customer => 2,
                }
            );
        }
    }
    // And A's list is A's.
    let seen: BTreeSet<UserId> = app.users_as(&t.a.owner, "").await.iter().map(|user| user.id).collect();
    assert_eq!(seen, a_ids);
}

#[tokio::test]
async fn assigning_a_ticket_to_another_workspaces_agent_is_refused() {
    let app = spawn_app().await;
    let t = two_workspaces(&app).await;
    let path = ticket_path(t.b_ticket.ticket.id);

    for assigner in [&t.b.supervisor, &t.b.owner] {
        for outsider in [t.a.agent(), &t.a.supervisor, &t.a.owner] {
            let patch = json!({ "assignee_id": outsider.id() });
            let error = expect_error(
                app.patch(&path, &assigner.token, &patch).await,
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::ValidationFailed,
            )
            .await;
            assert!(error.fields.contains_key("assignee_id"), "{error:?}");
            // Combined with a valid change, nothing of the request is applied.
            let patch = json!({ "assignee_id": outsider.id(), "priority": "urgent", "status": "pending" });
            let error = expect_error(
                app.patch(&path, &assigner.token, &patch).await,
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::ValidationFailed,
            )
            .await;
            assert!(error.fields.contains_key("assignee_id"), "{error:?}");
            assert_eq!(app.ticket_as(&t.b.owner, t.b_ticket.ticket.id).await, t.b_ticket);
        }
    }
    // An id of a user that exists nowhere is refused the same way.
    let patch = json!({ "assignee_id": random_id() });
    let error = expect_error(
        app.patch(&path, &t.b.supervisor.token, &patch).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    )
    .await;
    assert!(error.fields.contains_key("assignee_id"));
    assert_eq!(app.ticket_as(&t.b.owner, t.b_ticket.ticket.id).await, t.b_ticket);
    // A's agent has still nothing of B's, and A's ticket is untouched.
    assert_eq!(
        ticket_ids_as(&app, t.a.agent(), "assignee=me").await,
        BTreeSet::from([t.a_ticket.ticket.id])
    );
    assert_eq!(app.ticket_as(&t.a.owner, t.a_ticket.ticket.id).await, t.a_ticket);

    // The same request with B's own agent works.
    let patch = json!({ "assignee_id": t.b.agent().id() });
    let ticket: Value = expect_json(app.patch(&path, &t.b.supervisor.token, &patch).await, StatusCode::OK).await;
    assert_eq!(ticket["assignee"]["id"], json!(t.b.agent().id()));
}

#[tokio::test]
async fn an_invitation_joins_the_inviters_workspace_only() {
    let app = spawn_app().await;
    let t = two_workspaces(&app).await;
    let (a_workspace, b_workspace) = (t.a.owner.auth.workspace.id, t.b.owner.auth.workspace.id);
    let a_users_before = app.users_as(&t.a.owner, "").await;

    // B's supervisor invites someone as an agent: they join B, and A knows nothing of them.
    let lin = app
        .invite_and_join(&t.b.supervisor, "lin@shared.example", Role::Agent)
        .await
        .auth;
    assert_eq!(lin.user.workspace_id, b_workspace);
    assert_eq!(lin.workspace.slug, "globex");
    assert_eq!(lin.user.role, Role::Agent);
    assert_eq!(
        app.users_as(&t.a.owner, "").await,
        a_users_before,
        "A's users after B's invitation"
    );
    assert!(
        app.users_as(&t.b.owner, "")
            .await
            .iter()
            .any(|user| user.id == lin.user.id)
    );
    // They can sign in to B, not to A.
    let login = |slug: &str| json!({ "workspace_slug": slug, "email": "lin@shared.example", "password": PASSWORD });
    let signed_in: AuthResponse = expect_json(
        app.post("/api/v1/auth/login", None, &login("globex")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(signed_in.user.id, lin.user.id);
    expect_error(
        app.post("/api/v1/auth/login", None, &login("acme")).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
    )
    .await;
    // Their token reaches B's tickets only.
    let lin_session = Session {
        token: lin.access_token.clone(),
        auth: lin.clone(),
    };
    assert_eq!(
        ticket_ids_as(&app, &lin_session, "").await,
        BTreeSet::from([t.b_ticket.ticket.id, t.b_new_ticket.ticket.id])
    );
    let response = app.get(&ticket_path(t.a_ticket.ticket.id), &lin.access_token).await;
    expect_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;

    // A then invites the same email, as a supervisor: a second, separate user in A.
    let lin_in_a = app
        .invite_and_join(&t.a.owner, "lin@shared.example", Role::Supervisor)
        .await
        .auth;
    assert_eq!(lin_in_a.user.workspace_id, a_workspace);
    assert_eq!(lin_in_a.user.role, Role::Supervisor);
    assert_ne!(lin_in_a.user.id, lin.user.id);
    let signed_in: AuthResponse = expect_json(
        app.post("/api/v1/auth/login", None, &login("acme")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(signed_in.user.id, lin_in_a.user.id);
    // The B user is unchanged.
    let in_b = app.users_as(&t.b.owner, "?role=agent").await;
    assert!(
        in_b.iter()
            .any(|user| user.id == lin.user.id && user.role == Role::Agent)
    );
    assert!(
        app.users_as(&t.b.owner, "")
            .await
            .iter()
            .all(|user| user.id != lin_in_a.user.id)
    );

    // Inviting into A the email of one of B's agents makes a new A user and leaves B's agent alone.
    let b_agent_email = t.b.agent().auth.user.email.clone();
    let copy = app
        .invite_and_join(&t.a.supervisor, &b_agent_email, Role::Agent)
        .await
        .auth;
    assert_eq!(copy.user.workspace_id, a_workspace);
    assert_ne!(copy.user.id, t.b.agent().id());
    let me: Me = expect_json(app.get("/api/v1/me", &t.b.agent().token).await, StatusCode::OK).await;
    assert_eq!((me.user.workspace_id, me.user.role), (b_workspace, Role::Agent));
}

#[tokio::test]
async fn the_same_email_is_two_users_in_two_workspaces() {
    let app = spawn_app().await;
    let a = TestWorkspace::create(&app, "acme", 1).await;
    let b = TestWorkspace::create(&app, "globex", 1).await;
    let email = "ada@mail.example";
    let password = |slug: &str| format!("{slug}-only kettle orbit");

    let mut accounts = Vec::new();
    for workspace in [&a, &b] {
        let slug = workspace.slug.as_str();
        let register = json!({ "workspace_slug": slug, "name": "Ada", "email": email, "password": password(slug) });
        let registered: RegistrationAccepted = expect_json(
            app.post("/api/v1/auth/register", None, &register).await,
            StatusCode::ACCEPTED,
        )
        .await;
        assert_eq!(registered.email, email);
        // Unproven, the account signs in with its password (and sees only what it writes).
        let login = json!({ "workspace_slug": slug, "email": email, "password": password(slug) });
        let signed_in: AuthResponse =
            expect_json(app.post("/api/v1/auth/login", None, &login).await, StatusCode::OK).await;
        assert_eq!(signed_in.user.workspace_id, workspace.owner.auth.workspace.id);
        assert_eq!(signed_in.workspace.slug, slug);
        accounts.push(Session {
            token: signed_in.access_token.clone(),
            auth: signed_in,
        });
    }
    let (ada_a, ada_b) = (&accounts[0], &accounts[1]);
    assert_ne!(ada_a.id(), ada_b.id());
    assert_ne!(ada_a.auth.user.workspace_id, ada_b.auth.user.workspace_id);

    // Each account has its own password: A's does not open B's account, nor the other way round.
    for (slug, other) in [("acme", "globex"), ("globex", "acme")] {
        let login = json!({ "workspace_slug": slug, "email": email, "password": password(other) });
        expect_error(
            app.post("/api/v1/auth/login", None, &login).await,
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
        )
        .await;
    }

    // Each writes a ticket and sees only that one.
    let in_a = app.create_ticket(ada_a, "Ada's question to Acme", "Hello Acme").await;
    let in_a = app.ticket_as(&a.owner, in_a.ticket.id).await;
    let in_b = app
        .create_ticket(ada_b, "Ada's question to Globex", "Hello Globex")
        .await;
    let in_b = app.ticket_as(&b.owner, in_b.ticket.id).await;
    assert_eq!(ticket_ids_as(&app, ada_a, "").await, BTreeSet::from([in_a.ticket.id]));
    assert_eq!(ticket_ids_as(&app, ada_b, "").await, BTreeSet::from([in_b.ticket.id]));
    assert_eq!(
        ticket_ids_as(&app, ada_a, "q=question").await,
        BTreeSet::from([in_a.ticket.id])
    );
    // ... and cannot reach the other's, though it is "theirs" by email.
    for (session, other) in [(ada_a, &in_b), (ada_b, &in_a)] {
        let path = ticket_path(other.ticket.id);
        expect_error(
            app.get(&path, &session.token).await,
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        )
        .await;
        let reply = json!({ "body": "me again" });
        let response = app
            .post(&format!("{path}/messages"), Some(&session.token), &reply)
            .await;
        expect_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    }
    assert_eq!(app.ticket_as(&a.owner, in_a.ticket.id).await, in_a);
    assert_eq!(app.ticket_as(&b.owner, in_b.ticket.id).await, in_b);
    // Each workspace's staff see their Ada only.
    let a_adas: Vec<UserId> = app
        .users_as(&a.owner, "")
        .await
        .iter()
        .filter(|user| user.email == email)
        .map(|user| user.id)
        .collect();
    let b_adas: Vec<UserId> = app
        .users_as(&b.owner, "")
        .await
        .iter()
        .filter(|user| user.email == email)
        .map(|user| user.id)
        .collect();
    assert_eq!((a_adas, b_adas), (vec![ada_a.id()], vec![ada_b.id()]));
}
