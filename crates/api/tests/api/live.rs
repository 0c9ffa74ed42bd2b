//! Real-time over real WebSockets, and in-app notifications.

use std::time::Duration;

use ferrodesk_shared::events::{ClientEvent, ServerEvent};
use ferrodesk_shared::notifications::{NotificationKind, NotificationPage, UnreadCount};
use ferrodesk_shared::tickets::TicketDetail;
use ferrodesk_shared::{ErrorCode, TicketId};
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as Frame;

use crate::helpers::{Session, TestApp, TestWorkspace, expect_error, expect_json, spawn_app};

pub type Stream = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct Socket {
    pub stream: Stream,
    pub ready: i64,
}

impl Socket {
    pub async fn open(url: &str, token: &str, last_event_id: Option<i64>) -> Socket {
        let (mut stream, _) = tokio_tungstenite::connect_async(url).await.expect("the socket opens");
        let auth = ClientEvent::Auth {
            access_token: token.to_owned(),
            last_event_id,
        };
        stream
            .send(Frame::text(serde_json::to_string(&auth).unwrap()))
            .await
            .unwrap();
        let mut socket = Socket { stream, ready: -1 };
        match socket.next().await {
            Some(ServerEvent::Ready { last_event_id }) => socket.ready = last_event_id,
            other => panic!("expected ready, got {other:?}"),
        }
        socket
    }

    pub async fn connect(app: &TestApp, who: &Session) -> Socket {
        Socket::open(&app.ws_url(), &who.token, None).await
    }

    /// The next event, or None after two seconds of silence.
    pub async fn next(&mut self) -> Option<ServerEvent> {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(2), self.stream.next())
                .await
                .ok()??
                .ok()?;
            match frame {
                Frame::Text(text) => return Some(serde_json::from_str(&text).expect("a ServerEvent")),
                Frame::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// Every event until a short silence.
    pub async fn drain(&mut self) -> Vec<ServerEvent> {
        let mut events = Vec::new();
        while let Ok(Some(Ok(frame))) = tokio::time::timeout(Duration::from_millis(600), self.stream.next()).await {
            if let Frame::Text(text) = frame {
                events.push(serde_json::from_str(&text).expect("a ServerEvent"));
            }
        }
        events
    }
}

pub fn ticket_ids(events: &[ServerEvent]) -> Vec<TicketId> {
    events
        .iter()
        .filter_map(|event| match event {
            ServerEvent::TicketCreated { ticket, .. }
            | ServerEvent::TicketUpdated { ticket, .. }
            | ServerEvent::MessageCreated { ticket, .. } => Some(ticket.id),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn an_agent_sees_a_new_ticket_arrive_with_its_notification() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let mut agent = Socket::connect(&app, acme.agent()).await;
    let created = app
        .create_ticket(acme.customer(), "Live one", "Does this arrive?")
        .await;

    let first = agent.next().await.expect("an event");
    let ServerEvent::TicketCreated { id, ticket } = first else {
        panic!("expected ticket.created, got {first:?}")
    };
    assert_eq!(ticket.id, created.ticket.id);
    assert_eq!(id, agent.ready + 1, "ids count up per workspace");
    let second = agent.next().await.expect("an event");
    let ServerEvent::NotificationCreated {
        id: next_id,
        notification,
    } = second
    else {
        panic!("expected notification.created, got {second:?}")
    };
    assert!(next_id > id);
    assert_eq!(notification.kind, NotificationKind::TicketCreated);
    assert_eq!(notification.ticket_id, Some(created.ticket.id));
    let rest = agent.drain().await;
    assert!(
        rest.iter()
            .all(|event| !matches!(event, ServerEvent::NotificationCreated { .. })),
        "one notification for me: {rest:?}"
    );
}

#[tokio::test]
async fn a_client_that_closes_gets_the_close_answered() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let mut agent = Socket::connect(&app, acme.agent()).await;
    agent
        .stream
        .send(Frame::Close(Some(
            tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Normal,
                reason: "done".into(),
            },
        )))
        .await
        .unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            match agent.stream.next().await {
                Some(Ok(Frame::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                other => panic!("expected the server's close, got {other:?}"),
            }
        }
    })
    .await
    .expect("the server answers a close");
    assert_eq!(
        answer.map(|frame| frame.code),
        Some(tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Normal),
        "the client's own code, echoed"
    );
    let ended = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(Ok(_)) = agent.stream.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the server ends the connection after the handshake");
}

