//! `GET /api/v1/widget/{slug}/ws`: the visitor's live updates. The first message is
//! `{"type":"auth","token":"fdv_..."}` (no token in the URL). Then each ticket event of the
//! workspace's log that the hub hands this socket goes out as a `VisitorFrame`, built from the
//! requester's projection (never the staff payload), and only for the visitor's own conversations
//! (an anonymous visitor's: those it started). Before every frame, and every 30 s when quiet, the
//! visitor is checked again: switching the widget off, rotating the secret or requiring identity
//! ends the socket at once.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, rt, web};
use actix_ws::{CloseCode, CloseReason, Message, MessageStream, Session};
use ferrodesk_shared::events::ServerEvent;
use ferrodesk_shared::tickets::Ticket;
use ferrodesk_shared::widget::{ConversationSummary, VisitorCommand, VisitorFrame};
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::error::ApiError;
use crate::realtime::frames;
use crate::realtime::hub::{Delivery, Listener};
use crate::realtime::log::{self, Audience};
use crate::state::AppState;

use super::repo;
use super::visitor::{Visiting, check_origin, visiting};

const AUTH_TIMEOUT: Duration = Duration::from_secs(10);
const PING_EVERY: Duration = Duration::from_secs(15);
const SILENCE_LIMIT: Duration = Duration::from_secs(45);
const RECHECK_EVERY: Duration = Duration::from_secs(30);
/// A visitor only ever sends `auth`.
const MAX_FRAME: usize = 4 * 1024;
const RETRY_AFTER_SECONDS: u64 = 30;

/// Hub connection numbers for visitor sockets, apart from the staff sockets' (high bit set).
static CONNECTIONS: AtomicU64 = AtomicU64::new(1 << 62);

pub async fn connect(
    state: web::Data<AppState>,
    request: HttpRequest,
    slug: web::Path<String>,
    body: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    let super::Enabled { scope, settings, .. } = super::enabled(&state, &slug).await?.ok_or(ApiError::NotFound)?;
    check_origin(&request, &settings)?;
    let address_slot = match request.peer_addr() {
        Some(peer) => Some(
            state
                .realtime
                .limits()
                .admit_address(peer.ip())
                .ok_or(ApiError::RateLimited {
                    retry_after_seconds: RETRY_AFTER_SECONDS,
                    kind: "sockets_per_address",
                })?,
        ),
        None => None,
    };
    let body = frames::guarded(&request, body, MAX_FRAME).await?;
    let (response, session, stream) = actix_ws::handle(&request, body)?;
    // Made before the task, so it is uncounted however the task ends, even if it never runs.
    let connected = state.metrics.socket_connected(crate::metrics::SocketKind::Widget);
    let state = state.into_inner();
    rt::spawn(async move {
        let _address_slot = address_slot;
        let _connected = connected;
        let stream = stream.max_frame_size(MAX_FRAME);
        let hub = state.realtime.clone();
        let outcome = tokio::select! {
            outcome = serve(&state, scope, session.clone(), stream) => outcome,
            () = hub.stopping() => Err(close(CloseCode::Away, "going_away")),
        };
        if let Err(reason) = outcome {
            let _ = session.close(Some(reason)).await;
        }
    });
    Ok(response)
}

fn close(code: CloseCode, description: &str) -> CloseReason {
    CloseReason {
        code,
        description: Some(description.to_owned()),
    }
}

async fn send(session: &mut Session, frame: &VisitorFrame) -> Result<(), CloseReason> {
    let text = serde_json::to_string(frame).map_err(|_| close(CloseCode::Error, "encoding failed"))?;
    session.text(text).await.map_err(|_| close(CloseCode::Normal, "gone"))
}

/// The visitor again, as every call checks it: its token, its workspace's widget, the secret.
async fn still_visiting(state: &AppState, scope: &WorkspaceScope, token: &str) -> Result<Visiting, CloseReason> {
    let settings = repo::settings(&state.db, scope)
        .await
        .map_err(|_| close(CloseCode::Error, "try again"))?;
    if !settings.enabled {
        return Err(close(CloseCode::Policy, "not_found"));
    }
    let visitor = match visiting(state, scope, &settings, token).await {
        Ok(visitor) => visitor,
        Err(ApiError::Unauthenticated(_)) => return Err(close(CloseCode::Policy, "session_revoked")),
        Err(_) => return Err(close(CloseCode::Error, "try again")),
    };
    if settings.identity_required && !visitor.row.identified {
        return Err(close(CloseCode::Policy, "identity_required"));
    }
    Ok(visitor)
}

