//! The delivery job: a plain async function of `now` that the worker calls after commits (the hub
//! rings it) and every few seconds, and that tests call with a chosen `now`. Each attempt is signed
//! the Standard Webhooks way, bounded by a connect and a whole-request timeout, and logged.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, SubsecRound, Utc};
use ferrodesk_shared::WorkspaceId;
use ferrodesk_shared::notifications::NotificationKind;
use ferrodesk_shared::webhooks::DeliveryStatus;
use futures_util::future::join_all;
use tokio::sync::{Notify, watch};
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::clock;
use crate::db;
use crate::db::entities::{webhook_deliveries, webhook_endpoints};
use crate::db::lease::Lease;
use crate::error::ApiResult;
use crate::net::{self, without_url};
use crate::state::AppState;
use crate::worker::Worker;
use crate::{notifications, realtime, users};

use super::domain;
use super::repo::{self, Attempt};

/// The most deliveries one claim takes; they are sent concurrently.
const BATCH: u64 = 20;
/// Room in a lease for the database writes around the sends.
const LEASE_MARGIN: Duration = Duration::seconds(30);
/// How much of an answer's body the log keeps.
const KEPT_ANSWER_BYTES: usize = 1024;
/// After this many failed attempts in a row (about three days of backoff) a delivery is given up.
pub const MAX_ATTEMPTS: i32 = 80;
/// How long a stopping worker waits for the batch in flight.
const STOP_WAIT: StdDuration = StdDuration::from_secs(20);

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub delivered: usize,
    pub failed: usize,
}

/// 10 s, 20 s, 40 s, ... capped at an hour.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = attempts.clamp(1, 20) as u32 - 1;
    Duration::seconds(std::cmp::min(10i64 << exponent, 3600))
}

/// A batch's lease outlives its sends (which run together, each bounded by the timeout), so another
/// instance never takes a delivery still in flight.
fn lease(timeout: StdDuration) -> Duration {
    Duration::from_std(timeout).unwrap_or(Duration::seconds(60)) + LEASE_MARGIN
}

/// Sends what is due at `now`: claims a batch, sends it, records each outcome, until nothing is due.
pub async fn deliver_due(state: &AppState, now: DateTime<Utc>) -> ApiResult<Delivered> {
    deliver_until(state, now, None).await
}

async fn deliver_until(
    state: &AppState,
    now: DateTime<Utc>,
    stop: Option<&watch::Receiver<bool>>,
) -> ApiResult<Delivered> {
    let worker = Uuid::now_v7();
    let length = lease(state.settings.webhooks.timeout);
    let started = Instant::now();
    let mut outcome = Delivered::default();
    while !stop.is_some_and(|stop| *stop.borrow()) {
        // Sends take real time: later claims (and their leases) start from the clock as it is then.
        // Cut to microseconds, as the clock is, so what is stored equals what is read back.
        let now = (now + Duration::from_std(started.elapsed()).unwrap_or_default()).trunc_subsecs(6);
        let batch = repo::claim(
            &state.db,
            Lease {
                worker,
                now,
                limit: BATCH,
                length,
            },
        )
        .await?;
        if batch.is_empty() {
            break;
        }
        let ids: Vec<Uuid> = batch.iter().map(|delivery| delivery.endpoint_id).collect();
        let endpoints: HashMap<Uuid, webhook_endpoints::Model> = repo::endpoints_by_ids(&state.db, ids)
            .await?
            .into_iter()
            .map(|endpoint| (endpoint.id, endpoint))
            .collect();
        let sends = batch
            .iter()
            .map(|delivery| attempt(state, delivery, endpoints.get(&delivery.endpoint_id), now));
        let attempts = join_all(sends).await;
        for (delivery, attempt) in batch.iter().zip(attempts) {
            if attempt.error.is_none() {
                outcome.delivered += 1;
            } else {
                outcome.failed += 1;
            }
            record(state, delivery, worker, &attempt, now).await?;
        }
    }
    Ok(outcome)
}

