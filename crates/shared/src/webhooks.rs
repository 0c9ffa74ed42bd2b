//! Outgoing webhooks: endpoints a workspace's owner registers, the events they receive (the
//! realtime vocabulary, with the payload a staff socket gets) and the log of their deliveries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{WebhookDeliveryId, WebhookId};
use crate::roles::UnknownValue;

/// What an endpoint can subscribe to: the realtime event names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum WebhookEvent {
    #[serde(rename = "ticket.created")]
    TicketCreated,
    #[serde(rename = "ticket.updated")]
    TicketUpdated,
    /// A public reply; internal notes too when the endpoint has `include_internal`.
    #[serde(rename = "message.created")]
    MessageCreated,
}

impl WebhookEvent {
    pub const ALL: [WebhookEvent; 3] = [
        WebhookEvent::TicketCreated,
        WebhookEvent::TicketUpdated,
        WebhookEvent::MessageCreated,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            WebhookEvent::TicketCreated => "ticket.created",
            WebhookEvent::TicketUpdated => "ticket.updated",
            WebhookEvent::MessageCreated => "message.created",
        }
    }
}

impl std::str::FromStr for WebhookEvent {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WebhookEvent::ALL
            .into_iter()
            .find(|event| event.as_str() == s)
            .ok_or_else(|| UnknownValue(s.to_owned()))
    }
}

/// `POST /api/v1/webhooks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where the events are POSTed: https, to a public address.
    pub url: String,
    /// At least one.
    pub events: Vec<WebhookEvent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Internal notes are sent only to endpoints that ask for them.
    #[serde(default)]
    pub include_internal: bool,
}

/// `PATCH /api/v1/webhooks/{id}`: a missing field is left alone; `null` clears `description`.
/// Enabling a disabled endpoint starts its failure window afresh.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<WebhookEvent>>,
    #[serde(default, with = "crate::patch", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub description: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_internal: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// An endpoint, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhook {
    pub id: WebhookId,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub description: Option<String>,
    pub include_internal: bool,
    /// False when an owner switched it off, or when it kept failing (`disabled_reason`).
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// Since when every delivery has failed; the endpoint is disabled once this is too long ago.
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An endpoint with its signing secret: answered once at creation and at each rotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookWithSecret {
    pub webhook: Webhook,
    /// `whsec_<base64>`: verify `webhook-signature` with it (Standard Webhooks). Not shown again.
    pub secret: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookList {
    pub items: Vec<Webhook>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its first attempt or its next retry.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Given up (the endpoint kept failing); a retry sends it again.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }
}

/// One event's delivery to one endpoint, with its latest attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    /// Also the `webhook-id` header of every attempt.
    pub id: WebhookDeliveryId,
    pub event: WebhookEvent,
    /// The event's number in the workspace (the `id` inside the payload).
    pub event_id: i64,
    pub status: DeliveryStatus,
    pub attempts: u32,
    /// When the next attempt is due (pending deliveries only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The HTTP status the endpoint answered last, if it answered.
    pub response_status: Option<u16>,
    /// How long the last attempt took, in milliseconds.
    pub latency_ms: Option<u64>,
    /// The first kilobyte of the last answer's body.
    pub response_body: Option<String>,
    /// Why the last attempt failed, when it did.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDeliveryPage {
    pub items: Vec<WebhookDelivery>,
    /// Pass as `before` for the next (older) page.
    pub next_cursor: Option<i64>,
}

/// Query of `GET /api/v1/webhooks/{id}/deliveries`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct WebhookDeliveryQuery {
    /// 1 to 100, 20 when missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Deliveries of events older than this event id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_are_the_realtime_ones() {
        for event in WebhookEvent::ALL {
            assert_eq!(
                serde_json::to_value(event).ok(),
                Some(serde_json::Value::String(event.as_str().to_owned()))
            );
            assert_eq!(event.as_str().parse::<WebhookEvent>().ok(), Some(event));
        }
        assert!(serde_json::from_str::<NewWebhook>(r#"{"url":"https://x","events":["ticket.deleted"]}"#).is_err());
    }
}
