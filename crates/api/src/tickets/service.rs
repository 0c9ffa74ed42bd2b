//! Ticket rules in action: each change loads the ticket's state once, asks `state::apply`, saves
//! what differs in one UPDATE, builds the answer and its events inside the transaction, and takes
//! the workspace's lock (numbers) last, so concurrent changes wait on each other as briefly as they can.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, Utc};
use ferrodesk_shared::attachments::Attachment;
use ferrodesk_shared::sla::{BreachKind, SlaBreach};
use ferrodesk_shared::tickets::{
    BulkFailure, BulkTicketResult, BulkTicketUpdate, InboxCounts, InboxView, MAX_BULK_TICKETS, MergeRequest,
    MergeResult, Message, NewMessage, NewTicket, Priority, SEARCH_COUNT_CAP, Ticket, TicketDetail, TicketListQuery,
    TicketPage, TicketPatch, TicketStatus,
};
use ferrodesk_shared::users::{RequesterCounts, UserSummary};
use ferrodesk_shared::{MacroId, MessageId, Permission, Role, TicketId};
use sea_orm::{ConnectionTrait, DbBackend};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::ai::duplicates;
use crate::attachments::repo as attachments_repo;
use crate::auth::{Principal, TicketVisibility, WorkspaceScope};
use crate::clock;
use crate::db::{WriteTxn, entities::idempotency_keys, entities::users};
use crate::error::{ApiError, ApiResult};
use crate::macros;
use crate::realtime;
use crate::reports::rollup::{self, Deltas};
use crate::sla::repo as sla_repo;
use crate::state::AppState;
use crate::users::domain::{Email, parse_person_name};
use crate::users::repo as users_repo;
use crate::validation::Fields;
use crate::workspaces::repo as workspaces_repo;

use super::batch::{self, BoxFuture, Changed, Requester};
use super::domain::{
    AssigneeFilter, Cursor, excerpt, parse_attachment_ids, parse_body, parse_category, parse_idempotency_key,
    parse_limit, parse_search, parse_subject, parse_tags,
};
use super::effects::{self, Outbound};
use super::projection::for_viewer;
use super::repo::{self, ListFilter};
use super::state::{self, Actor, Change, Effect, Patch, Policies, TicketRecord, Transition};

/// A created ticket, and whether it is the replay of an earlier request with the same key.
pub struct Created {
    pub detail: TicketDetail,
    pub replayed: bool,
}

fn actor(principal: &Principal) -> Actor {
    Actor {
        id: principal.id().0,
        role: principal.role(),
    }
}

pub(super) fn summary_of(principal: &Principal) -> UserSummary {
    UserSummary {
        id: principal.id(),
        name: principal.name().to_owned(),
        email: principal.email().to_owned(),
        role: principal.role(),
    }
}

async fn policies(conn: &impl ConnectionTrait, scope: &WorkspaceScope) -> ApiResult<Policies> {
    Ok(Policies(sla_repo::policies(conn, scope).await?))
}

#[tracing::instrument(skip_all, fields(workspace = %principal.scope().id()))]
pub async fn create(
    state: &AppState,
    principal: &Principal,
    request: NewTicket,
    idempotency_key: Option<&str>,
) -> ApiResult<Created> {
    principal.require(Permission::CreateTicket)?;
    let for_others = principal.role().can(Permission::CreateTicketForOthers);
    if !for_others
        && (request.requester_email.is_some() || request.requester_name.is_some() || request.priority.is_some())
    {
        return Err(ApiError::forbidden(
            "Only staff can choose a ticket's requester or priority.",
        ));
    }
    let mut fields = Fields::default();
    let subject = fields.check("subject", parse_subject(&request.subject));
    let body = fields.check("body", parse_body(&request.body));
    let requester = if for_others {
        let email = fields.check(
            "requester_email",
            request
                .requester_email
                .as_deref()
                .ok_or_else(|| "is required: the customer this ticket is for".to_owned())
                .and_then(Email::parse),
        );
        let name = fields.optional("requester_name", request.requester_name.as_deref(), parse_person_name);
        email.zip(name).map(|(email, name)| Requester::ByEmail { email, name })
    } else {
        Some(Requester::Caller)
    };
    let key = fields.optional("Idempotency-Key", idempotency_key, parse_idempotency_key);
    let attachments = fields.check("attachment_ids", parse_attachment_ids(&request.attachment_ids));
    let (Some(subject), Some(body), Some(requester), Some(key), Some(attachments)) =
        (subject, body, requester, key, attachments)
    else {
        return Err(fields.into_error());
    };
    unsent(state, principal, &attachments).await?;
    let request_hash = format!(
        "{:x}",
        Sha256::digest(serde_json::to_vec(&request).context("hashing a request")?)
    );
    let stored_hash = request_hash.clone();
    let create = batch::Create {
        principal: principal.clone(),
        subject,
        body,
        priority: request.priority.unwrap_or(Priority::Normal),
        requester,
        key,
        request_hash,
        visitor: None,
        attachments,
    };
    match state.batcher.create(state, create).await? {
        batch::Outcome::Created(detail) => Ok(Created {
            detail: *detail,
            replayed: false,
        }),
        batch::Outcome::Replay(stored) => replay(state, principal, &stored, &stored_hash).await,
    }
}

pub(super) const NOT_YOURS: &str = "must be files you uploaded and have not sent with another message";

