//! A workspace is one company's helpdesk; everything else belongs to exactly one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::WorkspaceId;
use crate::roles::UnknownValue;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    Free,
    Pro,
}

impl Plan {
    pub fn as_str(&self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Pro => "pro",
        }
    }

    /// How people are shown the plan's name.
    pub fn display_name(&self) -> &'static str {
        match self {
            Plan::Free => "Free",
            Plan::Pro => "Pro",
        }
    }
}

impl std::str::FromStr for Plan {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "free" => Ok(Plan::Free),
            "pro" => Ok(Plan::Pro),
            other => Err(UnknownValue(other.to_owned())),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    /// Unique, lower-case; customers and staff name it when they sign in.
    pub slug: String,
    pub plan: Plan,
    pub created_at: DateTime<Utc>,
}

/// `GET /api/v1/workspace/settings`: how the helpdesk behaves for the whole team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HelpdeskSettings {
    /// The first public reply by staff on an unassigned ticket assigns it to whoever sent it.
    pub assign_on_reply: bool,
    /// When a ticket is first solved, its customer is mailed a one-click good / bad rating.
    #[serde(default = "yes")]
    pub csat_enabled: bool,
}

fn yes() -> bool {
    true
}

/// `PATCH /api/v1/workspace/settings` (supervisors and owners): the fields to change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HelpdeskSettingsPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign_on_reply: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csat_enabled: Option<bool>,
}

/// What anyone may know of a workspace: how its help centre introduces itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspacePublic {
    pub name: String,
    pub slug: String,
}
