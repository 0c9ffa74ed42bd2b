//! The WebSocket obeys revocation at once (sign-out, a reused refresh token, a role change, across
//! instances), lives no longer than its token unless re-authenticated, sends each audience its own
//! projection, refuses oversized frames before buffering them, caps sockets per user and per
//! address, and says 1001 going away when the server stops.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ferrodesk::startup::Application;
use ferrodesk_shared::events::{ClientEvent, CloseReason, ServerEvent};
use ferrodesk_shared::tickets::{Ticket, TicketDetail};
use ferrodesk_shared::{ErrorBody, ErrorCode, Role};
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::helpers::{
    JWT_SECRET, PASSWORD, Session, TestApp, TestWorkspace, expect_json, forge_token, resident_kib, spawn_app,
    spawn_app_with,
};
use crate::live::Socket;

/// How a socket ended: its close frame (code, reason) if any, the events before it, and when.
struct Ended {
    code: Option<u16>,
    reason: String,
    events: Vec<ServerEvent>,
    after: Duration,
    /// When the close arrived.
    at: Instant,
}

impl Socket {
    /// Reads until the server closes the socket, for at most `within`; None if it stays open.
    async fn ended(&mut self, within: Duration) -> Option<Ended> {
        let start = Instant::now();
        let mut events = Vec::new();
        loop {
            let left = within.checked_sub(start.elapsed())?;
            let frame = match tokio::time::timeout(left, self.stream.next()).await {
                Err(_) => return None,
                Ok(None) | Ok(Some(Err(_))) => {
                    return Some(Ended {
                        code: None,
                        reason: String::new(),
                        events,
                        after: start.elapsed(),
                        at: Instant::now(),
                    });
                }
                Ok(Some(Ok(frame))) => frame,
            };
            match frame {
                Frame::Text(text) => events.push(serde_json::from_str(&text).expect("a ServerEvent")),
                Frame::Close(close) => {
                    return Some(Ended {
                        code: close.as_ref().map(|close| u16::from(close.code)),
                        reason: close.map(|close| close.reason.to_string()).unwrap_or_default(),
                        events,
                        after: start.elapsed(),
                        at: Instant::now(),
                    });
                }
                _ => {}
            }
        }
    }

    async fn say(&mut self, event: &ClientEvent) {
        self.stream
            .send(Frame::text(serde_json::to_string(event).unwrap()))
            .await
            .unwrap();
    }
}

/// Asserts a policy close with `reason` within a second; returns the events before it.
async fn closed_for(socket: &mut Socket, reason: CloseReason) -> Vec<ServerEvent> {
    let ended = socket
        .ended(Duration::from_secs(1))
        .await
        .unwrap_or_else(|| panic!("the socket is still open a second later (expected {reason:?})"));
    assert_eq!(
        (ended.code, ended.reason.as_str()),
        (Some(1008), reason.as_str()),
        "after {:?}",
        ended.after
    );
    ended.events
}

fn ws_url(address: &str) -> String {
    format!("{}/api/v1/ws", address.replacen("http://", "ws://", 1))
}