/// 422 unless the files are the caller's own and unsent, checked before a create joins its batch
/// (so one bad create does not send its batch's others to be written alone); the create's
/// transaction checks again as it ties them.
async fn unsent(state: &AppState, principal: &Principal, ids: &[Uuid]) -> ApiResult<()> {
    if ids.is_empty() || attachments_repo::unsent(&state.db, principal.scope(), principal.id().0, ids).await? {
        return Ok(());
    }
    Err(ApiError::invalid("attachment_ids", NOT_YOURS))
}

/// What became of a widget visitor's new conversation.
pub enum VisitorCreate {
    Created(Box<TicketDetail>),
    /// A retry with the `Idempotency-Key` of an earlier start: that ticket.
    Replay(Uuid),
}

/// A conversation a widget visitor starts, as the customer `principal` (who may be an unproven
/// address: the visitor sees only the conversations it started, see `widget`). The subject is the
/// message's first line. With an idempotency key, a retry whose first answer was lost finds the
/// ticket the first attempt made instead of making a second.
pub async fn create_for_visitor(
    state: &AppState,
    principal: &Principal,
    body: &str,
    attachment_ids: &[ferrodesk_shared::AttachmentId],
    visitor: Uuid,
    idempotency_key: Option<&str>,
) -> ApiResult<VisitorCreate> {
    principal.require(Permission::CreateTicket)?;
    let body = parse_body(body).map_err(|message| ApiError::invalid("message", message))?;
    let attachments =
        parse_attachment_ids(attachment_ids).map_err(|message| ApiError::invalid("attachment_ids", message))?;
    unsent(state, principal, &attachments).await?;
    let key = idempotency_key
        .map(parse_idempotency_key)
        .transpose()
        .map_err(|message| ApiError::invalid("Idempotency-Key", message))?;
    let first_line = body
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("Question");
    let subject: String = first_line.chars().take(80).collect();
    let subject = parse_subject(&subject).map_err(|message| ApiError::invalid("message", message))?;
    let request_hash = format!("{:x}", Sha256::digest(format!("widget\n{body}").as_bytes()));
    let create = batch::Create {
        principal: principal.clone(),
        subject,
        body,
        priority: Priority::Normal,
        requester: Requester::Caller,
        key,
        request_hash: request_hash.clone(),
        visitor: Some(visitor),
        attachments,
    };
    match state.batcher.create(state, create).await? {
        batch::Outcome::Created(detail) => Ok(VisitorCreate::Created(detail)),
        batch::Outcome::Replay(stored) if stored.request_hash == request_hash => {
            Ok(VisitorCreate::Replay(stored.ticket_id))
        }
        batch::Outcome::Replay(_) => Err(ApiError::invalid(
            "Idempotency-Key",
            "was already used for a different message; use a new key for a new conversation",
        )),
    }
}

/// The tickets of these ids the caller may see, as it may see them (unknown ids are left out).
pub async fn get_many(state: &AppState, principal: &Principal, ids: &[Uuid]) -> ApiResult<Vec<Ticket>> {
    let rows = repo::find_many(&state.db, principal.scope(), ids).await?;
    let rows: Vec<TicketRecord> = rows
        .into_iter()
        .filter(|row| principal.may_see_ticket(row.requester_id, row.created_by))
        .collect();
    let people = people_of(&state.db, principal.scope(), rows.iter().flat_map(TicketRecord::people)).await?;
    rows.into_iter()
        .map(|row| with_people(row, &people).map(|ticket| for_viewer(principal, ticket)))
        .collect()
}

/// What the team knows of a requester's tickets (staff only): per-status counts, the first one's
/// arrival, and the latest `limit`, newest first.
pub async fn requester_history(
    state: &AppState,
    principal: &Principal,
    requester: Uuid,
    limit: u64,
) -> ApiResult<(RequesterCounts, Option<DateTime<Utc>>, Vec<Ticket>)> {
    principal.require(Permission::ViewAllTickets)?;
    let scope = principal.scope();
    let mut counts = RequesterCounts::default();
    let mut first: Option<DateTime<Utc>> = None;
    for (status, n, arrived) in repo::requester_statuses(&state.db, scope, requester).await? {
        let n = u64::try_from(n).unwrap_or_default();
        match status {
            TicketStatus::New | TicketStatus::Open => counts.open += n,
            TicketStatus::Pending => counts.pending += n,
            TicketStatus::Solved => counts.solved += n,
            TicketStatus::Closed => counts.closed += n,
        }
        first = Some(first.map_or(arrived, |known| known.min(arrived)));
    }
    let rows = repo::by_requester(&state.db, scope, requester, limit).await?;
    let people = people_of(&state.db, scope, rows.iter().flat_map(TicketRecord::people)).await?;
    let recent = rows
        .into_iter()
        .map(|row| with_people(row, &people).map(|ticket| for_viewer(principal, ticket)))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok((counts, first, recent))
}

async fn replay(
    state: &AppState,
    principal: &Principal,
    stored: &idempotency_keys::Model,
    request_hash: &str,
) -> ApiResult<Created> {
    if stored.request_hash != request_hash {
        return Err(ApiError::invalid(
            "Idempotency-Key",
            "was already used for a different request; use a new key for a new ticket",
        ));
    }
    Ok(Created {
        detail: detail(state, principal, stored.ticket_id).await?,
        replayed: true,
    })
}

