//! In-app notifications: stored per user, unread first, pushed live.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{NotificationId, TicketId};
use crate::roles::UnknownValue;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A new ticket arrived in the workspace (staff).
    TicketCreated,
    /// Someone assigned a ticket to you.
    TicketAssigned,
    /// The customer of your ticket wrote again.
    CustomerReplied,
    /// A ticket breached its SLA and was escalated (supervisors).
    TicketEscalated,
    /// An outgoing webhook kept failing and was switched off (owners).
    WebhookDisabled,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 5] = [
        NotificationKind::TicketCreated,
        NotificationKind::TicketAssigned,
        NotificationKind::CustomerReplied,
        NotificationKind::TicketEscalated,
        NotificationKind::WebhookDisabled,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            NotificationKind::TicketCreated => "ticket_created",
            NotificationKind::TicketAssigned => "ticket_assigned",
            NotificationKind::CustomerReplied => "customer_replied",
            NotificationKind::TicketEscalated => "ticket_escalated",
            NotificationKind::WebhookDisabled => "webhook_disabled",
        }
    }
}

impl std::str::FromStr for NotificationKind {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NotificationKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| UnknownValue(s.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notification {
    pub id: NotificationId,
    pub kind: NotificationKind,
    pub ticket_id: Option<TicketId>,
    /// One line, ready to show: "New ticket #12: Card declined".
    pub title: String,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationPage {
    /// Unread first, then newest first.
    pub items: Vec<Notification>,
    pub next_cursor: Option<String>,
    pub unread_count: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnreadCount {
    pub unread_count: u64,
}

/// Query of `GET /api/v1/notifications`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct NotificationQuery {
    /// 1 to 100, 20 when missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}
