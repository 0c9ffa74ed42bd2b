//! Ticket writes with the workspace's lock (ticket and event numbers) taken once and last.
//!
//! New tickets are gathered (group commit): concurrent creates in one workspace share one
//! transaction, its reads (idempotency keys, requesters, SLA policies, the team, receipt quotas) run
//! once for all of them, each table gets one multi-row INSERT, and the lock is taken once for the
//! batch. Why: that lock is held through the commit's flush, so one create per lock caps a workspace
//! at the disk's flushes per second (about 700 on the box `benches/create.rs` ran on); one per batch
//! does not.
//!
//! Changes to existing tickets (a reply, a patch: `Change`) are gathered the same way: a batch
//! reads and locks its tickets and their people in two statements (`Shared`), reads the SLA
//! policies once, writes its messages and sign-in links in one INSERT each, and saves each ticket
//! in one UPDATE; each change starts from the ticket as the earlier ones left it. Measured at 16
//! clients in one workspace on PostgreSQL (`benches/create.rs`, TF-IDF embedder): status changes
//! p99 27 ms -> 20 ms, replies 41 ms -> 28 ms against one read and write after another per change.
//!
//! Each busy workspace has one task that writes its batches one after another: while a batch
//! commits, the next writes queue, and the next batch takes all of them (at most `MAX_BATCH`, creates
//! and changes in separate batches, in arrival order). A write costs no more when it is alone: it is
//! a batch of one. An idle workspace's task ends.
//!
//! A batch that fails in any way (a requester or an idempotency key another transaction wrote
//! between our read and our write, a change refused, a deadlock) is rolled back and its writes are
//! run alone, where each meets its own answer: the other transaction's row, a replay, its refusal.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ferrodesk_shared::Role;
use ferrodesk_shared::tickets::{Message, Priority, Ticket, TicketDetail};
use ferrodesk_shared::users::UserSummary;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::attachments::repo as attachments_repo;
use crate::auth::{self, Principal, WorkspaceScope, repo::NewLink};
use crate::clock;
use crate::db::{
    self, WriteTxn,
    entities::{idempotency_keys, messages, users},
};
use crate::error::{ApiError, ApiResult};
use crate::limits::quotas;
use crate::realtime;
use crate::reports::rollup::{self, Deltas};
use crate::sla::repo as sla_repo;
use crate::state::AppState;
use crate::users::domain::Email;
use crate::users::repo::{self as users_repo, NewUser};
use crate::workspaces::repo as workspaces_repo;

use super::domain::excerpt;
use super::effects::{self, Outbound, Wrote};
use super::projection::for_viewer;
use super::repo;
use super::service::{into_message, summary_of, view};
use super::state::{Policies, TicketRecord, TicketState};

/// The most creates one transaction writes: the widest multi-row INSERT (tickets, 28 columns) stays
/// far below SQLite's bind-parameter limit, and a batch stays short.
const MAX_BATCH: usize = 64;
/// How long a workspace's task waits for the next create before it ends.
const IDLE: Duration = Duration::from_secs(30);
/// How often a create that keeps meeting conflicts is tried alone before it gives up.
const ALONE_ATTEMPTS: usize = 3;

/// Who the new ticket is for.
pub enum Requester {
    /// The caller (a customer writing in, or staff filing their own).
    Caller,
    /// A person by address (staff opening a ticket for a customer): found, or created as a customer.
    ByEmail { email: Email, name: Option<String> },
}

/// A create that passed validation: everything its transaction needs from the request.
pub struct Create {
    pub principal: Principal,
    pub subject: String,
    pub body: String,
    pub priority: Priority,
    pub requester: Requester,
    pub key: Option<String>,
    pub request_hash: String,
    /// The widget visitor that started this conversation (it sees only those it started).
    pub visitor: Option<Uuid>,
    /// The caller's uploads the first message carries (checked unsent before; tied in the batch).
    pub attachments: Vec<Uuid>,
}

/// What became of a create.
pub enum Outcome {
    Created(Box<TicketDetail>),
    /// The caller used this idempotency key before: answer with that ticket.
    Replay(idempotency_keys::Model),
}

