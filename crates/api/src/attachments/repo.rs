//! The attachment rows, always read within one workspace.

use std::collections::HashMap;

use ferrodesk_shared::AttachmentId;
use ferrodesk_shared::attachments::Attachment;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::db::entities::attachments;
use crate::error::ApiResult;

pub async fn insert(conn: &impl ConnectionTrait, row: attachments::Model) -> ApiResult<attachments::Model> {
    Ok(attachments::ActiveModel::from(row).insert(conn).await?)
}

pub async fn find(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    id: Uuid,
) -> ApiResult<Option<attachments::Model>> {
    Ok(attachments::Entity::find_by_id(id)
        .filter(attachments::Column::WorkspaceId.eq(scope.uuid()))
        .one(conn)
        .await?)
}

/// A file by id alone, for a signed link (`links`), whose signature already names this one file;
/// the row's workspace scopes everything read after it.
pub async fn find_any(conn: &impl ConnectionTrait, id: Uuid) -> ApiResult<Option<attachments::Model>> {
    Ok(attachments::Entity::find_by_id(id).one(conn).await?)
}

/// Ties `ids` to a message; false unless every one is `uploader`'s and not yet sent. Run in the
/// message's transaction, so a refused message ties nothing.
pub async fn attach(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    uploader: Uuid,
    ids: &[Uuid],
    ticket_id: Uuid,
    message_id: Uuid,
) -> ApiResult<bool> {
    // One UPDATE: when it ties fewer than all, the caller refuses the message and its transaction
    // (the batch's) is rolled back with the rows it did tie.
    let tied = attachments::Entity::update_many()
        .col_expr(attachments::Column::TicketId, Expr::value(ticket_id))
        .col_expr(attachments::Column::MessageId, Expr::value(message_id))
        .filter(attachments::Column::WorkspaceId.eq(scope.uuid()))
        .filter(attachments::Column::UploadedBy.eq(uploader))
        .filter(attachments::Column::MessageId.is_null())
        .filter(attachments::Column::Id.is_in(ids.iter().copied()))
        .exec(conn)
        .await?;
    Ok(tied.rows_affected == ids.len() as u64)
}

/// Whether every one of `ids` is `uploader`'s and not sent yet.
pub async fn unsent(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    uploader: Uuid,
    ids: &[Uuid],
) -> ApiResult<bool> {
    use sea_orm::PaginatorTrait;
    let found = attachments::Entity::find()
        .filter(attachments::Column::WorkspaceId.eq(scope.uuid()))
        .filter(attachments::Column::UploadedBy.eq(uploader))
        .filter(attachments::Column::MessageId.is_null())
        .filter(attachments::Column::Id.is_in(ids.iter().copied()))
        .count(conn)
        .await?;
    Ok(found == ids.len() as u64)
}

/// Uploads never sent, older than `before`, oldest first, across workspaces (the sweep's; each
/// row is then deleted in its own workspace's name, its own id).
pub async fn unsent_before(
    conn: &impl ConnectionTrait,
    before: chrono::DateTime<chrono::Utc>,
    limit: u64,
) -> ApiResult<Vec<attachments::Model>> {
    use sea_orm::QuerySelect;
    Ok(attachments::Entity::find()
        .filter(attachments::Column::MessageId.is_null())
        .filter(attachments::Column::CreatedAt.lt(before))
        .order_by_asc(attachments::Column::CreatedAt)
        .limit(limit)
        .all(conn)
        .await?)
}

/// Deletes an upload if it is still unsent; whether it did.
pub async fn delete_unsent(conn: &impl ConnectionTrait, id: Uuid) -> ApiResult<bool> {
    let deleted = attachments::Entity::delete_many()
        .filter(attachments::Column::Id.eq(id))
        .filter(attachments::Column::MessageId.is_null())
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected == 1)
}

/// Moves a ticket's files with its messages (a merge), so they stay readable where they went.
pub async fn move_ticket(conn: &impl ConnectionTrait, scope: &WorkspaceScope, from: Uuid, to: Uuid) -> ApiResult<()> {
    attachments::Entity::update_many()
        .col_expr(attachments::Column::TicketId, Expr::value(to))
        .filter(attachments::Column::WorkspaceId.eq(scope.uuid()))
        .filter(attachments::Column::TicketId.eq(from))
        .exec(conn)
        .await?;
    Ok(())
}

/// The files of a ticket's messages, per message, in upload order.
pub async fn of_ticket(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    ticket_id: Uuid,
) -> ApiResult<HashMap<Uuid, Vec<Attachment>>> {
    let rows = attachments::Entity::find()
        .filter(attachments::Column::WorkspaceId.eq(scope.uuid()))
        .filter(attachments::Column::TicketId.eq(ticket_id))
        .order_by_asc(attachments::Column::Id)
        .all(conn)
        .await?;
    let mut by_message: HashMap<Uuid, Vec<Attachment>> = HashMap::new();
    for row in rows {
        if let Some(message) = row.message_id {
            by_message.entry(message).or_default().push(view(&row));
        }
    }
    Ok(by_message)
}

/// The given files, in the order given (for a message just sent).
pub async fn by_ids(conn: &impl ConnectionTrait, scope: &WorkspaceScope, ids: &[Uuid]) -> ApiResult<Vec<Attachment>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: HashMap<Uuid, attachments::Model> = attachments::Entity::find()
        .filter(attachments::Column::WorkspaceId.eq(scope.uuid()))
        .filter(attachments::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    Ok(ids.iter().filter_map(|id| rows.get(id)).map(view).collect())
}

pub fn view(row: &attachments::Model) -> Attachment {
    Attachment {
        id: AttachmentId(row.id),
        filename: row.filename.clone(),
        content_type: row.content_type.clone(),
        size_bytes: row.size_bytes.max(0) as u64,
        inline: super::domain::shown_inline(&row.content_type),
    }
}
