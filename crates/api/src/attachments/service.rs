//! Upload a file (its type read from its bytes, its size and the uploader's hourly count checked,
//! the bytes stored before the row so a store that is down leaves nothing behind), and read one
//! back if you may see the message that carries it, or you uploaded it and it is not sent yet.

use actix_web::web::Bytes;
use ferrodesk_shared::attachments::Attachment;
use uuid::Uuid;

use crate::auth::Principal;
use crate::clock;
use crate::db::entities::attachments;
use crate::error::{ApiError, ApiResult};
use crate::limits::{self, Key, Limit};
use crate::state::AppState;
use crate::tickets::service as tickets;

use super::{domain, repo};

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