/// What a change answers.
pub enum Changed {
    /// A reply or note: the new message.
    Message(Message),
    /// A patch: the ticket as it is now, and whether a person set its category (the classifier
    /// learns from that).
    Ticket { ticket: Box<Ticket>, labelled: bool },
    /// A merge: the ticket merged away (closed) and the one it went into.
    Merged {
        source: Box<Ticket>,
        target: Box<Ticket>,
        moved: u64,
    },
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A change to existing tickets. `stage` does its reads and writes before the workspace's lock, in
/// the transaction it is given (its own, or its batch's), and returns what the change tells others
/// (events, notifications, mail: written after the lock) and what it answers. It may run twice (a
/// failed batch is rolled back and each change run alone), so it owns its inputs.
pub trait Change: Send + Sync {
    /// The ticket it changes (the batch reads and locks all of them at once).
    fn ticket(&self) -> Uuid;
    /// Every ticket it reads or changes (a merge: two).
    fn tickets(&self) -> Vec<Uuid> {
        vec![self.ticket()]
    }
    fn stage<'a>(
        &'a self,
        txn: &'a WriteTxn,
        state: &'a AppState,
        shared: &'a Shared,
    ) -> BoxFuture<'a, ApiResult<(Outbound, Changed)>>;
}

/// What the changes of one batch read once and write together, in the batch's transaction: a
/// batch of eight replies read the workspace's SLA policies eight times and wrote eight message
/// INSERTs and eight sign-in link INSERTs, where one of each does.
#[derive(Default)]
pub struct Shared {
    policies: tokio::sync::OnceCell<Policies>,
    /// The workspace's `assign_on_reply` setting.
    assign_on_reply: tokio::sync::OnceCell<bool>,
    /// The batch's tickets as its changes left them, locked (read in one statement, in id order).
    tickets: Mutex<HashMap<Uuid, TicketRecord>>,
    /// The same tickets as they were read: `write` saves what differs, once per ticket.
    read: Mutex<HashMap<Uuid, TicketState>>,
    /// Their requesters and assignees, and whoever else a change looked up.
    people: Mutex<HashMap<Uuid, users::Model>>,
    written: Mutex<Written>,
}

/// A poisoned lock only means a change panicked mid-update; the batch fails on its own.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Rows a batch's changes staged, inserted after the last change (before the workspace's lock).
#[derive(Default)]
struct Written {
    messages: Vec<messages::Model>,
    links: Vec<NewLink>,
}

impl Shared {
    /// The workspace's SLA policies, read by the first change that asks.
    pub async fn policies(&self, txn: &WriteTxn, scope: &WorkspaceScope) -> ApiResult<&Policies> {
        self.policies
            .get_or_try_init(|| async { Ok(Policies(sla_repo::policies(txn, scope).await?)) })
            .await
    }

    /// Whether a public staff reply assigns an unassigned ticket to its sender, read by the first
    /// change that asks (not locked: a setting changed meanwhile counts from the next batch).
    pub async fn assigns_on_reply(&self, txn: &WriteTxn, scope: &WorkspaceScope) -> ApiResult<bool> {
        self.assign_on_reply
            .get_or_try_init(|| async { Ok(workspaces_repo::get(txn, scope).await?.assign_on_reply) })
            .await
            .copied()
    }

    /// Reads (and on PostgreSQL locks) the tickets the batch changes, and their people.
    async fn preload(&self, txn: &WriteTxn, scope: &WorkspaceScope, ids: &[Uuid]) -> ApiResult<()> {
        let records = repo::find_many_for_update(txn, scope, ids).await?;
        let people: Vec<Uuid> = records.iter().flat_map(TicketRecord::people).collect();
        let people = users_repo::by_ids(txn, scope, people).await?;
        *lock(&self.read) = records.iter().map(|record| (record.id, record.state.clone())).collect();
        *lock(&self.tickets) = records.into_iter().map(|record| (record.id, record)).collect();
        *lock(&self.people) = people;
        Ok(())
    }

