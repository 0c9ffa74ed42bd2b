//! `GET /api/v1/ws`: one WebSocket per tab. The first message authenticates (`{"type":"auth",
//! "access_token":..., "last_event_id":...}`), so no token ever sits in a URL or a log line. Then
//! the server replays what the client missed and pushes new events, each checked against the
//! user at send time. Pings every 15 s; a connection silent for 45 s is closed. A socket lives no
//! longer than its access token (plus the leeway) unless the client sends a fresh `auth` for the
//! same session; a revocation or the server's stop closes it at once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::error::PayloadError;
use actix_web::{HttpRequest, HttpResponse, rt, web};
use actix_ws::{CloseCode, CloseReason, Message, MessageStream, ProtocolError, Session};
use ferrodesk_shared::events::{ClientEvent, CloseReason as Reason, ServerEvent};
use uuid::Uuid;

use crate::auth::Principal;
use crate::auth::principal::{authenticate, recheck};
use crate::clock;
use crate::error::ApiError;
use crate::state::AppState;

use super::hub::{Delivery, EventReceiver, Hub, Listener};
use super::{frames, log};

const AUTH_TIMEOUT: Duration = Duration::from_secs(10);
const PING_EVERY: Duration = Duration::from_secs(15);
const SILENCE_LIMIT: Duration = Duration::from_secs(45);
/// How often the connection checks that its session and role still hold. Revocations close
/// sockets at once; this is the safety net for one that was lost (an instance down at the time).
const RECHECK_EVERY: Duration = Duration::from_secs(60);
/// A client further behind than this gets `resync` instead of a replay.
const MAX_REPLAY: i64 = 1000;
/// Clients only send `auth` and `ping`; anything longer is refused at its frame header.
const MAX_FRAME: usize = 64 * 1024;
/// What a client over the per-address cap is told to wait.
const RETRY_AFTER_SECONDS: u64 = 30;
/// Events queued for the connection before this task lets it write them. actix-ws joins every
/// queued message into one chunk, and the connection keeps the buffers of its largest chunk for
/// its whole life (8 KiB each to begin with): a backlog drained at once grew each of 10,000 sockets
/// by about 25 KiB, 250 MiB in all. Yielding after every event kept them small but wrote one frame
/// per system call, which took the server from 9 to 16 CPU seconds for the same events.
const CHUNK: usize = 4 * 1024;

static CONNECTIONS: AtomicU64 = AtomicU64::new(1);

pub async fn connect(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    // Counted from the upgrade, authenticated or not, so unauthenticated sockets are capped too.
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
    let hang_up = frames::HangUp::default();
    let response = hang_up.wrap(response);
    // Made before the task, so it is uncounted however the task ends, even if it never runs.
    let connected = state.metrics.socket_connected(crate::metrics::SocketKind::Agent);
    let state = state.into_inner();
    rt::spawn(async move {
        let _address_slot = address_slot;
        let _connected = connected;
        let stream = stream.max_frame_size(MAX_FRAME);
        let hub = state.realtime.clone();
        let outcome = tokio::select! {
            outcome = serve(&state, session.clone(), stream) => outcome,
            () = hub.stopping() => Err(close(CloseCode::Away, Reason::GoingAway.as_str())),
        };
        if let Err(reason) = outcome {
            if matches!(reason.code, CloseCode::Size | CloseCode::Protocol) {
                hang_up.now();
            }
            let _ = session.close(Some(reason)).await;
        }
    });
    Ok(response)
}

async fn send(session: &mut Session, event: &ServerEvent) -> Result<(), CloseReason> {
    let text = serde_json::to_string(event).map_err(|_| close(CloseCode::Error, "encoding failed"))?;
    session.text(text).await.map_err(|_| close(CloseCode::Normal, "gone"))
}

fn close(code: CloseCode, description: &str) -> CloseReason {
    CloseReason {
        code,
        description: Some(description.to_owned()),
    }
}

/// A policy close with one of the reasons a client acts on.
fn ended(reason: Reason) -> CloseReason {
    close(CloseCode::Policy, reason.as_str())
}

/// How a broken stream from the client ends the socket.
fn broken(error: &ProtocolError) -> CloseReason {
    let oversized = match error {
        ProtocolError::Overflow => true,
        // The frame guard's refusal, passed through the codec as an I/O error.
        ProtocolError::Io(io) => io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<PayloadError>())
            .is_some_and(|inner| matches!(inner, PayloadError::Overflow)),
        _ => false,
    };
    if oversized {
        close(CloseCode::Size, "frame too large")
    } else {
        close(CloseCode::Protocol, "protocol error")
    }
}

async fn refuse(session: &mut Session, error: &ApiError) -> CloseReason {
    let _ = send(
        session,
        &ServerEvent::Error {
            code: error.code().as_str().to_owned(),
            message: error.to_string(),
        },
    )
    .await;
    close(CloseCode::Policy, error.code().as_str())
}

