//! A new ticket's category, off the request path. The ticket's transaction only enqueues it (one
//! row in `categorise_queue`); `drain` claims queued tickets in batches (a lease, `FOR UPDATE SKIP
//! LOCKED` on PostgreSQL, so instances share the queue and a crashed one's claim is taken again),
//! embeds each batch in one pass, asks the workspace's classifier, and stores the embedding and the
//! verdict, deleting the queue row in the same transaction: a ticket is categorised once, and its
//! category is announced as `ticket.updated`. The same transaction looks for an open ticket of the
//! same requester it may repeat (`duplicates`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use ferrodesk_ai::Classifier;
use ferrodesk_shared::WorkspaceId;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use sha2::{Digest, Sha256};
use tokio::sync::{Notify, watch};
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::clock;
use crate::db::lease::{Lease, Queue};
use crate::db::{self, entities::ai_settings, entities::categorise_queue, entities::messages, entities::tickets};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::tickets::service as tickets_service;
use crate::worker::Worker;

use super::{Categorised, categories_of, duplicates, learn, repo, require_ai};

/// How long a worker owns the tickets it claimed. A batch takes well under a second; the rest is
/// room for a loaded machine. A crashed worker's tickets wait this long at most.
pub const LEASE: Duration = Duration::seconds(60);
/// Tickets per claim: one forward pass of the model (`engine::MAX_BATCH`).
const BATCH: u64 = 32;
/// Tickets per claim while people are writing (`batch_size`).
const BUSY_BATCH: u64 = 4;
/// A ticket claimed this many times without being stored is given up (logged), so one that always
/// fails cannot hold the queue forever. It stays uncategorised, for a person to decide.
const MAX_ATTEMPTS: i32 = 5;
/// People are writing when a batch of their writes committed this recently (`Batcher::since_last_commit`).
const BUSY_WITHIN: StdDuration = StdDuration::from_millis(100);
/// While people are writing, the first lane rests this many times as long as its last batch took
/// (the model then has a tenth of its time), and the others rest.
const GIVE_WAY: u32 = 9;
/// How long a stopping worker waits for the batch it is writing.
const STOP_WAIT: StdDuration = StdDuration::from_secs(10);

/// The text a ticket is embedded from, when it is categorised and when looking for similar ones.
pub fn ticket_text(subject: &str, body: &str) -> String {
    format!("{subject}\n{body}")
}