    /// The ticket `id` as the batch's earlier changes left it. The batch read every ticket its
    /// changes name, so one it did not find is not in this workspace.
    pub fn ticket(&self, id: Uuid) -> ApiResult<TicketRecord> {
        lock(&self.tickets).get(&id).cloned().ok_or(ApiError::NotFound)
    }

    /// Tells the batch that a change left the ticket as `record`: later changes of the batch start
    /// from it, and the batch saves it with the others after the last change.
    pub fn saved(&self, record: TicketRecord) {
        lock(&self.tickets).insert(record.id, record);
    }

    /// The people `ids` of this workspace (absent ones are left out), read only when not known yet.
    pub async fn people(
        &self,
        txn: &WriteTxn,
        scope: &WorkspaceScope,
        ids: impl IntoIterator<Item = Uuid>,
    ) -> ApiResult<HashMap<Uuid, users::Model>> {
        let ids: Vec<Uuid> = ids.into_iter().collect();
        let missing: Vec<Uuid> = {
            let known = lock(&self.people);
            ids.iter().copied().filter(|id| !known.contains_key(id)).collect()
        };
        if !missing.is_empty() {
            let found = users_repo::by_ids(txn, scope, missing).await?;
            lock(&self.people).extend(found);
        }
        let known = lock(&self.people);
        Ok(ids
            .into_iter()
            .filter_map(|id| Some((id, known.get(&id)?.clone())))
            .collect())
    }

    /// A new message of ticket `ticket_id`, stored with the batch.
    pub fn message(
        &self,
        scope: &WorkspaceScope,
        ticket_id: Uuid,
        author_id: Uuid,
        body: String,
        internal: bool,
        now: chrono::DateTime<chrono::Utc>,
    ) -> messages::Model {
        let message = repo::new_message(scope, ticket_id, author_id, body, internal, now);
        self.written().messages.push(message.clone());
        message
    }

    /// A sign-in link for `user_id` that opens `to`, stored with the batch; its URL.
    pub fn sign_in_link(
        &self,
        state: &AppState,
        user_id: Uuid,
        to: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> String {
        let (link, issued) = auth::links::sign_in_link(&state.settings, user_id, to, now);
        self.written().links.push(link);
        issued.url
    }

    /// The links a public staff reply's mail carries to its customer (`requester`, as read by this
    /// batch): one signs them in on the ticket, one opens each file. None when the message mails
    /// nobody.
    pub fn reply_links(
        &self,
        state: &AppState,
        requester: Option<&crate::db::entities::users::Model>,
        ticket: &ferrodesk_shared::tickets::Ticket,
        message: &ferrodesk_shared::tickets::Message,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<super::effects::ReplyLinks> {
        let requester = requester.filter(|_| super::effects::mails_customer(ticket, message))?;
        let page = self.sign_in_link(state, requester.id, &format!("/requests/{}", ticket.id.0), now);
        let files = message
            .attachments
            .iter()
            .map(|file| crate::attachments::links::signed_url(&state.settings, file.id.0, now))
            .collect();
        Some(super::effects::ReplyLinks { page, files })
    }

    fn written(&self) -> std::sync::MutexGuard<'_, Written> {
        lock(&self.written)
    }

    /// Writes the batch's tickets, messages and links; the counters' moves are the caller's to apply
    /// after the workspace's lock.
    async fn write(
        &self,
        txn: &WriteTxn,
        scope: &WorkspaceScope,
        now: chrono::DateTime<chrono::Utc>,
    ) -> ApiResult<Deltas> {
        let Written { messages, links } = std::mem::take(&mut *self.written());
        let saves: Vec<(Uuid, TicketState, TicketState)> = {
            let (read, tickets) = (lock(&self.read), lock(&self.tickets));
            tickets
                .values()
                .filter_map(|record| {
                    let before = read.get(&record.id)?;
                    (*before != record.state).then(|| (record.id, before.clone(), record.state.clone()))
                })
                .collect()
        };
        let saves: Vec<(Uuid, &TicketState, &TicketState)> =
            saves.iter().map(|(id, before, after)| (*id, before, after)).collect();
        let deltas = repo::save_many(txn, scope, &saves).await?;
        repo::insert_messages(txn, messages).await?;
        auth::repo::insert_links(txn, scope, links, now).await?;
        Ok(deltas)
    }
}

struct CreateJob {
    create: Create,
    answer: oneshot::Sender<ApiResult<Outcome>>,
}

struct ChangeJob {
    change: Box<dyn Change>,
    answer: oneshot::Sender<ApiResult<Changed>>,
}

enum Job {
    Create(Box<CreateJob>),
    Change(ChangeJob),
}

/// The per-workspace queues of writes waiting for their batch (one per instance, in `AppState`).
#[derive(Clone, Default)]
pub struct Batcher {
    queues: Arc<Mutex<HashMap<Uuid, Queue>>>,
    next_queue: Arc<AtomicU64>,
    committed: Arc<Committed>,
}

/// What has been committed since start: how well writes share their transactions.
#[derive(Debug, Default)]
struct Committed {
    batches: AtomicU64,
    tickets: AtomicU64,
    changes: AtomicU64,
    /// When the last write committed: milliseconds after `epoch()`, plus one (0: none yet).
    last: AtomicU64,
}

/// The process's own start, for `Committed::last` (a monotonic clock, unlike `clock::now`).
fn epoch() -> std::time::Instant {
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(std::time::Instant::now)
}

impl Committed {
    fn touch(&self) {
        let since = epoch().elapsed().as_millis() as u64;
        self.last.store(since + 1, Ordering::Relaxed);
    }
}

/// `Batcher::committed`: transactions that created tickets, the tickets they created, and the
/// changes to existing tickets committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchStats {
    pub batches: u64,
    pub tickets: u64,
    pub changes: u64,
}