async fn set_role(app: &TestApp, base: &str, owner: &Session, who: &Session, role: Role) {
    let response = app
        .client
        .patch(format!("{base}/api/v1/users/{}", who.id()))
        .bearer_auth(&owner.token)
        .json(&json!({ "role": role }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
}

async fn logout(app: &TestApp, base: &str, who: &Session) {
    let response = app
        .client
        .post(format!("{base}/api/v1/auth/logout"))
        .bearer_auth(&who.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

fn mentions(events: &[ServerEvent], text: &str) -> bool {
    serde_json::to_string(events).unwrap().contains(text)
}

#[tokio::test]
async fn signing_out_closes_that_sessions_sockets_at_once_and_no_other() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let other_session = app.sign_in("acme", "agent0@acme.example").await;
    let mut signed_out = Socket::connect(&app, acme.agent()).await;
    let mut still_in = Socket::connect(&app, &other_session).await;

    logout(&app, &app.address, acme.agent()).await;
    closed_for(&mut signed_out, CloseReason::SessionRevoked).await;

    let ticket = app.create_ticket(acme.customer(), "After sign-out", "hello").await;
    let events = still_in.drain().await;
    assert!(
        events
            .iter()
            .any(|event| matches!(event, ServerEvent::TicketCreated { ticket: t, .. } if t.id == ticket.ticket.id)),
        "the user's other session keeps its socket: {events:?}"
    );
}

#[tokio::test]
async fn a_reused_refresh_token_closes_the_sessions_sockets() {
    let app = spawn_app().await;
    let signup = app
        .client
        .post(app.url("/api/v1/signup"))
        .json(
            &json!({"workspace_name": "Acme", "workspace_slug": "acme", "name": "Ada",
            "email": "ada@acme.example", "password": PASSWORD}),
        )
        .send()
        .await
        .unwrap();
    let cookie = signup
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let auth: ferrodesk_shared::auth::AuthResponse = expect_json(signup, StatusCode::CREATED).await;
    let mut socket = Socket::open(&app.ws_url(), &auth.access_token, None).await;
    let refresh = || {
        app.client
            .post(app.url("/api/v1/auth/refresh"))
            .header("cookie", cookie.clone())
            .send()
    };
    assert_eq!(refresh().await.unwrap().status(), StatusCode::OK);
    assert!(
        socket.ended(Duration::from_millis(300)).await.is_none(),
        "a rotation is no revocation"
    );
    // The same (now rotated) token again: a copy is in use, and the session ends everywhere.
    assert_eq!(refresh().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    closed_for(&mut socket, CloseReason::SessionRevoked).await;
}

#[tokio::test]
async fn a_demoted_agent_is_cut_off_before_the_next_internal_note() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let ticket = app.create_ticket(acme.customer(), "Refund", "please").await.ticket;
    let mut demoted = Socket::connect(&app, acme.agent()).await;
    demoted.drain().await;

    let start = Instant::now();
    set_role(&app, &app.address, &acme.owner, acme.agent(), Role::Customer).await;
    app.reply(
        &acme.supervisor,
        ticket.id,
        "Internal: the refund is fraud, do not pay",
        true,
    )
    .await;
    let events = closed_for(&mut demoted, CloseReason::RoleChanged).await;
    eprintln!("demotion to close: {:?}", start.elapsed());
    assert!(!mentions(&events, "fraud"), "{events:?}");

    // The client reconnects (with the same, still valid token): now it hears what a customer hears.
    let mut again = Socket::connect(&app, acme.agent()).await;
    app.reply(&acme.supervisor, ticket.id, "Internal: second note about fraud", true)
        .await;
    let events = again.drain().await;
    assert!(!mentions(&events, "fraud"), "{events:?}");
}

#[tokio::test]
async fn revocations_reach_the_sockets_of_another_instance() {
    if !std::env::var("TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres")) {
        // One SQLite file serves one instance; the PostgreSQL run of the suite covers this.
        return;
    }
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 2).await;
    let other = app.another_instance().await;
    let mut signed_out = Socket::open(&ws_url(&other.address), &acme.agents[0].token, None).await;
    let mut demoted = Socket::open(&ws_url(&other.address), &acme.agents[1].token, None).await;

    // The changes are made through instance A; the sockets are on instance B.
    logout(&app, &app.address, &acme.agents[0]).await;
    closed_for(&mut signed_out, CloseReason::SessionRevoked).await;
    set_role(&app, &app.address, &acme.owner, &acme.agents[1], Role::Customer).await;
    closed_for(&mut demoted, CloseReason::RoleChanged).await;
}

/// The token's claims, re-signed with `exp` and `iat` changed (tests share the app's secret).
fn token_expiring_in(token: &str, seconds: i64) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let now = chrono::Utc::now().timestamp();
    claims["iat"] = json!(now);
    claims["exp"] = json!(now + seconds);
    forge_token(&claims, JWT_SECRET)
}

#[tokio::test]
async fn a_socket_ends_with_its_token_unless_the_client_sends_a_fresh_one() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let agent = acme.agent();
    let leeway = app.state.tokens.leeway_seconds();
    // Past `exp` already, but within the leeway for two more seconds (one at least, as `exp` is in
    // whole seconds). Timed from here: opening the sockets may take a while on a busy machine.
    let minted = Instant::now();
    let nearly_expired = token_expiring_in(&agent.token, 2 - leeway);

    let mut lapsing = Socket::open(&app.ws_url(), &nearly_expired, None).await;
    let mut renewed = Socket::open(&app.ws_url(), &nearly_expired, None).await;
    renewed
        .say(&ClientEvent::Auth {
            access_token: token_expiring_in(&agent.token, 600),
            last_event_id: None,
        })
        .await;
    let ended = lapsing
        .ended(Duration::from_secs(4))
        .await
        .expect("closed at exp + leeway");
    assert_eq!((ended.code, ended.reason.as_str()), (Some(1008), "token_expired"));
    assert!(
        ended.at.duration_since(minted) >= Duration::from_millis(1000),
        "not before: {:?}",
        ended.at.duration_since(minted)
    );

    assert!(
        renewed.ended(Duration::from_millis(500)).await.is_none(),
        "re-authenticated: still open"
    );
    let ticket = app.create_ticket(acme.customer(), "Still live", "hello").await.ticket;
    let events = renewed.drain().await;
    assert!(
        events
            .iter()
            .any(|event| matches!(event, ServerEvent::TicketCreated { ticket: t, .. } if t.id == ticket.id)),
        "{events:?}"
    );

    // A token of another user (or session) is no renewal: the socket closes.
    renewed
        .say(&ClientEvent::Auth {
            access_token: acme.supervisor.token.clone(),
            last_event_id: None,
        })
        .await;
    let ended = renewed.ended(Duration::from_secs(1)).await.expect("closed");
    assert_eq!(ended.code, Some(1008));
    assert!(
        ended.events.iter().any(
            |event| matches!(event, ServerEvent::Error { code, .. } if code == ErrorCode::Unauthenticated.as_str())
        ),
        "{:?}",
        ended.events
    );
}