async fn first_token(stream: &mut MessageStream, session: &mut Session) -> Result<String, CloseReason> {
    let text = tokio::time::timeout(AUTH_TIMEOUT, async {
        loop {
            match stream.recv().await {
                Some(Ok(Message::Text(text))) => return Ok(text),
                Some(Ok(Message::Ping(bytes))) => {
                    let _ = session.pong(&bytes).await;
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return Err(close(CloseCode::Normal, "gone")),
                Some(Ok(_)) => {}
            }
        }
    })
    .await
    .map_err(|_| close(CloseCode::Policy, "authenticate first"))??;
    match serde_json::from_str::<VisitorCommand>(&text) {
        Ok(VisitorCommand::Auth { token }) => Ok(token),
        Err(_) => Err(close(CloseCode::Policy, "the first message must be auth")),
    }
}

async fn serve(
    state: &AppState,
    scope: WorkspaceScope,
    mut session: Session,
    mut stream: MessageStream,
) -> Result<(), CloseReason> {
    let token = first_token(&mut stream, &mut session).await?;
    let visitor = still_visiting(state, &scope, &token).await?;
    let Some(_user_slot) = state.realtime.limits().admit_user(visitor.user.id) else {
        return Err(close(CloseCode::Policy, "too_many_connections"));
    };
    let latest = log::latest(&state.db, &scope)
        .await
        .map_err(|_| close(CloseCode::Error, "try again"))?;
    let connection = CONNECTIONS.fetch_add(1, Ordering::Relaxed);
    let who = Listener {
        user: visitor.user.id,
        session: visitor.row.id,
        staff: false,
    };
    let mut events = state.realtime.join(scope.uuid(), connection, who, latest);
    let _joined = Joined {
        state,
        workspace: scope.uuid(),
        connection,
    };
    // Checked again after joining: a revocation in between found no socket to close.
    let mut visitor = still_visiting(state, &scope, &token).await?;
    let mut mine: HashSet<Uuid> = repo::conversations_of(&state.db, &scope, visitor.row.id, 500)
        .await
        .map_err(|_| close(CloseCode::Error, "try again"))?
        .into_iter()
        .collect();
    send(&mut session, &VisitorFrame::Ready).await?;

    let mut pings = tokio::time::interval(PING_EVERY);
    let mut rechecks = tokio::time::interval(RECHECK_EVERY);
    let mut heard = Instant::now();
    loop {
        tokio::select! {
            delivery = events.recv() => match delivery {
                None => return Err(close(CloseCode::Again, "too slow; reconnect")),
                Some(Delivery::Close(_)) => return Err(close(CloseCode::Policy, "session_revoked")),
                Some(Delivery::Event(event)) => {
                    let Audience::Ticket { requester } = event.audience else { continue };
                    if requester != visitor.user.id {
                        continue;
                    }
                    let Some(payload) = event.payload_for(visitor.user.id, false) else { continue };
                    let Some((ticket, frame)) = frame_of(payload) else { continue };
                    if !visitor.row.identified && !mine.contains(&ticket) {
                        // A conversation started after this socket opened is in the table by now.
                        let started = repo::started(&state.db, &scope, visitor.row.id, ticket)
                            .await
                            .map_err(|_| close(CloseCode::Error, "try again"))?;
                        if !started {
                            continue;
                        }
                        mine.insert(ticket);
                    }
                    visitor = still_visiting(state, &scope, &token).await?;
                    send(&mut session, &frame).await?;
                }
            },
            message = stream.recv() => {
                heard = Instant::now();
                match message {
                    Some(Ok(Message::Ping(bytes))) => {
                        session.pong(&bytes).await.map_err(|_| close(CloseCode::Normal, "gone"))?;
                    }
                    // The closing handshake, answered with the visitor's own code (as the agents' socket does).
                    Some(Ok(Message::Close(reason))) => {
                        return Err(reason.unwrap_or_else(|| close(CloseCode::Normal, "bye")));
                    }
                    None => return Ok(()),
                    Some(Err(_)) => return Err(close(CloseCode::Protocol, "protocol error")),
                    Some(Ok(_)) => {}
                }
            }
            _ = pings.tick() => {
                if heard.elapsed() > SILENCE_LIMIT {
                    return Err(close(CloseCode::Away, "no answer to pings"));
                }
                session.ping(b"").await.map_err(|_| close(CloseCode::Normal, "gone"))?;
            }
            _ = rechecks.tick() => {
                visitor = still_visiting(state, &scope, &token).await?;
            }
        }
    }
}

/// A requester-projection event as the visitor sees it, and its ticket.
fn frame_of(payload: &str) -> Option<(Uuid, VisitorFrame)> {
    match serde_json::from_str::<ServerEvent>(payload).ok()? {
        ServerEvent::MessageCreated { ticket, message, .. } => {
            // The projection leaves internal notes out already; this keeps it so if it ever did not.
            if message.internal {
                return None;
            }
            Some((
                ticket.id.0,
                VisitorFrame::Message {
                    conversation_id: ticket.id,
                    message: super::service::message_of(message),
                },
            ))
        }
        ServerEvent::TicketCreated { ticket, .. } | ServerEvent::TicketUpdated { ticket, .. } => Some((
            ticket.id.0,
            VisitorFrame::Conversation {
                conversation: summary(ticket),
            },
        )),
        ServerEvent::NotificationCreated { .. }
        | ServerEvent::Ready { .. }
        | ServerEvent::Resync { .. }
        | ServerEvent::Pong
        | ServerEvent::Error { .. } => None,
    }
}

fn summary(ticket: Ticket) -> ConversationSummary {
    super::service::summary_of(ticket)
}

struct Joined<'a> {
    state: &'a AppState,
    workspace: Uuid,
    connection: u64,
}

impl Drop for Joined<'_> {
    fn drop(&mut self) {
        self.state.realtime.leave(self.workspace, self.connection);
    }
}