#[derive(Clone)]
struct Queue {
    id: u64,
    jobs: mpsc::UnboundedSender<Job>,
}

impl Batcher {
    /// Writes `create` in the next batch of its workspace and waits for the commit.
    pub async fn create(&self, state: &AppState, create: Create) -> ApiResult<Outcome> {
        let (answer, answered) = oneshot::channel();
        let scope = *create.principal.scope();
        self.send(state, scope, Job::Create(Box::new(CreateJob { create, answer })));
        answered
            .await
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("the ticket writer stopped before answering")))?
    }

    /// Writes `change` in the workspace's next batch and waits for the commit.
    pub async fn change(
        &self,
        state: &AppState,
        scope: WorkspaceScope,
        change: impl Change + 'static,
    ) -> ApiResult<Changed> {
        let (answer, answered) = oneshot::channel();
        let change = Box::new(change);
        self.send(state, scope, Job::Change(ChangeJob { change, answer }));
        answered
            .await
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("the ticket writer stopped before answering")))?
    }

    fn send(&self, state: &AppState, scope: WorkspaceScope, mut job: Job) {
        loop {
            let queue = self.queue(state, &scope);
            match queue.jobs.send(job) {
                Ok(()) => break,
                // Its task ended between our lookup and our send: start another.
                Err(mpsc::error::SendError(returned)) => {
                    self.forget(scope.uuid(), queue.id);
                    job = returned;
                }
            }
        }
    }

    /// Transactions that created tickets, the tickets they created, and the changes committed, since start.
    pub fn committed(&self) -> BatchStats {
        BatchStats {
            batches: self.committed.batches.load(Ordering::Relaxed),
            tickets: self.committed.tickets.load(Ordering::Relaxed),
            changes: self.committed.changes.load(Ordering::Relaxed),
        }
    }

    /// How long ago the last batch of writes committed (`None` before the first): whether people
    /// are writing right now, which background work gives way to (`ai::categorise`).
    pub fn since_last_commit(&self) -> Option<Duration> {
        let last = self.committed.last.load(Ordering::Relaxed).checked_sub(1)?;
        Some(epoch().elapsed().saturating_sub(Duration::from_millis(last)))
    }

    fn queue(&self, state: &AppState, scope: &WorkspaceScope) -> Queue {
        let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
        queues
            .entry(scope.uuid())
            .or_insert_with(|| {
                let (jobs, waiting) = mpsc::unbounded_channel();
                let id = self.next_queue.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(run(state.clone(), *scope, id, waiting));
                Queue { id, jobs }
            })
            .clone()
    }

    /// Removes the workspace's queue if it is still the one numbered `id`.
    fn forget(&self, workspace: Uuid, id: u64) {
        let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
        if queues.get(&workspace).is_some_and(|queue| queue.id == id) {
            queues.remove(&workspace);
        }
    }
}

