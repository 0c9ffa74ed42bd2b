//! The delivery job: a plain async function of `now` that the worker loop calls every few
//! seconds (and at once when a change enqueues mail), and that tests call with a chosen `now`.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::clock;
use crate::db::lease::Lease;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::worker::Worker;

use super::mailer::SendError;
use super::outbox;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub sent: usize,
    pub failed: usize,
}

/// Sends what is due at `now`: claims a batch, sends each mail, records the outcome. Each send
/// is bounded by the mailer's timeout, and a batch is small enough that its lease outlives it.
pub async fn deliver_due(state: &AppState, now: DateTime<Utc>) -> ApiResult<Delivery> {
    let worker = Uuid::now_v7();
    let mut delivery = Delivery::default();
    let (limit, length) = outbox::lease_for(state.mail.send_timeout);
    let started = std::time::Instant::now();
    loop {
        // Sends take real time: later claims (and their leases) start from the clock as it is then.
        let now = now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
        let batch = outbox::claim(
            &state.db,
            Lease {
                worker,
                now,
                limit,
                length,
            },
        )
        .await?;
        if batch.is_empty() {
            return Ok(delivery);
        }
        for row in batch {
            match state.mail.mailer.send(&outbox::email_of(&row)).await {
                Ok(()) => {
                    outbox::mark_sent(&state.db, &row, now).await?;
                    delivery.sent += 1;
                }
                Err(error) => {
                    let permanent = matches!(error, SendError::Permanent(_));
                    tracing::warn!(%error, mail = %row.id, attempts = row.attempts + 1, "mail not delivered");
                    outbox::mark_failed(&state.db, &row, now, error.to_string(), permanent).await?;
                    delivery.failed += 1;
                }
            }
        }
    }
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
