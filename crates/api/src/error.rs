//! `ApiError`: the one error type of the API. Every variant maps to one code and one status through
//! exhaustive matches; internal causes are logged and never sent.

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use ferrodesk_shared::error::{FieldErrors, LimitReached};
use ferrodesk_shared::{ErrorBody, ErrorCode};
use sea_orm::{DbErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("some fields are not valid")]
    Validation(FieldErrors),
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error("Nothing here: it does not exist, or you cannot see it.")]
    NotFound,
    #[error("This path does not take that method.")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    /// A conflict one field of the request causes (a title another macro has): 409, with the
    /// message under that field too, so a form shows it there.
    #[error("{message}")]
    ConflictAt { field: &'static str, message: String },
    /// A mailed link (sign-in, confirmation, survey, file) opened a second time, or too late; the
    /// words say what to do instead.
    #[error("{0}")]
    LinkExpired(&'static str),
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("send the body as application/json")]
    UnsupportedMediaType,
    /// An uploaded file whose bytes are not a type we take (whatever its name says).
    #[error("{0}")]
    UnsupportedFile(&'static str),
    /// `kind` names the limit (a code name such as `api_requests` or `sign_in_link`): it labels the
    /// refusal in `/metrics` and is never sent.
    #[error("too many requests; retry in {retry_after_seconds} s")]
    RateLimited {
        retry_after_seconds: u64,
        kind: &'static str,
    },
    #[error("{message}")]
    PlanLimit { message: String, limit: LimitReached },
    #[error("{0}")]
    UpgradeRequired(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("the request body did not arrive in time")]
    RequestTimeout,
    #[error(
        "API keys go in the `Authorization: Bearer` header, never in the URL, where logs keep them. \
         Revoke this key and create a new one."
    )]
    ApiKeyInQuery,
    #[error("{0}")]
    OriginNotAllowed(String),
    #[error("{0}")]
    IdentityRejected(&'static str),
    #[error("Sign in on the company's site first: this workspace's widget talks only to signed-in customers.")]
    IdentityRequired,
    #[error("Billing is not set up on this server: plans are set by its operator (`ferrodesk plan set`).")]
    BillingDisabled,
    #[error("{0}")]
    SignatureRejected(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::Forbidden(message.into())
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError::Conflict(message.into())
    }

    /// A `validation_failed` error about one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(FieldErrors::from([(field.to_owned(), vec![message.into()])]))
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::BadRequest(_) => ErrorCode::BadRequest,
            ApiError::Validation(_) => ErrorCode::ValidationFailed,
            ApiError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::NotFound => ErrorCode::NotFound,
            ApiError::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            ApiError::Conflict(_) | ApiError::ConflictAt { .. } => ErrorCode::Conflict,
            ApiError::LinkExpired(_) => ErrorCode::LinkExpired,
            ApiError::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            ApiError::UnsupportedMediaType | ApiError::UnsupportedFile(_) => ErrorCode::UnsupportedMediaType,
            ApiError::RateLimited { .. } => ErrorCode::RateLimited,
            ApiError::PlanLimit { .. } => ErrorCode::PlanLimit,
            ApiError::UpgradeRequired(_) => ErrorCode::UpgradeRequired,
            ApiError::Unavailable(_) => ErrorCode::ServiceUnavailable,
            ApiError::RequestTimeout => ErrorCode::RequestTimeout,
            ApiError::ApiKeyInQuery => ErrorCode::ApiKeyInQuery,
            ApiError::OriginNotAllowed(_) => ErrorCode::OriginNotAllowed,
            ApiError::IdentityRejected(_) => ErrorCode::IdentityRejected,
            ApiError::IdentityRequired => ErrorCode::IdentityRequired,
            ApiError::BillingDisabled => ErrorCode::BillingDisabled,
            ApiError::SignatureRejected(_) => ErrorCode::SignatureRejected,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The limit that refused the request, for the metrics.
    pub fn rate_limit_refusal(&self) -> Option<crate::metrics::RateLimitRefusal> {
        match self {
            ApiError::RateLimited { kind, .. } => Some(crate::metrics::RateLimitRefusal(kind)),
            _ => None,
        }
    }

    pub(crate) fn body(&self) -> ErrorBody {
        let message = match self {
            ApiError::Internal(_) => "Something went wrong on our side. Please try again.".to_owned(),
            other => other.to_string(),
        };
        let fields = match self {
            ApiError::Validation(fields) => fields.clone(),
            ApiError::ConflictAt { field, message } => {
                FieldErrors::from([((*field).to_owned(), vec![message.clone()])])
            }
            _ => FieldErrors::new(),
        };
        let limit = match self {
            ApiError::PlanLimit { limit, .. } => Some(limit.clone()),
            _ => None,
        };
        ErrorBody {
            code: self.code(),
            message,
            fields,
            limit,
        }
    }
}