/// A workspace's task: batches, one after another, until the workspace has been idle for `IDLE`.
async fn run(state: AppState, scope: WorkspaceScope, id: u64, mut waiting: mpsc::UnboundedReceiver<Job>) {
    let mut next = None;
    loop {
        let first = match next.take() {
            Some(job) => job,
            None => match tokio::time::timeout(IDLE, waiting.recv()).await {
                Ok(Some(job)) => job,
                Ok(None) => return,
                Err(_idle) => {
                    // Leave the map first, so new writes start a new task; then write what arrived
                    // in the meantime (senders that still held our queue fail and go to the new one).
                    state.batcher.forget(scope.uuid(), id);
                    waiting.close();
                    while let Ok(job) = waiting.try_recv() {
                        write_jobs(&state, &scope, vec![job]).await;
                    }
                    return;
                }
            },
        };
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match waiting.try_recv() {
                Ok(job) if std::mem::discriminant(&job) == std::mem::discriminant(&jobs[0]) => jobs.push(job),
                // The other kind starts the next batch.
                Ok(job) => {
                    next = Some(job);
                    break;
                }
                Err(_) => break,
            }
        }
        write_jobs(&state, &scope, jobs).await;
    }
}

/// Writes jobs of one kind.
async fn write_jobs(state: &AppState, scope: &WorkspaceScope, jobs: Vec<Job>) {
    let (mut creates, mut changes) = (Vec::new(), Vec::new());
    for job in jobs {
        match job {
            Job::Create(job) => creates.push(*job),
            Job::Change(job) => changes.push(job),
        }
    }
    if !creates.is_empty() {
        write_creates(state, scope, creates).await;
    }
    if !changes.is_empty() {
        write_changes(state, scope, changes).await;
    }
}

async fn write_changes(state: &AppState, scope: &WorkspaceScope, mut jobs: Vec<ChangeJob>) {
    while jobs.len() > 1 {
        let changes: Vec<&dyn Change> = jobs.iter().map(|job| job.change.as_ref()).collect();
        match change_batch(state, scope, &changes).await {
            Ok(answers) => {
                for (job, answer) in jobs.into_iter().zip(answers) {
                    // A caller that went away does not stop the others.
                    let _ = job.answer.send(Ok(answer));
                }
                return;
            }
            // A change the rules refused, where the batch ran it: that is its answer. The rest run
            // again without it (what it did was rolled back with the batch).
            Err(Failed::Refused { index, error }) => {
                let _ = jobs.remove(index).answer.send(Err(error));
            }
            Err(Failed::Broke(error)) => {
                tracing::debug!(%error, changes = jobs.len(), "a batch failed; writing its changes alone");
                break;
            }
        }
    }
    for job in jobs {
        let answer = change_batch(state, scope, &[job.change.as_ref()])
            .await
            .map_err(Failed::into_error)
            .and_then(|mut answers| {
                answers
                    .pop()
                    .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a batch of one answered nothing")))
            });
        let _ = job.answer.send(answer);
    }
}

/// Why a batch of changes was rolled back.
enum Failed {
    /// The change at `index` was refused (a 4xx: not found, not allowed, not valid).
    Refused { index: usize, error: ApiError },
    /// Anything else: the database, a deadlock between instances, a bug.
    Broke(ApiError),
}

impl Failed {
    fn into_error(self) -> ApiError {
        match self {
            Failed::Refused { error, .. } | Failed::Broke(error) => error,
        }
    }
}

impl From<sea_orm::DbErr> for Failed {
    fn from(error: sea_orm::DbErr) -> Failed {
        Failed::Broke(error.into())
    }
}

