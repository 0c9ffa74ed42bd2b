//! The delivery job: a plain async function of `now` that the worker loop calls every few
//! seconds (and at once when a change enqueues mail), and that tests call with a chosen `now`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::clock;
use crate::db::lease::Lease;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::worker::Worker;

use super::mailer::{Mailer, SendError};
use super::outbox::{self, Outcome};
use crate::db::entities::outbox as outbox_row;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub sent: usize,
    pub failed: usize,
}

/// How many of a batch's sends are in flight at once. Mails to one address go one after another,
/// in the order they were written (a confirmation before the reply that follows it); mails to
/// different addresses go side by side.
const SENDS_AT_ONCE: usize = 8;

/// Sends what is due at `now`: claims a batch, sends it, records the outcomes. Each send is bounded
/// by the mailer's timeout, and starts only while it can still finish inside the batch's lease.
pub async fn deliver_due(state: &AppState, now: DateTime<Utc>) -> ApiResult<Delivery> {
    let worker = Uuid::now_v7();
    let mut delivery = Delivery::default();
    let length = outbox::lease_length(state.mail.send_timeout);
    let started = std::time::Instant::now();
    loop {
        // Sends take real time: later claims (and their leases) start from the clock as it is then.
        let now = now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
        let lease = Lease {
            worker,
            now,
            limit: outbox::BATCH,
            length,
        };
        let batch = outbox::claim(&state.db, lease).await?;
        if batch.is_empty() {
            return Ok(delivery);
        }
        let last_start = (length - outbox::LEASE_MARGIN).to_std().unwrap_or_default();
        let window = SendWindow {
            claimed: Instant::now(),
            last_start: last_start.saturating_sub(state.mail.send_timeout),
        };
        let outcomes = send_all(state.mail.mailer.as_ref(), batch, window).await;
        for (row, outcome) in &outcomes {
            match outcome {
                Outcome::Sent => delivery.sent += 1,
                Outcome::Failed { error, .. } => {
                    tracing::warn!(%error, mail = %row.id, attempts = row.attempts + 1, "mail not delivered");
                    delivery.failed += 1;
                }
                Outcome::NotTried => {}
            }
        }
        outbox::record(&state.db, worker, &outcomes, now).await?;
    }
}

/// When a claimed batch's sends may start: up to `last_start` after the claim, so that each one,
/// bounded by the send timeout, ends inside the lease.
#[derive(Debug, Clone, Copy)]
struct SendWindow {
    claimed: Instant,
    last_start: Duration,
}

impl SendWindow {
    fn open(&self, at: Instant) -> bool {
        at.saturating_duration_since(self.claimed) <= self.last_start
    }
}

/// A batch's mails by address, each address's in the order they were claimed (oldest first).
fn by_address(batch: Vec<outbox_row::Model>) -> Vec<Vec<outbox_row::Model>> {
    let mut groups: Vec<Vec<outbox_row::Model>> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for row in batch {
        let key = row.to_address.to_lowercase();
        match index.get(&key) {
            Some(&at) => groups[at].push(row),
            None => {
                index.insert(key, groups.len());
                groups.push(vec![row]);
            }
        }
    }
    groups
}

async fn send_all(
    mailer: &dyn Mailer,
    batch: Vec<outbox_row::Model>,
    window: SendWindow,
) -> Vec<(outbox_row::Model, Outcome)> {
    let sends = by_address(batch).into_iter().map(|group| async move {
        let mut done = Vec::with_capacity(group.len());
        for row in group {
            let outcome = if !window.open(Instant::now()) {
                Outcome::NotTried
            } else {
                match mailer.send(&outbox::email_of(&row)).await {
                    Ok(()) => Outcome::Sent,
                    Err(error) => Outcome::Failed {
                        permanent: matches!(error, SendError::Permanent(_)),
                        error: error.to_string(),
                    },
                }
            };
            done.push((row, outcome));
        }
        done
    });
    let groups: Vec<Vec<_>> = stream::iter(sends).buffer_unordered(SENDS_AT_ONCE).collect().await;
    groups.into_iter().flatten().collect()
}

/// How long a stop waits for the mails being sent (each send is bounded by the SMTP timeout).
const STOP_WAIT: Duration = Duration::from_secs(10);

/// Runs `deliver_due` until stopped (`worker::Worker`): woken by new mail, and every `every` for
/// retries. A mail cut short by a stop is sent again when its lease runs out.
pub fn spawn_worker(state: AppState, wake: Arc<Notify>, every: Duration) -> Worker {
    Worker::spawn("mail", wake, every, STOP_WAIT, move |_stopping| {
        let state = state.clone();
        async move { deliver_due(&state, clock::now()).await.map(drop) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(to: &str, subject: &str) -> outbox_row::Model {
        let now = Utc::now();
        outbox_row::Model {
            id: Uuid::now_v7(),
            workspace_id: None,
            kind: super::super::MailKind::TicketReceived,
            to_address: to.to_owned(),
            to_name: String::new(),
            from_name: String::new(),
            subject: subject.to_owned(),
            body_text: String::new(),
            message_id: String::new(),
            in_reply_to: None,
            references: None,
            status: outbox::OutboxStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            claimed_by: None,
            claimed_until: None,
            last_error: None,
            created_at: now,
            sent_at: None,
        }
    }

    #[test]
    fn one_address_keeps_its_order_and_others_go_beside_it() {
        let batch = vec![
            mail("carol@example.com", "1"),
            mail("dave@example.com", "2"),
            mail("Carol@Example.com", "3"),
            mail("erin@example.com", "4"),
            mail("carol@example.com", "5"),
        ];
        let groups: Vec<Vec<String>> = by_address(batch)
            .into_iter()
            .map(|group| group.into_iter().map(|row| row.subject).collect())
            .collect();
        assert_eq!(groups, vec![vec!["1", "3", "5"], vec!["2"], vec!["4"]]);
    }

    #[test]
    fn a_send_starts_only_while_it_can_end_inside_the_lease() {
        let claimed = Instant::now();
        let window = SendWindow {
            claimed,
            last_start: Duration::from_secs(70),
        };
        assert!(window.open(claimed));
        assert!(window.open(claimed + Duration::from_secs(70)));
        assert!(!window.open(claimed + Duration::from_secs(71)));
    }
}
