//! The mail seam: SMTP in production, `.eml` files for the embedded default.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

use anyhow::Context;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// One email ready to go, as the outbox stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to_address: String,
    pub to_name: String,
    /// Shown as the sender's name (the workspace's), with the configured address.
    pub from_name: String,
    pub subject: String,
    pub body_text: String,
    /// `<...@host>`, so mail clients can thread replies.
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth another try later: the server is down, busy, or answered 4xx.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// The server refused this mail for good (5xx): retrying cannot help.
    #[error("permanent failure: {0}")]
    Permanent(String),
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>>;

pub trait Mailer: Send + Sync {
    fn send<'a>(&'a self, email: &'a OutgoingEmail) -> SendFuture<'a>;
}

/// Removes line breaks, so no name or subject can add a header.
fn one_line(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

pub fn build_message(from_address: &str, email: &OutgoingEmail) -> anyhow::Result<Message> {
    let from = Mailbox::new(
        Some(one_line(&email.from_name)),
        from_address.parse().context("the sender address")?,
    );
    let to = Mailbox::new(
        Some(one_line(&email.to_name)),
        email.to_address.parse().context("the recipient address")?,
    );
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(one_line(&email.subject))
        .message_id(Some(one_line(&email.message_id)));
    if let Some(parent) = &email.in_reply_to {
        builder = builder.in_reply_to(one_line(parent));
    }
    if let Some(references) = &email.references {
        builder = builder.references(one_line(references));
    }
    builder
        .header(ContentType::TEXT_PLAIN)
        .body(email.body_text.clone())
        .context("building the message")
}

pub struct SmtpMailer {
    /// Replaced after a send times out (see `send`).
    transport: std::sync::Mutex<AsyncSmtpTransport<Tokio1Executor>>,
    url: String,
    from_address: String,
    /// The whole conversation's limit: lettre's own timeout does not bound a whole send, so a
    /// server that takes DATA and never replies could otherwise hold it for ever, and with it the
    /// worker and every mail behind it.
    timeout: Duration,
}

impl SmtpMailer {
    /// `smtp://host:25` (plain), `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://host:465` (TLS).
    /// `timeout` bounds each send from connecting to the server's last answer.
    pub fn new(url: &str, from_address: String, timeout: Duration) -> anyhow::Result<SmtpMailer> {
        Ok(SmtpMailer {
            transport: std::sync::Mutex::new(build_transport(url, timeout)?),
            url: url.to_owned(),
            from_address,
            timeout,
        })
    }

    fn transport(&self) -> std::sync::MutexGuard<'_, AsyncSmtpTransport<Tokio1Executor>> {
        self.transport.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn build_transport(url: &str, timeout: Duration) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .context("SMTP_URL is not a valid smtp:// or smtps:// URL")?
        .timeout(Some(timeout))
        .build())
}

impl Mailer for SmtpMailer {
    fn send<'a>(&'a self, email: &'a OutgoingEmail) -> SendFuture<'a> {
        Box::pin(async move {
            let message =
                build_message(&self.from_address, email).map_err(|error| SendError::Permanent(format!("{error:#}")))?;
            let transport = self.transport().clone();
            match tokio::time::timeout(self.timeout, transport.send(message)).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(error)) if error.is_permanent() => Err(SendError::Permanent(error.to_string())),
                Ok(Err(error)) => Err(SendError::Transient(error.to_string())),
                Err(_) => {
                    // lettre's pool takes back a connection dropped mid-conversation as if it were
                    // idle, and would hand it to the next send: start a new pool; dropping the old
                    // one closes its connections.
                    if let Ok(fresh) = build_transport(&self.url, self.timeout) {
                        *self.transport() = fresh;
                    }
                    Err(SendError::Transient(format!(
                        "the SMTP server did not finish within {} s",
                        self.timeout.as_secs_f32()
                    )))
                }
            }
        })
    }
}

/// The embedded default: each mail becomes an `.eml` file a person can open.
pub struct FileMailer {
    dir: PathBuf,
    from_address: String,
}

impl FileMailer {
    pub fn new(dir: PathBuf, from_address: String) -> FileMailer {
        FileMailer { dir, from_address }
    }
}

impl Mailer for FileMailer {
    fn send<'a>(&'a self, email: &'a OutgoingEmail) -> SendFuture<'a> {
        Box::pin(async move {
            let message =
                build_message(&self.from_address, email).map_err(|error| SendError::Permanent(format!("{error:#}")))?;
            let name: String = email
                .message_id
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
                .collect();
            let write = async {
                tokio::fs::create_dir_all(&self.dir).await?;
                tokio::fs::write(self.dir.join(format!("{name}.eml")), message.formatted()).await
            };
            write.await.map_err(|error| SendError::Transient(error.to_string()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_header_injection_through_names_or_subjects() {
        let email = OutgoingEmail {
            to_address: "carol@example.com".into(),
            to_name: "Carol\r\nBcc: everyone@example.com".into(),
            from_name: "Acme\nSupport".into(),
            subject: "Hello\r\nBcc: evil@example.com".into(),
            body_text: "Hi".into(),
            message_id: "<t-1@ferrodesk.test>".into(),
            in_reply_to: Some("<t-0@ferrodesk.test>\r\nX-Evil: 1".into()),
            references: None,
        };
        let text = String::from_utf8(build_message("noreply@ferrodesk.test", &email).unwrap().formatted()).unwrap();
        let headers = text.split("\r\n\r\n").next().unwrap();
        assert!(
            !headers
                .lines()
                .any(|line| line.starts_with("Bcc:") || line.starts_with("X-Evil")),
            "{headers}"
        );
        assert!(headers.contains("Message-ID: <t-1@ferrodesk.test>"), "{headers}");
    }
}