/// One signed POST; never an error, always an attempt to log.
async fn attempt(
    state: &AppState,
    delivery: &webhook_deliveries::Model,
    endpoint: Option<&webhook_endpoints::Model>,
    now: DateTime<Utc>,
) -> Attempt {
    let failed = |error: String| Attempt {
        at: now,
        response_status: None,
        latency_ms: 0,
        response_body: None,
        error: Some(error),
    };
    let Some(endpoint) = endpoint else {
        return failed("the endpoint is gone".to_owned());
    };
    // An address literal never reaches the resolver's check: test it here, against today's settings.
    let allow_local = state.settings.webhooks.allow_local;
    let forbidden = match url::Url::parse(&endpoint.url) {
        Ok(url) => net::forbidden_host(&url, allow_local),
        Err(_) => Some("is not a URL".to_owned()),
    };
    if let Some(reason) = forbidden {
        return failed(format!("the endpoint's address {reason}"));
    }
    let body = match body_of(state, delivery).await {
        Ok(body) => body,
        Err(error) => return failed(error),
    };
    let secret = match state.ai.keys().open(endpoint.workspace_id, &endpoint.secret) {
        Ok(secret) => secret,
        Err(error) => {
            tracing::error!(%error, endpoint = %endpoint.id, "a webhook secret does not open");
            return failed("the signing secret cannot be read".to_owned());
        }
    };
    let id = message_id(delivery.id);
    let timestamp = now.timestamp();
    let signature = match domain::sign(&secret, &id, timestamp, body.as_bytes()) {
        Ok(signature) => signature,
        Err(error) => return failed(error),
    };
    let started = Instant::now();
    let sent = state
        .webhooks
        .client
        .post(&endpoint.url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    let outcome = match sent {
        Ok(response) => {
            let status = response.status();
            let answer = first_bytes(response).await;
            Attempt {
                at: now,
                response_status: Some(status.as_u16()),
                latency_ms: 0,
                response_body: answer,
                error: (!status.is_success()).then(|| format!("the endpoint answered {status}")),
            }
        }
        Err(error) => failed(if error.is_timeout() {
            "the endpoint did not answer in time".to_owned()
        } else {
            format!("cannot reach the endpoint: {}", without_url(&error))
        }),
    };
    Attempt {
        latency_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        ..outcome
    }
}

/// The `webhook-id` of every attempt of a delivery.
pub fn message_id(delivery: Uuid) -> String {
    format!("msg_{}", delivery.simple())
}

/// `{"type", "timestamp", "data"}`: the event as a staff socket receives it, under `data`.
async fn body_of(state: &AppState, delivery: &webhook_deliveries::Model) -> Result<String, String> {
    let event = repo::event(&state.db, delivery.workspace_id, delivery.event_seq)
        .await
        .map_err(|error| format!("reading the event failed: {error}"))?
        .ok_or_else(|| "the event is no longer stored".to_owned())?;
    // The stored payload is inserted as is: it is the JSON the log wrote, byte for byte.
    let kind = serde_json::to_string(&event.kind).map_err(|error| format!("encoding the event failed: {error}"))?;
    let timestamp =
        serde_json::to_string(&event.created_at).map_err(|error| format!("encoding the event failed: {error}"))?;
    Ok(format!(
        r#"{{"type":{kind},"timestamp":{timestamp},"data":{}}}"#,
        event.payload
    ))
}

/// The first kilobyte of the answer (cut at a character boundary), read no further.
async fn first_bytes(mut response: reqwest::Response) -> Option<String> {
    let mut kept = Vec::new();
    while kept.len() < KEPT_ANSWER_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    kept.truncate(KEPT_ANSWER_BYTES);
    let text = String::from_utf8_lossy(&kept);
    let text = text.trim_end_matches('\u{FFFD}').to_owned();
    (!text.is_empty()).then_some(text)
}

/// Logs the attempt and moves the delivery on; a failure may end the endpoint's patience.
async fn record(
    state: &AppState,
    delivery: &webhook_deliveries::Model,
    worker: Uuid,
    attempt: &Attempt,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    if attempt.error.is_none() {
        repo::record_attempt(&state.db, delivery, worker, attempt, DeliveryStatus::Delivered, now).await?;
        return repo::endpoint_succeeded(&state.db, delivery.endpoint_id).await;
    }
    let attempts = delivery.attempts + 1;
    let status = if attempts >= MAX_ATTEMPTS {
        DeliveryStatus::Failed
    } else {
        DeliveryStatus::Pending
    };
    tracing::info!(delivery = %delivery.id, attempts, error = attempt.error.as_deref(), "webhook not delivered");
    repo::record_attempt(&state.db, delivery, worker, attempt, status, now + backoff(attempts)).await?;
    let failing_since = repo::endpoint_failed(&state.db, delivery.endpoint_id, now).await?;
    if failing_since.is_some_and(|since| now - since >= state.settings.webhooks.disable_after) {
        disable(state, delivery, now).await?;
    }
    Ok(())
}

/// Switches the endpoint off (once across instances) and tells the workspace's owners in-app.
async fn disable(state: &AppState, delivery: &webhook_deliveries::Model, now: DateTime<Utc>) -> ApiResult<()> {
    let scope = WorkspaceScope::for_scheduled_job(WorkspaceId(delivery.workspace_id));
    let hours = state.settings.webhooks.disable_after.num_hours();
    let reason = format!("Every delivery failed for {hours} hours; switched off automatically.");
    let txn = db::begin_write(&state.db).await?;
    if !repo::disable(&txn, delivery.endpoint_id, &reason, now).await? {
        return Ok(());
    }
    let endpoint = repo::find(&txn, &scope, delivery.endpoint_id).await?;
    let owners = users::repo::with_roles(&txn, &scope, &[ferrodesk_shared::Role::Owner]).await?;
    let title = format!(
        "Webhook to {} was switched off: it kept failing",
        host_of(&endpoint.url)
    );
    let notifying = notifications::service::prepare(
        &scope,
        owners.into_iter().map(|owner| owner.id),
        NotificationKind::WebhookDisabled,
        None,
        &title,
        now,
    )?;
    notifications::service::store(&txn, notifying.rows).await?;
    realtime::log::record(&txn, &scope, notifying.events, now).await?;
    txn.commit().await?;
    state.realtime.wake(scope.uuid());
    tracing::warn!(endpoint = %delivery.endpoint_id, "a failing webhook endpoint was disabled");
    Ok(())
}

fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_else(|| url.to_owned())
}

/// Runs `deliver_due` until stopped (`worker::Worker`): at once when some change committed events
/// (the hub rings `wake`, here or on another instance through PostgreSQL's NOTIFY), and every
/// `every` for retries. A stop lets the batch in flight finish (up to `STOP_WAIT`); one cut short
/// loses nothing: its deliveries are taken again when the lease runs out.
pub fn spawn_worker(state: AppState, wake: Arc<Notify>, every: StdDuration) -> Worker {
    Worker::spawn("webhooks", wake, every, STOP_WAIT, move |stopping| {
        let state = state.clone();
        async move { deliver_until(&state, clock::now(), Some(&stopping)).await.map(drop) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_then_caps() {
        assert_eq!(backoff(1), Duration::seconds(10));
        assert_eq!(backoff(2), Duration::seconds(20));
        assert_eq!(backoff(6), Duration::seconds(320));
        assert_eq!(backoff(10), Duration::hours(1));
        assert_eq!(backoff(80), Duration::hours(1));
    }

    #[test]
    fn a_lease_outlives_a_send() {
        let timeout = StdDuration::from_secs(15);
        assert!(lease(timeout) > Duration::from_std(timeout).unwrap_or_default());
    }
}
