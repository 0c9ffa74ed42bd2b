//! What a workspace's plan includes, how much of it is in use and how it is paid (the owner's
//! billing screen), and the hosted Stripe pages an owner is sent to.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::workspaces::Plan;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BillingOverview {
    pub plan: Plan,
    /// Owners, supervisors and agents (customers and API keys take no seat).
    pub seats_used: u32,
    pub seats_allowed: u32,
    /// More staff than the plan allows (after a downgrade): everyone keeps working, nobody new joins.
    pub over_limit: bool,
    /// Categories, reply drafts and the widget's answers.
    pub ai_included: bool,
    /// Whether this server takes payment (Stripe is set up). When not, the operator sets plans and
    /// nothing below is ever set.
    pub billing_enabled: bool,
    /// The subscription's state, once there is one.
    pub status: Option<SubscriptionStatus>,
    /// When the period paid for ends (renews, or ends if `cancel_at_period_end`).
    pub period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    /// After a failed payment: Pro until then, Free after unless the payment goes through.
    pub grace_until: Option<DateTime<Utc>>,
}

/// A subscription's state, as Stripe names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    Active,
    Trialing,
    /// A payment failed; Stripe is retrying.
    PastDue,
    Unpaid,
    Canceled,
    /// The first payment is under way.
    Incomplete,
    IncompleteExpired,
    Paused,
}

impl SubscriptionStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::Trialing => "trialing",
            SubscriptionStatus::PastDue => "past_due",
            SubscriptionStatus::Unpaid => "unpaid",
            SubscriptionStatus::Canceled => "canceled",
            SubscriptionStatus::Incomplete => "incomplete",
            SubscriptionStatus::IncompleteExpired => "incomplete_expired",
            SubscriptionStatus::Paused => "paused",
        }
    }

    pub fn parse(value: &str) -> Option<SubscriptionStatus> {
        [
            SubscriptionStatus::Active,
            SubscriptionStatus::Trialing,
            SubscriptionStatus::PastDue,
            SubscriptionStatus::Unpaid,
            SubscriptionStatus::Canceled,
            SubscriptionStatus::Incomplete,
            SubscriptionStatus::IncompleteExpired,
            SubscriptionStatus::Paused,
        ]
        .into_iter()
        .find(|status| status.as_str() == value)
    }
}

/// A Stripe-hosted page to send the owner to: Checkout (to subscribe) or the Billing Portal
/// (cards, invoices, cancelling).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BillingRedirect {
    pub url: String,
}

/// The webhook's answer to Stripe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookReceipt {
    pub received: bool,
    /// The event was received before (a retry or a replay): nothing was done again.
    pub duplicate: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_their_wire_names() {
        for name in [
            "active",
            "trialing",
            "past_due",
            "unpaid",
            "canceled",
            "incomplete",
            "incomplete_expired",
            "paused",
        ] {
            let status = SubscriptionStatus::parse(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(serde_json::to_value(status).ok(), Some(serde_json::Value::from(name)));
        }
        assert_eq!(SubscriptionStatus::parse("new"), None);
    }
}