/// The HTTP status of each error code; no wildcard, so a new code cannot be forgotten.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
        ErrorCode::ValidationFailed => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::LinkExpired => StatusCode::GONE,
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::PlanLimit => StatusCode::CONFLICT,
        ErrorCode::UpgradeRequired => StatusCode::PAYMENT_REQUIRED,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        ErrorCode::ApiKeyInQuery => StatusCode::BAD_REQUEST,
        ErrorCode::OriginNotAllowed => StatusCode::FORBIDDEN,
        ErrorCode::IdentityRejected | ErrorCode::IdentityRequired => StatusCode::UNAUTHORIZED,
        ErrorCode::BillingDisabled => StatusCode::NOT_FOUND,
        ErrorCode::SignatureRejected => StatusCode::BAD_REQUEST,
    }
}

/// The error code a bare status stands for, used for errors raised outside our handlers
/// (an unknown route, a method a resource does not have).
pub fn code_of(status: StatusCode) -> ErrorCode {
    match status.as_u16() {
        401 => ErrorCode::Unauthenticated,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        405 => ErrorCode::MethodNotAllowed,
        408 => ErrorCode::RequestTimeout,
        409 => ErrorCode::Conflict,
        413 => ErrorCode::PayloadTooLarge,
        415 => ErrorCode::UnsupportedMediaType,
        422 => ErrorCode::ValidationFailed,
        429 => ErrorCode::RateLimited,
        503 => ErrorCode::ServiceUnavailable,
        400..=499 => ErrorCode::BadRequest,
        _ => ErrorCode::Internal,
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        status_of(self.code())
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        if let ApiError::Internal(cause) = self {
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
        let mut response = HttpResponse::build(self.status_code());
        if let ApiError::RateLimited {
            retry_after_seconds,
            kind,
        } = self
        {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from(*retry_after_seconds)));
            // Read by the metrics middleware, which sees the answer but not this error.
            response.extensions_mut().insert(crate::metrics::RateLimitRefusal(kind));
        }
        // Overload passes quickly (a full password-hashing pool), and so does a database restart
        // or a held lock: tell clients when to come back.
        if matches!(self, ApiError::Unavailable(_)) {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS)));
        }
        if let ApiError::RequestTimeout = self {
            // The rest of the body may still be trickling in: this connection is done.
            response.force_close();
        }
        if matches!(self, ApiError::Unauthenticated(_)) {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        response.json(self.body())
    }
}

impl From<DbErr> for ApiError {
    fn from(error: DbErr) -> Self {
        match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                ApiError::conflict("This conflicts with something that already exists.")
            }
            _ if crate::db::is_unavailable(&error) => {
                tracing::warn!(%error, "the database is unavailable");
                ApiError::Unavailable("The database is busy or cannot be reached. Please try again shortly.".to_owned())
            }
            _ => ApiError::Internal(anyhow::Error::new(error)),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// What a `503` asks clients to wait: overload and a database that restarts pass within seconds.
pub const RETRY_AFTER_SECONDS: u64 = 1;
