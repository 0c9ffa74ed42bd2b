//! Macros (canned replies): a text with `{{field}}` placeholders, and what to set on the ticket when
//! it is sent. Supervisors keep them; agents apply them from the reply box.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::MacroId;
use crate::tickets::{Priority, TicketStatus};

/// The placeholders a macro's text may use, each filled from the ticket it is applied to.
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    ("customer.first_name", "The requester's first name"),
    ("customer.name", "The requester's full name"),
    ("customer.email", "The requester's email address"),
    ("ticket.number", "The ticket's number, without #"),
    ("ticket.subject", "The ticket's subject"),
    ("agent.first_name", "Your first name"),
    ("agent.name", "Your full name"),
    ("workspace.name", "The workspace's name"),
];

/// A macro as the workspace's staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Macro {
    pub id: MacroId,
    pub title: String,
    /// Markdown with `{{customer.first_name}}`-style placeholders (`PLACEHOLDERS`).
    pub body: String,
    /// Set on the ticket when a reply written from this macro is sent.
    pub set_status: Option<TicketStatus>,
    pub set_priority: Option<Priority>,
    /// Added to the ticket's tags (those it has are kept).
    pub add_tags: Vec<String>,
    /// Replies sent from it.
    pub usage_count: i64,
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/v1/macros` and `PUT /api/v1/macros/{id}` (the whole macro).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MacroInput {
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub set_status: Option<TicketStatus>,
    #[serde(default)]
    pub set_priority: Option<Priority>,
    #[serde(default)]
    pub add_tags: Vec<String>,
}

/// `GET /api/v1/macros`: most used first, then by title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MacroList {
    pub items: Vec<Macro>,
}

/// `GET /api/v1/tickets/{id}/macros/{macro_id}`: the macro filled in for one ticket, for the reply
/// box. Nothing is changed or counted until the reply is sent with `macro_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RenderedMacro {
    pub id: MacroId,
    pub title: String,
    pub body: String,
    pub set_status: Option<TicketStatus>,
    pub set_priority: Option<Priority>,
    pub add_tags: Vec<String>,
}
