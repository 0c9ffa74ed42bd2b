//! Proven email addresses: a squatter who registers someone else's address sees nothing of theirs
//! and loses the account when the real owner opens a link; links work once and briefly; sign-up
//! does not tell who has an account; weak passwords and tokens from the future are refused.

use std::collections::BTreeSet;

use ferrodesk::db::entities::outbox;
use ferrodesk_shared::auth::{AuthResponse, Me, RegistrationAccepted};
use ferrodesk_shared::events::CloseReason;
use ferrodesk_shared::tickets::TicketDetail;
use ferrodesk_shared::{ErrorCode, Role, TicketId};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::helpers::{
    JWT_SECRET, PASSWORD, Session, TestApp, TestWorkspace, browser, expect_error, expect_json, forge_token, spawn_app,
    spawn_app_with,
};

const VICTIM: &str = "victim@mail.example";

async fn ticket_ids(app: &TestApp, viewer: &str, query: &str) -> BTreeSet<TicketId> {
    let page = app.tickets_as(viewer, query).await;
    page.items.into_iter().map(|ticket| ticket.id).collect()
}

async fn open_link(app: &TestApp, token: &str) -> reqwest::Response {
    app.post("/api/v1/auth/link", None, &json!({ "token": token })).await
}

fn register_body(email: &str, password: &str) -> Value {
    json!({"workspace_slug": "acme", "name": "Someone", "email": email, "password": password})
}