/// Queues new tickets for categorisation, in their own transaction: one INSERT.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    tickets: impl IntoIterator<Item = Uuid>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let rows: Vec<categorise_queue::ActiveModel> = tickets
        .into_iter()
        .map(|ticket_id| categorise_queue::ActiveModel {
            ticket_id: Set(ticket_id),
            workspace_id: Set(scope.uuid()),
            enqueued_at: Set(now),
            attempts: Set(0),
            claimed_by: Set(None),
            claimed_until: Set(None),
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    categorise_queue::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// What one `drain` did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DrainReport {
    /// Tickets whose category the AI set (or would have, had a person not chosen one first).
    pub categorised: usize,
    /// Tickets the AI was not sure enough about: its guess is stored, the category left to a person.
    pub abstained: usize,
    /// Tickets of workspaces without AI (plan or owner's switch): dropped from the queue unread.
    pub skipped: usize,
    /// Tickets given up after `MAX_ATTEMPTS` claims.
    pub given_up: usize,
    /// Tickets marked as a possible duplicate of an open one of their requester's (`duplicates`).
    pub possible_duplicates: usize,
}

impl std::ops::AddAssign for DrainReport {
    fn add_assign(&mut self, other: DrainReport) {
        self.categorised += other.categorised;
        self.abstained += other.abstained;
        self.skipped += other.skipped;
        self.given_up += other.given_up;
        self.possible_duplicates += other.possible_duplicates;
    }
}

/// Takes up to `limit` queued tickets for `worker` until `lease` runs out (`db::lease`), oldest
/// first, counting an attempt for each.
pub async fn claim(conn: &impl ConnectionTrait, lease: Lease) -> ApiResult<Vec<categorise_queue::Model>> {
    let queue = Queue::<categorise_queue::Entity> {
        key: categorise_queue::Column::TicketId,
        claimed_by: categorise_queue::Column::ClaimedBy,
        claimed_until: categorise_queue::Column::ClaimedUntil,
        order: categorise_queue::Column::EnqueuedAt,
    };
    let attempt = Expr::col(categorise_queue::Column::Attempts).add(1);
    let mut claimed = queue
        .claim(
            conn,
            lease,
            Condition::all(),
            vec![(categorise_queue::Column::Attempts, attempt)],
        )
        .await?;
    claimed.sort_by_key(|row| row.enqueued_at);
    Ok(claimed)
}

/// Categorises every queued ticket (as of `now`), a batch per claim, with as many batches in flight
/// as the engine has embedder threads, so the model keeps every thread busy while the database
/// writes. The batches take turns at the database (one connection at a time, however small the
/// pool), and embed side by side. While people are writing, the model gives way to them
/// (`make_way`). Tests call it directly; the worker calls it when woken.
pub async fn drain(state: &AppState, now: DateTime<Utc>) -> ApiResult<DrainReport> {
    let (_never, running) = watch::channel(false);
    drain_until(state, now, &running).await
}

async fn drain_until(state: &AppState, now: DateTime<Utc>, stop: &watch::Receiver<bool>) -> ApiResult<DrainReport> {
    let started = std::time::Instant::now();
    let turn = tokio::sync::Mutex::new(());
    let emptied = AtomicBool::new(false);
    let order = Order::default();
    let lanes = (0..state.ai.threads()).map(|index| {
        let lane_of = Lane {
            index,
            turn: &turn,
            emptied: &emptied,
            order: &order,
        };
        lane(state, lane_of, now, started, stop)
    });
    let mut report = DrainReport::default();
    for lane in futures_util::future::join_all(lanes).await {
        report += lane?;
    }
    if report != DrainReport::default() {
        tracing::info!(
            categorised = report.categorised,
            abstained = report.abstained,
            skipped = report.skipped,
            given_up = report.given_up,
            possible_duplicates = report.possible_duplicates,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "categorisation queue drained"
        );
    }
    Ok(report)
}

/// Claims and stores one batch after another until the queue is empty (or the worker stops).
/// One of a drain's lanes: which one, and what the lanes share.
struct Lane<'a> {
    index: usize,
    /// The database, one lane at a time.
    turn: &'a tokio::sync::Mutex<()>,
    /// Set by the first lane to find the queue empty: the others, resting, stop too.
    emptied: &'a AtomicBool,
    /// Batches are stored in the order they were claimed.
    order: &'a Order,
}

/// The order in which a drain's batches are stored: the order they were claimed in, oldest tickets
/// first, whichever lane's model finishes first. A possible duplicate is looked for among the
/// tickets stored before it, so a customer's second telling stored ahead of their first would
/// find nothing, and its page, told `ticket.updated` once, would never show the hint.
#[derive(Default)]
struct Order {
    /// The next batch to claim.
    claimed: std::sync::atomic::AtomicU64,
    /// The next batch to store: every earlier one is stored (or failed).
    stored: std::sync::atomic::AtomicU64,
    done: Notify,
}

impl Order {
    /// A batch's place, taken with the claim (under the database turn, so places follow claims).
    fn next(&self) -> u64 {
        self.claimed.fetch_add(1, Ordering::SeqCst)
    }

    /// Until every batch claimed before `place` is stored or failed.
    async fn wait_for(&self, place: u64) {
        loop {
            let notified = self.done.notified();
            if self.stored.load(Ordering::SeqCst) >= place {
                return;
            }
            notified.await;
        }
    }

