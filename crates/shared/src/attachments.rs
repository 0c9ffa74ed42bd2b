//! Files on messages: uploaded first (`POST /api/v1/attachments`), then sent with a message by id.

use serde::{Deserialize, Serialize};

use crate::AttachmentId;

/// The most files one message carries.
pub const MAX_PER_MESSAGE: usize = 5;

/// A file as the thread shows it. Its bytes are at `GET /api/v1/attachments/{id}`, for those who
/// may see the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attachment {
    pub id: AttachmentId,
    pub filename: String,
    /// What the file's bytes are (`image/png`, `application/pdf`, `text/plain; charset=utf-8`, ...),
    /// whatever its name says.
    pub content_type: String,
    pub size_bytes: u64,
    /// An image, shown in the thread; anything else is a download.
    pub inline: bool,
}

/// Query of `POST /api/v1/attachments`; the body is the file's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The file's name as the person knows it; folders and quotes are dropped.
    pub filename: String,
}

/// Query of `GET /api/v1/attachments/{id}/signed`: a file's link from a customer's mail, signed by
/// the server, no session needed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct SignedQuery {
    /// When the link stops working, in Unix seconds.
    pub expires: i64,
    /// The server's signature over the file and `expires`.
    pub signature: String,
}
