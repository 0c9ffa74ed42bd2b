//! Service-level targets: how fast a workspace promises to answer and to solve, by priority.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::tickets::Priority;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SlaPolicy {
    pub priority: Priority,
    /// Minutes from creation to the first public reply.
    pub first_response_minutes: u32,
    /// Minutes from creation to solved, not counting time spent pending (waiting on the customer).
    pub resolution_minutes: u32,
}

impl SlaPolicy {
    /// A new workspace's targets.
    pub fn default_for(priority: Priority) -> SlaPolicy {
        let (first_response_minutes, resolution_minutes) = match priority {
            Priority::Urgent => (60, 8 * 60),
            Priority::High => (4 * 60, 24 * 60),
            Priority::Normal => (8 * 60, 72 * 60),
            Priority::Low => (24 * 60, 120 * 60),
        };
        SlaPolicy {
            priority,
            first_response_minutes,
            resolution_minutes,
        }
    }
}

/// `GET` and `PUT /api/v1/sla/policies`: one policy per priority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SlaPolicies {
    pub items: Vec<SlaPolicy>,
}

/// A ticket's targets as the inbox shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketSla {
    pub first_response_due_at: Option<DateTime<Utc>>,
    pub resolution_due_at: Option<DateTime<Utc>>,
    /// The next target still to meet; none when answered and solved, or while pending.
    pub next_due_at: Option<DateTime<Utc>>,
    /// A target was missed.
    pub breached: bool,
    /// The scheduler raised the priority after a breach.
    pub escalated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BreachKind {
    FirstResponse,
    Resolution,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BreachAction {
    /// Nobody had the ticket: it was given to the agent with the fewest open tickets.
    Assigned,
    /// Someone had it: the priority was raised and supervisors were told.
    Escalated,
}

/// A missed target on a ticket's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaBreach {
    pub kind: BreachKind,
    pub due_at: DateTime<Utc>,
    pub action: BreachAction,
    pub at: DateTime<Utc>,
    /// `assigned`: the agent the ticket went to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<crate::users::UserSummary>,
}
