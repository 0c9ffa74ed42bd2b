//! Request rate limits over real HTTP: the IETF RateLimit fields on every authenticated answer,
//! `429 rate_limited` with `Retry-After` when a bucket is spent, one bucket per workspace shared by
//! its people, and other workspaces untouched.

use ferrodesk::config::BucketSize;
use ferrodesk_shared::api_keys::ApiScope;
use ferrodesk_shared::{ErrorCode, Role};
use reqwest::{Response, StatusCode};

use crate::helpers::{expect_error, retry_after, spawn_app_with};

/// A bucket that refills one request a minute, so nothing comes back while a test runs.
fn slow(burst: u32) -> BucketSize {
    BucketSize { per_minute: 1, burst }
}

fn roomy() -> BucketSize {
    BucketSize {
        per_minute: 100_000,
        burst: 10_000,
    }
}

/// The three IETF fields of an answer: limit, remaining, reset.
fn rate_limit_fields(response: &Response) -> (u64, u64, u64) {
    let field = |name: &str| -> u64 {
        response
            .headers()
            .get(name)
            .unwrap_or_else(|| panic!("{name} is missing on {} {}", response.status(), response.url()))
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    (
        field("ratelimit-limit"),
        field("ratelimit-remaining"),
        field("ratelimit-reset"),
    )
}

#[tokio::test]
async fn every_authenticated_answer_counts_down_and_a_spent_bucket_answers_429() {
    let app = spawn_app_with(|settings| {
        settings.api_rate_limits.caller = slow(5);
        settings.api_rate_limits.workspace = roomy();
    })
    .await;
    let owner = app.signup("acme").await;

    let mut remaining = Vec::new();
    for _ in 0..3 {
        let response = app.get("/api/v1/me", &owner.token).await;
        assert_eq!(response.status(), StatusCode::OK);
        let (limit, left, reset) = rate_limit_fields(&response);
        assert_eq!(limit, 5);
        assert!(reset > 0 && reset <= 5 * 60, "reset {reset}");
        remaining.push(left);
    }
    // An error answered after the caller is known counts and carries the fields too.
    let missing = app
        .get("/api/v1/tickets/00000000-0000-7000-8000-000000000000", &owner.token)
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    remaining.push(rate_limit_fields(&missing).1);
    let last = app.get("/api/v1/me", &owner.token).await;
    remaining.push(rate_limit_fields(&last).1);
    assert_eq!(remaining, [4, 3, 2, 1, 0]);

    let refused = app.get("/api/v1/me", &owner.token).await;
    let (limit, left, reset) = rate_limit_fields(&refused);
    assert_eq!((limit, left), (5, 0));
    assert!(reset >= 60, "the bucket is full again in minutes: {reset}");
    let wait = retry_after(&refused);
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    expect_error(refused, StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited).await;

    // Sign-in is not an authenticated request: it keeps its own limits and answers as before.
    let login = app.login("acme", "owner@acme.example", crate::helpers::PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
    assert!(login.headers().get("ratelimit-limit").is_none());
}

#[tokio::test]
async fn a_workspace_bucket_is_shared_by_its_people_and_no_other_workspace_feels_it() {
    let app = spawn_app_with(|settings| {
        settings.api_rate_limits.caller = roomy();
        settings.api_rate_limits.workspace = slow(12);
    })
    .await;
    let owner = app.signup("acme").await;
    let agent = app.invite_and_join(&owner, "agent@acme.example", Role::Agent).await;
    let other = app.signup("globex").await;

    // Whatever the set-up used, the two of them draw down one count.
    let first = app.get("/api/v1/me", &owner.token).await;
    let (limit, mut left, _) = rate_limit_fields(&first);
    assert_eq!(limit, 12, "the workspace's bucket is the tighter one");
    let mut turn = 0;
    while left > 0 {
        let who = if turn % 2 == 0 { &agent } else { &owner };
        let response = app.get("/api/v1/me", &who.token).await;
        assert_eq!(response.status(), StatusCode::OK);
        let now = rate_limit_fields(&response).1;
        assert_eq!(
            now,
            left - 1,
            "each request of either person takes one from the same bucket"
        );
        left = now;
        turn += 1;
    }
    assert!(turn >= 2, "both people drew from it");
    for who in [&owner, &agent] {
        let refused = app.get("/api/v1/me", &who.token).await;
        assert!(retry_after(&refused) >= 1);
        expect_error(refused, StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited).await;
    }

    let elsewhere = app.get("/api/v1/me", &other.token).await;
    assert_eq!(
        elsewhere.status(),
        StatusCode::OK,
        "another workspace has its own bucket"
    );
    assert_eq!(rate_limit_fields(&elsewhere).1, 11);
}

#[tokio::test]
async fn instances_share_the_configured_size() {
    let app = spawn_app_with(|settings| {
        settings.api_rate_limits.caller = slow(9);
        settings.api_rate_limits.workspace = roomy();
        settings.api_rate_limits.instances = 3;
    })
    .await;
    let owner = app.signup("acme").await;
    let response = app.get("/api/v1/me", &owner.token).await;
    assert_eq!(rate_limit_fields(&response).0, 3, "each of 3 instances allows a third");
}

#[tokio::test]
async fn each_api_key_has_its_own_bucket_apart_from_people_and_other_keys() {
    let app = spawn_app_with(|settings| {
        settings.api_rate_limits.caller = slow(3);
        settings.api_rate_limits.workspace = roomy();
    })
    .await;
    let owner = app.signup("acme").await;
    // Two of the owner's three requests go on creating the keys.
    let shop = app.create_api_key(&owner, "Shop", &[ApiScope::TicketsRead]).await.key;
    let crm = app.create_api_key(&owner, "CRM", &[ApiScope::TicketsRead]).await.key;

    let left: Vec<u64> = remaining_on_inbox_reads(&app, &shop, 3).await;
    assert_eq!(left, [2, 1, 0], "the key counts down its own bucket");
    let refused = app.get("/api/v1/tickets", &shop).await;
    expect_error(refused, StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited).await;

    // The other key of the same integration, and the owner who made them, are untouched.
    let other_key = app.get("/api/v1/tickets", &crm).await;
    assert_eq!(other_key.status(), StatusCode::OK);
    assert_eq!(rate_limit_fields(&other_key).1, 2);
    let person = app.get("/api/v1/me", &owner.token).await;
    assert_eq!(person.status(), StatusCode::OK);
    assert_eq!(rate_limit_fields(&person).1, 0);
}

/// What `RateLimit-Remaining` said on each of `count` inbox reads with `token`.
async fn remaining_on_inbox_reads(app: &crate::helpers::TestApp, token: &str, count: usize) -> Vec<u64> {
    let mut left = Vec::new();
    for _ in 0..count {
        let response = app.get("/api/v1/tickets", token).await;
        assert_eq!(response.status(), StatusCode::OK);
        left.push(rate_limit_fields(&response).1);
    }
    left
}
