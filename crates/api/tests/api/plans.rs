//! Plans: Free's two staff seats and no AI, enforced at every door a limit can be crossed; Pro's
//! larger team and AI; `ferrodesk plan set`, the operator's switch.

use chrono::Utc;
use ferrodesk::ai::categorise::drain;
use ferrodesk_shared::auth::{InvitationCreated, InvitationRequest, Me};
use ferrodesk_shared::billing::BillingOverview;
use ferrodesk_shared::error::LimitReached;
use ferrodesk_shared::users::User;
use ferrodesk_shared::workspaces::Plan;
use ferrodesk_shared::{ErrorCode, Role};
use reqwest::StatusCode;
use serde_json::json;

use ferrodesk::config::BucketSize;

use crate::helpers::{PASSWORD, Session, TestApp, expect_error, expect_json, spawn_app, spawn_app_with, ticket_path};

/// The overview's payment fields on a server without Stripe (these tests' configuration).
fn unbilled() -> BillingOverview {
    BillingOverview {
        plan: Plan::Free,
        seats_used: 0,
        seats_allowed: 0,
        over_limit: false,
        ai_included: false,
        billing_enabled: false,
        status: None,
        period_end: None,
        cancel_at_period_end: false,
        grace_until: None,
    }
}

fn seats(allowed: u32, used: u32) -> Option<LimitReached> {
    Some(LimitReached {
        resource: "staff_seats".to_owned(),
        allowed,
        used,
    })
}

async fn invite(app: &TestApp, inviter: &Session, email: &str) -> reqwest::Response {
    let request = InvitationRequest {
        email: email.to_owned(),
        role: Role::Agent,
    };
    app.post("/api/v1/invitations", Some(&inviter.token), &request).await
}

async fn accept(app: &TestApp, token: &str, name: &str) -> reqwest::Response {
    let body = json!({ "token": token, "name": name, "password": PASSWORD });
    app.post("/api/v1/invitations/accept", None, &body).await
}

/// Asserts the answer is `409 plan_limit`, and returns it for its `limit`.
async fn plan_limit(response: reqwest::Response) -> ferrodesk_shared::ErrorBody {
    expect_error(response, StatusCode::CONFLICT, ErrorCode::PlanLimit).await
}

/// `GET /api/v1/billing` as `owner`.
async fn billing(app: &TestApp, owner: &Session) -> BillingOverview {
    expect_json(app.get("/api/v1/billing", &owner.token).await, StatusCode::OK).await
}

async fn staff_count(app: &TestApp, viewer: &Session) -> usize {
    app.users_as(viewer, "")
        .await
        .into_iter()
        .filter(|user| user.role != Role::Customer)
        .count()
}

