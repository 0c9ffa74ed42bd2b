//! Sign-up, sign-in, sessions and invitations.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::InvitationId;
use crate::roles::Role;
use crate::users::User;
use crate::workspaces::{Workspace, WorkspacePublic};

/// A company creates its workspace and its owner account in one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    pub workspace_name: String,
    /// 3 to 40 characters: lower-case letters, digits and single dashes.
    pub workspace_slug: String,
    pub name: String,
    pub email: String,
    /// At least 10 characters, and not easy to guess (a common password, or one made of the name or email).
    pub password: String,
}

/// A customer signs up in a workspace's help centre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub workspace_slug: String,
    pub name: String,
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub workspace_slug: String,
    pub email: String,
    pub password: String,
}

/// What every successful sign-in answers. The refresh token travels only in an httpOnly cookie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthResponse {
    /// A short-lived JWT to send as `Authorization: Bearer ...`.
    pub access_token: String,
    pub user: User,
    pub workspace: Workspace,
}

/// `GET /api/v1/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub user: User,
    pub workspace: Workspace,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InvitationRequest {
    pub email: String,
    /// `agent`, `supervisor` or `owner`; supervisors may invite agents only.
    pub role: Role,
}

/// The invitation as created: `token` is shown once and never stored in clear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationCreated {
    pub id: InvitationId,
    pub email: String,
    pub role: Role,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitationRequest {
    pub token: String,
    pub name: String,
    pub password: String,
}

/// A pending invitation as the team page lists it (never with its token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invitation {
    pub id: InvitationId,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationList {
    pub items: Vec<Invitation>,
}

/// Asks what an invitation link is for, before accepting it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InvitationLookup {
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationPreview {
    pub workspace: WorkspacePublic,
    pub email: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
}

/// Signs in with the link from an email (`/link?token=...`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkSignIn {
    pub token: String,
}

/// What `POST /auth/register` answers, the same whether or not the email already had an account
/// (the email itself tells the owner which): check the inbox of `email`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationAccepted {
    /// The address the confirmation went to, as stored (lower-cased).
    pub email: String,
}

/// Asks for a fresh link in place of a used or expired one: it goes to the same person's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkRenewal {
    /// The token of the old link.
    pub token: String,
}

/// Asks for a sign-in link by email (customers without a password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignInLinkRequest {
    pub workspace_slug: String,
    pub email: String,
}
