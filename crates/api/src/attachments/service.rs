//! Upload a file (its type read from its bytes, its size and the uploader's hourly count checked,
//! the bytes stored before the row so a store that is down leaves nothing behind), and read one
//! back if you may see the message that carries it, or you uploaded it and it is not sent yet.

use actix_web::web::Bytes;
use ferrodesk_shared::attachments::Attachment;
use uuid::Uuid;

use crate::auth::{Principal, WorkspaceScope};
use crate::clock;
use crate::db::entities::attachments;
use crate::error::{ApiError, ApiResult};
use crate::limits::{self, Key, Limit};
use crate::state::AppState;
use crate::tickets::service as tickets;

use super::{domain, links, repo};

/// Opens of mailed file links per address and hour: a person opens a handful; the signature makes
/// guessing hopeless anyway, this keeps the store from being hammered through one link.
const SIGNED_OPENS_PER_HOUR: u32 = 300;

const REFUSED_TYPE: &str = "This file type is not accepted. Attach images (PNG, JPEG, GIF, WebP), PDF, zip \
                            archives or plain text; the type is read from the file itself, not its name.";

pub async fn upload(state: &AppState, principal: &Principal, filename: &str, bytes: Bytes) -> ApiResult<Attachment> {
    let now = clock::now();
    if bytes.len() > state.settings.attachments.max_bytes {
        return Err(ApiError::PayloadTooLarge);
    }
    let kind = domain::sniff(&bytes).ok_or(ApiError::UnsupportedFile(REFUSED_TYPE))?;
    let key = Key::new("uploads", &[&principal.id().to_string()]);
    limits::take(
        &state.db,
        &key,
        Limit::per_hour(state.settings.attachments.uploads_per_hour),
        now,
    )
    .await?;
    let id = Uuid::now_v7();
    let size = bytes.len() as i64;
    state.blobs.put(principal.scope().uuid(), id, bytes).await?;
    let row = repo::insert(
        &state.db,
        attachments::Model {
            id,
            workspace_id: principal.scope().uuid(),
            uploaded_by: principal.id().0,
            ticket_id: None,
            message_id: None,
            filename: domain::clean_name(filename, "file"),
            content_type: kind.content_type.to_owned(),
            size_bytes: size,
            created_at: now,
        },
    )
    .await?;
    Ok(repo::view(&row))
}

/// The file and its bytes, for a person allowed to read it; 404 for anyone else, as if it did not
/// exist.
pub async fn download(state: &AppState, principal: &Principal, id: Uuid) -> ApiResult<(Attachment, Bytes)> {
    let row = repo::find(&state.db, principal.scope(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    match (row.ticket_id, row.message_id) {
        (Some(ticket), Some(message)) => tickets::may_read_message(&state.db, principal, ticket, message).await?,
        _ if row.uploaded_by == principal.id().0 => {}
        _ => return Err(ApiError::NotFound),
    }
    let bytes = state.blobs.get(row.workspace_id, row.id).await?;
    Ok((repo::view(&row), bytes))
}

/// A file through its mailed link (`links`): no session, the signature is the key. A forged link
/// or a file no public message carries (any more) is 404; an expired link 410.
pub async fn download_signed(
    state: &AppState,
    client: Option<std::net::IpAddr>,
    id: Uuid,
    expires: i64,
    signature: &str,
) -> ApiResult<(Attachment, Bytes)> {
    let now = clock::now();
    if let Some(address) = client {
        let key = Key::new("file_link_address", &[&address.to_string()]);
        limits::take(&state.db, &key, Limit::per_hour(SIGNED_OPENS_PER_HOUR), now).await?;
    }
    match links::verify(&state.settings.auth.jwt_secret, id, expires, signature, now) {
        Ok(()) => {}
        Err(links::Refusal::Forged) => return Err(ApiError::NotFound),
        Err(links::Refusal::Expired) => {
            return Err(ApiError::LinkExpired(
                "This file link has expired: open your request from a newer email, or sign in, to download it.",
            ));
        }
    }
    let row = repo::find_any(&state.db, id).await?.ok_or(ApiError::NotFound)?;
    let scope = WorkspaceScope::for_signed_link(ferrodesk_shared::WorkspaceId(row.workspace_id));
    let (Some(ticket), Some(message)) = (row.ticket_id, row.message_id) else {
        return Err(ApiError::NotFound);
    };
    // Only what the customer was mailed: a public message's file, still on its ticket.
    if !crate::tickets::repo::has_message(&state.db, &scope, ticket, message, false).await? {
        return Err(ApiError::NotFound);
    }
    let bytes = state.blobs.get(row.workspace_id, row.id).await?;
    Ok((repo::view(&row), bytes))
}
