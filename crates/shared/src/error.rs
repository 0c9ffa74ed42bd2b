//! The one error shape every 4xx/5xx answer has: a machine-readable `code` and a human `message`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body or query could not be read (malformed JSON, unknown field, wrong type).
    BadRequest,
    /// The request was read but a value is not acceptable; see `fields`.
    ValidationFailed,
    /// No valid credentials were presented.
    Unauthenticated,
    /// The credentials are valid but the role does not allow this.
    Forbidden,
    /// Nothing here, or nothing you may see: both answer the same.
    NotFound,
    MethodNotAllowed,
    /// The request clashes with the current state (a taken slug, an invalid status change).
    Conflict,
    /// A sign-in or confirmation link that was already used or is too old; a new one can be asked for.
    LinkExpired,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    /// The workspace's plan does not allow more of this (409); see `limit`.
    PlanLimit,
    /// The feature needs a higher plan.
    UpgradeRequired,
    Internal,
    ServiceUnavailable,
    /// The request's body did not arrive within the server's body timeout.
    RequestTimeout,
    /// An API key was sent in the URL, where logs and proxies keep it: send it only in the
    /// `Authorization` header (and revoke that key, it may have leaked).
    ApiKeyInQuery,
    /// The widget was called from a page whose origin is not in the workspace's allowed origins.
    OriginNotAllowed,
    /// A widget identity token that is forged, expired, for another workspace or malformed.
    IdentityRejected,
    /// The workspace requires visitors to be signed in by the company's identity token.
    IdentityRequired,
    /// Billing is not set up on this server (no Stripe keys): the operator sets plans.
    BillingDisabled,
    /// A webhook whose signature does not match, or whose timestamp is too old (a replay).
    SignatureRejected,
}

impl ErrorCode {
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Conflict => "conflict",
            ErrorCode::LinkExpired => "link_expired",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::PlanLimit => "plan_limit",
            ErrorCode::UpgradeRequired => "upgrade_required",
            ErrorCode::Internal => "internal",
            ErrorCode::ServiceUnavailable => "service_unavailable",
            ErrorCode::RequestTimeout => "request_timeout",
            ErrorCode::ApiKeyInQuery => "api_key_in_query",
            ErrorCode::OriginNotAllowed => "origin_not_allowed",
            ErrorCode::IdentityRejected => "identity_rejected",
            ErrorCode::IdentityRequired => "identity_required",
            ErrorCode::BillingDisabled => "billing_disabled",
            ErrorCode::SignatureRejected => "signature_rejected",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Per-field messages of a `validation_failed` error, keyed by the field's name on the wire.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    /// With `validation_failed`: the messages of each field that is not valid, by the field's name;
    /// with `conflict`, the one field that conflicts, when one does (a taken title).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::HashMap<String, Vec<String>>))]
    pub fields: FieldErrors,
    /// With `plan_limit`: what the plan allows and how much of it is in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<LimitReached>,
}

/// A plan's limit that a request would pass: `used` of `allowed` (staff seats, say).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LimitReached {
    /// What is limited: `staff_seats`.
    pub resource: String,
    pub allowed: u32,
    pub used: u32,
}