#[tokio::test]
async fn free_seats_two_staff_and_refuses_the_third_at_every_door_with_the_count() {
    let app = spawn_app().await;
    let owner = app.signup_free("acme").await;
    let me: Me = expect_json(app.get("/api/v1/me", &owner.token).await, StatusCode::OK).await;
    assert_eq!(me.workspace.plan, Plan::Free, "a new workspace starts on Free");

    // Two invitations while one seat is free: both may be sent...
    let first: InvitationCreated =
        expect_json(invite(&app, &owner, "ann@acme.example").await, StatusCode::CREATED).await;
    let second: InvitationCreated =
        expect_json(invite(&app, &owner, "bob@acme.example").await, StatusCode::CREATED).await;
    // ...but only one can be accepted: the second meets a full plan, and stays open, unused.
    let ann: ferrodesk_shared::auth::AuthResponse =
        expect_json(accept(&app, &first.token, "Ann").await, StatusCode::CREATED).await;
    assert_eq!(ann.user.role, Role::Agent);
    let refused = plan_limit(accept(&app, &second.token, "Bob").await).await;
    assert_eq!(refused.limit, seats(2, 2), "{refused:?}");
    assert!(refused.message.contains("Free"), "{}", refused.message);
    assert_eq!(staff_count(&app, &owner).await, 2);
    assert!(
        app.login("acme", "bob@acme.example", PASSWORD)
            .await
            .status()
            .is_client_error()
    );

    // A third invitation is refused before anyone is emailed.
    let mails_before = app.mails_to("carol@acme.example", "invitation").await;
    let refused = plan_limit(invite(&app, &owner, "carol@acme.example").await).await;
    assert_eq!(refused.limit, seats(2, 2));
    assert_eq!(app.mails_to("carol@acme.example", "invitation").await, mails_before);

    // Promoting a customer is the third door.
    let customer = app.register_customer("acme", "cus@mail.example").await;
    let path = format!("/api/v1/users/{}", customer.id());
    let refused = plan_limit(app.patch(&path, &owner.token, &json!({"role": "agent"})).await).await;
    assert_eq!(refused.limit, seats(2, 2));
    let users = app.users_as(&owner, "").await;
    let still: &User = users.iter().find(|user| user.id == customer.id()).unwrap();
    assert_eq!(still.role, Role::Customer, "nothing was half-changed");

    // On Pro the same doors open: the open invitation and the promotion.
    app.set_plan("acme", Plan::Pro).await;
    expect_json::<serde_json::Value>(accept(&app, &second.token, "Bob").await, StatusCode::CREATED).await;
    let promoted: User = expect_json(
        app.patch(&path, &owner.token, &json!({"role": "agent"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(promoted.role, Role::Agent);
    assert_eq!(staff_count(&app, &owner).await, 4);
}

/// Five agents invited to acme; their invitations' tokens.
async fn five_invitations(app: &TestApp, owner: &Session) -> Vec<String> {
    let mut tokens = Vec::new();
    for index in 0..5 {
        let created: InvitationCreated = expect_json(
            invite(app, owner, &format!("agent{index}@acme.example")).await,
            StatusCode::CREATED,
        )
        .await;
        tokens.push(created.token);
    }
    tokens
}

/// Accepts every invitation at once; the answers in the tokens' order.
async fn accept_all(app: &TestApp, tokens: &[String]) -> Vec<reqwest::Response> {
    futures_util::future::join_all(
        tokens
            .iter()
            .enumerate()
            .map(|(index, token)| accept(app, token, Box::leak(format!("Agent {index}").into_boxed_str()))),
    )
    .await
}

#[tokio::test]
async fn five_acceptances_at_once_take_the_one_free_seat_once() {
    let app = spawn_app().await;
    let owner = app.signup_free("acme").await;
    let tokens = five_invitations(&app, &owner).await;
    let answers = accept_all(&app, &tokens).await;
    let statuses: Vec<StatusCode> = answers.iter().map(reqwest::Response::status).collect();
    let joined = statuses.iter().filter(|status| **status == StatusCode::CREATED).count();
    let refused = statuses
        .iter()
        .filter(|status| **status == StatusCode::CONFLICT)
        .count();
    assert_eq!((joined, refused), (1, 4), "{statuses:?}");
    assert_eq!(staff_count(&app, &owner).await, 2);
}

/// A downgrade lands (here held open by another writer, as the billing job's would be) while five
/// invitations are being accepted: every acceptance waits for the workspace's lock and then counts
/// against Free, so the team ends with Free's two seats, not six.
#[tokio::test]
async fn five_acceptances_while_a_downgrade_lands_take_only_what_free_allows() {
    let app = spawn_app().await;
    let owner = app.signup("acme").await;
    let tokens = five_invitations(&app, &owner).await;
    let other = sea_orm::Database::connect(&app.settings.database_url).await.unwrap();
    let downgrade = crate::helpers::another_process_writes(&other).await;
    sea_orm::ConnectionTrait::execute_unprepared(&downgrade, "UPDATE workspaces SET plan = 'free' WHERE slug = 'acme'")
        .await
        .unwrap();
    let acceptances = accept_all(&app, &tokens);
    let lands = async {
        // Long enough for the acceptances (argon2 first) to reach the workspace's lock and wait.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        downgrade.commit().await.unwrap();
    };
    let (answers, ()) = tokio::join!(acceptances, lands);
    let statuses: Vec<StatusCode> = answers.iter().map(reqwest::Response::status).collect();
    let joined = statuses.iter().filter(|status| **status == StatusCode::CREATED).count();
    assert_eq!(joined, 1, "{statuses:?}");
    assert_eq!(staff_count(&app, &owner).await, 2);
}

#[tokio::test]
async fn a_downgrade_keeps_everyone_and_adds_no_one() {
    let app = spawn_app().await;
    let owner = app.signup("acme").await;
    let agent = app.invite_and_join(&owner, "ann@acme.example", Role::Agent).await;
    let supervisor = app.invite_and_join(&owner, "sue@acme.example", Role::Supervisor).await;
    let ticket = app.create_ticket_for(&agent, "c@mail.example", "Printer on fire").await;

    app.set_plan("acme", Plan::Free).await;
    // Three staff on a two-seat plan: all of them keep working, with their tickets and history.
    assert_eq!(staff_count(&app, &owner).await, 3);
    app.reply(&agent, ticket.ticket.id, "On our way.", false).await;
    let seen = app.ticket_as(&supervisor, ticket.ticket.id).await;
    assert_eq!(seen.messages.len(), 2);
    // Nobody new joins until someone leaves the team or the plan grows.
    let refused = plan_limit(invite(&app, &owner, "new@acme.example").await).await;
    assert_eq!(refused.limit, seats(2, 3));
    let overview: BillingOverview = billing(&app, &owner).await;
    assert_eq!(
        overview,
        BillingOverview {
            plan: Plan::Free,
            seats_used: 3,
            seats_allowed: 2,
            over_limit: true,
            ai_included: false,
            ..unbilled()
        }
    );
}

#[tokio::test]
async fn the_owner_sees_the_plan_and_its_seats_and_no_one_else_does() {
    let app = spawn_app().await;
    let owner = app.signup_free("acme").await;
    let overview: BillingOverview = billing(&app, &owner).await;
    assert_eq!(
        overview,
        BillingOverview {
            plan: Plan::Free,
            seats_used: 1,
            seats_allowed: 2,
            over_limit: false,
            ai_included: false,
            ..unbilled()
        }
    );
    let agent = app.invite_and_join(&owner, "ann@acme.example", Role::Agent).await;
    app.register_customer("acme", "cus@mail.example").await;
    let overview: BillingOverview = billing(&app, &owner).await;
    assert_eq!(
        (overview.seats_used, overview.over_limit),
        (2, false),
        "customers take no seat"
    );

    // Staff who are not owners, and API keys, are refused.
    expect_error(
        app.get("/api/v1/billing", &agent.token).await,
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
    )
    .await;
    let key = app.api_key_with_every_scope(&owner, "Back office").await;
    expect_error(
        app.get("/api/v1/billing", &key).await,
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
    )
    .await;

    // Another workspace's owner sees their own plan and count, never acme's.
    let other = app.signup("globex").await;
    let theirs: BillingOverview = billing(&app, &other).await;
    assert_eq!(
        theirs,
        BillingOverview {
            plan: Plan::Pro,
            seats_used: 1,
            seats_allowed: 25,
            over_limit: false,
            ai_included: true,
            ..unbilled()
        }
    );
}

#[tokio::test]
async fn ai_is_pro_only_on_every_ai_door_and_a_free_workspace_is_told_to_upgrade() {
    let app = spawn_app().await;
    let free = app.signup_free("acme").await;
    let pro = app.signup("globex").await;
    let mine = app
        .create_ticket_for(&free, "c@mail.example", "Refund for a double charge")
        .await;
    let theirs = app
        .create_ticket_for(&pro, "c@mail.example", "Refund for a double charge")
        .await;

    // Reply drafts.
    let path = format!("{}/suggest-reply", ticket_path(mine.ticket.id));
    let refused = expect_error(
        app.post(&path, Some(&free.token), &json!({})).await,
        StatusCode::PAYMENT_REQUIRED,
        ErrorCode::UpgradeRequired,
    )
    .await;
    assert!(refused.message.contains("Pro"), "{}", refused.message);
    let path = format!("{}/suggest-reply", ticket_path(theirs.ticket.id));
    assert_eq!(
        app.post(&path, Some(&pro.token), &json!({})).await.status(),
        StatusCode::OK
    );

    // Categorisation in the background: the Pro ticket gets a verdict, the Free one is left alone.
    drain(&app.state, Utc::now()).await.expect("the queue drains");
    let mine = app.ticket_as(&free, mine.ticket.id).await;
    let theirs = app.ticket_as(&pro, theirs.ticket.id).await;
    assert!(mine.ticket.ai_category.is_none(), "{:?}", mine.ticket.ai_category);
    assert!(theirs.ticket.ai_category.is_some(), "the Pro workspace was categorised");

    // The operator's upgrade unlocks it at once.
    app.set_plan("acme", Plan::Pro).await;
    let path = format!("{}/suggest-reply", ticket_path(mine.ticket.id));
    assert_eq!(
        app.post(&path, Some(&free.token), &json!({})).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn one_workspaces_plan_is_nobody_elses() {
    let app = spawn_app().await;
    let free = app.signup_free("acme").await;
    let pro = app.signup("globex").await;
    app.invite_and_join(&free, "ann@acme.example", Role::Agent).await;
    // acme is full; globex, on Pro, is not, and its own count is its own.
    plan_limit(invite(&app, &free, "bob@acme.example").await).await;
    for index in 0..3 {
        app.invite_and_join(&pro, &format!("agent{index}@globex.example"), Role::Agent)
            .await;
    }
    app.set_plan("globex", Plan::Free).await;
    let me: Me = expect_json(app.get("/api/v1/me", &free.token).await, StatusCode::OK).await;
    assert_eq!(me.workspace.plan, Plan::Free);
    let refused = plan_limit(invite(&app, &pro, "late@globex.example").await).await;
    assert_eq!(refused.limit, seats(2, 4), "globex counts its own four, not acme's two");
}

#[tokio::test]
async fn the_operator_sets_a_plan_from_the_command_line() {
    let app = spawn_app().await;
    let owner = app.signup_free("acme").await;
    let data = std::env::temp_dir().join(format!("ferrodesk-plan-{}", uuid::Uuid::now_v7()));
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ferrodesk"))
            .args(args)
            .env("DATABASE_URL", &app.settings.database_url)
            .env("FERRODESK_DATA_DIR", &data)
            .output()
            .expect("the binary runs")
    };

    let done = run(&["plan", "set", "acme", "pro"]);
    let out = String::from_utf8_lossy(&done.stdout);
    assert!(done.status.success(), "{out} {}", String::from_utf8_lossy(&done.stderr));
    assert!(
        out.contains("acme: Pro: 25 staff seats, AI included (was free)"),
        "{out}"
    );
    let me: Me = expect_json(app.get("/api/v1/me", &owner.token).await, StatusCode::OK).await;
    assert_eq!(me.workspace.plan, Plan::Pro);

    let unknown = run(&["plan", "set", "nobody", "pro"]);
    let said = String::from_utf8_lossy(&unknown.stderr);
    assert_eq!(unknown.status.code(), Some(1), "{said}");
    assert!(said.contains("no workspace `nobody`"), "{said}");
    let bad = run(&["plan", "set", "acme", "gold"]);
    let said = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{said}");
    assert!(said.contains("unknown plan `gold`"), "{said}");
    let me: Me = expect_json(app.get("/api/v1/me", &owner.token).await, StatusCode::OK).await;
    assert_eq!(me.workspace.plan, Plan::Pro, "a refused command changes nothing");
    std::fs::remove_dir_all(&data).ok();
}

#[tokio::test]
async fn a_free_workspace_calls_the_api_at_a_tenth_of_pros_rate() {
    let app = spawn_app_with(|settings| {
        settings.api_rate_limits.caller = BucketSize {
            per_minute: 6000,
            burst: 1000,
        };
        // One token a minute back: nothing refills while the test runs.
        settings.api_rate_limits.workspace = BucketSize {
            per_minute: 1,
            burst: 50,
        };
    })
    .await;
    let free = app.signup_free("acme").await;
    let pro = app.signup("globex").await;

    let limit =
        |response: &reqwest::Response| -> String { response.headers()["ratelimit-limit"].to_str().unwrap().to_owned() };
    let first = app.get("/api/v1/me", &pro.token).await;
    assert_eq!((first.status(), limit(&first)), (StatusCode::OK, "50".to_owned()));
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let response = app.get("/api/v1/me", &free.token).await;
        assert_eq!(limit(&response), "5");
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429]);
    // The Pro workspace's own bucket is untouched by acme's.
    let again = app.get("/api/v1/me", &pro.token).await;
    assert_eq!(again.status(), StatusCode::OK);
}