    /// The batch at `place` is over, stored or not.
    fn over(&self, place: u64) {
        self.stored.fetch_max(place + 1, Ordering::SeqCst);
        self.done.notify_waiters();
    }
}

async fn lane(
    state: &AppState,
    Lane {
        index,
        turn,
        emptied,
        order,
    }: Lane<'_>,
    now: DateTime<Utc>,
    started: std::time::Instant,
    stop: &watch::Receiver<bool>,
) -> ApiResult<DrainReport> {
    let worker = Uuid::now_v7();
    let mut report = DrainReport::default();
    let mut took = StdDuration::ZERO;
    while !*stop.borrow() && !emptied.load(Ordering::Relaxed) {
        let rest = make_way(index, state.batcher.since_last_commit(), took);
        if !rest.is_zero() {
            let mut stopping = stop.clone();
            tokio::select! {
                () = tokio::time::sleep(rest) => {}
                _ = stopping.changed() => {}
            }
            took = StdDuration::ZERO;
            continue;
        }
        // Batches take real time: later claims (and their leases) start from the clock as it is then.
        let now = now + Duration::from_std(started.elapsed()).unwrap_or_default();
        let (batch, place) = {
            let _turn = turn.lock().await;
            let lease = Lease {
                worker,
                now,
                limit: batch_size(state.batcher.since_last_commit()),
                length: LEASE,
            };
            let batch = claim(&state.db, lease).await?;
            if batch.is_empty() {
                emptied.store(true, Ordering::Relaxed);
                break;
            }
            (batch, order.next())
        };
        let started_batch = std::time::Instant::now();
        let outcome = categorise_batch(state, worker, batch, now, turn, (order, place)).await;
        order.over(place);
        match outcome {
            Ok(done) => report += done,
            // The rows stay claimed until the lease runs out, then another try takes them.
            Err(error) => tracing::warn!(%error, "categorising a batch failed; it is tried again later"),
        }
        took = started_batch.elapsed();
    }
    Ok(report)
}

/// How many tickets the next batch takes: while people are writing, a few, so that the model
/// takes its tenth of the time in short turns (a whole batch held both cores for half a second,
/// and the requests queued behind it made the creates' p99).
fn batch_size(since_last_write: Option<StdDuration>) -> u64 {
    match since_last_write {
        Some(since) if since < BUSY_WITHIN => BUSY_BATCH,
        _ => BATCH,
    }
}

/// How long lane `index` rests before its next batch, its last having taken `took` (zero after a
/// rest). Categorising is background work, and on a small box the model slows the requests and
/// the database beside it even at a lower priority: one workspace's create storm on two cores ran
/// at 1,000 creates/s with the model draining a backlog on both threads and 1,440/s with it
/// resting, and replies' p99 went from 43 to 21 ms. So while people are writing, one lane embeds a
/// tenth of its time and the others wait; once they stop, every lane embeds all of its time. A
/// backlog waits, it is never lost, and it never stops draining.
fn make_way(index: usize, since_last_write: Option<StdDuration>, took: StdDuration) -> StdDuration {
    match since_last_write {
        Some(since) if since < BUSY_WITHIN && index > 0 => BUSY_WITHIN,
        Some(since) if since < BUSY_WITHIN => took * GIVE_WAY,
        _ => StdDuration::ZERO,
    }
}

/// A claimed ticket, read.
struct Pending {
    ticket_id: Uuid,
    text: String,
}

/// A workspace's share of a batch, with what it takes to categorise it.
struct Share {
    scope: WorkspaceScope,
    classifier: Arc<Classifier>,
    min_confidence: f32,
    tickets: Vec<Pending>,
}