#[tracing::instrument(skip_all, fields(workspace = %principal.scope().id()))]
pub async fn list(state: &AppState, principal: &Principal, query: TicketListQuery) -> ApiResult<TicketPage> {
    let mut fields = Fields::default();
    let limit = fields.check("limit", parse_limit(query.limit));
    let after = fields.optional("cursor", query.cursor.as_deref(), Cursor::decode);
    let assignee = fields.optional("assignee", query.assignee.as_deref(), AssigneeFilter::parse);
    let search = fields
        .optional("q", query.q.as_deref(), parse_search)
        .map(Option::flatten);
    let category = fields.optional("category", query.category.as_deref(), parse_category);
    let (Some(limit), Some(after), Some(assignee), Some(search), Some(category)) =
        (limit, after, assignee, search, category)
    else {
        return Err(fields.into_error());
    };
    let view = query.view.unwrap_or_default();
    let filter = ListFilter {
        visibility: principal.ticket_visibility(),
        statuses: view.statuses().to_vec(),
        status: query.status,
        assignee: assignee.or_else(|| view_assignee(view)).map(|assignee| match assignee {
            AssigneeFilter::Me => Some(principal.id().0),
            AssigneeFilter::Unassigned => None,
            AssigneeFilter::User(user) => Some(user.0),
        }),
        priority: query.priority,
        category,
        // A search lists the best matches first, unless the caller asked for an order.
        by_relevance: search.is_some() && query.sort.is_none(),
        ranked_matches: state.settings.search_ranked_matches,
        search,
        sort: query.sort.unwrap_or_default(),
        after,
        // One more than asked tells whether another page exists.
        limit: limit + 1,
    };
    if filter
        .after
        .is_some_and(|after| after.rank.is_some() != filter.by_relevance)
    {
        return Err(ApiError::invalid(
            "cursor",
            "belongs to another order; start from the first page",
        ));
    }
    let (mut rows, ranks, total) = match (&filter.search, state.db.get_database_backend()) {
        (Some(_), DbBackend::Postgres) => {
            let reads = repo::searching(&state.db).await?;
            let page = page_of(&reads, principal, &filter, limit).await?;
            reads.commit().await?;
            page
        }
        _ => page_of(&state.db, principal, &filter, limit).await?,
    };
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|last| {
            let (state, created_at) = (&last.state, last.state.clock.created_at);
            let at = match filter.sort {
                ferrodesk_shared::tickets::TicketSort::Updated => state.updated_at,
                ferrodesk_shared::tickets::TicketSort::Created => created_at,
                ferrodesk_shared::tickets::TicketSort::Due => state.clock.next_due_at.unwrap_or(created_at),
            };
            Cursor {
                at,
                id: last.id,
                rank: ranks.get(rows.len() - 1).copied(),
            }
            .encode()
        })
    } else {
        None
    };
    let people = people_of(&state.db, principal.scope(), rows.iter().flat_map(TicketRecord::people)).await?;
    let items = rows
        .into_iter()
        .map(|row| with_people(row, &people).map(|ticket| for_viewer(principal, ticket)))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(TicketPage {
        items,
        next_cursor,
        total,
    })
}

/// A list's rows (one more than `limit` when another page exists), their ranks when by relevance,
/// and a search's count on its first page.
async fn page_of(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    filter: &ListFilter,
    limit: u64,
) -> ApiResult<(Vec<TicketRecord>, Vec<f64>, Option<u64>)> {
    let (rows, ranks, counted): (Vec<TicketRecord>, Vec<f64>, Option<u64>) = if filter.by_relevance {
        let ranked = repo::ranked(conn, principal.scope(), filter).await?;
        let (rows, ranks) = ranked.hits.into_iter().unzip();
        (rows, ranks, ranked.matches)
    } else {
        (repo::list(conn, principal.scope(), filter).await?, Vec::new(), None)
    };
    // A search's first page says how many match; when it is the only page, its rows are the count.
    let total = match (&filter.search, filter.after) {
        (Some(_), None) if rows.len() as u64 > limit => match counted {
            // Counted while finding the newest matches: fewer than were looked for is all of them.
            Some(matches) if matches < filter.ranked_matches || matches >= SEARCH_COUNT_CAP => {
                Some(matches.min(SEARCH_COUNT_CAP))
            }
            _ => Some(repo::count_capped(conn, principal.scope(), filter, SEARCH_COUNT_CAP).await?),
        },
        (Some(_), None) => Some(rows.len() as u64),
        _ => None,
    };
    Ok((rows, ranks, total))
}

fn view_assignee(view: InboxView) -> Option<AssigneeFilter> {
    match view {
        InboxView::Mine => Some(AssigneeFilter::Me),
        InboxView::Unassigned => Some(AssigneeFilter::Unassigned),
        InboxView::Open | InboxView::Pending | InboxView::Solved | InboxView::All => None,
    }
}

