//! API keys: how third parties (a back office, a CRM, an automation) call the API without borrowing
//! a person's password. A key acts as an integration of one workspace with exactly its scopes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::ApiKeyId;
use crate::users::UserSummary;

/// What a key may do. Every endpoint a key can call needs one of these; all others refuse keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ApiScope {
    /// List, count and read tickets with their threads (internal notes included).
    #[serde(rename = "tickets:read")]
    TicketsRead,
    /// Create tickets for requesters, reply, add internal notes, change status, priority,
    /// assignee, category and tags.
    #[serde(rename = "tickets:write")]
    TicketsWrite,
    /// List the workspace's people.
    #[serde(rename = "users:read")]
    UsersRead,
    /// Read the dashboard's figures.
    #[serde(rename = "reports:read")]
    ReportsRead,
    /// Manage outgoing webhooks.
    #[serde(rename = "webhooks:manage")]
    WebhooksManage,
}

impl ApiScope {
    pub const ALL: [ApiScope; 5] = [
        ApiScope::TicketsRead,
        ApiScope::TicketsWrite,
        ApiScope::UsersRead,
        ApiScope::ReportsRead,
        ApiScope::WebhooksManage,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            ApiScope::TicketsRead => "tickets:read",
            ApiScope::TicketsWrite => "tickets:write",
            ApiScope::UsersRead => "users:read",
            ApiScope::ReportsRead => "reports:read",
            ApiScope::WebhooksManage => "webhooks:manage",
        }
    }

    /// A sentence for the owner choosing scopes.
    pub fn description(&self) -> &'static str {
        match self {
            ApiScope::TicketsRead => "Read tickets and their threads, internal notes included",
            ApiScope::TicketsWrite => "Create tickets, reply, write notes, change status, priority, assignee and tags",
            ApiScope::UsersRead => "List the people of the workspace",
            ApiScope::ReportsRead => "Read the dashboard's figures",
            ApiScope::WebhooksManage => "Manage outgoing webhooks",
        }
    }
}

impl std::fmt::Display for ApiScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ApiScope {
    type Err = crate::roles::UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ApiScope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| crate::roles::UnknownValue(s.to_owned()))
    }
}

/// Body of `POST /api/v1/api-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// Shown as the author of what the key writes (e.g. "Shop back office").
    pub name: String,
    /// At least one.
    pub scopes: Vec<ApiScope>,
    /// After this the key answers 401; none means until revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// The answer to `POST /api/v1/api-keys`: the only time `key` is ever shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyCreated {
    pub id: ApiKeyId,
    pub name: String,
    pub scopes: Vec<ApiScope>,
    /// `fd_...`: send it as `Authorization: Bearer <key>`. Not stored; it cannot be shown again.
    pub key: String,
    /// The key's first characters, to recognise it in the list.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A key as the list shows it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: String,
    pub scopes: Vec<ApiScope>,
    pub prefix: String,
    /// The owner who created it (none if that person was removed).
    pub created_by: Option<UserSummary>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Recorded at most once a minute.
    pub last_used_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyList {
    /// Keys not revoked, newest first (expired ones included, so the owner sees why a call fails).
    pub items: Vec<ApiKey>,
}
