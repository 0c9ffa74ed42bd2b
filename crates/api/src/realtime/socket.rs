//! `GET /api/v1/ws`: one WebSocket per tab. The first message authenticates (`{"type":"auth",
//! "access_token":..., "last_event_id":...}`), so no token ever sits in a URL or a log line. Then
//! the server replays what the client missed and pushes new events, each checked against the
//! user at send time. Pings every 15 s; a connection silent for 45 s is closed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, rt, web};
use actix_ws::{CloseCode, CloseReason, Message, MessageStream, Session};
use ferrodesk_shared::events::{ClientEvent, ServerEvent};
use uuid::Uuid;

use crate::auth::Principal;
use crate::auth::principal::authenticate;
use crate::error::ApiError;
use crate::state::AppState;

use super::log;

const AUTH_TIMEOUT: Duration = Duration::from_secs(10);
const PING_EVERY: Duration = Duration::from_secs(15);
const SILENCE_LIMIT: Duration = Duration::from_secs(45);
/// How often the connection checks that its session and role still hold.
const RECHECK_EVERY: Duration = Duration::from_secs(60);
/// A client further behind than this gets `resync` instead of a replay.
const MAX_REPLAY: i64 = 1000;

static CONNECTIONS: AtomicU64 = AtomicU64::new(1);

pub async fn connect(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    let (response, session, stream) = actix_ws::handle(&request, body)?;
    let state = state.into_inner();
    rt::spawn(async move {
        let stream = stream.max_frame_size(64 * 1024);
        if let Err(reason) = serve(&state, session.clone(), stream).await {
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

/// Waits for the `auth` message and checks its token.
async fn authenticate_first(
    state: &AppState,
    session: &mut Session,
    stream: &mut MessageStream,
) -> Result<(Principal, Option<i64>), CloseReason> {
    let first = tokio::time::timeout(AUTH_TIMEOUT, async {
        loop {
            match stream.recv().await {
                Some(Ok(Message::Text(text))) => return Some(text),
                Some(Ok(Message::Ping(bytes))) => {
                    let _ = session.pong(&bytes).await;
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return None,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    let Ok(Some(text)) = first else {
        return Err(close(CloseCode::Policy, "authenticate first"));
    };
    let Ok(ClientEvent::Auth {
        access_token,
        last_event_id,
    }) = serde_json::from_str::<ClientEvent>(&text)
    else {
        return Err(refuse(session, &ApiError::Unauthenticated("The first message must be `auth`.")).await);
    };
    match authenticate(state, &access_token).await {
        Ok(principal) => Ok((principal, last_event_id)),
        Err(error) => Err(refuse(session, &error).await),
    }
}

async fn serve(state: &AppState, mut session: Session, mut stream: MessageStream) -> Result<(), CloseReason> {
    let (mut principal, last_event_id) = authenticate_first(state, &mut session, &mut stream).await?;
    let workspace: Uuid = principal.scope().uuid();
    let connection = CONNECTIONS.fetch_add(1, Ordering::Relaxed);
    let latest = log::latest(&state.db, principal.scope())
        .await
        .map_err(|_| close(CloseCode::Error, "try again"))?;
    let mut events = state
        .realtime
        .join(workspace, connection, principal.id().0, principal.is_staff(), latest);
    let result = async {
        send(&mut session, &ServerEvent::Ready { last_event_id: latest }).await?;
        // Replay what the client missed, read after joining so that nothing falls in between.
        let mut sent_up_to = latest;
        if let Some(last_seen) = last_event_id.filter(|last_seen| *last_seen < latest) {
            if latest - last_seen > MAX_REPLAY || last_seen < 0 {
                send(&mut session, &ServerEvent::Resync { last_event_id: latest }).await?;
            } else {
                let missed = log::after(&state.db, workspace, last_seen, MAX_REPLAY as u64)
                    .await
                    .map_err(|_| close(CloseCode::Error, "try again"))?;
                for event in missed.iter().filter(|event| event.admits(&principal)) {
                    session
                        .text(event.json.clone())
                        .await
                        .map_err(|_| close(CloseCode::Normal, "gone"))?;
                }
                sent_up_to = missed.last().map_or(latest, |event| event.seq.max(latest));
            }
        }

        let mut pings = tokio::time::interval(PING_EVERY);
        // Spread over the minute: a thousand sockets opened together must not all recheck at once.
        let offset = Duration::from_millis(u64::from(rand::random::<u16>()) % RECHECK_EVERY.as_millis() as u64);
        let mut rechecks = tokio::time::interval_at(tokio::time::Instant::now() + offset, RECHECK_EVERY);
        let mut heard = Instant::now();
        loop {
            tokio::select! {
                event = events.recv() => {
                    let Some(event) = event else {
                        return Err(close(CloseCode::Again, "too slow; reconnect with your last event id"));
                    };
                    if event.seq > sent_up_to && event.admits(&principal) {
                        sent_up_to = event.seq;
                        session.text(event.json.clone()).await.map_err(|_| close(CloseCode::Normal, "gone"))?;
                    }
                }
                message = stream.recv() => {
                    heard = Instant::now();
                    match message {
                        Some(Ok(Message::Text(text))) => {
                            if let Ok(ClientEvent::Ping) = serde_json::from_str::<ClientEvent>(&text) {
                                send(&mut session, &ServerEvent::Pong).await?;
                            }
                        }
                        Some(Ok(Message::Ping(bytes))) => {
                            session.pong(&bytes).await.map_err(|_| close(CloseCode::Normal, "gone"))?;
                        }
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return Ok(()),
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
                    // A revoked session or a changed role ends the stream; the client signs in again.
                    principal = match crate::auth::principal::recheck(state, &principal).await {
                        Ok(fresh) => fresh,
                        Err(error) => return Err(refuse(&mut session, &error).await),
                    };
                }
            }
        }
    }
    .await;
    state.realtime.leave(workspace, connection);
    result
}
