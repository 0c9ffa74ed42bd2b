//! Ticket rules: who may create, see, change and answer what, and the status lifecycle.

use std::collections::HashMap;

use anyhow::Context;
use ferrodesk_shared::ai::{CategoryGuess, CategorySource};
use ferrodesk_shared::sla::TicketSla;
use ferrodesk_shared::tickets::{
    InboxCounts, InboxView, Message, NewMessage, NewTicket, Priority, Ticket, TicketDetail, TicketListQuery,
    TicketPage, TicketPatch, TicketStatus,
};
use ferrodesk_shared::users::UserSummary;
use ferrodesk_shared::{MessageId, Permission, Role, TicketId, UserId};
use sea_orm::{ConnectionTrait, Set};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::auth::{Principal, WorkspaceScope};
use crate::clock;
use crate::db::{self, entities::idempotency_keys, entities::tickets};
use crate::error::{ApiError, ApiResult};
use crate::sla::repo as sla_repo;
use crate::state::AppState;
use crate::users::domain::{Email, parse_person_name};
use crate::users::repo::{self as users_repo, NewUser};
use crate::validation::Fields;
use crate::workspaces::repo as workspaces_repo;

use super::domain::{
    AssigneeFilter, Cursor, excerpt, parse_body, parse_category, parse_idempotency_key, parse_limit, parse_search,
    parse_subject, parse_tags,
};
use super::effects;
use super::projection::for_viewer;
use super::repo::{self, ListFilter, NewTicketRow};

/// A created ticket, and whether it is the replay of an earlier request with the same key.
pub struct Created {
    pub detail: TicketDetail,
    pub replayed: bool,
}

enum Requester {
    Caller,
    ByEmail { email: Email, name: Option<String> },
}

#[tracing::instrument(skip_all, fields(workspace = %principal.scope().id()))]
pub async fn create(
    state: &AppState,
    principal: &Principal,
    request: NewTicket,
    idempotency_key: Option<&str>,
) -> ApiResult<Created> {
    if !principal.is_staff()
        && (request.requester_email.is_some() || request.requester_name.is_some() || request.priority.is_some())
    {
        return Err(ApiError::forbidden(
            "Only staff can choose a ticket's requester or priority.",
        ));
    }
    let mut fields = Fields::default();
    let subject = fields.check("subject", parse_subject(&request.subject));
    let body = fields.check("body", parse_body(&request.body));
    let requester = if principal.is_staff() {
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
    let (Some(subject), Some(body), Some(requester), Some(key)) = (subject, body, requester, key) else {
        return Err(fields.into_error());
    };
    let request_hash = format!(
        "{:x}",
        Sha256::digest(serde_json::to_vec(&request).context("hashing a request")?)
    );
    let scope = principal.scope();
    let caller = principal.id().0;

    // Before the transaction: the model's work holds no lock, and the ticket is stored with its
    // category and embedding at once. (A replayed idempotent request pays for it needlessly; rare.)
    let arrival = crate::ai::categorise::on_arrival(state, principal.scope(), &subject, &body).await;
    let now = clock::now();
    let txn = db::begin_write(&state.db).await?;
    if let Some(key) = &key
        && let Some(existing) = repo::find_idempotency_key(&txn, scope, caller, key).await?
    {
        drop(txn);
        return replay(state, principal, &existing, &request_hash).await;
    }
    let requester_id = match requester {
        Requester::Caller => caller,
        Requester::ByEmail { email, name } => match users_repo::find_by_email(&txn, scope, &email).await? {
            Some(existing) => existing.id,
            None => {
                let name = name.unwrap_or_else(|| email.local_part().to_owned());
                let customer = NewUser {
                    email,
                    name,
                    role: Role::Customer,
                    password_hash: None,
                    email_verified: false,
                };
                users_repo::insert_or_find(&txn, scope, customer, now).await?.id
            }
        },
    };
    let number = workspaces_repo::next_ticket_number(&txn, scope).await?;
    let row = NewTicketRow {
        number,
        subject,
        priority: request.priority.unwrap_or(Priority::Normal),
        requester_id,
        created_by: caller,
        preview: excerpt(&body),
        ai: arrival.as_ref().map(|arrival| arrival.categorised.clone()),
    };
    let ticket = repo::insert(&txn, scope, row, now).await?;
    repo::insert_message(&txn, scope, ticket.id, caller, body, false, now).await?;
    if let Some(arrival) = &arrival {
        crate::ai::repo::insert_embedding(&txn, scope, ticket.id, &arrival.embedder, &arrival.embedding, now).await?;
    }
    if let Some(key) = key {
        let stored =
            repo::insert_idempotency_key(&txn, scope, caller, key.clone(), request_hash.clone(), ticket.id, now).await;
        if let Err(error) = stored {
            if !db::violates_unique(&error, "idempotency_keys_pkey", "idempotency_keys.") {
                return Err(error.into());
            }
            // A concurrent request with the same key committed first: undo ours and answer with theirs.
            drop(txn);
            let existing = repo::find_idempotency_key(&state.db, scope, caller, &key)
                .await?
                .ok_or_else(|| ApiError::conflict("A request with this Idempotency-Key is still in progress."))?;
            return replay(state, principal, &existing, &request_hash).await;
        }
    }
    sla_repo::refresh_due_times(&txn, scope, ticket.id).await?;
    let created = ticket_dto(&txn, scope, repo::find(&txn, scope, ticket.id).await?).await?;
    effects::ticket_created(&txn, state, principal, &created, now).await?;
    txn.commit().await?;
    effects::announce(state, scope);
    tracing::info!(ticket = %created.id, number, "ticket created");
    Ok(Created {
        detail: detail(state, principal, created.id.0).await?,
        replayed: false,
    })
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
        search,
        sort: query.sort.unwrap_or_default(),
        after,
        // One more than asked tells whether another page exists.
        limit: limit + 1,
    };
    let mut rows = repo::list(&state.db, principal.scope(), &filter).await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|last| {
            let at = match filter.sort {
                ferrodesk_shared::tickets::TicketSort::Updated => last.updated_at,
                ferrodesk_shared::tickets::TicketSort::Created => last.created_at,
                ferrodesk_shared::tickets::TicketSort::Due => last.next_due_at.unwrap_or(last.created_at),
            };
            Cursor { at, id: last.id }.encode()
        })
    } else {
        None
    };
    let people = people_of(
        &state.db,
        principal.scope(),
        rows.iter()
            .flat_map(|row| [Some(row.requester_id), row.assignee_id])
            .flatten(),
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|row| into_ticket(row, &people).map(|ticket| for_viewer(principal, ticket)))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(TicketPage { items, next_cursor })
}

