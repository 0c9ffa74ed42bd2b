//! HTTP for `/attachments`: the file's bytes in, its description out; and the bytes back with
//! headers that keep a browser from treating them as anything else (the sniffed type, `nosniff`,
//! a sandbox, and a download unless it is an image).

use actix_web::http::header;
use actix_web::web::{self, Bytes, Path, Query};
use actix_web::{HttpRequest, HttpResponse, http::StatusCode};
use ferrodesk_shared::attachments::{Attachment, SignedQuery, UploadQuery};
use ferrodesk_shared::{AttachmentId, ErrorBody};

use crate::auth::Member;
use crate::auth::scopes::{TicketsRead, TicketsWrite};
use crate::error::ApiResult;
use crate::state::AppState;

use super::service;

/// Upload a file (the raw bytes as the body, any `Content-Type`), then send its `id` in a message's
/// `attachment_ids`. Until then only you can read it.
///
/// API keys: needs `tickets:write`.
#[utoipa::path(post, path = "/api/v1/attachments", tag = "attachments", operation_id = "uploadAttachment",
    params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes"),
    responses((status = 201, body = Attachment), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody, description = "Larger than the limit (10 MiB unless configured)"),
        (status = 415, body = ErrorBody, description = "Not an image, PDF, zip archive or plain text, by its bytes"),
        (status = 429, body = ErrorBody, description = "Too many uploads this hour; see Retry-After"),
        (status = 503, body = ErrorBody, description = "The file store cannot be reached")),
    security(("session" = []), ("api_key" = ["tickets:write"])))]
pub async fn upload(
    state: web::Data<AppState>,
    member: Member<TicketsWrite>,
    query: Query<UploadQuery>,
    body: Bytes,
) -> ApiResult<HttpResponse> {
    let attachment = service::upload(&state, &member, &query.filename, body).await?;
    Ok(HttpResponse::Created().json(attachment))
}

/// A file's bytes, for those who may see the message that carries it (and its uploader before it
/// is sent).
///
/// API keys: needs `tickets:read`.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "attachments", operation_id = "getAttachment",
    params(("id" = AttachmentId, Path, description = "The attachment")),
    responses((status = 200, description = "The file, with its type and a Content-Disposition",
            content_type = "application/octet-stream", body = Vec<u8>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "The file store cannot be reached")),
    security(("session" = []), ("api_key" = ["tickets:read"])))]
pub async fn download(
    state: web::Data<AppState>,
    member: Member<TicketsRead>,
    id: Path<AttachmentId>,
) -> ApiResult<HttpResponse> {
    let (attachment, bytes) = service::download(&state, &member, id.into_inner().0).await?;
    Ok(file_response(&attachment, bytes))
}

/// A file from a customer's mail: the link the mail carries for it, signed by this server, works
/// without signing in for 30 days, for a file of a public message only.
#[utoipa::path(get, path = "/api/v1/attachments/{id}/signed", tag = "attachments", operation_id = "getSignedAttachment",
    params(("id" = AttachmentId, Path, description = "The attachment"), SignedQuery),
    responses((status = 200, description = "The file, with its type and a Content-Disposition",
            content_type = "application/octet-stream", body = Vec<u8>),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody, description = "Not a link this server signed, or the file is gone"),
        (status = 410, body = ErrorBody, description = "`link_expired`: the link is older than 30 days"),
        (status = 429, body = ErrorBody), (status = 503, body = ErrorBody, description = "The file store cannot be reached")),
    security(()))]
pub async fn download_signed(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: Path<AttachmentId>,
    query: Query<SignedQuery>,
) -> ApiResult<HttpResponse> {
    let client = crate::auth::rate_limit::client_ip(request.peer_addr());
    let (attachment, bytes) =
        service::download_signed(&state, client, id.into_inner().0, query.expires, &query.signature).await?;
    Ok(file_response(&attachment, bytes))
}

/// The bytes with headers that keep a browser from treating them as anything but what they are:
/// the sniffed type, `nosniff`, a sandbox, and a download unless it is an image.
pub fn file_response(attachment: &Attachment, bytes: Bytes) -> HttpResponse {
    HttpResponse::build(StatusCode::OK)
        .insert_header((header::CONTENT_TYPE, attachment.content_type.clone()))
        .insert_header((header::CONTENT_DISPOSITION, disposition(attachment)))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, "sandbox; default-src 'none'"))
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .body(bytes)
}

/// `inline` for images, `attachment` otherwise; the name as ASCII and, exactly, as RFC 5987 UTF-8.
fn disposition(attachment: &Attachment) -> String {
    let ascii: String = attachment
        .filename
        .chars()
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '_' })
        .filter(|c| !matches!(c, '"' | '\\' | ';'))
        .collect();
    let encoded: String = attachment
        .filename
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => (byte as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect();
    let how = if attachment.inline { "inline" } else { "attachment" };
    format!("{how}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_survive_the_header_in_both_forms() {
        let file = |filename: &str, inline| Attachment {
            id: AttachmentId(uuid::Uuid::nil()),
            filename: filename.to_owned(),
            content_type: "application/pdf".to_owned(),
            size_bytes: 1,
            inline,
        };
        assert_eq!(
            disposition(&file("Facture été.pdf", false)),
            "attachment; filename=\"Facture _t_.pdf\"; filename*=UTF-8''Facture%20%C3%A9t%C3%A9.pdf"
        );
        assert_eq!(
            disposition(&file("a;b.png", true)),
            "inline; filename=\"ab.png\"; filename*=UTF-8''a%3Bb.png"
        );
    }
}