#[tokio::test]
async fn a_squatter_sees_nothing_of_the_address_and_loses_the_account_to_its_real_owner() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;

    // The squatter registers the victim's address with a password of their own, in a browser.
    let squatter = browser();
    let password = "squatter kettle orbit 91";
    let registered = squatter
        .post(app.url("/api/v1/auth/register"))
        .json(&register_body(VICTIM, password))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::ACCEPTED);
    let login = json!({"workspace_slug": "acme", "email": VICTIM, "password": password});
    let signed_in: AuthResponse = expect_json(
        squatter
            .post(app.url("/api/v1/auth/login"))
            .json(&login)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert!(!signed_in.user.email_verified, "nobody proved the address");
    let squatter_token = signed_in.access_token.clone();
    // The squatter keeps a live socket open.
    let mut socket = crate::live::Socket::connect(
        &app,
        &Session {
            token: squatter_token.clone(),
            auth: signed_in.clone(),
        },
    )
    .await;
    let own = app
        .create_ticket(
            &Session {
                token: squatter_token.clone(),
                auth: signed_in.clone(),
            },
            "Squatter's own question",
            "written by the squatter",
        )
        .await;

    // The team opens a ticket for the victim's address: it lands on the squatter's account row.
    let for_victim: TicketDetail = app
        .create_ticket_for(acme.agent(), VICTIM, "Your refund of 120 EUR")
        .await;
    assert_eq!(for_victim.ticket.requester.id, signed_in.user.id);
    let heard = crate::live::ticket_ids(&socket.drain().await);
    assert!(
        !heard.contains(&for_victim.ticket.id),
        "the socket must not carry the team's ticket either: {heard:?}"
    );

    // The squatter sees only what they wrote: not by list, get, search or reply (counts are staff-only).
    assert_eq!(
        ticket_ids(&app, &squatter_token, "").await,
        BTreeSet::from([own.ticket.id])
    );
    assert!(ticket_ids(&app, &squatter_token, "?q=refund").await.is_empty());
    assert!(ticket_ids(&app, &squatter_token, "?view=all").await.len() == 1);
    let path = format!("/api/v1/tickets/{}", for_victim.ticket.id);
    expect_error(
        app.get(&path, &squatter_token).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;
    let reply = app
        .post(
            &format!("{path}/messages"),
            Some(&squatter_token),
            &json!({"body": "thanks!"}),
        )
        .await;
    expect_error(reply, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;

    // The real owner opens the link from the ticket's email: the address is proven.
    let token = app.mailed_link_token(VICTIM, "ticket_received").await;
    let victim: AuthResponse = expect_json(open_link(&app, &token).await, StatusCode::OK).await;
    assert_eq!(victim.user.id, signed_in.user.id);
    assert!(victim.user.email_verified);
    let victim_sees = ticket_ids(&app, &victim.access_token, "").await;
    assert!(victim_sees.contains(&for_victim.ticket.id));
    expect_json::<TicketDetail>(app.get(&path, &victim.access_token).await, StatusCode::OK).await;

    // The squatter's password, refresh token and access token all stopped working.
    expect_error(
        app.post("/api/v1/auth/login", None, &login).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
    )
    .await;
    let refresh = squatter.post(app.url("/api/v1/auth/refresh")).send().await.unwrap();
    expect_error(refresh, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
    expect_error(
        app.get("/api/v1/me", &squatter_token).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
    )
    .await;
    expect_json::<Me>(app.get("/api/v1/me", &victim.access_token).await, StatusCode::OK).await;
    // ... and the socket was closed as revoked, at once.
    let closed = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message as Frame;
        while let Some(frame) = socket.stream.next().await {
            match frame {
                Ok(Frame::Close(close)) => return close.map(|close| close.reason.to_string()),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    })
    .await
    .expect("the squatter's socket closes within 2 s");
    assert_eq!(closed.as_deref(), Some(CloseReason::SessionRevoked.as_str()));
}

#[tokio::test]
async fn the_confirmation_from_sign_up_proves_the_address_and_keeps_that_password() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let response = app
        .post(
            "/api/v1/auth/register",
            None,
            &register_body("dora@mail.example", PASSWORD),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let login = json!({"workspace_slug": "acme", "email": "dora@mail.example", "password": PASSWORD});
    let before: AuthResponse = expect_json(app.post("/api/v1/auth/login", None, &login).await, StatusCode::OK).await;
    let me: Me = expect_json(app.get("/api/v1/me", &before.access_token).await, StatusCode::OK).await;
    assert!(!me.user.email_verified);
    let for_dora = app
        .create_ticket_for(acme.agent(), "dora@mail.example", "Parcel lost")
        .await;
    assert!(ticket_ids(&app, &before.access_token, "").await.is_empty());

    // Asking again mails a new confirmation; either works, once.
    let resent = app
        .post(
            "/api/v1/auth/confirm-email/resend",
            Some(&before.access_token),
            &json!({}),
        )
        .await;
    assert_eq!(resent.status(), StatusCode::ACCEPTED);
    assert_eq!(app.mails_to("dora@mail.example", "confirm_email").await, 2);
    let token = app.mailed_link_token("dora@mail.example", "confirm_email").await;
    let confirmed: AuthResponse = expect_json(open_link(&app, &token).await, StatusCode::OK).await;
    assert!(confirmed.user.email_verified);

    // The password chosen at sign-up stays, and so does the session it opened.
    expect_json::<AuthResponse>(app.post("/api/v1/auth/login", None, &login).await, StatusCode::OK).await;
    let me: Me = expect_json(app.get("/api/v1/me", &before.access_token).await, StatusCode::OK).await;
    assert!(me.user.email_verified);
    assert_eq!(
        ticket_ids(&app, &before.access_token, "").await,
        BTreeSet::from([for_dora.ticket.id])
    );
    // Proven, a resend sends nothing.
    app.post(
        "/api/v1/auth/confirm-email/resend",
        Some(&before.access_token),
        &json!({}),
    )
    .await;
    assert_eq!(app.mails_to("dora@mail.example", "confirm_email").await, 2);
}

#[tokio::test]
async fn owners_confirm_their_address_and_invited_staff_are_proven_by_the_invitation() {
    let app = spawn_app().await;
    let owner = app.signup("acme").await;
    assert!(!owner.auth.user.email_verified);
    assert_eq!(app.mails_to("owner@acme.example", "confirm_email").await, 1);
    let agent = app.invite_and_join(&owner, "agent@acme.example", Role::Agent).await;
    assert!(
        agent.auth.user.email_verified,
        "the invitation link went to this address"
    );

    let token = app.mailed_link_token("owner@acme.example", "confirm_email").await;
    let confirmed: AuthResponse = expect_json(open_link(&app, &token).await, StatusCode::OK).await;
    assert!(confirmed.user.email_verified);
    assert_eq!(confirmed.user.role, Role::Owner);
    // The owner keeps the password and the first session.
    let login = json!({"workspace_slug": "acme", "email": "owner@acme.example", "password": PASSWORD});
    expect_json::<AuthResponse>(app.post("/api/v1/auth/login", None, &login).await, StatusCode::OK).await;
    expect_json::<Me>(app.get("/api/v1/me", &owner.token).await, StatusCode::OK).await;
}

#[tokio::test]
async fn a_sign_in_link_works_once_even_after_logout_and_a_used_one_offers_a_new_one() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 0).await;
    let carol = acme.customer();
    let email = carol.auth.user.email.clone();
    let ask = json!({"workspace_slug": "acme", "email": email});
    assert_eq!(
        app.post("/api/v1/auth/link-request", None, &ask).await.status(),
        StatusCode::ACCEPTED
    );
    let token = app.mailed_link_token(&email, "sign_in_link").await;

    // Two tabs open the link at once: exactly one signs in.
    let (first, second) = tokio::join!(open_link(&app, &token), open_link(&app, &token));
    let mut statuses = [first.status(), second.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::GONE]);
    let signed_in: AuthResponse = expect_json(
        if first.status() == StatusCode::OK {
            first
        } else {
            second
        },
        StatusCode::OK,
    )
    .await;
    assert_eq!(signed_in.user.id, carol.id());

    // Signed out, the same link stays used: it says so, with its own code.
    let logout = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&signed_in.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let again = expect_error(open_link(&app, &token).await, StatusCode::GONE, ErrorCode::LinkExpired).await;
    assert!(again.message.contains("new one"), "{again:?}");

    // "Email me a new link" with the used token: a fresh one goes to the same inbox, and works.
    let links_before = app.mails_to(&email, "sign_in_link").await;
    let renew = app
        .post("/api/v1/auth/link/renew", None, &json!({"token": token}))
        .await;
    assert_eq!(renew.status(), StatusCode::ACCEPTED);
    assert_eq!(app.mails_to(&email, "sign_in_link").await, links_before + 1);
    let fresh = app.mailed_link_token(&email, "sign_in_link").await;
    assert_ne!(fresh, token);
    expect_json::<AuthResponse>(open_link(&app, &fresh).await, StatusCode::OK).await;

    // A made-up token is not ours (401), and renewing it sends nothing anywhere.
    expect_error(
        open_link(&app, "made-up").await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
    )
    .await;
    let total = outbox::Entity::find().count(&app.state.db).await.unwrap();
    let renew = app
        .post("/api/v1/auth/link/renew", None, &json!({"token": "made-up"}))
        .await;
    assert_eq!(renew.status(), StatusCode::ACCEPTED);
    assert_eq!(outbox::Entity::find().count(&app.state.db).await.unwrap(), total);
}