fn view_assignee(view: InboxView) -> Option<AssigneeFilter> {
    match view {
        InboxView::Mine => Some(AssigneeFilter::Me),
        InboxView::Unassigned => Some(AssigneeFilter::Unassigned),
        InboxView::Open | InboxView::Pending | InboxView::Solved | InboxView::All => None,
    }
}

/// The size of each inbox view for the caller.
pub async fn counts(state: &AppState, principal: &Principal) -> ApiResult<InboxCounts> {
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
    if !principal.is_staff() {
        return Err(ApiError::forbidden(
            "Only staff can change a ticket's status, priority, assignee, category or tags.",
        ));
    }
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
    let scope = principal.scope();
    let now = clock::now();
    let txn = db::begin_write(&state.db).await?;
    let ticket = repo::find(&txn, scope, id.0).await?;
    let current = status_of(&ticket)?;
    let mut changes = tickets::ActiveModel::default();
    let mut changed = false;

    if let Some(next) = patch.status
        && next != current
    {
        if !current.can_become(next) {
            return Err(ApiError::conflict(format!(
                "A {} ticket cannot become {}.",
                current.as_str(),
                next.as_str()
            )));
        }
        changes.status = Set(next.as_str().to_owned());
        pause_clock(&mut changes, &ticket, current, next, now);
        if next == TicketStatus::Solved {
            changes.solved_at = Set(Some(now));
        } else if current == TicketStatus::Solved && next != TicketStatus::Closed {
            changes.solved_at = Set(None);
        }
        changed = true;
    }
    if current == TicketStatus::Closed
        && (patch.priority.is_some() || patch.assignee_id.is_some() || category.is_some() || tags.is_some())
    {
        return Err(ApiError::conflict("A closed ticket cannot be changed."));
    }
    if let Some(priority) = patch.priority
        && priority.as_str() != ticket.priority
    {
        changes.priority = Set(priority.as_str().to_owned());
        changed = true;
    }
    if let Some(assignee) = patch.assignee_id
        && assignee.map(|user| user.0) != ticket.assignee_id
    {
        check_assignment(&txn, principal, ticket.assignee_id, assignee).await?;
        changes.assignee_id = Set(assignee.map(|user| user.0));
        changed = true;
    }
    // A person choosing a category (even the one the AI chose) is a label the workspace's
    // classifier learns from; clearing it takes the label back.
    let mut labelled = false;
    if let Some(category) = category
        && (category != ticket.category || ticket.category_source.as_deref() == Some("ai"))
    {
        changes.category_source = Set(category.as_ref().map(|_| "agent".to_owned()));
        changes.category = Set(category);
        changed = true;
        labelled = true;
    }
    if let Some(tags) = tags {
        let tags = serde_json::to_string(&tags).context("encoding tags")?;
        if tags != ticket.tags {
            changes.tags = Set(tags);
            changed = true;
        }
    }
    if changed {
        changes.updated_at = Set(now);
        repo::update(&txn, scope, ticket.id, changes).await?;
    }
    let previous_assignee = ticket.assignee_id;
    if changed {
        sla_repo::refresh_due_times(&txn, scope, ticket.id).await?;
    }
    let updated = ticket_dto(&txn, scope, repo::find(&txn, scope, ticket.id).await?).await?;
    if changed {
        effects::ticket_updated(&txn, principal, previous_assignee, &updated, now).await?;
    }
    txn.commit().await?;
    if changed {
        effects::announce(state, scope);
    }
    if labelled {
        crate::ai::learn::retrain_soon(state, scope);
    }
    Ok(updated)
}

