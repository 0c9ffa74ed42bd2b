//! Sign-up, sign-in, sessions, invitations, and tokens that must be refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ferrodesk_shared::auth::{AuthResponse, InvitationCreated, Me};
use ferrodesk_shared::{ErrorCode, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{JWT_SECRET, PASSWORD, browser, expect_error, expect_json, forge_token, spawn_app};

#[tokio::test]
async fn signup_creates_a_workspace_with_its_owner_signed_in() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/api/v1/signup",
            None,
            &json!({"workspace_name": "Acme", "workspace_slug": "Acme", "name": "Ada", "email": "Ada@Acme.example", "password": PASSWORD}),
        )
        .await;
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("ferrodesk_refresh="));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/api/v1/auth"));
    let auth: AuthResponse = expect_json(response, StatusCode::CREATED).await;
    assert_eq!(auth.user.role, Role::Owner);
    assert_eq!(auth.user.email, "ada@acme.example", "emails are stored lower-cased");
    assert_eq!(auth.workspace.slug, "acme");
    assert_eq!(auth.user.workspace_id, auth.workspace.id);

    let me: Me = expect_json(app.get("/api/v1/me", &auth.access_token).await, StatusCode::OK).await;
    assert_eq!(me.user, auth.user);
    assert_eq!(me.workspace, auth.workspace);
}

#[tokio::test]
async fn signup_refuses_a_taken_slug_and_bad_fields_and_stores_nothing() {
    let app = spawn_app().await;
    app.signup("acme").await;
    let taken = app
        .post(
            "/api/v1/signup",
            None,
            &json!({"workspace_name": "Acme 2", "workspace_slug": "acme", "name": "Bob", "email": "bob@x.example", "password": PASSWORD}),
        )
        .await;
    expect_error(taken, StatusCode::CONFLICT, ErrorCode::Conflict).await;

    let bad = app
        .post(
            "/api/v1/signup",
            None,
            &json!({"workspace_name": "", "workspace_slug": "a", "name": "Bob\r\nBcc: x", "email": "nope", "password": "short"}),
        )
        .await;
    let error = expect_error(bad, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed).await;
    for field in ["workspace_name", "workspace_slug", "name", "email", "password"] {
        assert!(
            error.fields.contains_key(field),
            "{field} should be reported: {error:?}"
        );
    }
    // Nothing half-stored: the refused owner cannot sign in anywhere.
    let login = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"workspace_slug": "acme", "email": "bob@x.example", "password": PASSWORD}),
        )
        .await;
    expect_error(login, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
}

#[tokio::test]
async fn login_succeeds_only_with_the_right_workspace_email_and_password() {
    let app = spawn_app().await;
    let owner = app.signup("acme").await;
    app.signup("globex").await;
    let ok = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"workspace_slug": "acme", "email": "OWNER@acme.example", "password": PASSWORD}),
        )
        .await;
    let auth: AuthResponse = expect_json(ok, StatusCode::OK).await;
    assert_eq!(auth.user.id, owner.id());

    for (slug, email, password) in [
        ("acme", "owner@acme.example", "wrong password!"),
        ("acme", "nobody@acme.example", PASSWORD),
        ("globex", "owner@acme.example", PASSWORD),
        ("nowhere", "owner@acme.example", PASSWORD),
    ] {
        let response = app
            .post(
                "/api/v1/auth/login",
                None,
                &json!({"workspace_slug": slug, "email": email, "password": password}),
            )
            .await;
        let error = expect_error(response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
        assert_eq!(
            error.message, "Wrong workspace, email or password.",
            "the same answer whatever was wrong"
        );
    }
}

#[tokio::test]
async fn customers_register_in_a_help_centre_once() {
    let app = spawn_app().await;
    app.signup("acme").await;
    let customer = app.register_customer("acme", "carol@mail.example").await;
    assert_eq!(customer.auth.user.role, Role::Customer);
    assert!(customer.auth.user.email_verified, "the helper opened the confirmation");
    // A second sign-up with the same address creates nothing (the identity tests check what it answers).
    let again = app
        .post(
            "/api/v1/auth/register",
            None,
            &json!({"workspace_slug": "acme", "name": "Carol", "email": "carol@mail.example", "password": "another kettle orbit"}),
        )
        .await;
    assert_eq!(again.status(), StatusCode::ACCEPTED);
    let login = json!({"workspace_slug": "acme", "email": "carol@mail.example", "password": "another kettle orbit"});
    expect_error(
        app.post("/api/v1/auth/login", None, &login).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
    )
    .await;
    let nowhere = app
        .post(
            "/api/v1/auth/register",
            None,
            &json!({"workspace_slug": "nowhere", "name": "Carol", "email": "carol@mail.example", "password": PASSWORD}),
        )
        .await;
    let error = expect_error(nowhere, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed).await;
    assert!(error.fields.contains_key("workspace_slug"));
}