/// A verified principal and when its token stops counting.
struct Authenticated {
    principal: Principal,
    /// `exp` plus the leeway, on the runtime's clock.
    expires: tokio::time::Instant,
}

/// Token -> principal, as every request does, plus the token's expiry for the socket's deadline.
async fn verify(state: &AppState, token: &str) -> Result<Authenticated, ApiError> {
    let claims = state.tokens.verify(token)?;
    let principal = authenticate(state, token).await?;
    let left = claims.exp + state.tokens.leeway_seconds() - clock::now().timestamp();
    let expires = tokio::time::Instant::now() + Duration::from_secs(left.max(0) as u64);
    Ok(Authenticated { principal, expires })
}

/// Waits for the `auth` message and checks its token.
async fn authenticate_first(
    state: &AppState,
    session: &mut Session,
    stream: &mut MessageStream,
) -> Result<(Authenticated, Option<i64>), CloseReason> {
    let first = tokio::time::timeout(AUTH_TIMEOUT, async {
        loop {
            match stream.recv().await {
                Some(Ok(Message::Text(text))) => return Ok(text),
                Some(Ok(Message::Ping(bytes))) => {
                    let _ = session.pong(&bytes).await;
                }
                Some(Err(error)) => return Err(broken(&error)),
                Some(Ok(Message::Close(_))) | None => return Err(close(CloseCode::Normal, "gone")),
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    let text = match first {
        Ok(Ok(text)) => text,
        Ok(Err(reason)) => return Err(reason),
        Err(_) => return Err(close(CloseCode::Policy, "authenticate first")),
    };
    let Ok(ClientEvent::Auth {
        access_token,
        last_event_id,
    }) = serde_json::from_str::<ClientEvent>(&text)
    else {
        return Err(refuse(session, &ApiError::Unauthenticated("The first message must be `auth`.")).await);
    };
    match verify(state, &access_token).await {
        Ok(authenticated) => Ok((authenticated, last_event_id)),
        Err(error) => Err(refuse(session, &error).await),
    }
}

/// A `auth` message on an open socket: a refreshed token of the same session extends its life.
async fn reauthenticate(
    state: &AppState,
    session: &mut Session,
    current: &Principal,
    token: &str,
) -> Result<Authenticated, CloseReason> {
    const OTHER_SESSION: ApiError =
        ApiError::Unauthenticated("A socket takes a new token of its own session only; open a new socket.");
    let fresh = match verify(state, token).await {
        Ok(fresh) => fresh,
        Err(error) => return Err(refuse(session, &error).await),
    };
    if fresh.principal.id() != current.id() || fresh.principal.session_id() != current.session_id() {
        return Err(refuse(session, &OTHER_SESSION).await);
    }
    if fresh.principal.is_staff() != current.is_staff() {
        return Err(ended(Reason::RoleChanged));
    }
    Ok(fresh)
}

/// The hub membership of one socket, given up when the socket ends however it ends.
struct Joined {
    hub: Hub,
    workspace: Uuid,
    connection: u64,
}

impl Drop for Joined {
    fn drop(&mut self) {
        self.hub.leave(self.workspace, self.connection);
    }
}

async fn serve(state: &AppState, mut session: Session, mut stream: MessageStream) -> Result<(), CloseReason> {
    // Every socket's task keeps its future for its whole life, sized by its largest await: the
    // database reads below are boxed (made and freed once each), so only `live` stays resident.
    let (authenticated, last_event_id) = Box::pin(authenticate_first(state, &mut session, &mut stream)).await?;
    let Authenticated { mut principal, expires } = authenticated;
    let Some(_user_slot) = state.realtime.limits().admit_user(principal.id().0) else {
        return Err(ended(Reason::TooManyConnections));
    };
    let workspace: Uuid = principal.scope().uuid();
    let connection = CONNECTIONS.fetch_add(1, Ordering::Relaxed);
    let latest = Box::pin(log::latest(&state.db, principal.scope()))
        .await
        .map_err(|_| close(CloseCode::Error, "try again"))?;
    let who = Listener {
        user: principal.id().0,
        session: principal.session_id(),
        staff: principal.is_staff(),
    };
    let mut events = state.realtime.join(workspace, connection, who, latest);
    let _joined = Joined {
        hub: state.realtime.clone(),
        workspace,
        connection,
    };
    // A revocation committed between the token check and the join found no socket to close:
    // look once more now that the hub knows this one.
    principal = Box::pin(still_allowed(state, &principal)).await?;

    send(&mut session, &ServerEvent::Ready { last_event_id: latest }).await?;
    // Replay what the client missed, read after joining so that nothing falls in between.
    let mut sent_up_to = latest;
    if let Some(last_seen) = last_event_id.filter(|last_seen| *last_seen < latest) {
        if latest - last_seen > MAX_REPLAY || last_seen < 0 {
            send(&mut session, &ServerEvent::Resync { last_event_id: latest }).await?;
        } else {
            let missed = Box::pin(log::after(&state.db, workspace, last_seen, MAX_REPLAY as u64))
                .await
                .map_err(|_| close(CloseCode::Error, "try again"))?;
            for payload in missed
                .iter()
                .filter_map(|event| event.payload_for_principal(&principal))
            {
                session
                    .text(payload.to_owned())
                    .await
                    .map_err(|_| close(CloseCode::Normal, "gone"))?;
            }
            sent_up_to = missed.last().map_or(latest, |event| event.seq.max(latest));
        }
    }
    live(
        state,
        &mut session,
        &mut stream,
        &mut events,
        &mut principal,
        expires,
        sent_up_to,
    )
    .await
}

async fn live(
    state: &AppState,
    session: &mut Session,
    stream: &mut MessageStream,
    events: &mut EventReceiver,
    principal: &mut Principal,
    expires: tokio::time::Instant,
    mut sent_up_to: i64,
) -> Result<(), CloseReason> {
    let mut pings = tokio::time::interval(PING_EVERY);
    // Spread over the minute: a thousand sockets opened together must not all recheck at once.
    let offset = Duration::from_millis(u64::from(rand::random::<u16>()) % RECHECK_EVERY.as_millis() as u64);
    let mut rechecks = tokio::time::interval_at(tokio::time::Instant::now() + offset, RECHECK_EVERY);
    let mut heard = Instant::now();
    let deadline = tokio::time::sleep_until(expires);
    tokio::pin!(deadline);
    // Bytes handed to the connection since this task last yielded (an overestimate after it waited).
    let mut queued = 0;
    loop {
        tokio::select! {
            delivery = events.recv() => match delivery {
                None => return Err(close(CloseCode::Again, "too slow; reconnect with your last event id")),
                Some(Delivery::Close(reason)) => return Err(ended(reason)),
                Some(Delivery::Event(event)) => {
                    if event.seq > sent_up_to && let Some(payload) = event.payload_for_principal(principal) {
                        sent_up_to = event.seq;
                        session.text(payload.clone()).await.map_err(|_| close(CloseCode::Normal, "gone"))?;
                        queued += payload.len();
                        if queued >= CHUNK {
                            // Let the connection write what is queued before queueing more.
                            queued = 0;
                            tokio::task::yield_now().await;
                        }
                    }
                }
            },
            message = stream.recv() => {
                heard = Instant::now();
                match message {
                    Some(Ok(Message::Text(text))) => match serde_json::from_str::<ClientEvent>(&text) {
                        Ok(ClientEvent::Ping) => send(session, &ServerEvent::Pong).await?,
                        Ok(ClientEvent::Auth { access_token, .. }) => {
                            let fresh = Box::pin(reauthenticate(state, session, principal, &access_token)).await?;
                            *principal = fresh.principal;
                            deadline.as_mut().reset(fresh.expires);
                        }
                        Err(_) => {}
                    },
                    Some(Ok(Message::Ping(bytes))) => {
                        session.pong(&bytes).await.map_err(|_| close(CloseCode::Normal, "gone"))?;
                    }
                    Some(Err(error)) => return Err(broken(&error)),
                    // The closing handshake: the client's close is answered with its own code,
                    // so it can hang up cleanly (without the answer, a client that waits for it
                    // times out and drops the connection, which reads here as a protocol error).
                    Some(Ok(Message::Close(reason))) => {
                        return Err(reason.unwrap_or_else(|| close(CloseCode::Normal, "bye")));
                    }
                    None => return Ok(()),
                    Some(Ok(_)) => {}
                }
            }
            () = &mut deadline => return Err(ended(Reason::TokenExpired)),
            _ = pings.tick() => {
                if heard.elapsed() > SILENCE_LIMIT {
                    return Err(close(CloseCode::Away, "no answer to pings"));
                }
                session.ping(b"").await.map_err(|_| close(CloseCode::Normal, "gone"))?;
            }
            _ = rechecks.tick() => {
                *principal = Box::pin(still_allowed(state, principal)).await?;
            }
        }
    }
}

/// The principal reloaded: its session must still be live, and its role on the same side of the
/// staff line (the hub delivers by that side).
async fn still_allowed(state: &AppState, principal: &Principal) -> Result<Principal, CloseReason> {
    match recheck(state, principal).await {
        Ok(fresh) if fresh.is_staff() != principal.is_staff() => Err(ended(Reason::RoleChanged)),
        Ok(fresh) => Ok(fresh),
        Err(ApiError::Unauthenticated(_)) => Err(ended(Reason::SessionRevoked)),
        Err(_) => Err(close(CloseCode::Error, "try again")),
    }
}