async fn categorise_batch(
    state: &AppState,
    worker: Uuid,
    batch: Vec<categorise_queue::Model>,
    now: DateTime<Utc>,
    turn: &tokio::sync::Mutex<()>,
    (order, place): (&Order, u64),
) -> ApiResult<DrainReport> {
    let mut report = DrainReport::default();
    let reading = turn.lock().await;
    let mut by_workspace: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    let mut exhausted = Vec::new();
    for row in batch {
        if row.attempts > MAX_ATTEMPTS {
            tracing::warn!(ticket = %row.ticket_id, attempts = row.attempts, "a ticket could not be categorised; left to a person");
            exhausted.push(row.ticket_id);
        } else {
            by_workspace.entry(row.workspace_id).or_default().push(row.ticket_id);
        }
    }
    if !exhausted.is_empty() {
        report.given_up += release(&state.db, worker, &exhausted).await?;
    }
    let mut shares = Vec::new();
    for (workspace, ticket_ids) in by_workspace {
        let scope = WorkspaceScope::for_scheduled_job(WorkspaceId(workspace));
        let settings = match require_ai(&state.db, &scope).await {
            Ok(settings) => settings,
            Err(ApiError::UpgradeRequired(_) | ApiError::Forbidden(_)) => {
                report.skipped += release(&state.db, worker, &ticket_ids).await?;
                continue;
            }
            Err(error) => return Err(error),
        };
        let classifier = classifier_for(state, &scope, &settings).await?;
        let tickets = read(&state.db, &scope, &ticket_ids).await?;
        shares.push(Share {
            scope,
            classifier,
            min_confidence: settings.min_confidence as f32,
            tickets,
        });
    }
    drop(reading);
    // One pass of the model for the whole batch, whatever workspaces it spans: vectors are per text.
    // Meanwhile another batch has the database.
    let texts: Vec<String> = shares
        .iter()
        .flat_map(|share| share.tickets.iter().map(|ticket| ticket.text.clone()))
        .collect();
    let mut vectors = state.ai.embed_many(texts).await?.into_iter();
    order.wait_for(place).await;
    let _writing = turn.lock().await;
    for share in shares {
        let mut verdicts = Vec::with_capacity(share.tickets.len());
        for ticket in &share.tickets {
            let embedding = vectors
                .next()
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the embedder returned too few vectors")))?;
            let verdict = verdict(&share.classifier, &embedding, share.min_confidence)?;
            verdicts.push((ticket.ticket_id, verdict, embedding));
        }
        report += store(state, worker, &share.scope, verdicts, now).await?;
    }
    Ok(report)
}

