//! When the parts around the app fail: a database that is down or locked answers 503 fast and
//! recovers by itself; an SMTP server that hangs does not stall mail; concurrent tickets for one
//! new requester both succeed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use ferrodesk::config::Secret;
use ferrodesk::db::entities::{outbox, users};
use ferrodesk::mail::jobs::deliver_due;
use ferrodesk::mail::outbox::OutboxStatus;
use ferrodesk_shared::ErrorCode;
use ferrodesk_shared::tickets::{NewTicket, TicketDetail};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::helpers::{TestApp, another_process_writes, expect_error, expect_json, retry_after, spawn_app_with};

/// A TCP proxy in front of PostgreSQL that a test can cut (every connection closed, new ones
/// accepted and then left hanging, like a host that stopped answering) and restore.
struct DatabaseProxy {
    port: u16,
    cut: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
    _accept: JoinHandle<()>,
}

impl DatabaseProxy {
    async fn start(upstream: String) -> DatabaseProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accept = tokio::spawn({
            let (cut, links) = (cut.clone(), links.clone());
            async move {
                loop {
                    let Ok((mut client, _)) = listener.accept().await else {
                        return;
                    };
                    let cut = cut.clone();
                    let upstream = upstream.clone();
                    let link = tokio::spawn(async move {
                        if cut.load(Ordering::SeqCst) {
                            // Hold the socket and say nothing, until restored.
                            while cut.load(Ordering::SeqCst) {
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                            return;
                        }
                        if let Ok(mut server) = TcpStream::connect(&upstream).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    });
                    links.lock().await.push(link);
                }
            }
        });
        DatabaseProxy {
            port,
            cut,
            links,
            _accept: accept,
        }
    }

    async fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for link in self.links.lock().await.drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// `host:port` of the PostgreSQL server named by `TEST_DATABASE_URL`.
fn postgres_address() -> Option<String> {
    let url = std::env::var("TEST_DATABASE_URL").ok()?;
    let url = url::Url::parse(&url).ok()?;
    Some(format!("{}:{}", url.host_str()?, url.port().unwrap_or(5432)))
}

async fn timed(request: reqwest::RequestBuilder) -> (reqwest::Response, Duration) {
    let started = Instant::now();
    let response = request.send().await.unwrap();
    (response, started.elapsed())
}

async fn assert_unavailable_fast(response: reqwest::Response, elapsed: Duration, what: &str) {
    let wait = retry_after(&response);
    assert!((1..=5).contains(&wait), "Retry-After {wait}");
    expect_error(response, StatusCode::SERVICE_UNAVAILABLE, ErrorCode::ServiceUnavailable).await;
    eprintln!("{what}: 503 after {} ms", elapsed.as_millis());
    assert!(elapsed < Duration::from_millis(2500), "{what} took {elapsed:?}");
}

fn ticket_for(email: &str, subject: &str) -> NewTicket {
    NewTicket {
        subject: subject.to_owned(),
        body: "Reported by phone.".to_owned(),
        priority: None,
        requester_email: Some(email.to_owned()),
        requester_name: None,
        attachment_ids: Vec::new(),
    }
}

#[tokio::test]
async fn a_database_that_cannot_answer_gives_503_within_a_second_and_the_app_recovers() {
    if let (Some(upstream), true) = (
        postgres_address(),
        std::env::var("TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres")),
    ) {
        // PostgreSQL: the server goes away behind a proxy.
        let proxy = DatabaseProxy::start(upstream.clone()).await;
        let proxied = format!("127.0.0.1:{}", proxy.port);
        let app = spawn_app_with(|settings| {
            settings.database_url = settings.database_url.replacen(&upstream, &proxied, 1);
            settings.database_timeout = Duration::from_secs(1);
        })
        .await;
        let owner = app.signup("cut").await;
        proxy.cut().await;

        let (response, elapsed) = timed(app.client.get(app.url("/api/v1/me")).bearer_auth(&owner.token)).await;
        assert_unavailable_fast(response, elapsed, "GET /api/v1/me, database cut").await;
        let (response, elapsed) = timed(
            app.client
                .post(app.url("/api/v1/tickets"))
                .bearer_auth(&owner.token)
                .json(&ticket_for("walk-in@mail.example", "While the database is away")),
        )
        .await;
        assert_unavailable_fast(response, elapsed, "POST /api/v1/tickets, database cut").await;
        let (ready, elapsed) = timed(app.client.get(app.url("/readyz"))).await;
        assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(elapsed < Duration::from_millis(2500), "readyz took {elapsed:?}");

        proxy.restore();
        recovers(&app, &owner.token).await;
    } else {
        // SQLite: another process holds the write lock (a backup, a long migration).
        let app = spawn_app_with(|settings| {
            settings.database_timeout = Duration::from_secs(1);
            settings.database_busy_timeout = Duration::from_millis(500);
        })
        .await;
        let owner = app.signup("locked").await;
        let other = ferrodesk::db::connect(&app.settings.database_url, 1).await.unwrap();
        let lock = another_process_writes(&other).await;

        let (response, elapsed) = timed(
            app.client
                .post(app.url("/api/v1/tickets"))
                .bearer_auth(&owner.token)
                .json(&ticket_for("walk-in@mail.example", "While the database is locked")),
        )
        .await;
        assert_unavailable_fast(response, elapsed, "POST /api/v1/tickets, write lock held").await;
        // Readers are not blocked by a writer (WAL).
        let response = app.get("/api/v1/me", &owner.token).await;
        assert_eq!(response.status(), StatusCode::OK);

        lock.rollback().await.unwrap();
        recovers(&app, &owner.token).await;
    }
}

