//! Ferrodesk's door to Stripe, through async-stripe: the customer a workspace pays as, a Checkout
//! Session for the Pro subscription, a Billing Portal session, a subscription's current state, and
//! the webhook's signature check.
//!
//! Requests are async-stripe's typed builders sent by its client (the `Stripe-Version` it pins,
//! idempotency keys, timeouts). Answers are read into the few fields billing acts on
//! ([`Subscription`], [`Session`]), not into async-stripe's complete objects: those require every
//! field of the pinned API version, so an object from a newer or older version (or a field Stripe
//! adds) would fail the whole parse, and billing would stop over fields it never reads.
//!
//! The server never names an async-stripe type: this crate is all it sees, so async-stripe's long
//! build is done once, here, and cached.

pub mod webhook;

use std::time::Duration;

use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_billing::subscription::RetrieveSubscription;
use stripe_checkout::CheckoutSessionMode;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionSubscriptionData,
};
use stripe_core::customer::CreateCustomer;

/// Stripe's API, as this crate reads it.
pub const API_BASE: &str = "https://api.stripe.com/";

/// What went wrong talking to Stripe.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Stripe could not be reached, timed out or answered 5xx / 429: try again later.
    #[error("Stripe is unavailable: {0}")]
    Unavailable(String),
    /// Stripe refused the request (4xx other than 429): trying again will not help.
    #[error("Stripe refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    /// The answer was not what this crate reads.
    #[error("Stripe's answer could not be read: {0}")]
    Unreadable(String),
    /// The secret key or base URL cannot be used.
    #[error("the Stripe configuration is invalid: {0}")]
    Config(String),
}

impl Error {
    /// Whether the same request may succeed later.
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Unavailable(_))
    }
}

impl From<StripeError> for Error {
    fn from(error: StripeError) -> Self {
        match error {
            StripeError::Stripe(errors, status) if status != 429 && status < 500 => Error::Refused {
                status,
                message: errors.message.clone().unwrap_or_else(|| "no message".to_owned()),
            },
            StripeError::Stripe(errors, status) => {
                Error::Unavailable(format!("{status}: {}", errors.message.clone().unwrap_or_default()))
            }
            StripeError::JSONDeserialize(message) => Error::Unreadable(message),
            StripeError::ClientError(message) => Error::Unavailable(message),
            StripeError::Timeout => Error::Unavailable("timed out".to_owned()),
            StripeError::ConfigError(message) => Error::Config(message),
        }
    }
}

/// A subscription's status, as Stripe names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Incomplete,
    IncompleteExpired,
    Trialing,
    Active,
    PastDue,
    Canceled,
    Unpaid,
    Paused,
    /// A status this crate does not know (Stripe added one).
    Other(String),
}

impl Status {
    pub fn parse(value: &str) -> Status {
        match value {
            "incomplete" => Status::Incomplete,
            "incomplete_expired" => Status::IncompleteExpired,
            "trialing" => Status::Trialing,
            "active" => Status::Active,
            "past_due" => Status::PastDue,
            "canceled" => Status::Canceled,
            "unpaid" => Status::Unpaid,
            "paused" => Status::Paused,
            other => Status::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Status::Incomplete => "incomplete",
            Status::IncompleteExpired => "incomplete_expired",
            Status::Trialing => "trialing",
            Status::Active => "active",
            Status::PastDue => "past_due",
            Status::Canceled => "canceled",
            Status::Unpaid => "unpaid",
            Status::Paused => "paused",
            Status::Other(other) => other,
        }
    }
}

/// A subscription as it is now at Stripe: what billing decides a workspace's plan from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub customer: String,
    pub status: Status,
    /// The prices it bills (one per item).
    pub prices: Vec<String>,
    /// When the period being paid for ends (seconds since the epoch); Stripe keeps it per item.
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: bool,
}

/// A hosted page to send the owner to (Checkout or the Billing Portal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub url: String,
}

