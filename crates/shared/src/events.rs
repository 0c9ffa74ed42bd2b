//! The WebSocket vocabulary, and the only one: what the server pushes and what a client may say.
//! Every pushed event carries its workspace's increasing `id`; a client that reconnects sends the
//! last id it saw and receives everything after it, or `resync` when that is too far back.

use serde::{Deserialize, Serialize};

use crate::notifications::Notification;
use crate::tickets::{Message, Ticket};

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type")]
pub enum ServerEvent {
    /// The connection is authenticated; `last_event_id` is the newest event of the workspace.
    #[serde(rename = "ready")]
    Ready { last_event_id: i64 },
    #[serde(rename = "ticket.created")]
    TicketCreated { id: i64, ticket: Ticket },
    #[serde(rename = "ticket.updated")]
    TicketUpdated { id: i64, ticket: Ticket },
    #[serde(rename = "message.created")]
    MessageCreated { id: i64, ticket: Ticket, message: Message },
    #[serde(rename = "notification.created")]
    NotificationCreated { id: i64, notification: Notification },
    /// The events since the client's last id are gone: reload what is on screen.
    #[serde(rename = "resync")]
    Resync { last_event_id: i64 },
    #[serde(rename = "pong")]
    Pong,
    /// The connection is refused or ended; `code` is an `ErrorCode` name.
    #[serde(rename = "error")]
    Error { code: String, message: String },
}

impl ServerEvent {
    /// The event's id, for those that are events of the workspace.
    pub fn event_id(&self) -> Option<i64> {
        match self {
            ServerEvent::TicketCreated { id, .. }
            | ServerEvent::TicketUpdated { id, .. }
            | ServerEvent::MessageCreated { id, .. }
            | ServerEvent::NotificationCreated { id, .. } => Some(*id),
            ServerEvent::Ready { .. } | ServerEvent::Resync { .. } | ServerEvent::Pong | ServerEvent::Error { .. } => {
                None
            }
        }
    }
}

/// What a client sends. The first message must be `auth`: tokens never travel in the URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientEvent {
    Auth {
        access_token: String,
        /// The last event id this client saw; events after it are replayed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_event_id: Option<i64>,
    },
    Ping,
}

/// Why the server closed a socket: the reason text of its close frame, so a client knows whether
/// to refresh its token, sign out, or simply reconnect later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// The session was signed out or revoked (close code 1008): sign in again.
    SessionRevoked,
    /// The user's role changed (1008): refresh the token and reconnect to get the new role's events.
    RoleChanged,
    /// The access token expired and no new one came over the socket (1008): refresh and reconnect.
    TokenExpired,
    /// Too many sockets for this user (1008): close a tab, or retry later.
    TooManyConnections,
    /// The server is stopping (1001): reconnect with the last event id.
    GoingAway,
}

impl CloseReason {
    pub const ALL: [CloseReason; 5] = [
        CloseReason::SessionRevoked,
        CloseReason::RoleChanged,
        CloseReason::TokenExpired,
        CloseReason::TooManyConnections,
        CloseReason::GoingAway,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::SessionRevoked => "session_revoked",
            CloseReason::RoleChanged => "role_changed",
            CloseReason::TokenExpired => "token_expired",
            CloseReason::TooManyConnections => "too_many_connections",
            CloseReason::GoingAway => "going_away",
        }
    }

    /// The reason of a close frame, when it is one of ours.
    pub fn parse(text: &str) -> Option<CloseReason> {
        CloseReason::ALL.into_iter().find(|reason| reason.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_round_trip_and_match_their_json() {
        for reason in CloseReason::ALL {
            assert_eq!(CloseReason::parse(reason.as_str()), Some(reason));
            assert_eq!(
                serde_json::to_string(&reason).unwrap(),
                format!("\"{}\"", reason.as_str())
            );
        }
        assert_eq!(CloseReason::parse("gone"), None);
    }
}
