//! The event log: events are written in the transaction of the change that causes them, numbered
//! per workspace, so a client that reconnects can ask for everything after the last id it saw.

use bytestring::ByteString;
use chrono::{DateTime, Utc};
use ferrodesk_shared::events::ServerEvent;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};
use uuid::Uuid;

use crate::auth::{Principal, WorkspaceScope};
use crate::db::entities::events;
use crate::error::{ApiError, ApiResult};
use crate::workspaces::repo as workspaces_repo;

/// Who may receive an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Agents, supervisors and owners of the workspace.
    Staff,
    /// Staff, and the ticket's requester: public ticket events.
    Ticket { requester: Uuid },
    /// One person: their notifications.
    User(Uuid),
}

impl Audience {
    fn columns(&self) -> (&'static str, Option<Uuid>) {
        match self {
            Audience::Staff => ("staff", None),
            Audience::Ticket { requester } => ("ticket", Some(*requester)),
            Audience::User(user) => ("user", Some(*user)),
        }
    }

    fn from_columns(audience: &str, user: Option<Uuid>) -> Option<Audience> {
        match (audience, user) {
            ("staff", _) => Some(Audience::Staff),
            ("ticket", Some(requester)) => Some(Audience::Ticket { requester }),
            ("user", Some(user)) => Some(Audience::User(user)),
            _ => None,
        }
    }

    /// Authorisation at send time: decided for each event and each connection.
    pub fn admits(&self, user: Uuid, staff: bool) -> bool {
        match self {
            Audience::Staff => staff,
            Audience::Ticket { requester } => staff || *requester == user,
            Audience::User(target) => *target == user,
        }
    }
}

/// An event before it has its number.
pub struct EventDraft {
    audience: Audience,
    ticket_id: Option<Uuid>,
    /// The event, with `id` 0; `record` fills in the number.
    event: ServerEvent,
    /// What the ticket's requester receives instead (their projection); `Audience::Ticket` only.
    requester_event: Option<ServerEvent>,
}

impl EventDraft {
    /// For the workspace's staff only (internal notes).
    pub fn staff(ticket_id: Option<Uuid>, event: ServerEvent) -> EventDraft {
        EventDraft {
            audience: Audience::Staff,
            ticket_id,
            event,
            requester_event: None,
        }
    }

    /// For one person (their notifications).
    pub fn user(user: Uuid, ticket_id: Option<Uuid>, event: ServerEvent) -> EventDraft {
        EventDraft {
            audience: Audience::User(user),
            ticket_id,
            event,
            requester_event: None,
        }
    }

    /// A public ticket event: `for_staff` goes to the team, `for_requester` (the requester's
    /// projection of the same change) to the ticket's requester. There is no way to send the
    /// staff payload to a requester.
    pub fn ticket(requester: Uuid, ticket_id: Uuid, for_staff: ServerEvent, for_requester: ServerEvent) -> EventDraft {
        EventDraft {
            audience: Audience::Ticket { requester },
            ticket_id: Some(ticket_id),
            event: for_staff,
            requester_event: Some(for_requester),
        }
    }
}

/// An event as stored: what the hub and the sockets pass around.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub seq: i64,
    pub audience: Audience,
    /// The `ServerEvent` JSON for staff (or the one person of `Audience::User`), sent as is. Shared,
    /// not copied, by every socket it goes to (10,000 copies of each event at 10,000 sockets).
    pub json: ByteString,
    /// The requester's projection of a ticket event. Events logged before projections were stored
    /// have none, and are then not sent to the requester at all.
    pub requester_json: Option<ByteString>,
}

impl StoredEvent {
    /// The payload this user receives, if any: authorisation and projection in one place,
    /// decided for each event and each connection at send time.
    pub fn payload_for(&self, user: Uuid, staff: bool) -> Option<&ByteString> {
        if !self.audience.admits(user, staff) {
            return None;
        }
        match self.audience {
            Audience::Ticket { .. } if !staff => self.requester_json.as_ref(),
            Audience::Ticket { .. } | Audience::Staff | Audience::User(_) => Some(&self.json),
        }
    }

