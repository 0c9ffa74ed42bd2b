//! Email over a real SMTP conversation (aiosmtpd on loopback), the outbox's retries, and the
//! `.eml` files of the embedded default.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use chrono::Utc;
use ferrodesk::config::Secret;
use ferrodesk::db::entities::{outbox, outbox_attempts};
use ferrodesk::mail::MailKind;
use ferrodesk::mail::jobs::deliver_due;
use ferrodesk::mail::outbox::OutboxStatus;
use ferrodesk_shared::auth::{AuthResponse, InvitationCreated};
use ferrodesk_shared::{ErrorCode, Role};
use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::{TestApp, TestWorkspace, expect_error, expect_json, spawn_app, spawn_app_with};

/// aiosmtpd, started for one test (scripts/ensure-test-tools installs it into .tools/py).
struct SmtpSink {
    child: tokio::process::Child,
    port: u16,
    dir: PathBuf,
    refuse_file: PathBuf,
}

impl SmtpSink {
    async fn start() -> SmtpSink {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = std::env::temp_dir().join(format!("ferrodesk-smtp-{}", uuid::Uuid::now_v7().simple()));
        let (dir, refuse_file) = (base.join("inbox"), base.join("refuse"));
        std::fs::create_dir_all(&dir).unwrap();
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let venv = root.join(".tools/py/bin/python3");
        let python = if venv.exists() { venv } else { PathBuf::from("python3") };
        let mut child = tokio::process::Command::new(python)
            .arg(root.join("crates/api/tests/support/smtp_sink.py"))
            .args(["--port", &port.to_string(), "--dir"])
            .arg(&dir)
            .arg("--refuse")
            .arg(&refuse_file)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs; `bash scripts/ensure-test-tools` installs aiosmtpd");
        let stdout = child.stdout.take().unwrap();
        let ready = tokio::time::timeout(Duration::from_secs(15), BufReader::new(stdout).lines().next_line()).await;
        assert!(
            matches!(ready, Ok(Ok(Some(ref line))) if line == "ready"),
            "the SMTP sink did not start: run `bash scripts/ensure-test-tools`"
        );
        SmtpSink {
            child,
            port,
            dir,
            refuse_file,
        }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn refuse(&self, refusing: bool) {
        if refusing {
            std::fs::write(&self.refuse_file, b"busy").unwrap();
        } else {
            std::fs::remove_file(&self.refuse_file).ok();
        }
    }

    /// Every message the server accepted, as raw text.
    fn received(&self) -> Vec<String> {
        let mut messages: Vec<String> = std::fs::read_dir(&self.dir)
            .unwrap()
            .filter_map(|entry| {
                let path = entry.ok()?.path();
                (path.extension()? == "eml").then(|| std::fs::read_to_string(path).unwrap())
            })
            .collect();
        messages.sort();
        messages
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        if let Some(base) = self.dir.parent() {
            std::fs::remove_dir_all(base).ok();
        }
    }
}

async fn app_with_smtp(sink: &SmtpSink) -> TestApp {
    let url = sink.url();
    spawn_app_with(move |settings| {
        settings.mail.smtp_url = Some(Secret::new(url));
        // The tests drive delivery themselves, with chosen times.
        settings.mail.worker = false;
    })
    .await
}

fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    let head = message.split("\r\n\r\n").next()?;
    head.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(": "))
}

/// A mail about a ticket (`[#1] ...`, `Re: [#1] ...`), not an invitation or an address confirmation.
fn is_ticket_mail(message: &str) -> bool {
    header(message, "Subject").is_some_and(|subject| subject.contains("[#"))
}