/// A request to start the Pro subscription.
#[derive(Debug, Clone)]
pub struct Checkout<'a> {
    pub customer: &'a str,
    pub price: &'a str,
    /// The workspace, as `client_reference_id` and metadata (for people reading Stripe's dashboard;
    /// billing maps events to workspaces through the stored customer only).
    pub reference: &'a str,
    pub success_url: &'a str,
    pub cancel_url: &'a str,
    /// The same key gives the same session if a request is retried.
    pub idempotency_key: &'a str,
}

/// A client for one Stripe account.
#[derive(Clone)]
pub struct Stripe {
    client: Client,
}

impl std::fmt::Debug for Stripe {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The client holds the secret key.
        formatter.write_str("Stripe")
    }
}

impl Stripe {
    /// A client with this secret key, talking to `api_base` (Stripe's, or a test double on loopback)
    /// with a timeout on each attempt.
    pub fn new(secret_key: &str, api_base: &str, timeout: Duration) -> Result<Stripe, Error> {
        let mut base = api_base.to_owned();
        if !base.ends_with('/') {
            base.push('/');
        }
        let client = ClientBuilder::new(secret_key)
            .url(base)
            .timeout(timeout)
            .request_strategy(RequestStrategy::Once)
            .build()?;
        Ok(Stripe { client })
    }

    /// Creates the customer a workspace pays as; its id is what events are matched by.
    pub async fn create_customer(
        &self,
        name: &str,
        email: &str,
        reference: &str,
        idempotency_key: &str,
    ) -> Result<String, Error> {
        let request = CreateCustomer::new()
            .name(name)
            .email(email)
            .metadata([("workspace".to_owned(), reference.to_owned())]);
        let created: Identified = request
            .build()
            .customize()
            .request_strategy(idempotent(idempotency_key)?)
            .send(&self.client)
            .await?;
        Ok(created.id)
    }

    /// A Checkout Session subscribing `customer` to `price`.
    pub async fn checkout(&self, checkout: Checkout<'_>) -> Result<Session, Error> {
        let metadata = [("workspace".to_owned(), checkout.reference.to_owned())];
        let request = CreateCheckoutSession::new()
            .mode(CheckoutSessionMode::Subscription)
            .customer(checkout.customer)
            .client_reference_id(checkout.reference)
            .line_items(vec![CreateCheckoutSessionLineItems {
                price: Some(checkout.price.to_owned()),
                quantity: Some(1),
                ..CreateCheckoutSessionLineItems::new()
            }])
            .subscription_data(CreateCheckoutSessionSubscriptionData {
                metadata: Some(metadata.clone().into_iter().collect()),
                ..CreateCheckoutSessionSubscriptionData::new()
            })
            .metadata(metadata)
            .success_url(checkout.success_url)
            .cancel_url(checkout.cancel_url);
        let session: HostedPage = request
            .build()
            .customize()
            .request_strategy(idempotent(checkout.idempotency_key)?)
            .send(&self.client)
            .await?;
        session.into_session()
    }

    /// A Billing Portal session for `customer`, coming back to `return_url`.
    pub async fn portal(&self, customer: &str, return_url: &str, idempotency_key: &str) -> Result<Session, Error> {
        let request = CreateBillingPortalSession::new()
            .customer(customer)
            .return_url(return_url);
        let session: HostedPage = request
            .build()
            .customize()
            .request_strategy(idempotent(idempotency_key)?)
            .send(&self.client)
            .await?;
        session.into_session()
    }

    /// The subscription as it is now.
    pub async fn subscription(&self, id: &str) -> Result<Subscription, Error> {
        let answer: SubscriptionAnswer = RetrieveSubscription::new(id)
            .build()
            .customize()
            .send(&self.client)
            .await?;
        Ok(answer.into())
    }
}

fn idempotent(key: &str) -> Result<RequestStrategy, Error> {
    let key = IdempotencyKey::new(key).map_err(|error| Error::Config(format!("idempotency key: {error:?}")))?;
    Ok(RequestStrategy::Idempotent(key))
}