    pub fn payload_for_principal(&self, principal: &Principal) -> Option<&ByteString> {
        // The one ticket-visibility rule. The log does not know who wrote a ticket (`None`), so a
        // customer who has not proven the address, and may see only what they wrote, hears no
        // ticket events at all: REST still shows them their own requests.
        if let Audience::Ticket { requester } = self.audience
            && !principal.may_see_ticket(requester, None)
        {
            return None;
        }
        self.payload_for(principal.id().0, principal.is_staff())
    }
}

fn encode(event: ServerEvent, seq: i64) -> ApiResult<String> {
    serde_json::to_string(&with_id(event, seq))
        .map_err(|error| ApiError::Internal(anyhow::Error::new(error).context("encoding an event")))
}

fn with_id(event: ServerEvent, seq: i64) -> ServerEvent {
    match event {
        ServerEvent::TicketCreated { ticket, .. } => ServerEvent::TicketCreated { id: seq, ticket },
        ServerEvent::TicketUpdated { ticket, .. } => ServerEvent::TicketUpdated { id: seq, ticket },
        ServerEvent::MessageCreated { ticket, message, .. } => ServerEvent::MessageCreated {
            id: seq,
            ticket,
            message,
        },
        ServerEvent::NotificationCreated { notification, .. } => {
            ServerEvent::NotificationCreated { id: seq, notification }
        }
        other @ (ServerEvent::Ready { .. }
        | ServerEvent::Resync { .. }
        | ServerEvent::Pong
        | ServerEvent::Error { .. }) => other,
    }
}

fn kind_of(event: &ServerEvent) -> &'static str {
    match event {
        ServerEvent::TicketCreated { .. } => "ticket.created",
        ServerEvent::TicketUpdated { .. } => "ticket.updated",
        ServerEvent::MessageCreated { .. } => "message.created",
        ServerEvent::NotificationCreated { .. } => "notification.created",
        ServerEvent::Ready { .. } => "ready",
        ServerEvent::Resync { .. } => "resync",
        ServerEvent::Pong => "pong",
        ServerEvent::Error { .. } => "error",
    }
}

/// Writes the events in the caller's transaction. With PostgreSQL it also queues a `pg_notify`,
/// which is delivered to every instance's listener when (and only if) the transaction commits.
pub async fn record(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    drafts: Vec<EventDraft>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    if drafts.is_empty() {
        return Ok(());
    }
    notify_on_commit(conn, scope).await?;
    let first = workspaces_repo::next_event_seqs(conn, scope, drafts.len() as i64).await?;
    record_numbered(conn, scope, drafts, first, now).await
}

/// Queues, in the caller's transaction, the PostgreSQL notification that wakes every instance's hub
/// for this workspace; delivered when (and only if) the transaction commits, whenever in the
/// transaction it was queued, so callers queue it before taking the workspace's lock.
pub async fn notify_on_commit(conn: &impl ConnectionTrait, scope: &WorkspaceScope) -> ApiResult<()> {
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [super::listener::CHANNEL.into(), scope.uuid().to_string().into()],
        ))
        .await?;
    }
    Ok(())
}