/// The ticket as the API shows it, read in the caller's transaction.
pub async fn ticket_dto(conn: &impl ConnectionTrait, scope: &WorkspaceScope, row: tickets::Model) -> ApiResult<Ticket> {
    let people = people_of(
        conn,
        scope,
        [Some(row.requester_id), row.assignee_id].into_iter().flatten(),
    )
    .await?;
    into_ticket(row, &people)
}

/// Agents take or drop their own tickets; moving a ticket to or from someone else needs a supervisor.
async fn check_assignment(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    current: Option<Uuid>,
    next: Option<UserId>,
) -> ApiResult<()> {
    let me = principal.id();
    let touches_others = next.is_some_and(|user| user != me) || current.is_some_and(|user| user != me.0);
    if touches_others {
        principal.require(Permission::AssignAnyone)?;
    }
    if let Some(user) = next {
        let assignee = match users_repo::find(conn, principal.scope(), user).await {
            Ok(assignee) => assignee,
            Err(ApiError::NotFound) => {
                return Err(ApiError::invalid("assignee_id", "is not a member of this workspace"));
            }
            Err(other) => return Err(other),
        };
        if !users_repo::role_of(&assignee)?.is_staff() {
            return Err(ApiError::invalid(
                "assignee_id",
                "must be an agent, supervisor or owner",
            ));
        }
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(workspace = %principal.scope().id(), ticket = %id))]
pub async fn reply(state: &AppState, principal: &Principal, id: TicketId, request: NewMessage) -> ApiResult<Message> {
    if request.internal && !principal.is_staff() {
        return Err(ApiError::forbidden("Only staff can write internal notes."));
    }
    let body = parse_body(&request.body).map_err(|message| ApiError::invalid("body", message))?;
    let scope = principal.scope();
    let now = clock::now();
    let txn = db::begin_write(&state.db).await?;
    let ticket = visible(&txn, principal, id.0).await?;
    let status = status_of(&ticket)?;
    if status == TicketStatus::Closed {
        return Err(ApiError::conflict("This ticket is closed; please open a new one."));
    }
    let preview = (!request.internal).then(|| excerpt(&body));
    let message = repo::insert_message(&txn, scope, ticket.id, principal.id().0, body, request.internal, now).await?;
    let mut changes = tickets::ActiveModel {
        updated_at: Set(now),
        ..Default::default()
    };
    if let Some(preview) = preview {
        changes.preview = Set(Some(preview));
    }
    if principal.is_staff() && !request.internal {
        if ticket.first_response_at.is_none() {
            changes.first_response_at = Set(Some(now));
        }
        if status == TicketStatus::New {
            changes.status = Set(TicketStatus::Open.as_str().to_owned());
        }
    }
    let pending_reopened = !principal.is_staff() && status == TicketStatus::Pending;
    if pending_reopened {
        pause_clock(&mut changes, &ticket, status, TicketStatus::Open, now);
    }
    if !principal.is_staff() && matches!(status, TicketStatus::Pending | TicketStatus::Solved) {
        // The customer wrote again: the ticket needs the team's attention once more.
        changes.status = Set(TicketStatus::Open.as_str().to_owned());
        changes.solved_at = Set(None);
    }
    repo::update(&txn, scope, ticket.id, changes).await?;
    let author = UserSummary {
        id: principal.id(),
        name: principal.name().to_owned(),
        email: principal.email().to_owned(),
        role: principal.role(),
    };
    let message = into_message(message, author);
    sla_repo::refresh_due_times(&txn, scope, ticket.id).await?;
    let ticket = ticket_dto(&txn, scope, repo::find(&txn, scope, ticket.id).await?).await?;
    effects::message_created(&txn, state, principal, &ticket, &message, now).await?;
    txn.commit().await?;
    effects::announce(state, scope);
    Ok(message)
}