/// The size of each inbox view for the caller: from the kept per-status-and-assignee counters when the
/// caller sees every ticket (a few rows, however many tickets), counted otherwise.
pub async fn counts(state: &AppState, principal: &Principal) -> ApiResult<InboxCounts> {
    if principal.ticket_visibility() == TicketVisibility::All {
        let counters = rollup::counts(&state.db, principal.scope()).await?;
        let count = |view: InboxView| -> u64 {
            let sum: i64 = counters
                .iter()
                .filter(|(status, assignee, _)| {
                    (view.statuses().is_empty() || view.statuses().contains(status))
                        && match view_assignee(view) {
                            Some(AssigneeFilter::Me) => *assignee == Some(principal.id().0),
                            Some(AssigneeFilter::Unassigned) => assignee.is_none(),
                            Some(AssigneeFilter::User(user)) => *assignee == Some(user.0),
                            None => true,
                        }
                })
                .map(|(_, _, n)| *n)
                .sum();
            u64::try_from(sum).unwrap_or(0)
        };
        return Ok(InboxCounts {
            mine: count(InboxView::Mine),
            unassigned: count(InboxView::Unassigned),
            open: count(InboxView::Open),
            pending: count(InboxView::Pending),
            solved: count(InboxView::Solved),
        });
    }
    let count = |view: InboxView| {
        let filter = ListFilter {
            visibility: principal.ticket_visibility(),
            statuses: view.statuses().to_vec(),
            status: None,
            assignee: view_assignee(view).map(|assignee| match assignee {
                AssigneeFilter::Me => Some(principal.id().0),
                AssigneeFilter::Unassigned | AssigneeFilter::User(_) => None,
            }),
            priority: None,
            category: None,
            search: None,
            by_relevance: false,
            ranked_matches: 0,
            sort: Default::default(),
            after: None,
            limit: 0,
        };
        async move { repo::count(&state.db, principal.scope(), &filter).await }
    };
    Ok(InboxCounts {
        mine: count(InboxView::Mine).await?,
        unassigned: count(InboxView::Unassigned).await?,
        open: count(InboxView::Open).await?,
        pending: count(InboxView::Pending).await?,
        solved: count(InboxView::Solved).await?,
    })
}

pub async fn get(state: &AppState, principal: &Principal, id: TicketId) -> ApiResult<TicketDetail> {
    detail(state, principal, id.0).await
}

#[tracing::instrument(skip_all, fields(workspace = %principal.scope().id(), ticket = %id))]
pub async fn update(state: &AppState, principal: &Principal, id: TicketId, patch: TicketPatch) -> ApiResult<Ticket> {
    principal.require(Permission::EditTicketFields)?;
    let patching = Patching {
        principal: principal.clone(),
        id: id.0,
        change: patch_change(principal, &patch)?,
    };
    match state.batcher.change(state, *principal.scope(), patching).await? {
        Changed::Ticket { ticket, labelled } => {
            if labelled {
                crate::ai::learn::retrain_soon(state, principal.scope());
            }
            Ok(*ticket)
        }
        other => Err(unexpected("a patch", &other)),
    }
}