impl From<ApiError> for Failed {
    fn from(error: ApiError) -> Failed {
        Failed::Broke(error)
    }
}

/// Runs `changes` in one transaction, one after another, then writes what they tell others after
/// taking the workspace's lock once.
async fn change_batch(
    state: &AppState,
    scope: &WorkspaceScope,
    changes: &[&dyn Change],
) -> Result<Vec<Changed>, Failed> {
    let now = clock::now();
    let txn = db::begin_write(&state.db).await?;
    let mut outbound = Outbound::default();
    let mut answers = Vec::with_capacity(changes.len());
    let shared = Shared::default();
    let mut ids: Vec<Uuid> = changes.iter().flat_map(|change| change.tickets()).collect();
    ids.sort_unstable();
    ids.dedup();
    shared.preload(&txn, scope, &ids).await?;
    for (index, change) in changes.iter().enumerate() {
        let (tells, answer) = change.stage(&txn, state, &shared).await.map_err(|error| {
            if actix_web::ResponseError::status_code(&error).is_client_error() {
                Failed::Refused { index, error }
            } else {
                Failed::Broke(error)
            }
        })?;
        outbound.absorb(tells);
        answers.push(answer);
    }
    let deltas = shared.write(&txn, scope, now).await?;
    let wrote = Wrote {
        mail: outbound.has_mail(),
        tickets: false,
    };
    if outbound.event_count() > 0 {
        realtime::log::notify_on_commit(&txn, scope).await?;
        let numbers = workspaces_repo::allocate(&txn, scope, 0, outbound.event_count()).await?;
        effects::write(&txn, state, scope, &numbers.workspace, outbound, numbers.event_seq, now).await?;
    }
    rollup::apply(&txn, scope, deltas).await?;
    txn.commit().await?;
    effects::announce(state, scope, wrote);
    state.batcher.committed.touch();
    state
        .batcher
        .committed
        .changes
        .fetch_add(changes.len() as u64, Ordering::Relaxed);
    Ok(answers)
}

async fn write_creates(state: &AppState, scope: &WorkspaceScope, jobs: Vec<CreateJob>) {
    let creates: Vec<&Create> = jobs.iter().map(|job| &job.create).collect();
    if jobs.len() > 1 {
        match write(state, scope, &creates).await {
            Ok(Some(outcomes)) => {
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    // A caller that went away does not stop the others.
                    let _ = job.answer.send(Ok(outcome));
                }
                return;
            }
            Ok(None) => tracing::debug!(
                creates = jobs.len(),
                "a batch met a conflict; writing its creates alone"
            ),
            Err(error) => tracing::warn!(%error, creates = jobs.len(), "a batch failed; writing its creates alone"),
        }
    }
    for job in jobs {
        let outcome = alone(state, scope, &job.create).await;
        let _ = job.answer.send(outcome);
    }
}

async fn alone(state: &AppState, scope: &WorkspaceScope, create: &Create) -> ApiResult<Outcome> {
    for _ in 0..ALONE_ATTEMPTS {
        if let Some(mut outcomes) = write(state, scope, &[create]).await? {
            return outcomes
                .pop()
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a batch of one answered nothing")));
        }
    }
    Err(ApiError::conflict(
        "This ticket met concurrent changes several times; try again.",
    ))
}

/// One create of a batch, as its transaction decides it.
struct Planned<'a> {
    create: &'a Create,
    record: TicketRecord,
    requester: UserSummary,
    message: messages::Model,
    team: Vec<Uuid>,
    receipt_link: Option<String>,
}

