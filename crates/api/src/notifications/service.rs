//! Who is told what, and the list, count and read endpoints.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use ferrodesk_shared::NotificationId;
use ferrodesk_shared::events::ServerEvent;
use ferrodesk_shared::notifications::{NotificationKind, NotificationPage, NotificationQuery, UnreadCount};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::auth::{Principal, WorkspaceScope};
use crate::clock;
use crate::db::entities::notifications;
use crate::error::{ApiError, ApiResult};
use crate::realtime::EventDraft;
use crate::state::AppState;

use super::repo;

/// Notifications about to be written, and the events that push them live.
pub struct Notifying {
    pub rows: Vec<notifications::Model>,
    pub events: Vec<EventDraft>,
}

/// One notification per recipient, built without IO (the change writes them with its other effects).
pub fn prepare(
    scope: &WorkspaceScope,
    recipients: impl IntoIterator<Item = Uuid>,
    kind: NotificationKind,
    ticket: Option<Uuid>,
    title: &str,
    now: DateTime<Utc>,
) -> ApiResult<Notifying> {
    let rows: Vec<notifications::Model> = recipients
        .into_iter()
        .map(|recipient| notifications::Model {
            id: Uuid::now_v7(),
            workspace_id: scope.uuid(),
            user_id: recipient,
            kind: kind.into(),
            ticket_id: ticket,
            title: title.to_owned(),
            read_at: None,
            created_at: now,
        })
        .collect();
    let events = rows
        .iter()
        .map(|row| {
            let event = ServerEvent::NotificationCreated {
                id: 0,
                notification: repo::into_notification(row.clone()),
            };
            EventDraft::user(row.user_id, ticket, event)
        })
        .collect();
    Ok(Notifying { rows, events })
}

/// Writes prepared notifications in one statement.
pub async fn store(conn: &impl ConnectionTrait, rows: Vec<notifications::Model>) -> ApiResult<()> {
    repo::insert_all(conn, rows).await
}

fn encode_cursor(read: bool, at: DateTime<Utc>, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&(read, at, id)).unwrap_or_default())
}

fn decode_cursor(raw: &str) -> Option<(bool, DateTime<Utc>, Uuid)> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(raw).ok()?).ok()
}

pub async fn list(state: &AppState, principal: &Principal, query: NotificationQuery) -> ApiResult<NotificationPage> {
    let limit = match query.limit {
        None => 20,
        Some(limit @ 1..=100) => u64::from(limit),
        Some(_) => return Err(ApiError::invalid("limit", "must be between 1 and 100")),
    };
    let after = match query.cursor.as_deref() {
        Some(raw) => Some(
            decode_cursor(raw).ok_or_else(|| ApiError::invalid("cursor", "is not a cursor this server handed out"))?,
        ),
        None => None,
    };
    let me = principal.id().0;
    let mut rows = repo::page(&state.db, principal.scope(), me, after, limit + 1).await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last()
            .map(|last| encode_cursor(last.read_at.is_some(), last.created_at, last.id))
    } else {
        None
    };
    Ok(NotificationPage {
        items: rows.into_iter().map(repo::into_notification).collect(),
        next_cursor,
        unread_count: repo::unread_count(&state.db, principal.scope(), me).await?,
    })
}

pub async fn unread_count(state: &AppState, principal: &Principal) -> ApiResult<UnreadCount> {
    Ok(UnreadCount {
        unread_count: repo::unread_count(&state.db, principal.scope(), principal.id().0).await?,
    })
}

/// Marks one notification read; someone else's answers 404 like a missing one.
pub async fn read(state: &AppState, principal: &Principal, id: NotificationId) -> ApiResult<UnreadCount> {
    let me = principal.id().0;
    repo::find(&state.db, principal.scope(), me, id.0).await?;
    repo::mark_read(&state.db, principal.scope(), me, Some(id.0), clock::now()).await?;
    unread_count(state, principal).await
}

pub async fn read_all(state: &AppState, principal: &Principal) -> ApiResult<UnreadCount> {
    repo::mark_read(&state.db, principal.scope(), principal.id().0, None, clock::now()).await?;
    unread_count(state, principal).await
}