/// One patch for many tickets: each is changed as `update` would change it alone (they share the
/// workspace's batches), and each refusal is reported with its ticket instead of failing the rest.
#[tracing::instrument(skip_all, fields(workspace = %principal.scope().id(), tickets = request.ids.len()))]
pub async fn bulk_update(
    state: &AppState,
    principal: &Principal,
    request: BulkTicketUpdate,
) -> ApiResult<BulkTicketResult> {
    principal.require(Permission::EditTicketFields)?;
    let mut ids: Vec<TicketId> = Vec::with_capacity(request.ids.len());
    for id in request.ids {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() || ids.len() > MAX_BULK_TICKETS {
        return Err(ApiError::invalid(
            "ids",
            format!("name 1 to {MAX_BULK_TICKETS} tickets"),
        ));
    }
    let change = patch_change(principal, &request.patch)?;
    let answers = futures_util::future::join_all(ids.iter().map(|id| {
        let patching = Patching {
            principal: principal.clone(),
            id: id.0,
            change: change.clone(),
        };
        state.batcher.change(state, *principal.scope(), patching)
    }))
    .await;
    let (mut updated, mut failed, mut labelled) = (Vec::new(), Vec::new(), false);
    for (id, answer) in ids.into_iter().zip(answers) {
        match answer {
            Ok(Changed::Ticket {
                ticket,
                labelled: learnt,
            }) => {
                labelled |= learnt;
                updated.push(*ticket);
            }
            Ok(other) => return Err(unexpected("a patch", &other)),
            Err(error) if actix_web::ResponseError::status_code(&error).is_client_error() => {
                failed.push(BulkFailure {
                    id,
                    error: error.body(),
                });
            }
            // The database or a bug: the caller should retry the whole request (a retried patch
            // that already applied changes nothing).
            Err(error) => return Err(error),
        }
    }
    if labelled {
        crate::ai::learn::retrain_soon(state, principal.scope());
    }
    Ok(BulkTicketResult { updated, failed })
}

/// Merges ticket `id` into `request.into` (staff; the same requester's; neither closed): its
/// messages move there, it is closed with a note naming the other, and the other gets a note (or,
/// with `notify_customer`, a public reply the customer is mailed). In one change, so final.
#[tracing::instrument(skip_all, fields(workspace = %principal.scope().id(), ticket = %id))]
pub async fn merge(
    state: &AppState,
    principal: &Principal,
    id: TicketId,
    request: MergeRequest,
) -> ApiResult<MergeResult> {
    principal.require(Permission::EditTicketFields)?;
    if request.into == id {
        return Err(ApiError::invalid("into", "a ticket cannot be merged into itself"));
    }
    let merging = Merging {
        principal: principal.clone(),
        source: id.0,
        target: request.into.0,
        notify: request.notify_customer,
    };
    match state.batcher.change(state, *principal.scope(), merging).await? {
        Changed::Merged { source, target, moved } => Ok(MergeResult {
            merged: *source,
            into: *target,
            moved_messages: moved,
        }),
        other => Err(unexpected("a merge", &other)),
    }
}

/// "Not a duplicate" (staff): the ticket's possible duplicate is forgotten. Saying it twice is no
/// error; another workspace's ticket is 404.
#[tracing::instrument(skip_all, fields(workspace = %principal.scope().id(), ticket = %id))]
pub async fn dismiss_duplicate(state: &AppState, principal: &Principal, id: TicketId) -> ApiResult<()> {
    principal.require(Permission::EditTicketFields)?;
    let ticket = visible(&state.db, principal, id.0).await?;
    duplicates::dismiss(&state.db, principal.scope(), ticket.id).await
}

/// A merge, as its batch runs it (`batch::Change`): it reads and locks both tickets.
struct Merging {
    principal: Principal,
    source: Uuid,
    target: Uuid,
    notify: bool,
}

impl batch::Change for Merging {
    fn ticket(&self) -> Uuid {
        self.source
    }

    fn tickets(&self) -> Vec<Uuid> {
        vec![self.source, self.target]
    }

    fn stage<'a>(
        &'a self,
        txn: &'a WriteTxn,
        state: &'a AppState,
        shared: &'a batch::Shared,
    ) -> BoxFuture<'a, ApiResult<(Outbound, Changed)>> {
        Box::pin(async move {
            let (principal, scope, now) = (&self.principal, self.principal.scope(), clock::now());
            let source = shared.ticket(self.source)?;
            let target = shared
                .ticket(self.target)
                .map_err(|_| ApiError::invalid("into", "is not a ticket of this workspace"))?;
            if source.requester_id != target.requester_id {
                return Err(ApiError::invalid(
                    "into",
                    "must be a ticket of the same requester (their messages would show to someone else)",
                ));
            }
            if target.state.status == TicketStatus::Closed {
                return Err(ApiError::conflict(format!(
                    "#{} is closed; merge into an open ticket.",
                    target.number
                )));
            }
            let policies = shared.policies(txn, scope).await?;
            let closed = state::apply(
                &source.state,
                &Change::MergedAway { by: actor(principal) },
                policies,
                now,
            )?;
            let moved = repo::move_messages(txn, scope, source.id, target.id).await?;
            duplicates::merged(txn, scope, source.id, target.id).await?;
            crate::attachments::repo::move_ticket(txn, scope, source.id, target.id).await?;
            let (body, internal) = if self.notify {
                (
                    format!(
                        "We merged your request #{} ({}) into this one, so that everything is in one place. \
                         We will continue here.",
                        source.number, source.subject
                    ),
                    false,
                )
            } else {
                (
                    format!(
                        "Merged #{} ({}) into this ticket: {moved} messages moved.",
                        source.number, source.subject
                    ),
                    true,
                )
            };
            let told = Change::Reply {
                by: actor(principal),
                internal,
                preview: excerpt(&body),
                claim: false,
            };
            let received = state::apply(&target.state, &told, policies, now)?;
            let note = shared.message(
                scope,
                source.id,
                principal.id().0,
                format!("Merged into #{}.", target.number),
                true,
                now,
            );
            let message = shared.message(scope, target.id, principal.id().0, body, internal, now);
            let source = TicketRecord {
                state: closed.state.clone(),
                ..source
            };
            let target = TicketRecord {
                state: received.state,
                ..target
            };
            shared.saved(source.clone());
            shared.saved(target.clone());
            let mut people = shared
                .people(txn, scope, source.people().chain(target.people()))
                .await?;
            let requester = people.get(&target.requester_id).cloned();
            let merged = view_with(source, &mut people)?;
            let into = view_with(target, &mut people)?;
            let message = into_message(message, summary_of(principal));
            let note = into_message(note, summary_of(principal));
            let reply_links = shared.reply_links(state, requester.as_ref(), &into, &message, now);
            let mut outbound = effects::ticket_updated(principal, &closed, &merged, now)?;
            outbound.absorb(effects::message_created(principal, &merged, &note, None, now)?);
            outbound.absorb(effects::message_created(principal, &into, &message, reply_links, now)?);
            Ok((
                outbound,
                Changed::Merged {
                    source: Box::new(merged),
                    target: Box::new(into),
                    moved,
                },
            ))
        })
    }
}

/// A change's answer of the wrong kind: a bug.
fn unexpected(change: &str, answer: &Changed) -> ApiError {
    let kind = match answer {
        Changed::Message(_) => "a message",
        Changed::Ticket { .. } => "a ticket",
        Changed::Merged { .. } => "a merge",
    };
    ApiError::Internal(anyhow::anyhow!("{change} answered with {kind}"))
}

/// A patch's fields, checked before any IO, as the change the tickets' rules apply.
fn patch_change(principal: &Principal, patch: &TicketPatch) -> ApiResult<Change> {
    let mut fields = Fields::default();
    let category = match &patch.category {
        Some(Some(raw)) => fields.check("category", parse_category(raw)).map(|c| Some(Some(c))),
        Some(None) => Some(Some(None)),
        None => Some(None),
    };
    let tags = fields.optional("tags", patch.tags.as_deref(), parse_tags);
    let (Some(category), Some(tags)) = (category, tags) else {
        return Err(fields.into_error());
    };
    Ok(Change::Patch {
        by: actor(principal),
        patch: Patch {
            status: patch.status,
            priority: patch.priority,
            assignee: patch.assignee_id.map(|assignee| assignee.map(|user| user.0)),
            category,
            tags,
        },
    })
}

/// A patch, as its batch runs it (`batch::Change`).
struct Patching {
    principal: Principal,
    id: Uuid,
    change: Change,
}

impl batch::Change for Patching {
    fn ticket(&self) -> Uuid {
        self.id
    }