/// Once the database is back, requests succeed again without a restart.
async fn recovers(app: &TestApp, token: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let response = app
            .client
            .post(app.url("/api/v1/tickets"))
            .bearer_auth(token)
            .json(&ticket_for("walk-in@mail.example", "After the database came back"))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::CREATED {
            break;
        }
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(Instant::now() < deadline, "the app did not recover");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
}

#[tokio::test]
async fn concurrent_tickets_for_one_new_requester_all_succeed_with_one_customer() {
    let app = spawn_app_with(|_| {}).await;
    let owner = app.signup("rush").await;
    let tickets = futures_util::future::join_all((0..10).map(|index| {
        let request = ticket_for("first-time@mail.example", &format!("Call number {index}"));
        let app = &app;
        let token = owner.token.clone();
        async move { app.post("/api/v1/tickets", Some(&token), &request).await }
    }))
    .await;
    let mut requesters = Vec::new();
    for response in tickets {
        let ticket: TicketDetail = expect_json(response, StatusCode::CREATED).await;
        requesters.push(ticket.ticket.requester.id);
    }
    requesters.dedup();
    assert_eq!(requesters.len(), 1, "every ticket has the same requester");
    let customers = users::Entity::find()
        .filter(users::Column::Email.eq("first-time@mail.example"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(customers, 1);
}

/// An SMTP server that takes the message after DATA and then, while `hang` is set, never
/// answers; otherwise it accepts. Counts the messages it accepted.
struct SmtpPeer {
    port: u16,
    hang: Arc<AtomicBool>,
    accepted: Arc<AtomicUsize>,
    _accept: JoinHandle<()>,
}

impl SmtpPeer {
    async fn start() -> SmtpPeer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let hang = Arc::new(AtomicBool::new(true));
        let accepted = Arc::new(AtomicUsize::new(0));
        let accept = tokio::spawn({
            let (hang, accepted) = (hang.clone(), accepted.clone());
            async move {
                loop {
                    let Ok((socket, _)) = listener.accept().await else {
                        return;
                    };
                    tokio::spawn(converse(socket, hang.clone(), accepted.clone()));
                }
            }
        });
        SmtpPeer {
            port,
            hang,
            accepted,
            _accept: accept,
        }
    }
}

async fn converse(socket: TcpStream, hang: Arc<AtomicBool>, accepted: Arc<AtomicUsize>) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    if write.write_all(b"220 peer.test ESMTP\r\n").await.is_err() {
        return;
    }
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let command = line.trim_end().to_ascii_uppercase();
        let answer: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
            b"250 peer.test\r\n"
        } else if command == "DATA" {
            if write.write_all(b"354 go ahead\r\n").await.is_err() {
                return;
            }
            loop {
                line.clear();
                if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                if line == ".\r\n" {
                    break;
                }
            }
            if hang.load(Ordering::SeqCst) {
                // The whole message is here; the answer never comes.
                let mut rest = Vec::new();
                let _ = lines.read_to_end(&mut rest).await;
                return;
            }
            accepted.fetch_add(1, Ordering::SeqCst);
            b"250 queued\r\n"
        } else if command == "QUIT" {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"250 ok\r\n"
        };
        if write.write_all(answer).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn an_smtp_server_that_never_answers_data_fails_the_send_after_the_timeout_and_mail_goes_on() {
    let peer = SmtpPeer::start().await;
    let url = format!("smtp://127.0.0.1:{}", peer.port);
    let app = spawn_app_with(move |settings| {
        settings.mail.smtp_url = Some(Secret::new(url));
        settings.mail.worker = false;
        settings.mail.send_timeout = Duration::from_secs(1);
    })
    .await;
    let owner = app.signup("hung").await;
    // The owner's address confirmation is not this test's business: one mail at a time.
    outbox::Entity::delete_many().exec(&app.state.db).await.unwrap();
    let invitation = json!({ "email": "new.agent@mail.example", "role": "agent" });
    let response = app.post("/api/v1/invitations", Some(&owner.token), &invitation).await;
    assert_eq!(response.status(), StatusCode::CREATED);

    let started = Instant::now();
    let now = Utc::now();
    let first = tokio::time::timeout(Duration::from_secs(10), deliver_due(&app.state, now))
        .await
        .expect("the worker is not stuck on a hung server")
        .unwrap();
    let elapsed = started.elapsed();
    eprintln!("a send to a hung SMTP server failed after {} ms", elapsed.as_millis());
    assert_eq!((first.sent, first.failed), (0, 1));
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    let rows = outbox::Entity::find().all(&app.state.db).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, OutboxStatus::Pending, "kept for a retry");
    assert_eq!(rows[0].attempts, 1);
    assert!(rows[0].claimed_until.is_none(), "the lease is given back");
    assert!(
        rows[0]
            .last_error
            .as_deref()
            .is_some_and(|error| error.contains("did not finish"))
    );

    // The server answers again: the retry and a new mail both go out.
    peer.hang.store(false, Ordering::SeqCst);
    let invitation = json!({ "email": "second.agent@mail.example", "role": "agent" });
    let response = app.post("/api/v1/invitations", Some(&owner.token), &invitation).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let later = now + chrono::Duration::hours(1);
    let second = deliver_due(&app.state, later).await.unwrap();
    assert_eq!((second.sent, second.failed), (2, 0));
    assert_eq!(peer.accepted.load(Ordering::SeqCst), 2);
}