#[tokio::test]
async fn a_role_sent_in_a_body_is_refused_not_trusted() {
    let app = spawn_app().await;
    app.signup("acme").await;
    let response = app
        .post(
            "/api/v1/auth/register",
            None,
            &json!({"workspace_slug": "acme", "name": "Mallory", "email": "m@mail.example", "password": PASSWORD, "role": "owner"}),
        )
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_token_ends_the_session() {
    let app = spawn_app().await;
    let browser = browser();
    let signup = browser
        .post(app.url("/api/v1/signup"))
        .json(&json!({"workspace_name": "Acme", "workspace_slug": "acme", "name": "Ada", "email": "ada@acme.example", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let first_cookie = refresh_cookie(&signup);
    let signed_up: AuthResponse = expect_json(signup, StatusCode::CREATED).await;

    let refreshed = browser.post(app.url("/api/v1/auth/refresh")).send().await.unwrap();
    let second_cookie = refresh_cookie(&refreshed);
    assert_ne!(first_cookie, second_cookie, "the refresh token rotates");
    let refreshed: AuthResponse = expect_json(refreshed, StatusCode::OK).await;
    assert_eq!(refreshed.user.id, signed_up.user.id);
    expect_json::<Me>(app.get("/api/v1/me", &refreshed.access_token).await, StatusCode::OK).await;

    // A thief replays the first (already rotated) token: refused, and the whole session dies.
    let replay = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .header("cookie", format!("ferrodesk_refresh={first_cookie}"))
        .send()
        .await
        .unwrap();
    expect_error(replay, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
    let owner_again = browser.post(app.url("/api/v1/auth/refresh")).send().await.unwrap();
    expect_error(owner_again, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
    expect_error(
        app.get("/api/v1/me", &refreshed.access_token).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
    )
    .await;
}

#[tokio::test]
async fn logout_ends_the_refresh_token_and_the_access_token() {
    let app = spawn_app().await;
    let browser = browser();
    let login = browser
        .post(app.url("/api/v1/signup"))
        .json(&json!({"workspace_name": "Acme", "workspace_slug": "acme", "name": "Ada", "email": "ada@acme.example", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let auth: AuthResponse = expect_json(login, StatusCode::CREATED).await;
    let logout = browser
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&auth.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let refresh = browser.post(app.url("/api/v1/auth/refresh")).send().await.unwrap();
    expect_error(refresh, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
    expect_error(
        app.get("/api/v1/me", &auth.access_token).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
    )
    .await;
}

#[tokio::test]
async fn invitations_are_single_use_and_join_the_inviters_workspace() {
    let app = spawn_app().await;
    let owner = app.signup("acme").await;
    let created: InvitationCreated = expect_json(
        app.post(
            "/api/v1/invitations",
            Some(&owner.token),
            &json!({"email": "Sam@acme.example", "role": "supervisor"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created.role, Role::Supervisor);
    assert!(created.token.len() >= 32);
    let accept = json!({"token": created.token, "name": "Sam", "password": PASSWORD});
    let joined: AuthResponse = expect_json(
        app.post("/api/v1/invitations/accept", None, &accept).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(joined.user.role, Role::Supervisor);
    assert_eq!(joined.user.email, "sam@acme.example");
    assert_eq!(joined.workspace.id, owner.auth.workspace.id);

    let again = app.post("/api/v1/invitations/accept", None, &accept).await;
    expect_error(again, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let forged = app
        .post(
            "/api/v1/invitations/accept",
            None,
            &json!({"token": "made-up", "name": "Eve", "password": PASSWORD}),
        )
        .await;
    expect_error(forged, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;

    // Inviting someone already in the workspace, or a customer, is refused.
    let existing = app
        .post(
            "/api/v1/invitations",
            Some(&owner.token),
            &json!({"email": "sam@acme.example", "role": "agent"}),
        )
        .await;
    expect_error(existing, StatusCode::CONFLICT, ErrorCode::Conflict).await;
    let customer = app
        .post(
            "/api/v1/invitations",
            Some(&owner.token),
            &json!({"email": "c@mail.example", "role": "customer"}),
        )
        .await;
    expect_error(customer, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed).await;
}

#[tokio::test]
async fn an_expired_invitation_is_refused() {
    // An app whose invitations expire the moment they are made.
    let app = crate::helpers::spawn_app_with(|settings| settings.auth.invitation_ttl_seconds = -1).await;
    let owner = app.signup("acme").await;
    let created: InvitationCreated = expect_json(
        app.post(
            "/api/v1/invitations",
            Some(&owner.token),
            &json!({"email": "late@acme.example", "role": "agent"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let accept = app
        .post(
            "/api/v1/invitations/accept",
            None,
            &json!({"token": created.token, "name": "Late", "password": PASSWORD}),
        )
        .await;
    expect_error(accept, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

fn refresh_cookie(response: &reqwest::Response) -> String {
    let header = response.headers().get("set-cookie").unwrap().to_str().unwrap();
    header
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("ferrodesk_refresh=")
        .to_owned()
}

#[tokio::test]
async fn forged_expired_and_tampered_tokens_are_refused() {
    let app = spawn_app().await;
    let owner = app.signup("acme").await;
    let payload = owner.token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let now = chrono::Utc::now().timestamp();

    // Control: a token we sign with the app's secret and the real claims works, so the refusals below
    // are about what was changed and nothing else.
    expect_json::<Me>(
        app.get("/api/v1/me", &forge_token(&claims, JWT_SECRET)).await,
        StatusCode::OK,
    )
    .await;

    let mut expired = claims.clone();
    expired["iat"] = json!(now - 7200);
    expired["exp"] = json!(now - 3600);
    let mut wrong_audience = claims.clone();
    wrong_audience["aud"] = json!("someone-else");
    let mut wrong_issuer = claims.clone();
    wrong_issuer["iss"] = json!("evil");

    let header_none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let alg_none = format!("{header_none}.{payload}.");

    let mut tampered_claims = claims.clone();
    tampered_claims["role"] = json!("owner");
    tampered_claims["sub"] = json!(uuid::Uuid::now_v7());
    let signature = owner.token.split('.').nth(2).unwrap();
    let header = owner.token.split('.').next().unwrap();
    let tampered = format!(
        "{header}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&tampered_claims).unwrap())
    );

    for (what, token) in [
        ("alg none", alg_none),
        ("tampered payload", tampered),
        ("expired", forge_token(&expired, JWT_SECRET)),
        (
            "another secret",
            forge_token(&claims, "another-secret-another-secret-another-secret"),
        ),
        ("wrong audience", forge_token(&wrong_audience, JWT_SECRET)),
        ("wrong issuer", forge_token(&wrong_issuer, JWT_SECRET)),
        ("garbage", "not.a.token".to_owned()),
    ] {
        let response = app.get("/api/v1/me", &token).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what} must be refused");
        expect_error(response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
    }
    let no_token = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    expect_error(no_token, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
}

#[tokio::test]
async fn a_role_change_counts_at_once_even_with_an_old_token() {
    let app = spawn_app().await;
    let owner = app.signup("acme").await;
    let supervisor = app.invite_and_join(&owner, "sup@acme.example", Role::Supervisor).await;
    let invite = json!({"email": "new@acme.example", "role": "agent"});
    let before = app.post("/api/v1/invitations", Some(&supervisor.token), &invite).await;
    assert_eq!(before.status(), StatusCode::CREATED);
    app.patch(
        &format!("/api/v1/users/{}", supervisor.id()),
        &owner.token,
        &json!({"role": "agent"}),
    )
    .await;
    let after = app
        .post(
            "/api/v1/invitations",
            Some(&supervisor.token),
            &json!({"email": "other@acme.example", "role": "agent"}),
        )
        .await;
    expect_error(after, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
}

#[tokio::test]
async fn password_guessing_is_rate_limited_per_address() {
    let app = crate::helpers::spawn_app_with(|settings| {
        settings.auth.rate_limit = ferrodesk::config::RateLimit {
            burst: 3,
            seconds_per_request: 60,
        };
        settings.limits.sign_in_address_failures = 3;
    })
    .await;
    // Wrong passwords for three different accounts: the address has used its failures.
    for n in 0..3 {
        let guess = json!({"workspace_slug": "acme", "email": format!("user{n}@acme.example"), "password": "guess guess guess"});
        let response = app.post("/api/v1/auth/login", None, &guess).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let guess = json!({"workspace_slug": "acme", "email": "owner@acme.example", "password": "guess guess guess"});
    let limited = app.post("/api/v1/auth/login", None, &guess).await;
    let retry_after: u64 = limited
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    expect_error(limited, StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited).await;
    // Registration counts every attempt per address.
    let register = json!({"workspace_slug": "nowhere", "name": "Eve", "email": "eve@mail.example", "password": "guess guess guess"});
    for _ in 0..3 {
        let response = app.post("/api/v1/auth/register", None, &register).await;
        assert_ne!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    let limited = app.post("/api/v1/auth/register", None, &register).await;
    expect_error(limited, StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited).await;
    // Only the password endpoints are limited.
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn pending_invitations_are_listed_previewed_and_revoked() {
    use ferrodesk_shared::auth::{InvitationList, InvitationPreview};
    let app = spawn_app().await;
    let owner = app.signup("acme").await;
    let supervisor = app.invite_and_join(&owner, "sup@acme.example", Role::Supervisor).await;
    let for_agent: InvitationCreated = expect_json(
        app.post(
            "/api/v1/invitations",
            Some(&owner.token),
            &json!({"email": "a@acme.example", "role": "agent"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let for_owner: InvitationCreated = expect_json(
        app.post(
            "/api/v1/invitations",
            Some(&owner.token),
            &json!({"email": "o@acme.example", "role": "owner"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let listed: InvitationList =
        expect_json(app.get("/api/v1/invitations", &supervisor.token).await, StatusCode::OK).await;
    let emails: Vec<_> = listed
        .items
        .iter()
        .map(|invitation| invitation.email.as_str())
        .collect();
    assert_eq!(
        emails,
        vec!["o@acme.example", "a@acme.example"],
        "accepted ones are gone; newest first"
    );
    assert!(
        listed
            .items
            .iter()
            .all(|invitation| invitation.invited_by == owner.auth.user.name)
    );

    let preview: InvitationPreview = expect_json(
        app.post("/api/v1/invitations/lookup", None, &json!({"token": for_agent.token}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(preview.workspace.slug, "acme");
    assert_eq!(preview.email, "a@acme.example");
    assert_eq!(preview.role, Role::Agent);

    // Supervisors withdraw agents' invitations only.
    let refused = app
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/invitations/{}", for_owner.id),
            Some(&supervisor.token),
            None,
        )
        .await;
    expect_error(refused, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    let revoked = app
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/invitations/{}", for_agent.id),
            Some(&supervisor.token),
            None,
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let gone = app
        .post("/api/v1/invitations/lookup", None, &json!({"token": for_agent.token}))
        .await;
    expect_error(gone, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let accept = app
        .post(
            "/api/v1/invitations/accept",
            None,
            &json!({"token": for_agent.token, "name": "A", "password": PASSWORD}),
        )
        .await;
    expect_error(accept, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let listed: InvitationList = expect_json(app.get("/api/v1/invitations", &owner.token).await, StatusCode::OK).await;
    assert_eq!(listed.items.len(), 1);

    // Another workspace sees none of it and cannot withdraw it.
    let other = app.signup("globex").await;
    let theirs: InvitationList = expect_json(app.get("/api/v1/invitations", &other.token).await, StatusCode::OK).await;
    assert!(theirs.items.is_empty());
    let cross = app
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/invitations/{}", for_owner.id),
            Some(&other.token),
            None,
        )
        .await;
    expect_error(cross, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let listed: InvitationList = expect_json(app.get("/api/v1/invitations", &owner.token).await, StatusCode::OK).await;
    assert_eq!(listed.items.len(), 1, "the other workspace changed nothing");
    let agent = app.invite_and_join(&owner, "agent@acme.example", Role::Agent).await;
    let agent_list = app.get("/api/v1/invitations", &agent.token).await;
    expect_error(agent_list, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
}

#[tokio::test]
async fn a_help_centre_introduces_its_workspace() {
    use ferrodesk_shared::workspaces::WorkspacePublic;
    let app = spawn_app().await;
    app.signup("acme").await;
    let public: WorkspacePublic = expect_json(
        app.client.get(app.url("/api/v1/workspaces/ACME")).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        public,
        WorkspacePublic {
            name: "acme Inc.".to_owned(),
            slug: "acme".to_owned()
        }
    );
    let missing = app
        .client
        .get(app.url("/api/v1/workspaces/nowhere"))
        .send()
        .await
        .unwrap();
    expect_error(missing, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}
