//! People of a workspace as the API shows them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{UserId, WorkspaceId};
use crate::roles::Role;
use crate::tickets::Ticket;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: UserId,
    pub workspace_id: WorkspaceId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    /// Whether the user proved the address by opening a link sent to it. Until then a customer
    /// sees only the requests they wrote themselves, and the web app asks them to confirm.
    pub email_verified: bool,
}

/// Who wrote a message or owns a ticket: enough to show a name and an avatar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserSummary {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserList {
    pub items: Vec<User>,
}

/// Query of `GET /api/v1/users`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct UserListQuery {
    /// Only users with this role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub role: Role,
}

/// `GET /api/v1/users/{id}/profile` (staff): a person beside their ticket, for the agent answering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonProfile {
    pub user: User,
    /// When their first ticket arrived (none yet: `None`).
    pub first_ticket_at: Option<DateTime<Utc>>,
    pub tickets: RequesterCounts,
    /// Their latest tickets, newest first (at most 10).
    pub recent_tickets: Vec<Ticket>,
    /// The team's note about them; customers never see it.
    pub note: Option<PersonNote>,
}

/// How many of a person's tickets are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequesterCounts {
    /// New or open: waiting for the team.
    pub open: u64,
    pub pending: u64,
    pub solved: u64,
    pub closed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonNote {
    pub body: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<UserSummary>,
}

/// `PUT /api/v1/users/{id}/note`: the whole note; an empty one deletes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PersonNoteInput {
    pub body: String,
}