fn ticket_of(event: &ServerEvent) -> Option<&Ticket> {
    match event {
        ServerEvent::TicketCreated { ticket, .. }
        | ServerEvent::TicketUpdated { ticket, .. }
        | ServerEvent::MessageCreated { ticket, .. } => Some(ticket),
        _ => None,
    }
}

fn kind(event: &ServerEvent) -> &'static str {
    match event {
        ServerEvent::TicketCreated { .. } => "ticket.created",
        ServerEvent::TicketUpdated { .. } => "ticket.updated",
        ServerEvent::MessageCreated { .. } => "message.created",
        _ => "other",
    }
}

#[tokio::test]
async fn customers_get_the_requester_projection_over_the_socket_as_over_rest() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let mut customer = Socket::connect(&app, acme.customer()).await;
    let mut agent = Socket::connect(&app, acme.agent()).await;

    // The TF-IDF fallback categorises this as billing (a moment after it arrives, announced as
    // `ticket.updated`), with the AI's guess kept for staff.
    let created = app
        .create_ticket(
            acme.customer(),
            "Charged twice on my invoice",
            "My credit card was charged twice for the subscription. I need a refund of the second payment.",
        )
        .await;
    ferrodesk::ai::categorise::drain(&app.state, chrono::Utc::now())
        .await
        .unwrap();
    let path = format!("/api/v1/tickets/{}", created.ticket.id);
    let tagged = app
        .patch(
            &path,
            &acme.agent().token,
            &json!({"tags": ["chargeback-risk"], "priority": "high"}),
        )
        .await;
    assert_eq!(tagged.status(), StatusCode::OK);
    app.reply(
        acme.agent(),
        created.ticket.id,
        "We refunded the second payment.",
        false,
    )
    .await;

    let staff_events = agent.drain().await;
    let staff_seen: Vec<&Ticket> = staff_events.iter().filter_map(ticket_of).collect();
    assert_eq!(staff_seen.len(), 4, "{staff_events:?}");
    assert_eq!(staff_seen[0].ai_category, None, "created before it was categorised");
    assert!(
        staff_seen[1..].iter().all(|ticket| ticket.ai_category.is_some()),
        "staff see the AI's guess"
    );
    assert_eq!(staff_seen[1].category.as_deref(), Some("billing"));
    assert_eq!(staff_seen[3].tags, vec!["chargeback-risk".to_owned()]);

    let customer_events = customer.drain().await;
    let kinds: Vec<&str> = customer_events.iter().map(kind).collect();
    assert_eq!(
        kinds,
        vec!["ticket.created", "ticket.updated", "ticket.updated", "message.created"]
    );
    let text = serde_json::to_string(&customer_events).unwrap();
    for staff_only in ["chargeback-risk", "\"billing\"", "confidence", "\"ai\""] {
        assert!(!text.contains(staff_only), "{staff_only} reached the customer: {text}");
    }
    for ticket in customer_events.iter().filter_map(ticket_of) {
        assert_eq!(ticket.ai_category, None);
        assert!(ticket.tags.is_empty() && ticket.category.is_none() && ticket.category_source.is_none());
        assert!(!ticket.sla.breached && ticket.sla.next_due_at.is_none());
    }

    // REST and the socket give the customer the same view of the ticket.
    let rest: TicketDetail = expect_json(app.get(&path, &acme.customer().token).await, StatusCode::OK).await;
    let last = customer_events.last().and_then(ticket_of).unwrap();
    assert_eq!(&rest.ticket, last);
    let staff_rest: TicketDetail = expect_json(app.get(&path, &acme.agent().token).await, StatusCode::OK).await;
    assert_eq!(&staff_rest.ticket, staff_seen[3]);
}