/// Writes the batch in one transaction: `None` (rolled back) when another transaction wrote a
/// requester or an idempotency key of the batch first.
async fn write(state: &AppState, scope: &WorkspaceScope, creates: &[&Create]) -> ApiResult<Option<Vec<Outcome>>> {
    let now = clock::now();
    let txn = db::begin_write(&state.db).await?;

    // Replays first: a key used before answers with its ticket, and writes nothing.
    let asked: Vec<(Uuid, &str)> = creates
        .iter()
        .filter_map(|create| Some((create.principal.id().0, create.key.as_deref()?)))
        .collect();
    let used: HashMap<(Uuid, String), idempotency_keys::Model> = repo::find_idempotency_keys(&txn, scope, &asked)
        .await?
        .into_iter()
        .map(|row| ((row.user_id, row.key.clone()), row))
        .collect();
    let replays: Vec<Option<idempotency_keys::Model>> = creates
        .iter()
        .map(|create| {
            let key = create.key.clone()?;
            used.get(&(create.principal.id().0, key)).cloned()
        })
        .collect();
    let fresh: Vec<&Create> = creates
        .iter()
        .zip(&replays)
        .filter(|(_, replay)| replay.is_none())
        .map(|(create, _)| *create)
        .collect();

    // Requesters by address: found, or new customers (one INSERT for all).
    let addresses: Vec<String> = fresh
        .iter()
        .filter_map(|create| match &create.requester {
            Requester::ByEmail { email, .. } => Some(email.as_str().to_owned()),
            Requester::Caller => None,
        })
        .collect();
    let mut people = users_repo::by_emails(&txn, scope, &addresses).await?;
    let mut new_people = Vec::new();
    for create in &fresh {
        if let Requester::ByEmail { email, name } = &create.requester
            && !people.contains_key(email.as_str())
        {
            let customer = users_repo::new_row(
                scope,
                NewUser {
                    email: email.clone(),
                    name: name.clone().unwrap_or_else(|| email.local_part().to_owned()),
                    role: Role::Customer,
                    password_hash: None,
                    email_verified: false,
                },
                now,
            );
            people.insert(customer.email.clone(), customer.clone());
            new_people.push(customer);
        }
    }
    let expected = new_people.len() as u64;
    let created: HashSet<Uuid> = new_people.iter().map(|person| person.id).collect();
    if users_repo::insert_new(&txn, new_people).await? < expected {
        return Ok(None);
    }
    let requesters = fresh
        .iter()
        .map(|create| match &create.requester {
            Requester::Caller => Ok(summary_of(&create.principal)),
            Requester::ByEmail { email, .. } => people
                .get(email.as_str())
                .map(users_repo::into_summary)
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a requester vanished from its batch"))),
        })
        .collect::<ApiResult<Vec<UserSummary>>>()?;

    let policies = Policies(sla_repo::policies(&txn, scope).await?);
    let staff = users_repo::staff_ids(&txn, scope).await?;
    // Staff who open a ticket for themselves need no receipt; only customers get mail. A customer
    // this batch created has had none yet, so only the others are counted.
    let customers: Vec<&str> = requesters
        .iter()
        .filter(|requester| requester.role == Role::Customer && !created.contains(&requester.id.0))
        .map(|requester| requester.email.as_str())
        .collect();
    let mut receipts = quotas::ticket_confirmations(&txn, state, scope, &customers, now).await?;

    let mut planned = Vec::with_capacity(fresh.len());
    let mut links = Vec::new();
    for (create, requester) in fresh.iter().zip(requesters) {
        let ticket_id = Uuid::now_v7();
        let receipt_link = (requester.role == Role::Customer && receipts.take(&requester.email)).then(|| {
            let (link, issued) =
                auth::links::sign_in_link(&state.settings, requester.id.0, &format!("/requests/{ticket_id}"), now);
            links.push(link);
            issued.url
        });
        let caller = create.principal.id().0;
        planned.push(Planned {
            create,
            record: TicketRecord {
                id: ticket_id,
                number: 0,
                subject: create.subject.clone(),
                requester_id: requester.id.0,
                created_by: Some(caller),
                state: TicketState::arriving(create.priority, &policies, excerpt(&create.body), now),
            },
            requester,
            message: repo::new_message(scope, ticket_id, caller, create.body.clone(), false, now),
            team: staff.iter().copied().filter(|user| *user != caller).collect(),
            receipt_link,
        });
    }
    auth::repo::insert_links(&txn, scope, links, now).await?;

    // The workspace's lock, last: numbers for every ticket and event of the batch.
    realtime::log::notify_on_commit(&txn, scope).await?;
    let events: i64 = planned.iter().map(|plan| 1 + plan.team.len() as i64).sum();
    let numbers = workspaces_repo::allocate(&txn, scope, planned.len() as i64, events).await?;
    let mut outbound = Outbound::default();
    let mut details = Vec::with_capacity(planned.len());
    let mut records = Vec::with_capacity(planned.len());
    let mut first_messages = Vec::with_capacity(planned.len());
    let mut keys = Vec::new();
    let mut conversations = Vec::new();
    for (offset, plan) in planned.into_iter().enumerate() {
        let Planned {
            create,
            mut record,
            requester,
            message,
            team,
            receipt_link,
        } = plan;
        record.number = numbers.ticket_number + offset as i64;
        if let Some(key) = &create.key {
            keys.push(idempotency_keys::Model {
                workspace_id: scope.uuid(),
                user_id: create.principal.id().0,
                key: key.clone(),
                request_hash: create.request_hash.clone(),
                ticket_id: record.id,
                created_at: now,
            });
        }
        if let Some(visitor) = create.visitor {
            conversations.push((record.id, visitor));
        }
        records.push(record.clone());
        let ticket = view(record, requester, None);
        outbound.absorb(effects::ticket_created(scope, &ticket, team, receipt_link, now)?);
        details.push(TicketDetail {
            ticket: for_viewer(&create.principal, ticket),
            messages: vec![into_message(message.clone(), summary_of(&create.principal))],
            breaches: Vec::new(),
            rating: None,
            possible_duplicate: None,
        });
        first_messages.push(message);
    }
    let deltas = repo::insert_many(&txn, scope, &records).await?;
    rollup::apply(&txn, scope, deltas).await?;
    // Files after their messages exist; a file sent meanwhile by another message refuses this
    // create (and, in a batch, sends the others to be written alone).
    let carrying: Vec<(usize, Uuid, Uuid, Uuid)> = first_messages
        .iter()
        .zip(&fresh)
        .enumerate()
        .filter(|(_, (_, create))| !create.attachments.is_empty())
        .map(|(index, (message, create))| (index, create.principal.id().0, message.ticket_id, message.id))
        .collect();
    repo::insert_messages(&txn, first_messages).await?;
    for (index, uploader, ticket, message) in carrying {
        let ids = &fresh[index].attachments;
        if !attachments_repo::attach(&txn, scope, uploader, ids, ticket, message).await? {
            return Err(ApiError::invalid("attachment_ids", super::service::NOT_YOURS));
        }
        if let Some(first) = details[index].messages.first_mut() {
            first.attachments = attachments_repo::by_ids(&txn, scope, ids).await?;
        }
    }
    crate::widget::repo::link_conversations(&txn, scope, conversations, now).await?;
    // Categorised a moment later, off the request path (see `ai::categorise`).
    crate::ai::categorise::enqueue(&txn, scope, records.iter().map(|record| record.id), now).await?;
    let expected = keys.len() as u64;
    if repo::claim_idempotency_keys(&txn, keys).await? < expected {
        return Ok(None);
    }
    let wrote = Wrote {
        mail: outbound.has_mail(),
        tickets: !records.is_empty(),
    };
    effects::write(&txn, state, scope, &numbers.workspace, outbound, numbers.event_seq, now).await?;
    txn.commit().await?;
    effects::announce(state, scope, wrote);
    if !details.is_empty() {
        state.batcher.committed.touch();
        state.batcher.committed.batches.fetch_add(1, Ordering::Relaxed);
        state
            .batcher
            .committed
            .tickets
            .fetch_add(details.len() as u64, Ordering::Relaxed);
    }
    for detail in &details {
        tracing::info!(ticket = %detail.ticket.id, number = detail.ticket.number, "ticket created");
    }

    let mut details = details.into_iter();
    replays
        .into_iter()
        .map(|replay| match replay {
            Some(key) => Ok(Outcome::Replay(key)),
            None => details
                .next()
                .map(|detail| Outcome::Created(Box::new(detail)))
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a batch lost a ticket"))),
        })
        .collect::<ApiResult<Vec<_>>>()
        .map(Some)
}