/// `record` with numbers already reserved (`workspaces::repo::allocate`, `drafts.len()` of them
/// from `first`): one INSERT for all of them. The caller queues `notify_on_commit` itself.
pub async fn record_numbered(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    drafts: Vec<EventDraft>,
    first: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    if drafts.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(drafts.len());
    let mut webhook_kinds = false;
    for (offset, draft) in drafts.into_iter().enumerate() {
        let seq = first + offset as i64;
        let kind = kind_of(&draft.event);
        webhook_kinds |= matches!(kind, "ticket.created" | "ticket.updated" | "message.created");
        let payload = encode(draft.event, seq)?;
        let requester_payload = draft.requester_event.map(|event| encode(event, seq)).transpose()?;
        let (audience, user_id) = draft.audience.columns();
        rows.push(events::ActiveModel {
            workspace_id: Set(scope.uuid()),
            seq: Set(seq),
            kind: Set(kind.to_owned()),
            ticket_id: Set(draft.ticket_id),
            audience: Set(audience.to_owned()),
            user_id: Set(user_id),
            payload: Set(payload),
            requester_payload: Set(requester_payload),
            created_at: Set(now),
        });
    }
    let last = first + rows.len() as i64 - 1;
    for chunk in rows.chunks(crate::db::INSERT_CHUNK) {
        events::Entity::insert_many(chunk.iter().cloned())
            .exec_without_returning(conn)
            .await?;
    }
    // Every change's events pass here: their webhook deliveries are written with them, in one
    // statement whatever the number of endpoints (none when no event can be subscribed to).
    if webhook_kinds {
        crate::webhooks::repo::enqueue(conn, scope.uuid(), first, last, now).await?;
    }
    Ok(())
}

/// The workspace's events after `after`, oldest first, at most `limit`.
pub async fn after(
    conn: &impl ConnectionTrait,
    workspace: Uuid,
    after: i64,
    limit: u64,
) -> ApiResult<Vec<StoredEvent>> {
    let rows = events::Entity::find()
        .filter(events::Column::WorkspaceId.eq(workspace))
        .filter(events::Column::Seq.gt(after))
        .order_by_asc(events::Column::Seq)
        .limit(limit)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            Some(StoredEvent {
                seq: row.seq,
                audience: Audience::from_columns(&row.audience, row.user_id)?,
                json: row.payload.into(),
                requester_json: row.requester_payload.map(ByteString::from),
            })
        })
        .collect())
}

/// The newest event number of a workspace (0 before the first).
pub async fn latest(conn: &impl ConnectionTrait, scope: &WorkspaceScope) -> ApiResult<i64> {
    Ok(workspaces_repo::get(conn, scope).await?.event_seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences() {
        let (customer, other) = (Uuid::now_v7(), Uuid::now_v7());
        assert!(Audience::Staff.admits(other, true));
        assert!(
            !Audience::Staff.admits(customer, false),
            "internal events never reach customers"
        );
        assert!(Audience::Ticket { requester: customer }.admits(customer, false));
        assert!(!Audience::Ticket { requester: customer }.admits(other, false));
        assert!(Audience::Ticket { requester: customer }.admits(other, true));
        assert!(
            !Audience::User(customer).admits(other, true),
            "a notification is for one person"
        );
        for audience in [
            Audience::Staff,
            Audience::Ticket { requester: customer },
            Audience::User(other),
        ] {
            let (name, user) = audience.columns();
            assert_eq!(Audience::from_columns(name, user), Some(audience));
        }
    }

    #[test]
    fn requesters_get_their_projection_or_nothing() {
        let (customer, other) = (Uuid::now_v7(), Uuid::now_v7());
        let event = |requester_json: Option<&str>| StoredEvent {
            seq: 1,
            audience: Audience::Ticket { requester: customer },
            json: "staff".into(),
            requester_json: requester_json.map(ByteString::from),
        };
        let projected = event(Some("requester"));
        assert_eq!(
            projected.payload_for(other, true).map(|payload| &**payload),
            Some("staff")
        );
        assert_eq!(
            projected.payload_for(customer, false).map(|payload| &**payload),
            Some("requester")
        );
        assert_eq!(projected.payload_for(other, false).map(|payload| &**payload), None);
        assert_eq!(
            event(None).payload_for(customer, false).map(|payload| &**payload),
            None,
            "an old event without a projection is not sent to the requester"
        );
        let note = StoredEvent {
            audience: Audience::Staff,
            ..event(None)
        };
        assert_eq!(note.payload_for(customer, false).map(|payload| &**payload), None);
    }
}