#[tokio::test]
async fn a_frame_announcing_256_mib_is_refused_at_its_header() {
    let app = spawn_app().await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut tcp = tokio::net::TcpStream::connect(&address).await.unwrap();
    let upgrade = format!(
        "GET /api/v1/ws HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(upgrade.as_bytes()).await.unwrap();
    let mut head = vec![0u8; 1024];
    let read = tcp.read(&mut head).await.unwrap();
    assert!(String::from_utf8_lossy(&head[..read]).starts_with("HTTP/1.1 101"));

    // The app runs in this process: sample its resident memory while the frame comes in.
    let before = resident_kib();
    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let sampling = sampling.clone();
        std::thread::spawn(move || {
            let mut peak = 0;
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(resident_kib());
                std::thread::sleep(Duration::from_millis(2));
            }
            peak
        })
    };
    // A masked text frame of 256 MiB, unauthenticated; then as much of it as the server takes.
    let mut header = vec![0x81, 0x80 | 127];
    header.extend_from_slice(&(256u64 << 20).to_be_bytes());
    header.extend_from_slice(&[7, 7, 7, 7]);
    let start = Instant::now();
    let (mut reader, mut writer) = tcp.into_split();
    let writing = tokio::spawn(async move {
        writer.write_all(&header).await?;
        let chunk = vec![b'x'; 1 << 20];
        let mut sent = 0usize;
        while sent < 256 << 20 {
            writer.write_all(&chunk).await?;
            sent += chunk.len();
        }
        Ok::<usize, std::io::Error>(sent)
    });
    // The server answers with a close frame (1009, too big) without waiting for the payload.
    let mut answer = [0u8; 4];
    tokio::time::timeout(Duration::from_secs(5), reader.read_exact(&mut answer))
        .await
        .expect("an answer within 5 s")
        .unwrap();
    let answered = start.elapsed();
    // And it stops reading: the rest of the 256 MiB is not taken in.
    let written = tokio::time::timeout(Duration::from_secs(5), writing).await;
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let grown_mib = sampler.join().unwrap().saturating_sub(before) / 1024;
    eprintln!(
        "256 MiB frame: close frame after {answered:?}; the writer ended with {written:?}; peak RSS +{grown_mib} MiB"
    );
    assert_eq!(answer[0], 0x88, "a close frame: {answer:?}");
    assert_eq!(u16::from_be_bytes([answer[2], answer[3]]), 1009);
    assert!(
        !matches!(written, Ok(Ok(Ok(_)))),
        "the server read the whole 256 MiB instead of closing the connection"
    );
    assert!(grown_mib < 32, "the server buffered the frame: +{grown_mib} MiB");
}

#[tokio::test]
async fn sockets_are_capped_per_user_and_per_address() {
    let app = spawn_app_with(|settings| {
        settings.realtime.max_sockets_per_user = 2;
        settings.realtime.max_sockets_per_address = 4;
    })
    .await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let first = Socket::connect(&app, acme.customer()).await;
    let _second = Socket::connect(&app, acme.customer()).await;
    // The third of one user is closed after authenticating, with the reason.
    let (mut third, _) = tokio_tungstenite::connect_async(app.ws_url()).await.unwrap();
    let auth = ClientEvent::Auth {
        access_token: acme.customer().token.clone(),
        last_event_id: None,
    };
    third
        .send(Frame::text(serde_json::to_string(&auth).unwrap()))
        .await
        .unwrap();
    let mut third = Socket {
        stream: third,
        ready: -1,
    };
    closed_for(&mut third, CloseReason::TooManyConnections).await;
    // Another user is not affected; a closed socket gives its place back.
    let _agent = Socket::connect(&app, acme.agent()).await;
    drop(first);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _again = Socket::connect(&app, acme.customer()).await;

    // Four open from this address (three authenticated, one not yet): the fifth is refused before the upgrade.
    let (_unauthenticated, _) = tokio_tungstenite::connect_async(app.ws_url()).await.unwrap();
    let refused = tokio_tungstenite::connect_async(app.ws_url()).await;
    let Err(tokio_tungstenite::tungstenite::Error::Http(response)) = refused else {
        panic!("expected an HTTP refusal, got {refused:?}")
    };
    assert_eq!(response.status().as_u16(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let body: ErrorBody = serde_json::from_slice(response.body().as_deref().unwrap_or_default()).unwrap();
    assert_eq!(body.code, ErrorCode::RateLimited);
}

#[tokio::test]
async fn stopping_the_server_closes_sockets_with_going_away() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    // An instance of its own to stop, on the same database.
    let mut settings = app.settings.clone();
    settings.addr = "127.0.0.1:0".parse().unwrap();
    let instance = Application::build(settings).await.unwrap();
    let address = format!("http://127.0.0.1:{}", instance.port());
    let stopper = instance.stopper();
    let running = tokio::spawn(instance.run_until_stopped());
    let mut socket = Socket::open(&ws_url(&address), &acme.agent().token, None).await;

    let start = Instant::now();
    let stopping = tokio::spawn(async move { stopper.stop().await });
    let ended = socket.ended(Duration::from_secs(2)).await.expect("closed");
    assert_eq!(
        (ended.code, ended.reason.as_str()),
        (Some(u16::from(CloseCode::Away)), "going_away")
    );
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .unwrap()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    eprintln!("stopped with its socket closed in {:?}", start.elapsed());
}