/// The subject and first message of each ticket of this workspace that is still there.
async fn read(conn: &impl ConnectionTrait, scope: &WorkspaceScope, ticket_ids: &[Uuid]) -> ApiResult<Vec<Pending>> {
    let subjects: HashMap<Uuid, String> = tickets::Entity::find()
        .select_only()
        .column(tickets::Column::Id)
        .column(tickets::Column::Subject)
        .filter(tickets::Column::WorkspaceId.eq(scope.uuid()))
        .filter(tickets::Column::Id.is_in(ticket_ids.iter().copied()))
        .into_tuple::<(Uuid, String)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let mut first: HashMap<Uuid, String> = HashMap::new();
    let bodies: Vec<(Uuid, String)> = messages::Entity::find()
        .select_only()
        .column(messages::Column::TicketId)
        .column(messages::Column::Body)
        .filter(messages::Column::WorkspaceId.eq(scope.uuid()))
        .filter(messages::Column::TicketId.is_in(ticket_ids.iter().copied()))
        .order_by_asc(messages::Column::CreatedAt)
        .order_by_asc(messages::Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    for (ticket_id, body) in bodies {
        first.entry(ticket_id).or_insert(body);
    }
    Ok(ticket_ids
        .iter()
        .filter_map(|id| {
            let subject = subjects.get(id)?;
            let body = first.get(id).map_or("", String::as_str);
            Some(Pending {
                ticket_id: *id,
                text: ticket_text(subject, body),
            })
        })
        .collect())
}

/// Stores a workspace's verdicts in one transaction that first takes the queue rows this worker
/// still holds (a row another worker took over after the lease ran out is theirs now), then writes
/// the embeddings and the verdicts (one statement each, and their `ticket.updated`), and deletes the rows.
async fn store(
    state: &AppState,
    worker: Uuid,
    scope: &WorkspaceScope,
    verdicts: Vec<(Uuid, Categorised, Vec<f32>)>,
    now: DateTime<Utc>,
) -> ApiResult<DrainReport> {
    let mut report = DrainReport::default();
    let txn = db::begin_write(&state.db).await?;
    let ids: Vec<Uuid> = verdicts.iter().map(|(id, _, _)| *id).collect();
    let mut held = categorise_queue::Entity::find()
        .select_only()
        .column(categorise_queue::Column::TicketId)
        .filter(categorise_queue::Column::WorkspaceId.eq(scope.uuid()))
        .filter(categorise_queue::Column::TicketId.is_in(ids))
        .filter(categorise_queue::Column::ClaimedBy.eq(worker));
    if txn.get_database_backend() == DbBackend::Postgres {
        held = held.lock_exclusive();
    }
    let held: Vec<Uuid> = held.into_tuple().all(&txn).await?;
    // The writes that need no number first: the tickets service takes the workspace's lock last.
    let verdicts: Vec<_> = verdicts
        .into_iter()
        .filter(|(ticket_id, _, _)| held.contains(ticket_id))
        .collect();
    let vectors: Vec<(Uuid, &[f32])> = verdicts
        .iter()
        .map(|(ticket_id, _, embedding)| (*ticket_id, embedding.as_slice()))
        .collect();
    repo::upsert_embeddings(&txn, scope, state.ai.embedder(), &vectors, now).await?;
    // Against the embeddings just stored too: of two alike tickets in one batch, the later is the hint.
    report.possible_duplicates +=
        duplicates::detect(&txn, scope, state.ai.embedder(), state.ai.kind(), &vectors, now).await?;
    let mine: Vec<(Uuid, Categorised)> = verdicts
        .into_iter()
        .map(|(ticket_id, verdict, _)| (ticket_id, verdict))
        .collect();
    categorise_queue::Entity::delete_many()
        .filter(categorise_queue::Column::TicketId.is_in(held))
        .filter(categorise_queue::Column::ClaimedBy.eq(worker))
        .exec(&txn)
        .await?;
    let assigned: HashMap<Uuid, bool> = mine.iter().map(|(id, verdict)| (*id, verdict.assigned)).collect();
    // The verdicts through the tickets service: their `ticket.updated` are logged in this transaction.
    let tickets = tickets_service::categorised(&txn, state, scope, mine, now).await?;
    let mut labelled = false;
    for ticket in &tickets {
        // A category a person chose before the embedding existed is a label the classifier can
        // only learn from now.
        labelled |= ticket.category_source == Some(ferrodesk_shared::ai::CategorySource::Agent);
        if assigned.get(&ticket.id.0).copied().unwrap_or(false) {
            report.categorised += 1;
        } else {
            report.abstained += 1;
        }
    }
    txn.commit().await?;
    state.realtime.wake(scope.uuid());
    if labelled {
        learn::retrain_soon(state, scope);
    }
    Ok(report)
}

/// Drops this worker's queue rows for `ticket_ids` without categorising them; how many it dropped.
async fn release(conn: &impl ConnectionTrait, worker: Uuid, ticket_ids: &[Uuid]) -> ApiResult<usize> {
    let deleted = categorise_queue::Entity::delete_many()
        .filter(categorise_queue::Column::TicketId.is_in(ticket_ids.iter().copied()))
        .filter(categorise_queue::Column::ClaimedBy.eq(worker))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected as usize)
}

/// The best category and whether it clears the workspace's threshold (applied here, not at training,
/// so an owner's new threshold counts at once).
pub fn verdict(classifier: &Classifier, embedding: &[f32], min_confidence: f32) -> ApiResult<Categorised> {
    let probabilities = classifier
        .probabilities(embedding)
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("classifying: {error}")))?;
    let (best, confidence) = probabilities
        .iter()
        .copied()
        .enumerate()
        .fold((0, f32::MIN), |best, (at, p)| if p > best.1 { (at, p) } else { best });
    let category = classifier
        .categories()
        .get(best)
        .cloned()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a classifier without categories")))?;
    Ok(Categorised {
        category,
        confidence,
        assigned: confidence >= min_confidence,
    })
}