    fn stage<'a>(
        &'a self,
        txn: &'a WriteTxn,
        _: &'a AppState,
        shared: &'a batch::Shared,
    ) -> BoxFuture<'a, ApiResult<(Outbound, Changed)>> {
        Box::pin(async move {
            let (principal, scope, now) = (&self.principal, self.principal.scope(), clock::now());
            let record = shared.ticket(self.id)?;
            let transition = state::apply(&record.state, &self.change, shared.policies(txn, scope).await?, now)?;
            let changed = transition.changed(&record.state);
            let after = TicketRecord {
                state: transition.state.clone(),
                ..record.clone()
            };
            let mut people = shared.people(txn, scope, after.people()).await?;
            if let Some((_, Some(new))) = transition.assigned() {
                match people.get(&new) {
                    None => return Err(ApiError::invalid("assignee_id", "is not a member of this workspace")),
                    Some(user) if !users_repo::is_assignable(user) => {
                        return Err(ApiError::invalid(
                            "assignee_id",
                            "must be an agent, supervisor or owner",
                        ));
                    }
                    Some(_) => {}
                }
            }
            if !changed {
                let ticket = Box::new(view_with(record, &mut people)?);
                return Ok((
                    Outbound::default(),
                    Changed::Ticket {
                        ticket,
                        labelled: false,
                    },
                ));
            }
            let labelled = transition.has(|effect| *effect == Effect::Labelled);
            shared.saved(after.clone());
            let updated = view_with(after, &mut people)?;
            let outbound = effects::ticket_updated(principal, &transition, &updated, now)?;
            Ok((
                outbound,
                Changed::Ticket {
                    ticket: Box::new(updated),
                    labelled,
                },
            ))
        })
    }
}

/// Writes the change's outbound effects after taking the workspace's lock (its event numbers), then
/// moves the kept counters.
async fn finish(
    conn: &impl ConnectionTrait,
    state: &AppState,
    scope: &WorkspaceScope,
    outbound: Outbound,
    deltas: Deltas,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    realtime::log::notify_on_commit(conn, scope).await?;
    let numbers = workspaces_repo::allocate(conn, scope, 0, outbound.event_count()).await?;
    effects::write(conn, state, scope, &numbers.workspace, outbound, numbers.event_seq, now).await?;
    rollup::apply(conn, scope, deltas).await
}

#[tracing::instrument(skip_all, fields(workspace = %principal.scope().id(), ticket = %id))]
pub async fn reply(state: &AppState, principal: &Principal, id: TicketId, request: NewMessage) -> ApiResult<Message> {
    if request.internal {
        principal.require(Permission::WriteInternalNote)?;
    }
    if request.macro_id.is_some() {
        principal.require(Permission::EditTicketFields)?;
    }
    let body = parse_body(&request.body).map_err(|message| ApiError::invalid("body", message))?;
    let attachment_ids = parse_attachment_ids(&request.attachment_ids)
        .map_err(|message| ApiError::invalid("attachment_ids", message))?;
    let replying = Replying {
        principal: principal.clone(),
        id: id.0,
        body,
        internal: request.internal,
        from_macro: request.macro_id,
        attachment_ids,
    };
    match state.batcher.change(state, *principal.scope(), replying).await? {
        Changed::Message(message) => Ok(message),
        other => Err(unexpected("a reply", &other)),
    }
}

/// A reply or note, as its batch runs it (`batch::Change`).
struct Replying {
    principal: Principal,
    id: Uuid,
    body: String,
    internal: bool,
    /// The macro it was written from: its fields are set in the same change, and its use counted.
    from_macro: Option<MacroId>,
    /// Files the sender uploaded, tied to this message in its transaction.
    attachment_ids: Vec<Uuid>,
}

impl Replying {
    /// Ties the uploaded files to the message; a file that is not the sender's own, or was sent
    /// already, refuses the whole reply.
    async fn attach(&self, txn: &WriteTxn, ticket: Uuid, message: Uuid) -> ApiResult<Vec<Attachment>> {
        if self.attachment_ids.is_empty() {
            return Ok(Vec::new());
        }
        let scope = self.principal.scope();
        let ids = &self.attachment_ids;
        if !attachments_repo::attach(txn, scope, self.principal.id().0, ids, ticket, message).await? {
            return Err(ApiError::invalid("attachment_ids", NOT_YOURS));
        }
        attachments_repo::by_ids(txn, scope, ids).await
    }

    /// The patch of the macro it was written from (its tags added to the ticket's), and the use
    /// counted, in the reply's transaction.
    async fn macro_patch(&self, txn: &WriteTxn, tags: &[String], now: DateTime<Utc>) -> ApiResult<Option<Patch>> {
        let Some(id) = self.from_macro else {
            return Ok(None);
        };
        let scope = self.principal.scope();
        let found = macros::service::actions(txn, scope, id).await?;
        macros::repo::count_use(txn, scope, id.0, now).await?;
        let mut merged = tags.to_vec();
        merged.extend(found.add_tags.into_iter().filter(|tag| !tags.contains(tag)));
        let tags = (merged.len() != tags.len())
            .then(|| parse_tags(&merged).map_err(|message| ApiError::invalid("macro_id", message)))
            .transpose()?;
        Ok(Some(Patch {
            status: found.set_status,
            priority: found.set_priority,
            tags,
            ..Patch::default()
        }))
    }
}

impl batch::Change for Replying {
    fn ticket(&self) -> Uuid {
        self.id
    }

