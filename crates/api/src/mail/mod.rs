//! Email through an outbox: a change writes its mail into the `outbox` table in its own
//! transaction; a worker claims due rows (a lease, `FOR UPDATE SKIP LOCKED` on PostgreSQL), hands
//! them to the mailer (SMTP with lettre, or `.eml` files when no `SMTP_URL` is set) and records
//! every attempt. A server that is down delays mail with exponential backoff; nothing is lost.

pub mod compose;
pub mod jobs;
pub mod mailer;
pub mod outbox;

pub use mailer::{Mailer, OutgoingEmail};

use std::sync::Arc;
use std::time::Duration;

use sea_orm::prelude::StringLen;
use tokio::sync::Notify;

use crate::config::MailSettings;

/// What a mail is; `outbox.kind`. The quotas count mails of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sea_orm::EnumIter, sea_orm::DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
pub enum MailKind {
    /// An invitation to join a workspace's team.
    Invitation,
    /// The address confirmation sent at sign-up.
    ConfirmEmail,
    /// A customer's emailed sign-in link.
    SignInLink,
    /// "You already have an account": a sign-up with a known address.
    AlreadyRegistered,
    /// The receipt of a customer's new ticket.
    TicketReceived,
    /// An agent's public reply, to the ticket's customer.
    AgentReplied,
    /// "How did we do?": a solved ticket's good / bad rating links (`csat::`).
    SatisfactionSurvey,
}

/// The mail service of the app state: the mailer, and the bell that wakes the worker.
#[derive(Clone)]
pub struct Mail {
    pub mailer: Arc<dyn Mailer>,
    pub wake: Arc<Notify>,
    pub from_address: String,
    /// The most one send may take (the outbox lease is sized from it).
    pub send_timeout: Duration,
}

impl Mail {
    pub fn new(settings: &MailSettings) -> anyhow::Result<Mail> {
        let mailer: Arc<dyn Mailer> = match &settings.smtp_url {
            Some(url) => Arc::new(mailer::SmtpMailer::new(
                url.expose(),
                settings.from_address.clone(),
                settings.send_timeout,
            )?),
            None => Arc::new(mailer::FileMailer::new(
                settings.dir.clone(),
                settings.from_address.clone(),
            )),
        };
        Ok(Mail {
            mailer,
            wake: Arc::new(Notify::new()),
            from_address: settings.from_address.clone(),
            send_timeout: settings.send_timeout,
        })
    }

    /// The right-hand side of Message-IDs: the sender address's domain.
    pub fn domain(&self) -> &str {
        self.from_address.rsplit('@').next().unwrap_or("ferrodesk.localhost")
    }

    /// Tells the worker that mail is waiting (after the transaction that wrote it committed).
    pub fn nudge(&self) {
        self.wake.notify_one();
    }
}
