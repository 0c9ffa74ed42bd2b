//! Billing through Stripe, against `tests/support/stripe_fake.py`: a loopback Stripe that speaks its
//! wire protocol (form bodies, `Stripe-Version`, idempotency keys, hosted Checkout and Portal pages)
//! and sends signed webhooks back to the app. The billing job runs when a test calls it, with a
//! chosen `now`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ferrodesk::billing::jobs::{self, Processed};
use ferrodesk::config::{Secret, StripeSettings};
use ferrodesk_shared::billing::{BillingOverview, BillingRedirect, SubscriptionStatus, WebhookReceipt};
use ferrodesk_shared::workspaces::Plan;
use ferrodesk_shared::{ErrorCode, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::{Session, TestApp, expect_error, expect_json, spawn_app, spawn_app_with};

const SECRET: &str = "whsec_ferrodesk_test";
const PRICE: &str = "price_pro";

/// The fake Stripe, killed when dropped.
struct StripeFake {
    _child: tokio::process::Child,
    base: String,
    http: reqwest::Client,
}

impl StripeFake {
    /// Starts it signing webhooks with `secrets` (one `v1` each).
    async fn start(secrets: &[&str]) -> StripeFake {
        // This client is made before the app, which installs the process's TLS provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut command = tokio::process::Command::new("python3");
        command
            .arg(root.join("crates/api/tests/support/stripe_fake.py"))
            .args(["--port", "0"]);
        for secret in secrets {
            command.args(["--webhook-secret", secret]);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs");
        let stdout = child.stdout.take().unwrap();
        let line = tokio::time::timeout(Duration::from_secs(15), BufReader::new(stdout).lines().next_line())
            .await
            .expect("the fake starts")
            .unwrap()
            .unwrap();
        let port = line.strip_prefix("ready ").expect("ready <port>");
        StripeFake {
            _child: child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    async fn control(&self, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.base);
        let request = match body {
            Some(body) => self.http.post(url).json(&body),
            None => self.http.get(url),
        };
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.json().await.unwrap()
    }

    async fn send_to(&self, webhook: &str) {
        self.control("/_fake/config", Some(json!({ "webhook_url": webhook })))
            .await;
    }

    async fn requests(&self, path: &str) -> Vec<Value> {
        let all = self.control("/_fake/requests", None).await;
        all.as_array()
            .unwrap()
            .iter()
            .filter(|request| request["path"] == path)
            .cloned()
            .collect()
    }

    /// The events sent so far, each with the status our webhook answered.
    async fn events(&self) -> Vec<Value> {
        self.control("/_fake/events", None).await.as_array().unwrap().clone()
    }

    async fn down(&self, down: bool) {
        self.control("/_fake/down", Some(json!({ "down": down }))).await;
    }

    /// A subscription for `customer` made without Checkout, announced by `events`.
    async fn subscribe(&self, customer: &str, status: &str, events: &[&str]) -> String {
        let body = json!({ "customer": customer, "price": PRICE, "status": status, "events": events });
        let subscription = self.control("/_fake/subscriptions", Some(body)).await;
        subscription["id"].as_str().unwrap().to_owned()
    }

    async fn set_status(&self, subscription: &str, status: &str, events: &[&str]) -> Value {
        let body = json!({ "status": status, "events": events });
        self.control(&format!("/_fake/subscriptions/{subscription}"), Some(body))
            .await
    }
}

/// The app with Stripe set up against `fake`, the fake sending its webhooks to the app.
async fn billing_app(fake: &StripeFake, secrets: &[&str]) -> TestApp {
    let base = fake.base.clone();
    let secrets: Vec<Secret> = secrets.iter().map(|secret| Secret::new(*secret)).collect();
    let app = spawn_app_with(move |settings| {
        settings.billing.stripe = Some(StripeSettings {
            secret_key: Secret::new("sk_test_ferrodesk"),
            webhook_secrets: secrets,
            price_pro: PRICE.to_owned(),
            api_base: base,
            timeout: Duration::from_secs(5),
        });
    })
    .await;
    fake.send_to(&app.url("/api/v1/billing/webhook")).await;
    app
}

async fn overview(app: &TestApp, owner: &Session) -> BillingOverview {
    expect_json(app.get("/api/v1/billing", &owner.token).await, StatusCode::OK).await
}

async fn checkout(app: &TestApp, owner: &Session) -> reqwest::Response {
    app.post("/api/v1/billing/checkout", Some(&owner.token), &json!({}))
        .await
}

async fn run(app: &TestApp, now: DateTime<Utc>) -> Processed {
    jobs::run(&app.state, now).await.unwrap()
}

/// The workspace's Stripe customer, created by its first Checkout.
async fn customer_of(app: &TestApp, fake: &StripeFake, owner: &Session) -> String {
    let redirect: BillingRedirect = expect_json(checkout(app, owner).await, StatusCode::OK).await;
    assert!(redirect.url.starts_with(&fake.base), "{}", redirect.url);
    let sessions = fake.requests("/v1/checkout/sessions").await;
    let session = sessions.last().expect("a checkout session was made");
    session["form"]["customer"].as_str().unwrap().to_owned()
}

/// Signs `event` as Stripe would, at `at` (seconds), with `secrets`.
fn signed(event: &Value, secrets: &[&str], at: i64) -> (String, String) {
    let payload = event.to_string();
    let header = ferrodesk_stripe::webhook::signature_header(&payload, secrets, at);
    (payload, header)
}

async fn post_webhook(app: &TestApp, payload: String, signature: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/api/v1/billing/webhook"))
        .header("Content-Type", "application/json")
        .body(payload);
    if let Some(signature) = signature {
        request = request.header("Stripe-Signature", signature);
    }
    request.send().await.unwrap()
}

/// A complete event envelope of the pinned API version around `object`.
fn event(id: &str, kind: &str, object: Value) -> Value {
    json!({
        "id": id, "object": "event", "api_version": "2026-09-30.endive", "created": Utc::now().timestamp(),
        "data": { "object": object }, "livemode": false, "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null }, "type": kind,
    })
}

#[tokio::test]
async fn without_stripe_keys_billing_is_off_and_nothing_mentions_payment() {
    let app = spawn_app().await;
    let owner = app.signup_free("offline").await;
    let billing = overview(&app, &owner).await;
    assert!(!billing.billing_enabled);
    assert_eq!(
        (billing.plan, billing.status, billing.period_end),
        (Plan::Free, None, None)
    );
    for path in ["/api/v1/billing/checkout", "/api/v1/billing/portal"] {
        let response = app.post(path, Some(&owner.token), &json!({})).await;
        expect_error(response, StatusCode::NOT_FOUND, ErrorCode::BillingDisabled).await;
    }
    let (payload, header) = signed(
        &event("evt_off", "invoice.paid", json!({"customer": "cus_x"})),
        &[SECRET],
        Utc::now().timestamp(),
    );
    let response = post_webhook(&app, payload, Some(&header)).await;
    expect_error(response, StatusCode::NOT_FOUND, ErrorCode::BillingDisabled).await;
    // The operator's switch is the way to Pro.
    app.set_plan("offline", Plan::Pro).await;
    assert_eq!(overview(&app, &owner).await.plan, Plan::Pro);
}

#[tokio::test]
async fn an_owner_upgrades_through_checkout_and_downgrades_through_the_portal() {
    let fake = StripeFake::start(&[SECRET]).await;
    let app = billing_app(&fake, &[SECRET]).await;
    let owner = app.signup_free("upgrader").await;
    assert!(overview(&app, &owner).await.billing_enabled);

    let redirect: BillingRedirect = expect_json(checkout(&app, &owner).await, StatusCode::OK).await;
    // The customer was made first, once per workspace (its key), and Checkout names it.
    let customers = fake.requests("/v1/customers").await;
    assert_eq!(customers.len(), 1);
    let workspace_key = customers[0]["headers"]["Idempotency-Key"].as_str().unwrap().to_owned();
    assert!(workspace_key.starts_with("ferrodesk-customer-"), "{workspace_key}");
    assert_eq!(customers[0]["headers"]["Stripe-Version"], "2026-09-30.endive");
    let sessions = fake.requests("/v1/checkout/sessions").await;
    let form = &sessions[0]["form"];
    assert_eq!(
        (form["mode"].as_str(), form["line_items[0][price]"].as_str()),
        (Some("subscription"), Some(PRICE))
    );
    assert!(
        form["success_url"]
            .as_str()
            .unwrap()
            .ends_with("/billing?checkout=success")
    );
    assert!(
        sessions[0]["headers"]["Idempotency-Key"]
            .as_str()
            .unwrap()
            .starts_with("ferrodesk-checkout-")
    );
    // Coming back before paying again reuses the customer.
    expect_json::<BillingRedirect>(checkout(&app, &owner).await, StatusCode::OK).await;
    assert_eq!(fake.requests("/v1/customers").await.len(), 1);

    // The owner pays on Stripe's page: Stripe sends three signed events, each answered 200 at once.
    let paid = fake.http.post(&redirect.url).send().await.unwrap();
    assert_eq!(paid.status(), StatusCode::SEE_OTHER);
    let events = fake.events().await;
    let kinds: Vec<&str> = events.iter().map(|event| event["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "checkout.session.completed",
            "customer.subscription.created",
            "invoice.paid"
        ]
    );
    assert!(events.iter().all(|event| event["status"] == 200), "{events:?}");
    // Nothing changes until the job has asked Stripe.
    assert_eq!(overview(&app, &owner).await.plan, Plan::Free);
    let now = Utc::now();
    assert_eq!(
        run(&app, now).await,
        Processed {
            finished: 3,
            deferred: 0,
            graces_ended: 0
        }
    );
    let billing = overview(&app, &owner).await;
    assert_eq!(
        (billing.plan, billing.status),
        (Plan::Pro, Some(SubscriptionStatus::Active))
    );
    assert!(billing.ai_included && billing.seats_allowed == 25);
    let renews = billing.period_end.expect("a period end");
    assert!(renews > now + chrono::Duration::days(29), "{renews}");
    // Subscribed: Checkout again is refused; the portal is the way.
    let again = checkout(&app, &owner).await;
    expect_error(again, StatusCode::CONFLICT, ErrorCode::Conflict).await;

    // The Billing Portal: the owner cancels; Stripe says so; Free again, and nobody is removed.
    let portal: BillingRedirect = expect_json(
        app.post("/api/v1/billing/portal", Some(&owner.token), &json!({})).await,
        StatusCode::OK,
    )
    .await;
    let page = fake.http.get(&portal.url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Cancel plan"), "{page}");
    let cancelled = fake.http.post(format!("{}/cancel", portal.url)).send().await.unwrap();
    assert_eq!(cancelled.status(), StatusCode::SEE_OTHER);
    assert_eq!(run(&app, Utc::now()).await.finished, 1);
    let billing = overview(&app, &owner).await;
    assert_eq!(
        (billing.plan, billing.status),
        (Plan::Free, Some(SubscriptionStatus::Canceled))
    );
}

#[tokio::test]
async fn the_webhook_takes_only_signed_fresh_events_once_with_any_current_secret() {
    let fake = StripeFake::start(&[SECRET]).await;
    // The endpoint's secret is being rolled: both are accepted.
    let app = billing_app(&fake, &["whsec_old_one", SECRET]).await;
    let now = Utc::now().timestamp();
    let body = event(
        "evt_signed",
        "customer.created",
        json!({"id": "cus_new", "object": "customer"}),
    );

    let (payload, header) = signed(&body, &["whsec_wrong"], now);
    let wrong = post_webhook(&app, payload.clone(), Some(&header)).await;
    expect_error(wrong, StatusCode::BAD_REQUEST, ErrorCode::SignatureRejected).await;
    let missing = post_webhook(&app, payload.clone(), None).await;
    expect_error(missing, StatusCode::BAD_REQUEST, ErrorCode::SignatureRejected).await;
    // A captured delivery replayed after the tolerance: refused.
    let (_, old) = signed(&body, &[SECRET], now - 301);
    let stale = post_webhook(&app, payload.clone(), Some(&old)).await;
    expect_error(stale, StatusCode::BAD_REQUEST, ErrorCode::SignatureRejected).await;
    // The body changed after signing: refused.
    let (_, header) = signed(&body, &[SECRET], now);
    let tampered = post_webhook(&app, payload.replace("cus_new", "cus_evil"), Some(&header)).await;
    expect_error(tampered, StatusCode::BAD_REQUEST, ErrorCode::SignatureRejected).await;
    assert_eq!(
        run(&app, Utc::now()).await,
        Processed::default(),
        "nothing refused was stored"
    );

    // Signed with the old secret, or by Stripe with both during the roll: taken, once.
    for (secrets, duplicate) in [(&["whsec_old_one"][..], false), (&["whsec_other", SECRET][..], true)] {
        let (payload, header) = signed(&body, secrets, now);
        let receipt: WebhookReceipt =
            expect_json(post_webhook(&app, payload, Some(&header)).await, StatusCode::OK).await;
        assert_eq!(
            receipt,
            WebhookReceipt {
                received: true,
                duplicate
            }
        );
    }
    assert_eq!(run(&app, Utc::now()).await.finished, 1, "the replay did nothing");
}

#[tokio::test]
async fn events_out_of_order_or_replayed_end_on_the_subscriptions_state_at_stripe() {
    let fake = StripeFake::start(&[SECRET]).await;
    let app = billing_app(&fake, &[SECRET]).await;
    let owner = app.signup_free("ordered").await;
    let customer = customer_of(&app, &fake, &owner).await;
    let subscription = fake
        .subscribe(&customer, "active", &["customer.subscription.created"])
        .await;
    let updated_active = fake
        .set_status(&subscription, "active", &["customer.subscription.updated"])
        .await;
    let stale_update = updated_active["events"][0]["id"].as_str().unwrap().to_owned();
    // Cancelled at Stripe; its `deleted` arrives, and the job runs, before the older `updated`.
    fake.set_status(&subscription, "canceled", &["customer.subscription.deleted"])
        .await;
    run(&app, Utc::now()).await;
    assert_eq!(overview(&app, &owner).await.plan, Plan::Free);
    // The older `updated` (saying active) is delivered again late: Stripe's state still wins.
    let resent = fake
        .control(&format!("/_fake/events/{stale_update}/resend"), Some(json!({})))
        .await;
    assert_eq!(resent["status"], 200);
    run(&app, Utc::now()).await;
    let billing = overview(&app, &owner).await;
    assert_eq!(
        (billing.plan, billing.status),
        (Plan::Free, Some(SubscriptionStatus::Canceled))
    );

    // Subscribed again: the new subscription takes over, and the old one's events change nothing.
    let renewed = fake
        .subscribe(&customer, "active", &["customer.subscription.created"])
        .await;
    run(&app, Utc::now()).await;
    assert_eq!(overview(&app, &owner).await.plan, Plan::Pro);
    fake.set_status(&subscription, "canceled", &["customer.subscription.updated"])
        .await;
    run(&app, Utc::now()).await;
    assert_eq!(overview(&app, &owner).await.plan, Plan::Pro, "{renewed} stays");
}

#[tokio::test]
async fn events_reach_only_the_workspace_whose_stored_customer_stripe_names() {
    let fake = StripeFake::start(&[SECRET]).await;
    let app = billing_app(&fake, &[SECRET]).await;
    let paying = app.signup_free("paying").await;
    let bystander = app.signup_free("bystander").await;
    let customer = customer_of(&app, &fake, &paying).await;
    let bystander_customer = customer_of(&app, &fake, &bystander).await;
    assert_ne!(customer, bystander_customer);
    let subscription = fake.subscribe(&customer, "active", &[]).await;

    // A checkout event whose metadata and reference name the other workspace: only the customer counts.
    let object = json!({
        "id": "cs_test_forged", "object": "checkout.session", "customer": customer, "subscription": subscription,
        "client_reference_id": "bystander", "metadata": { "workspace": "bystander" },
    });
    let record = fake
        .control(
            "/_fake/events",
            Some(json!({ "type": "checkout.session.completed", "object": object })),
        )
        .await;
    assert_eq!(record["status"], 200);
    // An event for a customer no workspace has: 2xx to Stripe, logged, nothing changed.
    let stranger = fake
        .subscribe("cus_nobody_here", "active", &["customer.subscription.created"])
        .await;
    assert!(stranger.starts_with("sub_"));
    assert_eq!(run(&app, Utc::now()).await.finished, 2);
    assert_eq!(overview(&app, &paying).await.plan, Plan::Pro);
    let untouched = overview(&app, &bystander).await;
    assert_eq!((untouched.plan, untouched.status), (Plan::Free, None));
}

#[tokio::test]
async fn a_failed_payment_keeps_pro_for_the_grace_period_then_free_until_paid() {
    let fake = StripeFake::start(&[SECRET]).await;
    let app = billing_app(&fake, &[SECRET]).await;
    let owner = app.signup_free("late-payer").await;
    let customer = customer_of(&app, &fake, &owner).await;
    let subscription = fake.subscribe(&customer, "active", &["invoice.paid"]).await;
    run(&app, Utc::now()).await;
    assert_eq!(overview(&app, &owner).await.plan, Plan::Pro);

    fake.set_status(
        &subscription,
        "past_due",
        &["invoice.payment_failed", "customer.subscription.updated"],
    )
    .await;
    let now = Utc::now();
    run(&app, now).await;
    let billing = overview(&app, &owner).await;
    assert_eq!(
        (billing.plan, billing.status),
        (Plan::Pro, Some(SubscriptionStatus::PastDue))
    );
    let grace = billing.grace_until.expect("a grace period");
    assert!(
        (grace - (now + chrono::Duration::days(7))).num_seconds().abs() <= 1,
        "{grace}"
    );
    // Six days on, still Pro; eight days on, Free (nobody removed); then paid: Pro, grace forgotten.
    assert_eq!(run(&app, now + chrono::Duration::days(6)).await.graces_ended, 0);
    assert_eq!(overview(&app, &owner).await.plan, Plan::Pro);
    assert_eq!(run(&app, now + chrono::Duration::days(8)).await.graces_ended, 1);
    assert_eq!(overview(&app, &owner).await.plan, Plan::Free);
    fake.set_status(&subscription, "active", &["invoice.paid"]).await;
    run(&app, now + chrono::Duration::days(9)).await;
    let billing = overview(&app, &owner).await;
    assert_eq!((billing.plan, billing.grace_until), (Plan::Pro, None));
}

#[tokio::test]
async fn stripe_being_down_delays_billing_and_loses_nothing() {
    let fake = StripeFake::start(&[SECRET]).await;
    let app = billing_app(&fake, &[SECRET]).await;
    let owner = app.signup_free("patient").await;
    let customer = customer_of(&app, &fake, &owner).await;

    fake.down(true).await;
    // The billing screen works; the buttons say Stripe is away.
    assert_eq!(overview(&app, &owner).await.plan, Plan::Free);
    let portal = app.post("/api/v1/billing/portal", Some(&owner.token), &json!({})).await;
    let refused = expect_error(portal, StatusCode::SERVICE_UNAVAILABLE, ErrorCode::ServiceUnavailable).await;
    assert!(refused.message.contains("Stripe"), "{}", refused.message);
    // An event arrives while the API is down: stored, and left for later.
    let subscription = fake
        .subscribe(&customer, "active", &["customer.subscription.created"])
        .await;
    let now = Utc::now();
    assert_eq!(
        run(&app, now).await,
        Processed {
            finished: 0,
            deferred: 1,
            graces_ended: 0
        }
    );
    assert_eq!(run(&app, now).await, Processed::default(), "not due again at once");
    fake.down(false).await;
    assert_eq!(run(&app, now + chrono::Duration::minutes(1)).await.finished, 1);
    let billing = overview(&app, &owner).await;
    assert_eq!(
        (billing.plan, billing.status),
        (Plan::Pro, Some(SubscriptionStatus::Active)),
        "{subscription}"
    );
}

#[tokio::test]
async fn only_an_owner_reaches_billing_and_only_for_their_workspace() {
    let fake = StripeFake::start(&[SECRET]).await;
    let app = billing_app(&fake, &[SECRET]).await;
    let owner = app.signup("guarded").await;
    let agent = app.invite_and_join(&owner, "agent@guarded.example", Role::Agent).await;
    let supervisor = app
        .invite_and_join(&owner, "lead@guarded.example", Role::Supervisor)
        .await;
    for who in [&agent, &supervisor] {
        for path in ["/api/v1/billing/checkout", "/api/v1/billing/portal"] {
            let response = app.post(path, Some(&who.token), &json!({})).await;
            expect_error(response, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
        }
    }
    let key = app.api_key_with_every_scope(&owner, "integration").await;
    let response = app.post("/api/v1/billing/checkout", Some(&key), &json!({})).await;
    expect_error(response, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    assert!(fake.requests("/v1/customers").await.is_empty(), "nobody reached Stripe");

    // Another workspace's owner gets their own customer, never this one's.
    let other = app.signup_free("elsewhere").await;
    let mine = customer_of(&app, &fake, &owner).await;
    let theirs = customer_of(&app, &fake, &other).await;
    assert_ne!(mine, theirs);
    let portal: BillingRedirect = expect_json(
        app.post("/api/v1/billing/portal", Some(&other.token), &json!({})).await,
        StatusCode::OK,
    )
    .await;
    let portals = fake.requests("/v1/billing_portal/sessions").await;
    assert_eq!(
        portals.last().unwrap()["form"]["customer"],
        theirs.as_str(),
        "{}",
        portal.url
    );
    // Every POST to Stripe carries an idempotency key.
    let posts = fake.control("/_fake/requests", None).await;
    for request in posts
        .as_array()
        .unwrap()
        .iter()
        .filter(|request| request["method"] == "POST")
    {
        let key = request["headers"]["Idempotency-Key"].as_str().unwrap_or_default();
        assert!(key.starts_with("ferrodesk-"), "{request}");
    }
}

/// localstripe (PyPI, `tests/support/localstripe_run.py`), on loopback.
struct LocalStripe {
    _child: tokio::process::Child,
    base: String,
    http: reqwest::Client,
}

impl LocalStripe {
    async fn start() -> LocalStripe {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let venv = root.join(".tools/py/bin/python3");
        let python = if venv.exists() { venv } else { PathBuf::from("python3") };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = tokio::process::Command::new(python)
            .arg(root.join("crates/api/tests/support/localstripe_run.py"))
            .args(["--port", &port.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs; `bash scripts/ensure-test-tools` installs localstripe");
        let stdout = child.stdout.take().unwrap();
        let ready = tokio::time::timeout(Duration::from_secs(20), BufReader::new(stdout).lines().next_line()).await;
        assert!(
            matches!(ready, Ok(Ok(Some(ref line))) if line == "ready"),
            "localstripe did not start: run `bash scripts/ensure-test-tools`"
        );
        LocalStripe {
            _child: child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        }
    }

    /// A form POST to its API (or its `/_config`), answered 200 with JSON or nothing.
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .basic_auth("sk_test_localstripe", Some(""))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(form)
                    .finish(),
            )
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{path}: {}", response.status());
        response.json().await.unwrap_or(Value::Null)
    }
}

/// Reruns the billing job until the owner's plan is `expected` (localstripe sends its webhooks a
/// second after the change).
async fn settles_on(app: &TestApp, owner: &Session, expected: Plan) -> BillingOverview {
    for _ in 0..100 {
        run(app, Utc::now()).await;
        let billing = overview(app, owner).await;
        if billing.plan == expected {
            return billing;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the plan never became {expected:?}");
}

/// The same path against localstripe, a Stripe fake written by others: its customers API answers
/// our client, its own signatures pass our check, and its (older API version's) subscriptions are
/// read right.
#[tokio::test]
async fn billing_works_against_localstripe_a_fake_stripe_written_by_others() {
    let stripe = LocalStripe::start().await;
    let base = stripe.base.clone();
    let app = spawn_app_with(move |settings| {
        settings.billing.stripe = Some(StripeSettings {
            secret_key: Secret::new("sk_test_localstripe"),
            webhook_secrets: vec![Secret::new(SECRET)],
            price_pro: PRICE.to_owned(),
            api_base: base,
            timeout: Duration::from_secs(5),
        });
    })
    .await;
    let webhook = app.url("/api/v1/billing/webhook");
    stripe
        .post("/_config/webhooks/ferrodesk", &[("url", &webhook), ("secret", SECRET)])
        .await;
    stripe
        .post(
            "/v1/plans",
            &[
                ("id", PRICE),
                ("amount", "2900"),
                ("currency", "usd"),
                ("interval", "month"),
                ("product[name]", "Pro"),
            ],
        )
        .await;
    let owner = app.signup_free("independent").await;

    // Our client makes the customer at localstripe; the workspace keeps it (as Checkout's first step does).
    let client = ferrodesk_stripe::Stripe::new("sk_test_localstripe", &stripe.base, Duration::from_secs(5)).unwrap();
    let customer = client
        .create_customer(
            "independent Inc.",
            "owner@independent.example",
            "independent",
            "ferrodesk-customer-test",
        )
        .await
        .unwrap();
    assert!(customer.starts_with("cus_"), "{customer}");
    app.execute_sql(&format!(
        "UPDATE workspaces SET stripe_customer_id = '{customer}' WHERE slug = 'independent'"
    ))
    .await;

    // The customer subscribes at localstripe, which signs and sends customer.subscription.created.
    let card = stripe
        .post(
            "/v1/tokens",
            &[
                ("card[number]", "4242424242424242"),
                ("card[exp_month]", "12"),
                ("card[exp_year]", "2030"),
                ("card[cvc]", "123"),
            ],
        )
        .await;
    let token = card["id"].as_str().unwrap();
    stripe
        .post(&format!("/v1/customers/{customer}/sources"), &[("source", token)])
        .await;
    let subscription = stripe
        .post(
            "/v1/subscriptions",
            &[("customer", &customer), ("items[0][plan]", PRICE)],
        )
        .await;
    let subscription = subscription["id"].as_str().unwrap().to_owned();
    let billing = settles_on(&app, &owner, Plan::Pro).await;
    assert_eq!(billing.status, Some(SubscriptionStatus::Active));
    assert!(
        billing.period_end.is_some_and(|end| end > Utc::now()),
        "read from the subscription itself"
    );

    // Cancelled at localstripe: its signed customer.subscription.deleted brings Free back.
    let deleted = stripe
        .http
        .delete(format!("{}/v1/subscriptions/{subscription}", stripe.base))
        .basic_auth("sk_test_localstripe", Some(""))
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success());
    let billing = settles_on(&app, &owner, Plan::Free).await;
    assert_eq!(billing.status, Some(SubscriptionStatus::Canceled));
}