#[tokio::test]
async fn customers_only_hear_their_own_tickets_public_events() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let globex = TestWorkspace::create(&app, "globex", 1).await;
    let mine = app.create_ticket(acme.customer(), "Mine", "My question").await.ticket;
    let mut customer = Socket::connect(&app, acme.customer()).await;
    let mut outsider = Socket::connect(&app, globex.agent()).await;

    let theirs = app
        .create_ticket(&acme.customers[1], "Theirs", "Another customer's question")
        .await
        .ticket;
    app.reply(acme.agent(), theirs.id, "Answer to the other customer", false)
        .await;
    app.reply(
        acme.agent(),
        mine.id,
        "Internal: refund approved, do not tell yet",
        true,
    )
    .await;
    app.reply(acme.agent(), mine.id, "We are on it!", false).await;

    let events = customer.drain().await;
    assert_eq!(
        ticket_ids(&events),
        vec![mine.id],
        "only the public reply on my ticket: {events:?}"
    );
    let ServerEvent::MessageCreated { message, ticket, .. } = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(message.body, "We are on it!");
    assert!(!message.internal);
    assert_eq!(ticket.status, ferrodesk_shared::tickets::TicketStatus::Open);
    let text = serde_json::to_string(&events).unwrap();
    assert!(!text.contains("refund approved") && !text.contains("Theirs"), "{text}");

    assert!(outsider.drain().await.is_empty(), "nothing crosses workspaces");
}

#[tokio::test]
async fn a_reconnecting_client_gets_what_it_missed_or_a_resync() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let first = Socket::connect(&app, acme.agent()).await;
    let seen = first.ready;
    drop(first);
    let one = app.create_ticket(acme.customer(), "While away 1", "first").await.ticket;
    let two = app
        .create_ticket(acme.customer(), "While away 2", "second")
        .await
        .ticket;

    let mut back = Socket::open(&app.ws_url(), &acme.agent().token, Some(seen)).await;
    let replayed = back.drain().await;
    assert_eq!(
        ticket_ids(&replayed),
        vec![one.id, two.id],
        "missed events, in order: {replayed:?}"
    );
    let ids: Vec<i64> = replayed.iter().filter_map(ServerEvent::event_id).collect();
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
    // Live events keep coming after the replay, without repeats.
    let three = app.create_ticket(acme.customer(), "Live again", "third").await.ticket;
    let live = back.drain().await;
    assert_eq!(ticket_ids(&live), vec![three.id]);

    let mut lost = Socket::open(&app.ws_url(), &acme.agent().token, Some(-5)).await;
    assert!(matches!(lost.next().await, Some(ServerEvent::Resync { .. })));
}

#[tokio::test]
async fn a_socket_without_a_valid_token_is_refused() {
    let app = spawn_app().await;
    let (mut stream, _) = tokio_tungstenite::connect_async(app.ws_url()).await.unwrap();
    let auth = json!({"type": "auth", "access_token": "forged.token.here"});
    stream.send(Frame::text(auth.to_string())).await.unwrap();
    let Some(Ok(Frame::Text(text))) = stream.next().await else {
        panic!("expected an error event")
    };
    let event: ServerEvent = serde_json::from_str(&text).unwrap();
    assert_eq!(
        event,
        ServerEvent::Error {
            code: ErrorCode::Unauthenticated.as_str().to_owned(),
            message: "The access token is invalid or has expired; sign in again.".to_owned()
        }
    );
    assert!(matches!(stream.next().await, Some(Ok(Frame::Close(_))) | None));
}

