//! The billing job: a plain async function of `now` that the worker calls when the webhook stored
//! an event (and every half minute, for retries and grace periods), and that tests call with a
//! chosen `now`. Each event only names a subscription: the job asks Stripe for its state now and
//! decides from that (`domain::decide`), so a late, repeated or reordered event cannot set an old
//! state. Stripe being down leaves the event queued, tried again with backoff; nothing is lost.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use ferrodesk_shared::WorkspaceId;
use ferrodesk_shared::workspaces::Plan;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::clock;
use crate::db;
use crate::db::entities::stripe_events;
use crate::db::lease::Lease;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::worker::Worker;
use crate::workspaces::repo as workspaces_repo;

use super::domain::{self, Decision, Stored};
use super::{StripeBilling, repo};

/// Events one claim takes.
const BATCH: u64 = 20;
/// How long a stopping worker waits for the batch in flight.
const STOP_WAIT: StdDuration = StdDuration::from_secs(20);

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Processed {
    /// Events done with (applied or ignored, with their outcome stored).
    pub finished: usize,
    /// Events left for later because Stripe could not be asked.
    pub deferred: usize,
    /// Workspaces moved to Free because their grace period ended unpaid.
    pub graces_ended: usize,
}

/// Processes the due events, then ends the grace periods that are over.
pub async fn run(state: &AppState, now: DateTime<Utc>) -> ApiResult<Processed> {
    let mut processed = Processed::default();
    let Ok(stripe) = state.billing.stripe() else {
        return Ok(processed);
    };
    let now = now.trunc_subsecs(6);
    let worker = Uuid::now_v7();
    let lease = Lease {
        worker,
        now,
        limit: BATCH,
        // Each event asks Stripe once, bounded by the client's timeout.
        length: Duration::seconds(120),
    };
    loop {
        let batch = repo::claim(&state.db, lease).await?;
        if batch.is_empty() {
            break;
        }
        for event in &batch {
            if process(state, stripe, event, worker, now).await? {
                processed.finished += 1;
            } else {
                processed.deferred += 1;
            }
        }
    }
    processed.graces_ended = end_graces(state, now).await?;
    Ok(processed)
}

/// One event: `true` when done with, `false` when left for later.
async fn process(
    state: &AppState,
    stripe: &StripeBilling,
    event: &stripe_events::Model,
    worker: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let Some(subscription_id) = &event.subscription else {
        repo::finish(&state.db, &event.id, worker, "names no subscription", now).await?;
        return Ok(true);
    };
    let subscription = match stripe.client.subscription(subscription_id).await {
        Ok(subscription) => subscription,
        Err(ferrodesk_stripe::Error::Refused { status: 404, .. }) => {
            repo::finish(&state.db, &event.id, worker, "no such subscription at Stripe", now).await?;
            return Ok(true);
        }
        Err(error) => {
            tracing::warn!(%error, event = %event.id, "billing could not ask Stripe; the event waits");
            let next = now + crate::webhooks::jobs::backoff(event.attempts + 1);
            repo::retry_later(&state.db, event, worker, &error.to_string(), next).await?;
            return Ok(false);
        }
    };
    // The workspace is the one whose stored customer Stripe says owns the subscription.
    let Some(workspace) = repo::find_by_customer(&state.db, &subscription.customer).await? else {
        tracing::warn!(event = %event.id, customer = %subscription.customer, "a Stripe event for a customer no workspace has");
        repo::finish(&state.db, &event.id, worker, "unknown customer", now).await?;
        return Ok(true);
    };
    let scope = WorkspaceScope::for_operator(WorkspaceId(workspace.id));
    let txn = db::begin_write(&state.db).await?;
    // Under the row's lock, decided against the row as it is now.
    workspaces_repo::lock(&txn, &scope, now).await?;
    let current = workspaces_repo::get(&txn, &scope).await?;
    let stored = Stored {
        plan: current.plan.into(),
        subscription: current.stripe_subscription_id.clone(),
        grace_until: current.billing_grace_until,
    };
    let outcome = match domain::decide(&stored, &subscription, &stripe.price_pro, now, state.billing.grace) {
        Decision::Apply(billed) => {
            repo::apply(&txn, &scope, &billed, now).await?;
            if billed.plan != stored.plan {
                tracing::info!(workspace = %workspace.id, from = ?stored.plan, to = ?billed.plan, status = %billed.status, "plan changed by billing");
            }
            "applied"
        }
        Decision::Ignore(why) => why,
    };
    repo::finish(&txn, &event.id, worker, outcome, now).await?;
    txn.commit().await?;
    Ok(true)
}

/// Workspaces whose grace period after a failed payment ended unpaid go to Free.
async fn end_graces(state: &AppState, now: DateTime<Utc>) -> ApiResult<usize> {
    let ended = repo::end_graces(&state.db, now).await?;
    for workspace in &ended {
        tracing::info!(workspace = %workspace.id, to = ?Plan::Free, "the grace period after a failed payment ended");
    }
    Ok(ended.len())
}

/// Runs `run` until stopped (`worker::Worker`): at once when the webhook stored an event, and
/// every `every` for retries and grace periods.
pub fn spawn_worker(state: AppState, wake: Arc<Notify>, every: StdDuration) -> Worker {
    Worker::spawn("billing", wake, every, STOP_WAIT, move |_stopping| {
        let state = state.clone();
        async move { run(&state, clock::now()).await.map(drop) }
    })
}