fn link_token(message: &str) -> String {
    // Quoted-printable may fold long lines; join them first.
    let flat = message.replace("=\r\n", "").replace("=3D", "=");
    let start = flat.find("/link?token=").expect("a sign-in link") + "/link?token=".len();
    flat[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
        .collect()
}

#[tokio::test]
async fn customers_get_a_confirmation_and_each_public_reply_in_one_thread() {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(&sink).await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    // The team's invitations went by mail too; this test is about the customer's.
    let invitations = deliver_due(&app.state, Utc::now()).await.unwrap().sent;
    let ticket = app
        .create_ticket(acme.customer(), "Card declined", "It failed at checkout")
        .await
        .ticket;
    let delivered = deliver_due(&app.state, Utc::now()).await.unwrap();
    assert_eq!(delivered.sent, 1);

    let agent = acme.agent();
    for (body, internal) in [
        ("Internal: check the processor logs", true),
        ("Could you try again now?", false),
    ] {
        let reply = app
            .post(
                &format!("/api/v1/tickets/{}/messages", ticket.id),
                Some(&agent.token),
                &json!({"body": body, "internal": internal}),
            )
            .await;
        assert_eq!(reply.status(), StatusCode::CREATED);
    }
    deliver_due(&app.state, Utc::now()).await.unwrap();
    let received: Vec<String> = sink
        .received()
        .into_iter()
        .filter(|message| is_ticket_mail(message))
        .collect();
    assert_eq!(sink.received().len(), invitations + 2);
    assert_eq!(received.len(), 2, "a confirmation and one reply; never the note");
    let (confirmation, reply): (Vec<&String>, Vec<&String>) = received
        .iter()
        .partition(|message| header(message, "In-Reply-To").is_none());
    let (confirmation, reply) = (confirmation[0], reply[0]);

    assert!(
        header(confirmation, "To")
            .unwrap()
            .contains(&acme.customer().auth.user.email)
    );
    assert_eq!(header(confirmation, "Subject"), Some("[#1] Card declined"));
    let root = header(confirmation, "Message-ID").unwrap();
    assert_eq!(root, format!("<ticket-{}@ferrodesk.test>", ticket.id));
    assert_eq!(header(reply, "In-Reply-To"), Some(root));
    assert_eq!(header(reply, "References"), Some(root));
    assert!(header(reply, "Subject").unwrap().starts_with("Re: [#1]"));
    assert!(reply.contains("Could you try again now?"));
    assert!(!reply.contains("processor logs"));

    // The link in the mail signs the customer in; it is not an access token.
    let token = link_token(confirmation);
    let signed_in: AuthResponse = expect_json(
        app.post("/api/v1/auth/link", None, &json!({"token": token})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(signed_in.user.id, acme.customer().id());
    expect_error(
        app.get("/api/v1/me", &token).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
    )
    .await;
    let forged = app
        .post("/api/v1/auth/link", None, &json!({"token": agent.token}))
        .await;
    expect_error(forged, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
}

#[tokio::test]
async fn a_refusing_server_delays_mail_and_each_arrives_exactly_once() {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(&sink).await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let invitations = deliver_due(&app.state, Utc::now()).await.unwrap().sent;
    assert_eq!(sink.received().len(), invitations);
    sink.refuse(true);
    for index in 0..3 {
        app.create_ticket(acme.customer(), &format!("Question {index}"), "hello")
            .await;
    }
    let start = Utc::now();
    let first = deliver_due(&app.state, start).await.unwrap();
    assert_eq!((first.sent, first.failed), (0, 3));
    // Not due again before the backoff ends.
    let early = deliver_due(&app.state, start + chrono::Duration::seconds(10))
        .await
        .unwrap();
    assert_eq!((early.sent, early.failed), (0, 0));
    let second = deliver_due(&app.state, start + chrono::Duration::seconds(31))
        .await
        .unwrap();
    assert_eq!((second.sent, second.failed), (0, 3));
    assert_eq!(sink.received().len(), invitations, "nothing got through while refused");

    sink.refuse(false);
    // Two workers at once (two instances): the claims keep them from sending a mail twice.
    let later = start + chrono::Duration::minutes(5);
    let (a, b) = tokio::join!(deliver_due(&app.state, later), deliver_due(&app.state, later));
    assert_eq!(a.unwrap().sent + b.unwrap().sent, 3);
    let again = deliver_due(&app.state, later + chrono::Duration::hours(3))
        .await
        .unwrap();
    assert_eq!(again.sent, 0, "nothing is sent twice");

    let received: Vec<String> = sink
        .received()
        .into_iter()
        .filter(|message| is_ticket_mail(message))
        .collect();
    assert_eq!(received.len(), 3);
    let mut subjects: Vec<_> = received
        .iter()
        .filter_map(|message| header(message, "Subject"))
        .collect();
    subjects.sort();
    assert_eq!(subjects, vec!["[#1] Question 0", "[#2] Question 1", "[#3] Question 2"]);
    let attempts = outbox_attempts::Entity::find().count(&app.state.db).await.unwrap();
    assert_eq!(
        attempts as usize,
        invitations + 9,
        "every attempt is recorded: 2 failures and 1 success for each mail"
    );
    let rows = outbox::Entity::find().all(&app.state.db).await.unwrap();
    let tickets: Vec<_> = rows.iter().filter(|row| row.kind == MailKind::TicketReceived).collect();
    assert!(
        tickets
            .iter()
            .all(|row| row.status == OutboxStatus::Sent && row.attempts == 3),
        "{tickets:?}"
    );
}

#[tokio::test]
async fn invitations_and_sign_in_links_go_by_email() {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(&sink).await;
    let owner = app.signup("acme").await;
    let created: InvitationCreated = expect_json(
        app.post(
            "/api/v1/invitations",
            Some(&owner.token),
            &json!({"email": "new.agent@acme.example", "role": "agent"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let customer = app.register_customer("acme", "carol@mail.example").await;
    for email in ["carol@mail.example", "nobody@mail.example", "owner@acme.example"] {
        let response = app
            .post(
                "/api/v1/auth/link-request",
                None,
                &json!({"workspace_slug": "acme", "email": email}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "the same answer for {email}");
    }
    deliver_due(&app.state, Utc::now()).await.unwrap();
    // The owner's and the customer's address confirmations are the identity tests' business.
    let received: Vec<String> = sink
        .received()
        .into_iter()
        .filter(|message| {
            !header(message, "Subject")
                .unwrap_or("")
                .starts_with("Confirm your email")
        })
        .collect();
    assert_eq!(
        received.len(),
        2,
        "the invitation and one link, for the known customer only"
    );
    let invitation = received
        .iter()
        .find(|message| message.contains("invited you"))
        .expect("the invitation");
    assert!(header(invitation, "To").unwrap().contains("new.agent@acme.example"));
    assert!(
        invitation
            .replace("=\r\n", "")
            .contains(&format!("/invite/{}", created.token))
    );
    let link = received
        .iter()
        .find(|message| message.contains("sign-in link"))
        .expect("the sign-in link");
    let signed_in: AuthResponse = expect_json(
        app.post("/api/v1/auth/link", None, &json!({"token": link_token(link)}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(signed_in.user.id, customer.id());
    assert_eq!(signed_in.user.role, Role::Customer);
}

#[tokio::test]
async fn without_smtp_mail_is_written_as_eml_files() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 0).await;
    app.create_ticket(acme.customer(), "Offline mail", "Where does it go?")
        .await;
    let dir = app.settings.mail.dir.clone();
    // The worker runs in the background here, as in production.
    let mut found = None;
    for _ in 0..50 {
        let files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|entries| entries.flatten().map(|entry| entry.path()).collect())
            .unwrap_or_default();
        found = files
            .iter()
            .map(|file| std::fs::read_to_string(file).unwrap_or_default())
            .find(|text| header(text, "Subject") == Some("[#1] Offline mail"));
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = found.expect("the confirmation is an .eml file in the data folder");
    assert!(header(&text, "To").unwrap().contains(&acme.customer().auth.user.email));
}