/// The workspace's classifier: the one trained from its own labels when there is one for this
/// embedder, zero-shot against its categories' descriptions otherwise. Cached per workspace until
/// its settings or training change.
pub async fn classifier_for(
    state: &AppState,
    scope: &WorkspaceScope,
    settings: &ai_settings::Model,
) -> ApiResult<Arc<Classifier>> {
    let key = format!(
        "{}|{}|{:x}",
        settings.classifier_version,
        state.ai.embedder(),
        Sha256::digest(settings.custom_categories.as_bytes())
    );
    if let Some(cached) = state.ai.cached_classifier(scope.uuid(), &key) {
        return Ok(cached);
    }
    let trained = match (&settings.classifier, &settings.classifier_embedder) {
        (Some(json), Some(embedder)) if embedder == state.ai.embedder() => {
            match serde_json::from_str::<Classifier>(json) {
                Ok(classifier) => Some(classifier),
                Err(error) => {
                    tracing::warn!(%error, "a stored classifier does not load; using zero-shot until it is retrained");
                    None
                }
            }
        }
        _ => None,
    };
    let classifier = match trained {
        Some(classifier) => classifier,
        None => learn::train(state, &categories_of(settings)?, Vec::new()).await?,
    };
    let classifier = Arc::new(classifier);
    state.ai.cache_classifier(scope.uuid(), key, classifier.clone());
    Ok(classifier)
}

/// Runs `drain` until stopped (`worker::Worker`): at once when a change nudges it
/// (`AiEngine::nudge`, after a ticket's transaction committed), and every `every` to pick up what
/// other instances, or a crash, left. A stop lets the batches in flight finish (up to `STOP_WAIT`);
/// one cut short loses nothing: its tickets stay queued and are taken again when the lease runs out.
pub fn spawn_worker(state: AppState, wake: Arc<Notify>, every: StdDuration) -> Worker {
    Worker::spawn("categorisation", wake, every, STOP_WAIT, move |stopping| {
        let state = state.clone();
        async move { drain_until(&state, clock::now(), &stopping).await.map(drop) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_gives_way_while_people_write_and_takes_all_its_time_when_they_stop() {
        let took = StdDuration::from_millis(250);
        let busy = Some(StdDuration::from_millis(5));
        assert_eq!(
            make_way(0, None, took),
            StdDuration::ZERO,
            "nothing written since start"
        );
        assert_eq!(make_way(1, None, took), StdDuration::ZERO);
        assert_eq!(
            make_way(0, busy, took),
            StdDuration::from_millis(2250),
            "a tenth of its time"
        );
        assert_eq!(
            make_way(0, busy, StdDuration::ZERO),
            StdDuration::ZERO,
            "after a rest, a batch"
        );
        assert_eq!(
            make_way(1, busy, StdDuration::ZERO),
            BUSY_WITHIN,
            "the other lanes wait"
        );
        assert_eq!(make_way(1, busy, took), BUSY_WITHIN);
        let edge = Some(BUSY_WITHIN - StdDuration::from_millis(1));
        assert_eq!(make_way(0, edge, took), took * GIVE_WAY);
        for quiet in [BUSY_WITHIN, StdDuration::from_secs(3)] {
            assert_eq!(make_way(0, Some(quiet), took), StdDuration::ZERO);
            assert_eq!(make_way(1, Some(quiet), took), StdDuration::ZERO);
            assert_eq!(batch_size(Some(quiet)), BATCH);
        }
        assert_eq!(batch_size(None), BATCH);
        assert_eq!(batch_size(busy), BUSY_BATCH);
    }
}