    fn stage<'a>(
        &'a self,
        txn: &'a WriteTxn,
        state: &'a AppState,
        shared: &'a batch::Shared,
    ) -> BoxFuture<'a, ApiResult<(Outbound, Changed)>> {
        Box::pin(async move {
            let (principal, scope, now) = (&self.principal, self.principal.scope(), clock::now());
            let record = shared.ticket(self.id)?;
            if !principal.may_see_ticket(record.requester_id, record.created_by) {
                return Err(ApiError::NotFound);
            }
            // Only read the setting when it could matter: a person of the team answering an
            // unassigned ticket in public.
            let claim = principal.is_staff()
                && principal.api_key().is_none()
                && !self.internal
                && record.state.assignee.is_none()
                && shared.assigns_on_reply(txn, scope).await?;
            let change = Change::Reply {
                by: actor(principal),
                internal: self.internal,
                preview: excerpt(&self.body),
                claim,
            };
            let policies = shared.policies(txn, scope).await?;
            let transition = state::apply(&record.state, &change, policies, now)?;
            // A macro's fields, applied to the ticket as the reply left it (its status wins).
            let patched = match self.macro_patch(txn, &transition.state.tags, now).await? {
                Some(patch) => {
                    let patch = Change::Patch {
                        by: actor(principal),
                        patch,
                    };
                    let patched = state::apply(&transition.state, &patch, policies, now)?;
                    patched.changed(&transition.state).then_some(patched)
                }
                None => None,
            };
            let message = shared.message(
                scope,
                record.id,
                principal.id().0,
                self.body.clone(),
                self.internal,
                now,
            );
            let record = TicketRecord {
                state: patched
                    .as_ref()
                    .map_or(transition.state, |patched| patched.state.clone()),
                ..record
            };
            let mut people = shared.people(txn, scope, record.people()).await?;
            let requester = people.get(&record.requester_id).cloned();
            shared.saved(record.clone());
            let ticket = view_with(record, &mut people)?;
            let files = self.attach(txn, ticket.id.0, message.id).await?;
            let message = Message {
                attachments: files,
                ..into_message(message, summary_of(principal))
            };
            let reply_links = shared.reply_links(state, requester.as_ref(), &ticket, &message, now);
            let mut outbound = effects::message_created(principal, &ticket, &message, reply_links, now)?;
            if let Some(patched) = &patched {
                outbound.absorb(effects::ticket_updated(principal, patched, &ticket, now)?);
            }
            Ok((outbound, Changed::Message(message)))
        })
    }
}