/// Keeps the pending clock: time spent pending does not count towards the resolution target.
fn pause_clock(
    changes: &mut tickets::ActiveModel,
    ticket: &tickets::Model,
    from: TicketStatus,
    to: TicketStatus,
    now: chrono::DateTime<chrono::Utc>,
) {
    let (pending_since, paused) = crate::sla::domain::pause_clock(
        from,
        to,
        ticket.pending_since,
        chrono::Duration::seconds(ticket.paused_seconds),
        now,
    );
    changes.pending_since = Set(pending_since);
    changes.paused_seconds = Set(paused.num_seconds());
}

/// A ticket the caller may see (`Principal::may_see_ticket`): any of the workspace for staff, their
/// own for customers. Anything else is 404, exactly like a ticket that does not exist.
async fn visible(conn: &impl ConnectionTrait, principal: &Principal, id: Uuid) -> ApiResult<tickets::Model> {
    let ticket = repo::find(conn, principal.scope(), id).await?;
    if !principal.may_see_ticket(ticket.requester_id, ticket.created_by) {
        return Err(ApiError::NotFound);
    }
    Ok(ticket)
}

async fn detail(state: &AppState, principal: &Principal, id: Uuid) -> ApiResult<TicketDetail> {
    let ticket = visible(&state.db, principal, id).await?;
    let messages = repo::messages(&state.db, principal.scope(), ticket.id, principal.is_staff()).await?;
    let people_ids = messages
        .iter()
        .map(|message| message.author_id)
        .chain([ticket.requester_id])
        .chain(ticket.assignee_id);
    let people = people_of(&state.db, principal.scope(), people_ids).await?;
    let messages = messages
        .into_iter()
        .map(|message| {
            let author = person(&people, message.author_id)?;
            Ok(into_message(message, author))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let breaches = if principal.is_staff() {
        sla_repo::breaches(&state.db, principal.scope(), ticket.id).await?
    } else {
        Vec::new()
    };
    Ok(TicketDetail {
        ticket: for_viewer(principal, into_ticket(ticket, &people)?),
        messages,
        breaches,
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

fn status_of(ticket: &tickets::Model) -> ApiResult<TicketStatus> {
    Ok(ticket.status.parse::<TicketStatus>().context("stored status")?)
}

fn into_ticket(row: tickets::Model, people: &HashMap<Uuid, UserSummary>) -> ApiResult<Ticket> {
    Ok(Ticket {
        id: TicketId(row.id),
        number: row.number,
        status: status_of(&row)?,
        priority: row.priority.parse::<Priority>().context("stored priority")?,
        tags: serde_json::from_str(&row.tags).context("stored tags")?,
        requester: person(people, row.requester_id)?,
        assignee: row.assignee_id.map(|id| person(people, id)).transpose()?,
        subject: row.subject,
        category_source: match row.category_source.as_deref() {
            Some("ai") => Some(CategorySource::Ai),
            Some(_) => Some(CategorySource::Agent),
            None => None,
        },
        ai_category: row.ai_category.map(|category| CategoryGuess {
            category,
            confidence: row.ai_confidence.unwrap_or(0.0) as f32,
            assigned: row.ai_assigned,
        }),
        category: row.category,
        created_at: row.created_at,
        updated_at: row.updated_at,
        first_response_at: row.first_response_at,
        solved_at: row.solved_at,
        sla: TicketSla {
            first_response_due_at: row.first_response_due_at,
            resolution_due_at: row.resolution_due_at,
            next_due_at: row.next_due_at,
            breached: row.breached_first_response || row.breached_resolution,
            escalated: row.escalated,
        },
        preview: row.preview,
    })
}

fn into_message(row: crate::db::entities::messages::Model, author: UserSummary) -> Message {
    Message {
        id: MessageId(row.id),
        ticket_id: TicketId(row.ticket_id),
        author,
        body: row.body,
        internal: row.internal,
        created_at: row.created_at,
    }
}