#[tokio::test]
async fn an_expired_sign_in_link_says_so() {
    // Links that expire the moment they are made.
    let app = spawn_app_with(|settings| settings.auth.sign_in_link_ttl_seconds = -1).await;
    let acme = TestWorkspace::create(&app, "acme", 0).await;
    let email = acme.customer().auth.user.email.clone();
    app.post(
        "/api/v1/auth/link-request",
        None,
        &json!({"workspace_slug": "acme", "email": email}),
    )
    .await;
    let token = app.mailed_link_token(&email, "sign_in_link").await;
    expect_error(open_link(&app, &token).await, StatusCode::GONE, ErrorCode::LinkExpired).await;
}

#[tokio::test]
async fn registration_answers_the_same_for_known_and_unknown_addresses_and_the_mail_tells_which() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 0).await;
    let known = acme.customer().auth.user.email.clone();
    let unknown = "new.person@mail.example";
    let staff = "owner@acme.example";

    let mut answers = Vec::new();
    for email in [known.as_str(), unknown, staff] {
        let response = app
            .post(
                "/api/v1/auth/register",
                None,
                &register_body(email, "maple kettle orbit 42"),
            )
            .await;
        let status = response.status();
        let cookie = response.headers().get("set-cookie").is_some();
        let body: Value = response.json().await.unwrap();
        answers.push((status, cookie, body.clone()));
        assert_eq!(body, json!({ "email": email }), "the body names only the address typed");
        let typed: RegistrationAccepted = serde_json::from_value(body).unwrap();
        assert_eq!(typed.email, email);
    }
    assert!(
        answers
            .iter()
            .all(|(status, cookie, _)| *status == StatusCode::ACCEPTED && !cookie)
    );

    // The known customer is told they have an account, with a sign-in link; nothing changed for them.
    let db = &app.state.db;
    let mail = |email: &str, kind: &str| {
        let email = email.to_owned();
        let kind = kind.to_owned();
        async move {
            outbox::Entity::find()
                .filter(outbox::Column::ToAddress.eq(email))
                .filter(outbox::Column::Kind.eq(kind))
                .all(db)
                .await
                .unwrap()
        }
    };
    let told = mail(&known, "already_registered").await;
    assert_eq!(told.len(), 1);
    assert!(told[0].body_text.contains("already") && told[0].body_text.contains("/link?token="));
    let login = json!({"workspace_slug": "acme", "email": known, "password": "maple kettle orbit 42"});
    expect_error(
        app.post("/api/v1/auth/login", None, &login).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
    )
    .await;
    // Staff are told too, but get no link (a link would take their password away if unproven).
    let told_staff = mail(staff, "already_registered").await;
    assert_eq!(told_staff.len(), 1);
    assert!(!told_staff[0].body_text.contains("/link?token=") && told_staff[0].body_text.contains("/signin"));
    // The unknown address gets a confirmation.
    assert_eq!(mail(unknown, "confirm_email").await.len(), 1);
    assert!(mail(unknown, "already_registered").await.is_empty());
}