/// The ticket as the SLA scheduler decides on it, read (and on PostgreSQL locked) in its
/// transaction; `None` when the ticket is gone. Hand it back to `breach`.
pub async fn sla_view(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    id: Uuid,
) -> ApiResult<Option<TicketRecord>> {
    match repo::find_for_update(conn, scope, id).await {
        Ok(record) => Ok(Some(record)),
        Err(ApiError::NotFound) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Applies a missed target the scheduler has claimed (`sla::repo::claim_breach`) to the ticket it
/// read with `sla_view`, in its transaction: the ticket goes to `assign_to`, or is escalated; the
/// agent or the supervisors are told.
pub async fn breach(
    conn: &impl ConnectionTrait,
    state: &AppState,
    scope: &WorkspaceScope,
    record: TicketRecord,
    kind: BreachKind,
    assign_to: Option<Uuid>,
    now: DateTime<Utc>,
) -> ApiResult<Transition> {
    let change = Change::Breach { kind, assign_to };
    let transition = state::apply(&record.state, &change, &policies(conn, scope).await?, now)?;
    let deltas = repo::save(conn, scope, record.id, &record.state, &transition.state).await?;
    let supervisors = if assign_to.is_none() {
        users_repo::with_roles(conn, scope, &[Role::Supervisor, Role::Owner])
            .await?
            .into_iter()
            .map(|user| user.id)
            .collect()
    } else {
        Vec::new()
    };
    let record = TicketRecord {
        state: transition.state.clone(),
        ..record
    };
    let mut people = users_repo::by_ids(conn, scope, record.people()).await?;
    let ticket = view_with(record, &mut people)?;
    let outbound = effects::breached(scope, &transition, &ticket, supervisors, now)?;
    finish(conn, state, scope, outbound, deltas, now).await?;
    Ok(transition)
}

/// Stores the classifier's verdicts on tickets of one workspace and announces each as
/// `ticket.updated`, in the caller's transaction: one read of the tickets (locked), one UPDATE each,
/// one read of their people, and the workspace's lock once, last. Tickets that are gone are skipped.
pub async fn categorised(
    conn: &impl ConnectionTrait,
    state: &AppState,
    scope: &WorkspaceScope,
    verdicts: Vec<(Uuid, crate::ai::Categorised)>,
    now: DateTime<Utc>,
) -> ApiResult<Vec<Ticket>> {
    let ids: Vec<Uuid> = verdicts.iter().map(|(id, _)| *id).collect();
    let mut records: HashMap<Uuid, TicketRecord> = repo::find_many_for_update(conn, scope, &ids)
        .await?
        .into_iter()
        .map(|record| (record.id, record))
        .collect();
    if records.is_empty() {
        return Ok(Vec::new());
    }
    let policies = policies(conn, scope).await?;
    let mut changed = Vec::new();
    let mut before = Vec::new();
    for (id, verdict) in verdicts {
        let Some(record) = records.remove(&id) else {
            continue;
        };
        let transition = state::apply(&record.state, &Change::Categorised(verdict), &policies, now)?;
        before.push(record.state.clone());
        changed.push(TicketRecord {
            state: transition.state,
            ..record
        });
    }
    let saves: Vec<_> = changed
        .iter()
        .zip(&before)
        .map(|(record, before)| (record.id, before, &record.state))
        .collect();
    let deltas = repo::save_many(conn, scope, &saves).await?;
    let people_ids: Vec<Uuid> = changed.iter().flat_map(TicketRecord::people).collect();
    let mut people = users_repo::by_ids(conn, scope, people_ids).await?;
    let tickets = changed
        .into_iter()
        .map(|record| view_with(record, &mut people))
        .collect::<ApiResult<Vec<_>>>()?;
    finish(conn, state, scope, effects::categorised(&tickets), deltas, now).await?;
    Ok(tickets)
}

/// A ticket the caller may see (`Principal::may_see_ticket`): any of the workspace for staff, their
/// own for customers. Anything else is 404, exactly like a ticket that does not exist.
async fn visible(conn: &impl ConnectionTrait, principal: &Principal, id: Uuid) -> ApiResult<TicketRecord> {
    let ticket = repo::find(conn, principal.scope(), id).await?;
    if !principal.may_see_ticket(ticket.requester_id, ticket.created_by) {
        return Err(ApiError::NotFound);
    }
    Ok(ticket)
}

/// Whether `principal` may read this message of this ticket (for its attachments): the ticket's
/// visibility, and internal notes for staff only. 404 otherwise, as for the ticket itself.
pub async fn may_read_message(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    ticket_id: Uuid,
    message_id: Uuid,
) -> ApiResult<()> {
    let ticket = visible(conn, principal, ticket_id).await?;
    let staff = principal.role().can(Permission::ViewAllTickets);
    if repo::has_message(conn, principal.scope(), ticket.id, message_id, staff).await? {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

async fn detail(state: &AppState, principal: &Principal, id: Uuid) -> ApiResult<TicketDetail> {
    let ticket = visible(&state.db, principal, id).await?;
    let staff = principal.role().can(Permission::ViewAllTickets);
    let messages = repo::messages(&state.db, principal.scope(), ticket.id, staff).await?;
    let (breaches, rating, possible_duplicate) = if staff {
        (
            sla_repo::breaches(&state.db, principal.scope(), ticket.id).await?,
            crate::csat::service::of_ticket(&state.db, principal.scope(), ticket.id).await?,
            // A closed ticket cannot be merged any more: nothing to suggest.
            match ticket.state.status {
                TicketStatus::Closed => None,
                _ => duplicates::hint(&state.db, principal.scope(), ticket.id).await?,
            },
        )
    } else {
        (Vec::new(), None, None)
    };
    let people_ids = messages
        .iter()
        .map(|message| message.author_id)
        .chain([ticket.requester_id])
        .chain(ticket.state.assignee)
        .chain(breaches.iter().filter_map(|breach| breach.assignee_id));
    let people = people_of(&state.db, principal.scope(), people_ids).await?;
    let breaches = breaches
        .into_iter()
        .map(|row| SlaBreach {
            kind: row.kind.into(),
            due_at: row.due_at,
            action: row.action.into(),
            at: row.created_at,
            assigned_to: row.assignee_id.and_then(|id| person(&people, id).ok()),
        })
        .collect();
    let mut files = attachments_repo::of_ticket(&state.db, principal.scope(), ticket.id).await?;
    let messages = messages
        .into_iter()
        .map(|message| {
            let author = person(&people, message.author_id)?;
            let attachments = files.remove(&message.id).unwrap_or_default();
            Ok(Message {
                attachments,
                ..into_message(message, author)
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(TicketDetail {
        ticket: for_viewer(principal, with_people(ticket, &people)?),
        messages,
        breaches,
        rating,
        possible_duplicate,
    })
}

async fn people_of(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    ids: impl IntoIterator<Item = Uuid>,
) -> ApiResult<HashMap<Uuid, UserSummary>> {
    users_repo::summaries(conn, scope, ids).await
}

fn person(people: &HashMap<Uuid, UserSummary>, id: Uuid) -> ApiResult<UserSummary> {
    people
        .get(&id)
        .cloned()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("user {id} of a ticket is missing")))
}

fn with_people(record: TicketRecord, people: &HashMap<Uuid, UserSummary>) -> ApiResult<Ticket> {
    let requester = person(people, record.requester_id)?;
    let assignee = record.state.assignee.map(|id| person(people, id)).transpose()?;
    Ok(view(record, requester, assignee))
}

fn view_with(record: TicketRecord, people: &mut HashMap<Uuid, users::Model>) -> ApiResult<Ticket> {
    let mut summary = |id: Uuid| -> ApiResult<UserSummary> {
        let user = people
            .get(&id)
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("user {id} of a ticket is missing")))?;
        Ok(users_repo::into_summary(user))
    };
    let requester = summary(record.requester_id)?;
    let assignee = record.state.assignee.map(&mut summary).transpose()?;
    Ok(view(record, requester, assignee))
}

/// The ticket as the API shows it (staff view; `projection` narrows it per audience).
pub(super) fn view(record: TicketRecord, requester: UserSummary, assignee: Option<UserSummary>) -> Ticket {
    let state = record.state;
    Ticket {
        id: TicketId(record.id),
        number: record.number,
        status: state.status,
        priority: state.priority,
        tags: state.tags,
        requester,
        assignee,
        subject: record.subject,
        category_source: state.category_source,
        ai_category: state.ai,
        category: state.category,
        created_at: state.clock.created_at,
        updated_at: state.updated_at,
        first_response_at: state.first_response_at,
        solved_at: state.solved_at,
        sla: state.clock.view(),
        preview: state.preview,
    }
}

pub(super) fn into_message(row: crate::db::entities::messages::Model, author: UserSummary) -> Message {
    Message {
        id: MessageId(row.id),
        ticket_id: TicketId(row.ticket_id),
        author,
        body: row.body,
        internal: row.internal,
        created_at: row.created_at,
        attachments: Vec::new(),
    }
}