#[tokio::test]
async fn two_instances_on_one_postgresql_deliver_to_each_other() {
    if !std::env::var("TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres")) {
        // One SQLite file serves one instance; the PostgreSQL run of the suite covers this.
        return;
    }
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let other = app.another_instance().await;
    let mut agent = Socket::connect(&app, acme.agent()).await;
    // The customer talks to instance B; the agent listens on instance A.
    let response = app
        .client
        .post(format!("{}/api/v1/tickets", other.address))
        .bearer_auth(&acme.customer().token)
        .json(&json!({"subject": "Via B", "body": "Created on the other instance"}))
        .send()
        .await
        .unwrap();
    let created: TicketDetail = expect_json(response, StatusCode::CREATED).await;
    let event = agent.next().await.expect("the event crosses instances");
    assert!(
        matches!(event, ServerEvent::TicketCreated { ref ticket, .. } if ticket.id == created.ticket.id),
        "{event:?}"
    );
}

#[tokio::test]
async fn notifications_are_listed_counted_and_marked_read() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 2).await;
    let agent = acme.agent();
    let ticket = app.create_ticket(acme.customer(), "Help", "please").await.ticket;
    let second = app.create_ticket(acme.customer(), "More help", "please").await.ticket;
    // The supervisor assigns a ticket to the agent; the customer then replies on it.
    let assign = app
        .patch(
            &format!("/api/v1/tickets/{}", ticket.id),
            &acme.supervisor.token,
            &json!({"assignee_id": agent.id()}),
        )
        .await;
    assert_eq!(assign.status(), StatusCode::OK);
    app.reply(acme.customer(), ticket.id, "any news?", false).await;

    let page: NotificationPage =
        expect_json(app.get("/api/v1/notifications", &agent.token).await, StatusCode::OK).await;
    let kinds: Vec<NotificationKind> = page.items.iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        vec![
            NotificationKind::CustomerReplied,
            NotificationKind::TicketAssigned,
            NotificationKind::TicketCreated,
            NotificationKind::TicketCreated
        ]
    );
    assert_eq!(page.unread_count, 4);
    assert!(page.items[0].title.contains("replied"));

    // Read one: it moves after the unread ones.
    let read: UnreadCount = expect_json(
        app.post(
            &format!("/api/v1/notifications/{}/read", page.items[0].id),
            Some(&agent.token),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read.unread_count, 3);
    let page: NotificationPage = expect_json(
        app.get("/api/v1/notifications?limit=2", &agent.token).await,
        StatusCode::OK,
    )
    .await;
    assert!(page.items.iter().all(|n| n.read_at.is_none()));
    let cursor = page.next_cursor.clone().expect("more");
    let rest: NotificationPage = expect_json(
        app.get(&format!("/api/v1/notifications?limit=10&cursor={cursor}"), &agent.token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(rest.items.len(), 2);
    assert!(rest.items[1].read_at.is_some(), "read ones last");
    assert_eq!(page.items[1].ticket_id, Some(second.id));
    assert_eq!(
        rest.items[0].ticket_id,
        Some(ticket.id),
        "the oldest unread: the first new-ticket notice"
    );

    // Others' notifications look like missing ones; nothing crosses users or workspaces.
    let other_agent = &acme.agents[1];
    let theirs = app
        .post(
            &format!("/api/v1/notifications/{}/read", page.items[0].id),
            Some(&other_agent.token),
            &json!({}),
        )
        .await;
    expect_error(theirs, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let globex = app.signup("globex").await;
    let outsider = app
        .post(
            &format!("/api/v1/notifications/{}/read", page.items[0].id),
            Some(&globex.token),
            &json!({}),
        )
        .await;
    expect_error(outsider, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let empty: NotificationPage =
        expect_json(app.get("/api/v1/notifications", &globex.token).await, StatusCode::OK).await;
    assert!(empty.items.is_empty());
    let still: UnreadCount = expect_json(
        app.get("/api/v1/notifications/unread-count", &agent.token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(still.unread_count, 3, "others changed nothing");

    let all: UnreadCount = expect_json(
        app.post("/api/v1/notifications/read-all", Some(&agent.token), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(all.unread_count, 0);
    let customer: NotificationPage = expect_json(
        app.get("/api/v1/notifications", &acme.customer().token).await,
        StatusCode::OK,
    )
    .await;
    assert!(
        customer.items.is_empty(),
        "customers get email, not in-app notifications"
    );
}