#[tokio::test]
async fn weak_passwords_are_refused_with_a_field_error_in_words_and_nothing_is_stored() {
    let app = spawn_app().await;
    let owner = app.signup("acme").await;
    let mail_before = outbox::Entity::find().count(&app.state.db).await.unwrap();
    for weak in ["password123", "1234567890", "qwertyuiop", "someone1234"] {
        let error = expect_error(
            app.post("/api/v1/auth/register", None, &register_body("weak@mail.example", weak))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
        )
        .await;
        let words = error
            .fields
            .get("password")
            .unwrap_or_else(|| panic!("{weak}: {error:?}"));
        assert!(words[0].contains("too easy to guess"), "{weak}: {words:?}");
    }
    let signup = app
        .post(
            "/api/v1/signup",
            None,
            &json!({"workspace_name": "Globex", "workspace_slug": "globex", "name": "Gil", "email": "gil@globex.example", "password": "globex12345"}),
        )
        .await;
    let error = expect_error(signup, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed).await;
    assert!(error.fields.contains_key("password"), "{error:?}");

    let invitation: ferrodesk_shared::auth::InvitationCreated = expect_json(
        app.post(
            "/api/v1/invitations",
            Some(&owner.token),
            &json!({"email": "sam@acme.example", "role": "agent"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let accept = app
        .post(
            "/api/v1/invitations/accept",
            None,
            &json!({"token": invitation.token, "name": "Sam", "password": "iloveyou123"}),
        )
        .await;
    let error = expect_error(accept, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed).await;
    assert!(error.fields.contains_key("password"), "{error:?}");

    // Nothing half-stored: no account, no mail but the invitation.
    let login = json!({"workspace_slug": "acme", "email": "weak@mail.example", "password": "password123"});
    expect_error(
        app.post("/api/v1/auth/login", None, &login).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
    )
    .await;
    assert_eq!(
        outbox::Entity::find().count(&app.state.db).await.unwrap(),
        mail_before + 1
    );
}

#[tokio::test]
async fn tokens_not_yet_valid_or_issued_in_the_future_are_refused() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let app = spawn_app().await;
    let owner = app.signup("acme").await;
    let payload = owner.token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert!(claims.get("nbf").is_some(), "issued tokens carry nbf: {claims}");
    let now = chrono::Utc::now().timestamp();
    let with = |changes: &[(&str, i64)]| {
        let mut forged = claims.clone();
        for (name, value) in changes {
            forged[*name] = json!(value);
        }
        forge_token(&forged, JWT_SECRET)
    };

    // Controls: the real claims, and clocks a few seconds apart (within the leeway), work.
    for (what, token) in [
        ("as issued", with(&[])),
        ("iat a little ahead", with(&[("iat", now + 10), ("nbf", now + 10)])),
    ] {
        let response = app.get("/api/v1/me", &token).await;
        assert_eq!(response.status(), StatusCode::OK, "{what} must be accepted");
    }
    for (what, token) in [
        ("nbf in an hour", with(&[("nbf", now + 3600)])),
        ("iat in an hour", with(&[("iat", now + 3600)])),
        (
            "both in an hour",
            with(&[("iat", now + 3600), ("nbf", now + 3600), ("exp", now + 7200)]),
        ),
    ] {
        let response = app.get("/api/v1/me", &token).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what} must be refused");
        expect_error(response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
    }
}

#[tokio::test]
async fn the_link_endpoints_never_reach_across_workspaces() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 0).await;
    let globex = TestWorkspace::create(&app, "globex", 0).await;
    let carol = acme.customer();
    let carol_email = carol.auth.user.email.clone();
    app.post(
        "/api/v1/auth/link-request",
        None,
        &json!({"workspace_slug": "acme", "email": carol_email}),
    )
    .await;
    let token = app.mailed_link_token(&carol_email, "sign_in_link").await;
    expect_json::<AuthResponse>(open_link(&app, &token).await, StatusCode::OK).await;

    // A member of another workspace who got hold of the used token: the new link still goes to
    // Carol's inbox in Acme, and the answer carries nothing.
    let outsider = globex.customer();
    let mails_before = outbox::Entity::find().count(&app.state.db).await.unwrap();
    let renew = app
        .post(
            "/api/v1/auth/link/renew",
            Some(&outsider.token),
            &json!({"token": token}),
        )
        .await;
    assert_eq!(renew.status(), StatusCode::ACCEPTED);
    assert!(renew.text().await.unwrap().is_empty());
    let new_mails = outbox::Entity::find()
        .order_by_asc(outbox::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .skip(mails_before as usize)
        .collect::<Vec<_>>();
    assert_eq!(new_mails.len(), 1);
    assert_eq!(new_mails[0].to_address, carol_email);
    assert_eq!(new_mails[0].workspace_id, Some(carol.auth.workspace.id.0));

    // Resending a confirmation mails the caller's own address in the caller's workspace only.
    let owner = &globex.owner;
    let before = app.mails_to("owner@globex.example", "confirm_email").await;
    let resend = app
        .post("/api/v1/auth/confirm-email/resend", Some(&owner.token), &json!({}))
        .await;
    assert_eq!(resend.status(), StatusCode::ACCEPTED);
    assert_eq!(app.mails_to("owner@globex.example", "confirm_email").await, before + 1);
    assert_eq!(app.mails_to("owner@acme.example", "confirm_email").await, 1);
}

#[tokio::test]
async fn the_migration_proves_invited_staff_only_and_finds_who_opened_each_ticket() {
    use ferrodesk::db::entities::{tickets, users};
    use ferrodesk_migrations::{Migrator, MigratorTrait};
    use sea_orm::sea_query::{Alias, Query};
    use sea_orm::{ConnectionTrait, Database};
    use uuid::Uuid;

    let database = crate::helpers::TestDatabase::create().await;
    let db = Database::connect(&database.url).await.unwrap();
    // Every migration before this change (they sort by name; this one is m20261205_000001).
    let older = Migrator::migrations()
        .iter()
        .filter(|migration| migration.name() < "m20261205_000001")
        .count();
    Migrator::up(&db, Some(older as u32)).await.unwrap();

    let now = chrono::Utc::now();
    let earlier = now - chrono::Duration::minutes(5);
    let (workspace, owner, agent, customer, ticket) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    let insert = |table: &str, columns: &[&str], values: Vec<sea_orm::Value>| {
        let mut statement = Query::insert();
        statement
            .into_table(Alias::new(table))
            .columns(columns.iter().map(|column| Alias::new(*column)))
            .values_panic(values.into_iter().map(Into::into));
        statement
    };
    let statements = [
        insert(
            "workspaces",
            &["id", "name", "slug", "plan", "ticket_seq", "created_at", "updated_at"],
            vec![
                workspace.into(),
                "Acme".into(),
                "acme".into(),
                "free".into(),
                1i64.into(),
                now.into(),
                now.into(),
            ],
        ),
        insert(
            "users",
            &[
                "id",
                "workspace_id",
                "email",
                "name",
                "role",
                "password_hash",
                "created_at",
                "updated_at",
            ],
            vec![
                owner.into(),
                workspace.into(),
                "o@acme.example".into(),
                "O".into(),
                "owner".into(),
                Some("h".to_owned()).into(),
                now.into(),
                now.into(),
            ],
        ),
        insert(
            "users",
            &[
                "id",
                "workspace_id",
                "email",
                "name",
                "role",
                "password_hash",
                "created_at",
                "updated_at",
            ],
            vec![
                agent.into(),
                workspace.into(),
                "a@acme.example".into(),
                "A".into(),
                "agent".into(),
                Some("h".to_owned()).into(),
                now.into(),
                now.into(),
            ],
        ),
        insert(
            "users",
            &[
                "id",
                "workspace_id",
                "email",
                "name",
                "role",
                "password_hash",
                "created_at",
                "updated_at",
            ],
            vec![
                customer.into(),
                workspace.into(),
                "c@mail.example".into(),
                "C".into(),
                "customer".into(),
                Some("h".to_owned()).into(),
                now.into(),
                now.into(),
            ],
        ),
        insert(
            "invitations",
            &[
                "id",
                "workspace_id",
                "email",
                "role",
                "token_hash",
                "invited_by",
                "created_at",
                "expires_at",
                "accepted_at",
            ],
            vec![
                Uuid::now_v7().into(),
                workspace.into(),
                "a@acme.example".into(),
                "agent".into(),
                "hash".into(),
                owner.into(),
                earlier.into(),
                now.into(),
                Some(earlier).into(),
            ],
        ),
        insert(
            "tickets",
            &[
                "id",
                "workspace_id",
                "number",
                "subject",
                "status",
                "priority",
                "tags",
                "requester_id",
                "created_at",
                "updated_at",
            ],
            vec![
                ticket.into(),
                workspace.into(),
                1i64.into(),
                "Phoned in".into(),
                "open".into(),
                "normal".into(),
                "[]".into(),
                customer.into(),
                earlier.into(),
                now.into(),
            ],
        ),
        // The customer answered later; the agent wrote the first message for them.
        insert(
            "messages",
            &[
                "id",
                "workspace_id",
                "ticket_id",
                "author_id",
                "body",
                "internal",
                "created_at",
            ],
            vec![
                Uuid::now_v7().into(),
                workspace.into(),
                ticket.into(),
                customer.into(),
                "thanks".into(),
                false.into(),
                now.into(),
            ],
        ),
        insert(
            "messages",
            &[
                "id",
                "workspace_id",
                "ticket_id",
                "author_id",
                "body",
                "internal",
                "created_at",
            ],
            vec![
                Uuid::now_v7().into(),
                workspace.into(),
                ticket.into(),
                agent.into(),
                "by phone".into(),
                false.into(),
                earlier.into(),
            ],
        ),
    ];
    for statement in &statements {
        db.execute(statement).await.unwrap();
    }

    Migrator::up(&db, None).await.unwrap();
    let verified = |id: Uuid| {
        let db = &db;
        async move {
            users::Entity::find_by_id(id)
                .one(db)
                .await
                .unwrap()
                .unwrap()
                .email_verified_at
                .is_some()
        }
    };
    assert!(verified(agent).await, "invited staff opened a link sent to the address");
    assert!(
        !verified(owner).await && !verified(customer).await,
        "typed addresses are unproven"
    );
    let row = tickets::Entity::find_by_id(ticket).one(&db).await.unwrap().unwrap();
    assert_eq!(row.created_by, Some(agent), "the first message's author");
    db.close().await.unwrap();
}

#[tokio::test]
async fn concurrent_sign_ups_with_one_address_all_get_the_same_answer_and_make_one_account() {
    use ferrodesk::db::entities::users;
    let app = spawn_app().await;
    app.signup("acme").await;
    let body = register_body("twice@mail.example", "maple kettle orbit 42");
    let answers = futures_util::future::join_all((0..6).map(|_| app.post("/api/v1/auth/register", None, &body))).await;
    for answer in answers {
        assert_eq!(answer.status(), StatusCode::ACCEPTED);
    }
    let accounts = users::Entity::find()
        .filter(users::Column::Email.eq("twice@mail.example"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(accounts, 1);
}

#[tokio::test]
async fn sign_ups_resends_and_renewals_cannot_flood_an_inbox() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 0).await;
    let quota = app.settings.limits.sign_in_links_per_hour as u64;
    let known = acme.customer().auth.user.email.clone();
    // Someone signs up with a known address again and again: the same 202 every time, at most
    // `quota` mails an hour to its owner.
    for _ in 0..quota + 3 {
        let answer = app
            .post(
                "/api/v1/auth/register",
                None,
                &register_body(&known, "maple kettle orbit 42"),
            )
            .await;
        assert_eq!(answer.status(), StatusCode::ACCEPTED);
    }
    assert_eq!(app.mails_to(&known, "already_registered").await, quota);

    let owner = &acme.owner;
    for _ in 0..quota + 3 {
        let answer = app
            .post("/api/v1/auth/confirm-email/resend", Some(&owner.token), &json!({}))
            .await;
        assert_eq!(answer.status(), StatusCode::ACCEPTED);
    }
    assert_eq!(app.mails_to("owner@acme.example", "confirm_email").await, quota);

    let token = app.mailed_link_token("owner@acme.example", "confirm_email").await;
    for _ in 0..3 {
        app.post("/api/v1/auth/link/renew", None, &json!({"token": token}))
            .await;
    }
    assert_eq!(app.mails_to("owner@acme.example", "confirm_email").await, quota);
}