// What this crate reads of Stripe's answers: miniserde ignores every other field.

#[derive(miniserde::Deserialize)]
struct Identified {
    id: String,
}

#[derive(miniserde::Deserialize)]
struct HostedPage {
    id: String,
    url: Option<String>,
}

impl HostedPage {
    fn into_session(self) -> Result<Session, Error> {
        match self.url {
            Some(url) => Ok(Session { id: self.id, url }),
            None => Err(Error::Unreadable(format!("session {} has no url", self.id))),
        }
    }
}

/// A subscription in any API version this crate has met: since 2025 the period is kept per item,
/// before that on the subscription; items name a `price`, and before prices existed a `plan`
/// (whose id is the price's).
#[derive(miniserde::Deserialize)]
struct SubscriptionAnswer {
    id: String,
    customer: String,
    status: String,
    cancel_at_period_end: Option<bool>,
    current_period_end: Option<i64>,
    items: Items,
}

#[derive(miniserde::Deserialize)]
struct Items {
    data: Vec<Item>,
}

#[derive(miniserde::Deserialize)]
struct Item {
    price: Option<Identified>,
    plan: Option<Identified>,
    current_period_end: Option<i64>,
}

impl From<SubscriptionAnswer> for Subscription {
    fn from(answer: SubscriptionAnswer) -> Subscription {
        let items = answer.items.data;
        Subscription {
            id: answer.id,
            customer: answer.customer,
            status: Status::parse(&answer.status),
            current_period_end: items
                .iter()
                .filter_map(|item| item.current_period_end)
                .max()
                .or(answer.current_period_end),
            prices: items
                .into_iter()
                .filter_map(|item| item.price.or(item.plan).map(|price| price.id))
                .collect(),
            cancel_at_period_end: answer.cancel_at_period_end.unwrap_or(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subscription_is_read_from_the_fields_billing_uses() {
        let body = r#"{"id":"sub_1","object":"subscription","customer":"cus_1","status":"past_due",
            "cancel_at_period_end":true,"billing_mode":{"type":"flexible"},"unknown_future_field":[1,2],
            "items":{"object":"list","data":[
                {"id":"si_1","price":{"id":"price_pro","unit_amount":2900},"current_period_end":1800000000},
                {"id":"si_2","price":{"id":"price_addon"},"current_period_end":1800000100}]}}"#;
        let answer: SubscriptionAnswer = miniserde::json::from_str(body).unwrap_or_else(|_| panic!("parses"));
        let subscription = Subscription::from(answer);
        assert_eq!(subscription.status, Status::PastDue);
        assert_eq!(subscription.prices, ["price_pro", "price_addon"]);
        assert_eq!(subscription.current_period_end, Some(1_800_000_100));
        assert!(subscription.cancel_at_period_end);
    }

    #[test]
    fn an_older_api_versions_subscription_is_read_too() {
        // Before 2025: the period on the subscription, items with a `plan` and no `price`.
        let body = r#"{"id":"sub_2","object":"subscription","customer":"cus_2","status":"active",
            "current_period_end":1799224308,"items":{"object":"list","data":[
                {"id":"si_3","object":"subscription_item","plan":{"id":"price_pro","object":"plan"}}]}}"#;
        let answer: SubscriptionAnswer = miniserde::json::from_str(body).unwrap_or_else(|_| panic!("parses"));
        let subscription = Subscription::from(answer);
        assert_eq!(subscription.prices, ["price_pro"]);
        assert_eq!(subscription.current_period_end, Some(1_799_224_308));
        assert!(!subscription.cancel_at_period_end);
    }

    #[test]
    fn statuses_round_trip_and_unknown_ones_are_kept() {
        for name in [
            "incomplete",
            "incomplete_expired",
            "trialing",
            "active",
            "past_due",
            "canceled",
            "unpaid",
            "paused",
            "new_one",
        ] {
            assert_eq!(Status::parse(name).as_str(), name);
        }
        assert_eq!(Status::parse("new_one"), Status::Other("new_one".to_owned()));
    }
}
