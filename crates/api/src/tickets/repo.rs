//! Ticket, message and idempotency-key queries; each is bounded by the workspace scope.

use chrono::Duration;
use ferrodesk_shared::ai::CategoryGuess;
use ferrodesk_shared::tickets::{Priority, TicketSort, TicketStatus};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Set, TransactionTrait,
};
use uuid::Uuid;

use crate::auth::{TicketVisibility, WorkspaceScope};
use crate::db::entities::{idempotency_keys, messages, tickets};
use crate::db::stored::{StoredPriority, StoredStatus as Status};
use crate::error::{ApiError, ApiResult};
use crate::reports::rollup::Deltas;

use super::domain::{Cursor, Search};
use super::state::{SlaClock, TicketRecord, TicketState};

/// The row as the service sees it: typed, tags parsed, the SLA clock together.
pub fn record_of(row: tickets::Model) -> ApiResult<TicketRecord> {
    let tags =
        serde_json::from_str(&row.tags).map_err(|error| ApiError::Internal(anyhow::anyhow!("stored tags: {error}")))?;
    Ok(TicketRecord {
        id: row.id,
        number: row.number,
        subject: row.subject,
        requester_id: row.requester_id,
        created_by: row.created_by,
        state: TicketState {
            status: row.status.into(),
            priority: row.priority.into(),
            assignee: row.assignee_id,
            ai: row.ai_category.map(|category| CategoryGuess {
                category,
                confidence: row.ai_confidence.unwrap_or(0.0) as f32,
                assigned: row.ai_assigned,
            }),
            category: row.category,
            category_source: row.category_source.map(Into::into),
            tags,
            preview: row.preview,
            updated_at: row.updated_at,
            first_response_at: row.first_response_at,
            solved_at: row.solved_at,
            clock: SlaClock {
                created_at: row.created_at,
                pending_since: row.pending_since,
                paused: Duration::seconds(row.paused_seconds),
                first_response_due_at: row.first_response_due_at,
                resolution_due_at: row.resolution_due_at,
                next_due_at: row.next_due_at,
                breached_first_response: row.breached_first_response,
                breached_resolution: row.breached_resolution,
                escalated: row.escalated,
            },
        },
    })
}

fn tags_json(tags: &[String]) -> ApiResult<String> {
    serde_json::to_string(tags).map_err(|error| ApiError::Internal(anyhow::anyhow!("encoding tags: {error}")))
}

/// Inserts new tickets in one statement; what they add to the kept counters, for
/// `reports::rollup::apply` after the workspace's lock.
pub async fn insert_many(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    tickets: &[TicketRecord],
) -> ApiResult<Deltas> {
    if tickets.is_empty() {
        return Ok(Deltas::default());
    }
    let mut deltas = Deltas::default();
    for ticket in tickets {
        deltas.merge(Deltas::between(None, &ticket.state));
    }
    let rows = tickets
        .iter()
        .map(|ticket| -> ApiResult<tickets::ActiveModel> {
            let state = &ticket.state;
            Ok(tickets::ActiveModel {
                id: Set(ticket.id),
                workspace_id: Set(scope.uuid()),
                number: Set(ticket.number),
                subject: Set(ticket.subject.clone()),
                status: Set(state.status.into()),
                priority: Set(state.priority.into()),
                category: Set(state.category.clone()),
                category_source: Set(state.category_source.map(Into::into)),
                ai_category: Set(state.ai.as_ref().map(|ai| ai.category.clone())),
                ai_confidence: Set(state.ai.as_ref().map(|ai| f64::from(ai.confidence))),
                ai_assigned: Set(state.ai.as_ref().is_some_and(|ai| ai.assigned)),
                tags: Set(tags_json(&state.tags)?),
                requester_id: Set(ticket.requester_id),
                created_by: Set(ticket.created_by),
                assignee_id: Set(state.assignee),
                created_at: Set(state.clock.created_at),
                updated_at: Set(state.updated_at),
                first_response_at: Set(state.first_response_at),
                solved_at: Set(state.solved_at),
                preview: Set(state.preview.clone()),
                first_response_due_at: Set(state.clock.first_response_due_at),
                resolution_due_at: Set(state.clock.resolution_due_at),
                next_due_at: Set(state.clock.next_due_at),
                pending_since: Set(state.clock.pending_since),
                paused_seconds: Set(state.clock.paused.num_seconds()),
                breached_first_response: Set(state.clock.breached_first_response),
                breached_resolution: Set(state.clock.breached_resolution),
                escalated: Set(state.clock.escalated),
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    tickets::Entity::insert_many(rows).exec_without_returning(conn).await?;
    Ok(deltas)
}

pub async fn find(conn: &impl ConnectionTrait, scope: &WorkspaceScope, id: Uuid) -> ApiResult<TicketRecord> {
    let row = tickets::Entity::find_by_id(id)
        .filter(tickets::Column::WorkspaceId.eq(scope.uuid()))
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)?;
    record_of(row)
}

/// The tickets `ids` of this workspace, most recently updated first (unknown ids are left out).
pub async fn find_many(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    ids: &[Uuid],
) -> ApiResult<Vec<TicketRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    tickets::Entity::find()
        .filter(tickets::Column::WorkspaceId.eq(scope.uuid()))
        .filter(tickets::Column::Id.is_in(ids.iter().copied()))
        .order_by_desc(tickets::Column::UpdatedAt)
        .all(conn)
        .await?
        .into_iter()
        .map(record_of)
        .collect()
}

/// `find`, with the row locked until the transaction ends on PostgreSQL (SQLite's writers are
/// serial already), so a change never applies to a state another change is replacing.
pub async fn find_for_update(conn: &impl ConnectionTrait, scope: &WorkspaceScope, id: Uuid) -> ApiResult<TicketRecord> {
    let mut query = tickets::Entity::find_by_id(id).filter(tickets::Column::WorkspaceId.eq(scope.uuid()));
    if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    record_of(query.one(conn).await?.ok_or(ApiError::NotFound)?)
}

/// The tickets `ids` of this workspace, locked like `find_for_update` (in id order, so two batches
/// never wait on each other in a circle).
pub async fn find_many_for_update(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    ids: &[Uuid],
) -> ApiResult<Vec<TicketRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = tickets::Entity::find()
        .filter(tickets::Column::WorkspaceId.eq(scope.uuid()))
        .filter(tickets::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(tickets::Column::Id);
    if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query.all(conn).await?.into_iter().map(record_of).collect()
}

/// The columns that differ between `before` and `after`, with their new values.
fn changed_columns(before: &TicketState, after: &TicketState) -> ApiResult<Vec<(tickets::Column, sea_orm::Value)>> {
    let mut changes = <tickets::ActiveModel as Default>::default();
    macro_rules! differs {
        ($($field:ident).+ => $column:ident, $value:expr) => {
            if before.$($field).+ != after.$($field).+ {
                changes.$column = Set($value);
            }
        };
    }
    differs!(status => status, after.status.into());
    differs!(priority => priority, after.priority.into());
    differs!(assignee => assignee_id, after.assignee);
    differs!(category => category, after.category.clone());
    differs!(category_source => category_source, after.category_source.map(Into::into));
    if before.ai != after.ai {
        changes.ai_category = Set(after.ai.as_ref().map(|ai| ai.category.clone()));
        changes.ai_confidence = Set(after.ai.as_ref().map(|ai| f64::from(ai.confidence)));
        changes.ai_assigned = Set(after.ai.as_ref().is_some_and(|ai| ai.assigned));
    }
    differs!(tags => tags, tags_json(&after.tags)?);
    differs!(preview => preview, after.preview.clone());
    differs!(updated_at => updated_at, after.updated_at);
    differs!(first_response_at => first_response_at, after.first_response_at);
    differs!(solved_at => solved_at, after.solved_at);
    differs!(clock.pending_since => pending_since, after.clock.pending_since);
    differs!(clock.paused => paused_seconds, after.clock.paused.num_seconds());
    differs!(clock.first_response_due_at => first_response_due_at, after.clock.first_response_due_at);
    differs!(clock.resolution_due_at => resolution_due_at, after.clock.resolution_due_at);
    differs!(clock.next_due_at => next_due_at, after.clock.next_due_at);
    differs!(clock.breached_first_response => breached_first_response, after.clock.breached_first_response);
    differs!(clock.breached_resolution => breached_resolution, after.clock.breached_resolution);
    differs!(clock.escalated => escalated, after.clock.escalated);
    Ok(<tickets::Column as sea_orm::Iterable>::iter()
        .filter_map(|column| match sea_orm::ActiveModelTrait::get(&changes, column) {
            sea_orm::ActiveValue::Set(value) => Some((column, value)),
            _ => None,
        })
        .collect())
}

/// Writes what differs between `before` and `after` to the ticket `id` of this workspace, in one
/// UPDATE (none when nothing differs). With `save_many`, the only writer of a ticket's changing
/// columns. What it moves in the kept counters, for `reports::rollup::apply` after the workspace's
/// lock.
pub async fn save(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    id: Uuid,
    before: &TicketState,
    after: &TicketState,
) -> ApiResult<Deltas> {
    save_many(conn, scope, &[(id, before, after)]).await
}

/// A ticket's id and the new values of the columns its group changed, in the group's order.
type SavedRow = (Uuid, Vec<sea_orm::Value>);

/// `save` for several tickets: one UPDATE for all the tickets that changed the same columns (the
/// replies of a batch, the verdicts of a categorisation batch), each column set to a
/// `CASE id WHEN ..` of their values. A batch of sixteen replies was sixteen round trips.
pub async fn save_many(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    saves: &[(Uuid, &TicketState, &TicketState)],
) -> ApiResult<Deltas> {
    let mut deltas = Deltas::default();
    let mut groups: Vec<(Vec<tickets::Column>, Vec<SavedRow>)> = Vec::new();
    for (id, before, after) in saves {
        deltas.merge(Deltas::between(Some(before), after));
        let changed = changed_columns(before, after)?;
        if changed.is_empty() {
            continue;
        }
        let (columns, values): (Vec<_>, Vec<_>) = changed.into_iter().unzip();
        let same_columns = |other: &[tickets::Column]| {
            other.len() == columns.len()
                && other
                    .iter()
                    .zip(&columns)
                    .all(|(a, b)| sea_orm::IdenStatic::as_str(a) == sea_orm::IdenStatic::as_str(b))
        };
        match groups.iter_mut().find(|(same, _)| same_columns(same)) {
            Some((_, rows)) => rows.push((*id, values)),
            None => groups.push((columns, vec![(*id, values)])),
        }
    }
    for (columns, rows) in groups {
        let ids: Vec<Uuid> = rows.iter().map(|(id, _)| *id).collect();
        let mut update = tickets::Entity::update_many();
        for (at, column) in columns.iter().enumerate() {
            let value: Expr = match rows.as_slice() {
                [(_, values)] => Expr::value(values[at].clone()),
                _ => rows
                    .iter()
                    .fold(sea_orm::sea_query::CaseStatement::new(), |case, (id, values)| {
                        case.case(Expr::col(tickets::Column::Id).eq(*id), Expr::value(values[at].clone()))
                    })
                    .finally(Expr::col(*column))
                    .into(),
            };
            update = update.col_expr(*column, value);
        }
        update
            .filter(tickets::Column::WorkspaceId.eq(scope.uuid()))
            .filter(tickets::Column::Id.is_in(ids))
            .exec(conn)
            .await?;
    }
    Ok(deltas)
}

/// A new message of ticket `ticket_id`, not stored yet (`insert_messages`).
pub fn new_message(
    scope: &WorkspaceScope,
    ticket_id: Uuid,
    author_id: Uuid,
    body: String,
    internal: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> messages::Model {
    messages::Model {
        id: Uuid::now_v7(),
        workspace_id: scope.uuid(),
        ticket_id,
        author_id,
        body,
        internal,
        created_at: now,
    }
}

/// Inserts messages in one statement.
pub async fn insert_messages(conn: &impl ConnectionTrait, messages: Vec<messages::Model>) -> ApiResult<()> {
    if messages.is_empty() {
        return Ok(());
    }
    messages::Entity::insert_many(messages.into_iter().map(messages::ActiveModel::from))
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The thread, oldest first; internal notes only when `include_internal`.
/// Whether `message` is in this ticket's thread (its internal notes only with `include_internal`).
pub async fn has_message(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    ticket_id: Uuid,
    message: Uuid,
    include_internal: bool,
) -> ApiResult<bool> {
    let mut query = messages::Entity::find_by_id(message)
        .filter(messages::Column::WorkspaceId.eq(scope.uuid()))
        .filter(messages::Column::TicketId.eq(ticket_id));
    if !include_internal {
        query = query.filter(messages::Column::Internal.eq(false));
    }
    Ok(query.count(conn).await? == 1)
}

pub async fn messages(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    ticket_id: Uuid,
    include_internal: bool,
) -> ApiResult<Vec<messages::Model>> {
    let mut query = messages::Entity::find()
        .filter(messages::Column::WorkspaceId.eq(scope.uuid()))
        .filter(messages::Column::TicketId.eq(ticket_id));
    if !include_internal {
        query = query.filter(messages::Column::Internal.eq(false));
    }
    Ok(query
        .order_by_asc(messages::Column::CreatedAt)
        .order_by_asc(messages::Column::Id)
        .all(conn)
        .await?)
}

/// The inbox query, already checked against the caller's role.
#[derive(Debug)]
pub struct ListFilter {
    /// Whose tickets (`Principal::ticket_visibility`); for customers, search never looks into internal notes.
    pub visibility: TicketVisibility,
    /// Any of these (a view); empty means any status.
    pub statuses: Vec<TicketStatus>,
    pub status: Option<TicketStatus>,
    /// `Some(None)`: unassigned.
    pub assignee: Option<Option<Uuid>>,
    pub priority: Option<Priority>,
    pub category: Option<String>,
    pub search: Option<Search>,
    /// Most relevant first (`ranked`); otherwise by `sort`.
    pub by_relevance: bool,
    /// How many of the newest matches a search by relevance ranks (`Settings::search_ranked_matches`).
    pub ranked_matches: u64,
    pub sort: TicketSort,
    pub after: Option<Cursor>,
    pub limit: u64,
}

pub async fn list(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    filter: &ListFilter,
) -> ApiResult<Vec<TicketRecord>> {
    let sort_column = match filter.sort {
        TicketSort::Updated => tickets::Column::UpdatedAt,
        TicketSort::Created => tickets::Column::CreatedAt,
        TicketSort::Due => tickets::Column::NextDueAt,
    };
    // Due: the nearest target first, only tickets that still have one. Otherwise newest first.
    let ascending = filter.sort == TicketSort::Due;
    let backend = conn.get_database_backend();
    // SQLite, a search listed by a date: the FTS5 index first reads every match and sorts them
    // (190-240 ms for a word in one ticket of ten at a million tickets); walking the tickets in
    // the list's order and keeping the matches stops at a page (12-22 ms), but walks the whole
    // workspace for a rare word. So: the walk for the few tickets with a due time, or a word
    // with many matches; the index first otherwise.
    let reach = match (&filter.search, backend) {
        (Some(search), DbBackend::Sqlite) if !search.words().is_empty() => {
            let text = TextSearch::new(backend, search, filter.visibility == TicketVisibility::All);
            if ascending || text.sqlite_matches_at_least(conn, COMMON_MATCHES).await? {
                Reach::Set
            } else {
                Reach::All
            }
        }
        _ => Reach::All,
    };
    let mut query = filtered_with(backend, scope, filter, reach);
    if ascending {
        query = query.filter(tickets::Column::NextDueAt.is_not_null());
    }
    if let Some(after) = filter.after {
        // Keyset pagination on (sort time, id): strictly after the last row seen.
        let (beyond_time, beyond_id) = if ascending {
            (sort_column.gt(after.at), tickets::Column::Id.gt(after.id))
        } else {
            (sort_column.lt(after.at), tickets::Column::Id.lt(after.id))
        };
        query = query.filter(
            Condition::any()
                .add(beyond_time)
                .add(Condition::all().add(sort_column.eq(after.at)).add(beyond_id)),
        );
    }
    let order = if ascending { Order::Asc } else { Order::Desc };
    query
        .order_by(sort_column, order.clone())
        .order_by(tickets::Column::Id, order)
        .limit(filter.limit)
        .all(conn)
        .await?
        .into_iter()
        .map(record_of)
        .collect()
}

/// A search's page by relevance among its newest matches (`filter.ranked_matches` of them): the
/// tickets with their rank, the highest first, then the newest id. Ranking every match of a common
/// word read the whole document of each (230-490 ms at 200,000 tickets); the newest thousand are
/// what a person searching a helpdesk is after, and an older ticket is still found by a more precise
/// search or by sorting the matches by a date, which reads them all. Keyset pagination on (rank, id): the ranks are recomputed by every page's query from the same
/// documents, so the cursor's rank compares equal to the row it came from. (On SQLite, bm25 also
/// weighs a word by how rare it is in the whole index: a ticket written between two pages can move
/// ranks a little, as an update moves rows in the default sort.)
pub async fn ranked(conn: &impl ConnectionTrait, scope: &WorkspaceScope, filter: &ListFilter) -> ApiResult<Ranked> {
    let mut ranked = Ranked {
        hits: Vec::new(),
        matches: None,
    };
    let Some(search) = filter.search.as_ref().filter(|search| !search.words().is_empty()) else {
        return Ok(ranked);
    };
    let backend = conn.get_database_backend();
    let text = TextSearch::new(backend, search, filter.visibility == TicketVisibility::All);
    // Only the newest matches are ranked: the smallest key among them bounds the ranked query.
    let mut reach = Reach::All;
    let bound = match backend {
        // A value, not a sub-select: the planner then knows how much of the documents' primary key
        // the bound leaves (for a sub-select it guessed a third, and for a rare word read 930,000
        // keys of a million into a bitmap: 44 ms).
        DbBackend::Postgres => match oldest_ranked(conn, scope, filter, &text).await? {
            Some(Oldest { id, found, matches }) => {
                ranked.matches = Some(matches);
                reach = match found {
                    // Found among the newest documents: rank those from the bound on, read by key
                    // (the GIN index would list every match of a common word first: 25 ms for
                    // "charges twice" at a million tickets).
                    Found::InWindow => Reach::Newest(Window {
                        documents: search_window(filter),
                        from: Some(id),
                    }),
                    // The same way they were found: a walk from the bound read 200,000
                    // documents for a word in one of 200 (33 ms at a million tickets).
                    Found::ByIndex => Reach::Index(id),
                    Found::Walking => Reach::All,
                };
                Expr::val(id)
            }
            None => {
                ranked.matches = Some(0);
                return Ok(ranked);
            }
        },
        _ => Expr::SubQuery(
            None,
            Box::new(oldest_of_newest(backend, scope, filter, &text, filter.ranked_matches).into()),
        ),
    };
    let mut query = filtered_with(backend, scope, filter, reach)
        .select_only()
        .column(tickets::Column::Id)
        .expr_as(text.rank(), "relevance")
        .filter(text.newest_key().gte(bound));
    if let Some(after) = filter.after {
        let rank = after
            .rank
            .ok_or_else(|| ApiError::invalid("cursor", "is not a cursor of this search"))?;
        query = query.filter(
            Condition::any().add(text.rank().lt(rank)).add(
                Condition::all()
                    .add(text.rank().eq(rank))
                    .add(tickets::Column::Id.lt(after.id)),
            ),
        );
    }
    let hits: Vec<(Uuid, f64)> = query
        .order_by(text.rank(), Order::Desc)
        .order_by(tickets::Column::Id, Order::Desc)
        .limit(filter.limit)
        .into_tuple()
        .all(conn)
        .await?;
    if hits.is_empty() {
        return Ok(ranked);
    }
    // By id alone, the workspace checked on the rows: with `workspace_id = ?` beside `id IN (...)`,
    // SQLite walked one of the workspace's indexes instead of the primary key (300 ms at a million
    // tickets, for three rows). SQLite's statistics (`PRAGMA optimize`) would mend this plan, but
    // measured at a million tickets they made the dashboard and two inbox views slower.
    let mut rows: std::collections::HashMap<Uuid, tickets::Model> = tickets::Entity::find()
        .filter(tickets::Column::Id.is_in(hits.iter().map(|(id, _)| *id)))
        .all(conn)
        .await?
        .into_iter()
        .filter(|row| row.workspace_id == scope.uuid())
        .map(|row| (row.id, row))
        .collect();
    ranked.hits = hits
        .into_iter()
        .filter_map(|(id, rank)| rows.remove(&id).map(|row| record_of(row).map(|record| (record, rank))))
        .collect::<ApiResult<_>>()?;
    Ok(ranked)
}

/// PostgreSQL: a transaction for a search's reads, each statement planned for its own values. A
/// prepared statement run often gets a generic plan, and in one `to_tsquery('simple', $1)` is
/// parsed again for every document read instead of once: reading a window of 30,000 documents
/// took 39 ms instead of 9. The words also decide the plan (how many documents match).
pub async fn searching(db: &DatabaseConnection) -> ApiResult<DatabaseTransaction> {
    let reads = db.begin().await?;
    reads
        .execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
        .await?;
    Ok(reads)
}

/// A search's page by relevance (`ranked`).
pub struct Ranked {
    /// The page's tickets with their rank.
    pub hits: Vec<(TicketRecord, f64)>,
    /// How many tickets match, counted no further than `ListFilter::ranked_matches`, when finding
    /// the newest matches counted them on the way (PostgreSQL): a count of its own read them again
    /// (13 ms among the newest documents, more from the GIN index, at a million tickets).
    pub matches: Option<u64>,
}

/// The oldest of a search's newest matches (`oldest_ranked`).
struct Oldest {
    /// Its search document's key.
    id: Uuid,
    /// Where it was found: the ranked page reads the documents the same way.
    found: Found,
    /// How many match, no further than `ListFilter::ranked_matches`.
    matches: u64,
}

/// SQLite: from how many matches a search listed by a date walks the tickets in that order rather
/// than reading every match first (at a million tickets the two cost the same near 0.7% of them).
const COMMON_MATCHES: u64 = 5_000;

/// How many of a workspace's newest search documents a PostgreSQL search reads before it asks the
/// GIN index (`oldest_ranked`, `count_capped`): 30 per ranked match, 13 ms for 30,000 at a million
/// tickets.
fn search_window(filter: &ListFilter) -> u64 {
    Ord::max(filter.ranked_matches, 1).saturating_mul(30)
}

/// Where `oldest_ranked` found a search's newest matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// Among the workspace's newest documents (`search_window`).
    InWindow,
    /// In the GIN index (`by_index`).
    ByIndex,
    /// By a walk over every document newest first, or as the planner chose.
    Walking,
}

/// How a search reaches its documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Every match: the GIN index (PostgreSQL), the FTS5 index first (SQLite).
    All,
    /// PostgreSQL: the matches among a `Window` of the workspace's newest documents.
    Newest(Window),
    /// PostgreSQL: the matches the GIN index lists, none older than that ticket's (`by_index`).
    Index(Uuid),
    /// SQLite: the tickets walked in the list's order, each kept when it is in the set of matches
    /// (`list`: a common word, or the few tickets with a due time).
    Set,
}

/// A PostgreSQL search among a workspace's newest `documents`, read newest first by key; with
/// `from`, none older than that ticket's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    documents: u64,
    from: Option<Uuid>,
}

/// PostgreSQL: the key of the oldest of the newest `filter.ranked_matches` matches (`None`: no
/// match), where it was found, and how many match (up to that many).
/// Looked for first among the workspace's newest documents (`search_window`), read newest first
/// and stopping at the last one wanted: a word in one ticket of thirty or more is settled there (at
/// a million tickets "invoice" reads 10,000 documents, "charges twice" 20,000: 4-9 ms). Asked of
/// every match at once, the planner multiplied two common words' frequencies, expected 5,000
/// matches where there were 50,000 and read them all from the GIN index and the table (0.2-0.8 s).
/// A rarer word is then looked for in every document, in one of two ways by how many matches the
/// window held (`by_index`). The answer is the same either way: documents read newest first that
/// hold enough matches hold the newest ones.
async fn oldest_ranked(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    filter: &ListFilter,
    text: &TextSearch,
) -> ApiResult<Option<Oldest>> {
    let backend = conn.get_database_backend();
    let wanted = Ord::max(filter.ranked_matches, 1);
    let window = Window {
        documents: search_window(filter),
        from: None,
    };
    let in_window = newest_matches(backend, scope, filter, text, wanted, Reach::Newest(window));
    let seen = match oldest_counted(conn, in_window).await? {
        Some((id, matches)) if matches >= wanted => {
            return Ok(Some(Oldest {
                id,
                found: Found::InWindow,
                matches,
            }));
        }
        Some((_, matches)) => matches,
        None => 0,
    };
    let (newest, found) = if by_index(filter, seen, wanted) {
        (newest_by_index(scope, text, wanted), Found::ByIndex)
    } else {
        (
            newest_matches(backend, scope, filter, text, wanted, Reach::All),
            Found::Walking,
        )
    };
    Ok(oldest_counted(conn, newest)
        .await?
        .map(|(id, matches)| Oldest { id, found, matches }))
}

/// PostgreSQL, a word the window could not settle: whether to ask the GIN index for all its
/// matches (`newest_by_index`) rather than let the planner walk the documents newest first until
/// it has `wanted`. The planner walks whenever a LIMIT follows the key's order, costing a match
/// test as nearly free: for a word in one ticket of 200 it read 350,000 documents (62-100 ms at a
/// million tickets) where the index lists its 5,000 matches in 6-15 ms. The cost is mostly table
/// pages: a walk reads `wanted / frequency` documents, about 24 to a page, in order; the index one
/// page per match. Measured at a million tickets, a word in one ticket of 100 took 45 ms walking
/// and 33 from the index, one in 30 is settled in the window: a third of `wanted` or fewer among
/// the window's documents (one ticket in 90) goes to the index. Only when nothing but the
/// workspace narrows the tickets: the index knows documents, not tickets.
fn by_index(filter: &ListFilter, seen_in_window: u64, wanted: u64) -> bool {
    let only_workspace = filter.visibility == TicketVisibility::All
        && filter.statuses.is_empty()
        && filter.status.is_none()
        && filter.assignee.is_none()
        && filter.priority.is_none()
        && filter.category.is_none();
    only_workspace && seen_in_window.saturating_mul(3) <= wanted
}

/// PostgreSQL: the newest `wanted` of every document of the workspace that matches, from the GIN
/// index (`by_index`), as a query (`newest`).
fn newest_by_index(scope: &WorkspaceScope, text: &TextSearch, wanted: u64) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .expr_as(Expr::col(Alias::new("ticket_id")), Alias::new("newest"))
        .from_subquery(text.indexed_matches(scope.uuid(), None), Alias::new("matches"))
        .order_by(Alias::new("ticket_id"), Order::Desc)
        .limit(wanted)
        .to_owned()
}

/// Of a query of matches' keys (`newest`, at most the number wanted), the oldest key and how many
/// there are, in one row (`None`: no match).
async fn oldest_counted(
    conn: &impl ConnectionTrait,
    newest: sea_orm::sea_query::SelectStatement,
) -> ApiResult<Option<(Uuid, u64)>> {
    let backend = conn.get_database_backend();
    let oldest = Query::select()
        .column(Alias::new("newest"))
        // Counted over every row before the one is kept.
        .expr_as(Expr::cust("COUNT(*) OVER ()"), Alias::new("matches"))
        .from_subquery(newest, Alias::new("newest_matches"))
        .order_by(Alias::new("newest"), Order::Asc)
        .limit(1)
        .to_owned();
    let Some(row) = conn.query_one_raw(backend.build(&oldest)).await? else {
        return Ok(None);
    };
    Ok(Some((
        row.try_get("", "newest")?,
        u64::try_from(row.try_get::<i64>("", "matches")?).unwrap_or(0),
    )))
}

/// The newest `wanted` matches' keys (`newest`) among the documents `reach` reads, as a query.
fn newest_matches(
    backend: DbBackend,
    scope: &WorkspaceScope,
    filter: &ListFilter,
    text: &TextSearch,
    wanted: u64,
    reach: Reach,
) -> sea_orm::sea_query::SelectStatement {
    filtered_with(backend, scope, filter, reach)
        .select_only()
        .expr_as(text.newest_key(), "newest")
        .order_by(text.newest_key(), Order::Desc)
        .limit(wanted)
        .into_query()
}

/// The key of the oldest of the newest `wanted` matches, as a query (`newest`), over every match.
fn oldest_of_newest(
    backend: DbBackend,
    scope: &WorkspaceScope,
    filter: &ListFilter,
    text: &TextSearch,
    wanted: u64,
) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(Alias::new("newest"))
        .from_subquery(
            newest_matches(backend, scope, filter, text, wanted, Reach::All),
            Alias::new("newest_matches"),
        )
        .order_by(Alias::new("newest"), Order::Asc)
        .limit(1)
        .to_owned()
}

/// How many tickets the filter finds, counting no further than `cap`: a count over a sub-select
/// that stops at `cap` rows, so a broad search costs no more than reading that many ids.
pub async fn count_capped(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    filter: &ListFilter,
    cap: u64,
) -> ApiResult<u64> {
    let backend = conn.get_database_backend();
    // PostgreSQL: a common word reaches the cap among the newest documents, which is quicker than
    // the GIN index's whole list of its matches (`oldest_ranked`).
    let window = Window {
        documents: search_window(filter),
        from: None,
    };
    let by_due = filter.sort == TicketSort::Due && !filter.by_relevance;
    let windows: &[Reach] = match (backend, &filter.search) {
        (DbBackend::Postgres, Some(_)) => &[Reach::Newest(window), Reach::All],
        // The few tickets with a due time walked, as `list` does (the index first read 100,000
        // matches of "invoice" to find the 340 with a due time: 172 ms).
        (DbBackend::Sqlite, Some(search)) if by_due && !search.words().is_empty() => &[Reach::Set],
        _ => &[Reach::All],
    };
    let mut matches = 0;
    for window in windows {
        let mut matching = filtered_with(backend, scope, filter, *window);
        if by_due {
            // What `list` lists by the nearest target: the tickets that still have one.
            matching = matching.filter(tickets::Column::NextDueAt.is_not_null());
        }
        let matching = matching
            .select_only()
            .column(tickets::Column::Id)
            .limit(cap)
            .into_query();
        let count = Query::select()
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("matches"))
            .from_subquery(matching, Alias::new("matching"))
            .to_owned();
        let row = conn.query_one_raw(backend.build(&count)).await?;
        matches = match row {
            Some(row) => u64::try_from(row.try_get::<i64>("", "matches")?).unwrap_or(0),
            None => 0,
        };
        if matches >= cap {
            break;
        }
    }
    Ok(matches)
}

/// Moves every message of ticket `from` to ticket `to` (authors and times unchanged): one UPDATE;
/// how many moved.
pub async fn move_messages(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    from: Uuid,
    to: Uuid,
) -> ApiResult<u64> {
    let moved = messages::Entity::update_many()
        .col_expr(messages::Column::TicketId, Expr::value(to))
        .filter(messages::Column::WorkspaceId.eq(scope.uuid()))
        .filter(messages::Column::TicketId.eq(from))
        .exec(conn)
        .await?;
    Ok(moved.rows_affected)
}

/// A requester's latest `limit` tickets, newest first.
pub async fn by_requester(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    requester: Uuid,
    limit: u64,
) -> ApiResult<Vec<TicketRecord>> {
    tickets::Entity::find()
        .filter(tickets::Column::WorkspaceId.eq(scope.uuid()))
        .filter(tickets::Column::RequesterId.eq(requester))
        .order_by_desc(tickets::Column::CreatedAt)
        .order_by_desc(tickets::Column::Id)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(record_of)
        .collect()
}

/// A requester's tickets per status, with the first one's arrival, in one statement.
pub async fn requester_statuses(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    requester: Uuid,
) -> ApiResult<Vec<(TicketStatus, i64, chrono::DateTime<chrono::Utc>)>> {
    let rows: Vec<(Status, i64, chrono::DateTime<chrono::Utc>)> = tickets::Entity::find()
        .select_only()
        .column(tickets::Column::Status)
        .column_as(tickets::Column::Id.count(), "n")
        .column_as(tickets::Column::CreatedAt.min(), "first")
        .filter(tickets::Column::WorkspaceId.eq(scope.uuid()))
        .filter(tickets::Column::RequesterId.eq(requester))
        .group_by(tickets::Column::Status)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(status, n, first)| (status.into(), n, first))
        .collect())
}

/// How many tickets match (pagination and sort are ignored).
pub async fn count(conn: &impl ConnectionTrait, scope: &WorkspaceScope, filter: &ListFilter) -> ApiResult<u64> {
    Ok(filtered(conn.get_database_backend(), scope, filter).count(conn).await?)
}

fn filtered(backend: DbBackend, scope: &WorkspaceScope, filter: &ListFilter) -> Select<tickets::Entity> {
    filtered_with(backend, scope, filter, Reach::All)
}

/// `filtered`, a search reaching its documents as `reach` says.
fn filtered_with(
    backend: DbBackend,
    scope: &WorkspaceScope,
    filter: &ListFilter,
    reach: Reach,
) -> Select<tickets::Entity> {
    let mut query = tickets::Entity::find().filter(tickets::Column::WorkspaceId.eq(scope.uuid()));
    match filter.visibility {
        TicketVisibility::All => {}
        TicketVisibility::Requester(me) => query = query.filter(tickets::Column::RequesterId.eq(me)),
        TicketVisibility::OwnRequests(me) => {
            query = query
                .filter(tickets::Column::RequesterId.eq(me))
                .filter(tickets::Column::CreatedBy.eq(me));
        }
    }
    if !filter.statuses.is_empty() {
        query = query.filter(tickets::Column::Status.is_in(filter.statuses.iter().map(|status| Status::from(*status))));
    }
    if let Some(status) = filter.status {
        query = query.filter(tickets::Column::Status.eq(Status::from(status)));
    }
    match filter.assignee {
        Some(Some(assignee)) => query = query.filter(tickets::Column::AssigneeId.eq(assignee)),
        Some(None) => query = query.filter(tickets::Column::AssigneeId.is_null()),
        None => {}
    }
    if let Some(priority) = filter.priority {
        query = query.filter(tickets::Column::Priority.eq(StoredPriority::from(priority)));
    }
    if let Some(category) = &filter.category {
        query = query.filter(tickets::Column::Category.eq(category.as_str()));
    }
    if let Some(search) = &filter.search {
        if search.words().is_empty() {
            // Only punctuation: no word to find.
            query = query.filter(Expr::cust("1 = 0"));
        } else {
            TextSearch::new(backend, search, filter.visibility == TicketVisibility::All).apply(
                &mut query,
                scope.uuid(),
                reach,
            );
        }
    }
    query
}

/// A PostgreSQL search document's columns, as a sub-select standing for `ticket_search` gives them.
const DOCUMENT_COLUMNS: [&str; 4] = ["ticket_id", "workspace_id", "public", "staff"];

/// The full-text part of a search on one database: the documents and triggers are in the migration
/// `m20261213_000001_ticket_search`. Staff search everything; customers only the subject and
/// public messages (their rank too never counts an internal note).
struct TextSearch {
    backend: DbBackend,
    staff: bool,
    /// A `to_tsquery` text or an FTS5 query, made only of quoted words (`Search`).
    query: String,
}

impl TextSearch {
    fn new(backend: DbBackend, search: &Search, staff: bool) -> TextSearch {
        let query = match backend {
            DbBackend::Postgres => search.tsquery(),
            _ => search.fts5((!staff).then_some("subject public")),
        };
        TextSearch { backend, staff, query }
    }

    /// The document searched, as an expression of `ticket_search` (PostgreSQL): a ticket's staff
    /// document is stored only when it has an internal note, and is the customers' one otherwise
    /// (`m20261216_000001_search_staff_notes`).
    fn document(&self) -> &'static str {
        if self.staff {
            "coalesce(ticket_search.staff, ticket_search.public)"
        } else {
            "ticket_search.public"
        }
    }

    /// PostgreSQL: the matches of `$1`. For staff, as two arms each a GIN index can answer: the
    /// tickets with notes through the staff index (partial: only they are in it), the others
    /// through the customers' one.
    fn matches(&self) -> &'static str {
        if self.staff {
            "(ticket_search.staff @@ to_tsquery('simple', $1) \
             OR (ticket_search.staff IS NULL AND ticket_search.public @@ to_tsquery('simple', $1)))"
        } else {
            "ticket_search.public @@ to_tsquery('simple', $1)"
        }
    }

    /// Joins each ticket's search document (one per ticket: no row twice) and keeps the matches,
    /// reaching them as `reach` says.
    fn apply(&self, query: &mut Select<tickets::Entity>, workspace: Uuid, reach: Reach) {
        let statement = QueryTrait::query(query);
        let ticket_id = Expr::col((tickets::Entity, tickets::Column::Id));
        match self.backend {
            DbBackend::Postgres => {
                let on = Expr::col((Alias::new("ticket_search"), Alias::new("ticket_id"))).eq(ticket_id);
                match reach {
                    Reach::All | Reach::Set => statement.join(JoinType::InnerJoin, Alias::new("ticket_search"), on),
                    Reach::Index(from) => statement.join_subquery(
                        JoinType::InnerJoin,
                        self.indexed_matches(workspace, Some(from)),
                        Alias::new("ticket_search"),
                        on,
                    ),
                    Reach::Newest(window) => {
                        let mut newest = Query::select()
                            .columns(DOCUMENT_COLUMNS.map(Alias::new))
                            .from(Alias::new("ticket_search"))
                            .and_where(Expr::col(Alias::new("workspace_id")).eq(workspace))
                            .order_by(Alias::new("ticket_id"), Order::Desc)
                            .limit(window.documents)
                            .to_owned();
                        if let Some(from) = window.from {
                            newest.and_where(Expr::col(Alias::new("ticket_id")).gte(from));
                        }
                        statement.join_subquery(JoinType::InnerJoin, newest, Alias::new("ticket_search"), on)
                    }
                }
                .and_where(Expr::cust_with_values(self.matches(), [self.query.clone()]));
            }
            _ if reach == Reach::Set => {
                // The tickets in the caller's order, each kept when its document is in the set of
                // matches, read once into a temporary index (the `+` keeps SQLite from walking
                // that set for every ticket instead: 10 s).
                statement
                    .from_clear()
                    .from(tickets::Entity)
                    .cross_join(Alias::new("ticket_search_docs"))
                    .and_where(Expr::col((Alias::new("ticket_search_docs"), Alias::new("ticket_id"))).eq(ticket_id))
                    .and_where(Expr::cust_with_values(
                        "+ticket_search_docs.doc IN (SELECT rowid FROM ticket_search WHERE ticket_search MATCH ?)",
                        [self.query.clone()],
                    ));
            }
            _ => {
                // The full-text index first, then each match's ticket: a CROSS JOIN keeps SQLite to
                // that order. Left to itself it may walk the workspace's tickets and ask FTS5 about
                // each one, which evaluates the whole query every time (a prefix's expansion too):
                // 21 s to count 1,000 matches of "invoice*" at a million tickets.
                statement
                    .from_clear()
                    .from(Alias::new("ticket_search"))
                    .cross_join(Alias::new("ticket_search_docs"))
                    .cross_join(tickets::Entity)
                    .and_where(Expr::cust("ticket_search_docs.doc = ticket_search.rowid"))
                    .and_where(Expr::col((Alias::new("ticket_search_docs"), Alias::new("ticket_id"))).eq(ticket_id))
                    .and_where(Expr::cust_with_values("ticket_search MATCH ?", [self.query.clone()]));
            }
        }
    }

    /// PostgreSQL: the workspace's matching documents (none older than `from`'s) as the GIN index
    /// lists them. The `OFFSET 0` keeps the planner from folding this query into one that orders
    /// by the key with a LIMIT, which it would answer by walking the documents newest first.
    fn indexed_matches(&self, workspace: Uuid, from: Option<Uuid>) -> sea_orm::sea_query::SelectStatement {
        let mut matches = Query::select()
            .columns(DOCUMENT_COLUMNS.map(|column| (Alias::new("ticket_search"), Alias::new(column))))
            .from(Alias::new("ticket_search"))
            .and_where(Expr::col((Alias::new("ticket_search"), Alias::new("workspace_id"))).eq(workspace))
            .and_where(Expr::cust_with_values(self.matches(), [self.query.clone()]))
            .offset(0)
            .to_owned();
        if let Some(from) = from {
            matches.and_where(Expr::col((Alias::new("ticket_search"), Alias::new("ticket_id"))).gte(from));
        }
        matches
    }

    /// SQLite: whether the FTS5 index holds at least `n` matches, in every workspace (the index
    /// is shared; a small workspace's walk is short anyway). Reads at most `n` of them.
    async fn sqlite_matches_at_least(&self, conn: &impl ConnectionTrait, n: u64) -> ApiResult<bool> {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM (SELECT rowid FROM ticket_search WHERE ticket_search MATCH ? LIMIT {n}) m"
        );
        let row = conn
            .query_one_raw(sea_orm::Statement::from_sql_and_values(
                self.backend,
                sql,
                [self.query.clone().into()],
            ))
            .await?;
        let found: i64 = match row {
            Some(row) => row.try_get("", "n")?,
            None => 0,
        };
        Ok(u64::try_from(found).unwrap_or(0) >= n)
    }

    /// What orders the matches by age, newest last: the document's ticket id (a UUIDv7, in time
    /// order) on PostgreSQL, on `ticket_search` itself so that the bound reaches its primary key
    /// (on `tickets.id` the planner did not carry it across the join: it ranked all 100,000
    /// matches of a common word, 400 ms at a million tickets, 17 ms now); on SQLite the
    /// document's rowid (documents are made with their tickets), which FTS5 walks backwards and
    /// stops early, where the ticket's id would make it read every match.
    fn newest_key(&self) -> Expr {
        match self.backend {
            DbBackend::Postgres => Expr::col((Alias::new("ticket_search"), Alias::new("ticket_id"))),
            _ => Expr::cust("ticket_search.rowid"),
        }
    }

    /// Higher is more relevant. PostgreSQL: `ts_rank`, where the subject (weight A) counts ten
    /// times a message's words. SQLite: bm25 (lower is better there, hence the minus), the subject
    /// column weighted ten times the messages.
    fn rank(&self) -> Expr {
        match (self.backend, self.staff) {
            (DbBackend::Postgres, _) => Expr::cust_with_values(
                format!("ts_rank({}, to_tsquery('simple', $1))::float8", self.document()),
                [self.query.clone()],
            ),
            (_, true) => Expr::cust("-bm25(ticket_search, 10.0, 1.0, 1.0)"),
            (_, false) => Expr::cust("-bm25(ticket_search, 10.0, 1.0, 0.0)"),
        }
    }
}

pub async fn find_idempotency_key(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    user_id: Uuid,
    key: &str,
) -> ApiResult<Option<idempotency_keys::Model>> {
    Ok(idempotency_keys::Entity::find()
        .filter(idempotency_keys::Column::WorkspaceId.eq(scope.uuid()))
        .filter(idempotency_keys::Column::UserId.eq(user_id))
        .filter(idempotency_keys::Column::Key.eq(key))
        .one(conn)
        .await?)
}

/// The stored keys among `keys` (each a caller's id and key), in one read.
pub async fn find_idempotency_keys(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    keys: &[(Uuid, &str)],
) -> ApiResult<Vec<idempotency_keys::Model>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let rows = idempotency_keys::Entity::find()
        .filter(idempotency_keys::Column::WorkspaceId.eq(scope.uuid()))
        // Every column of the key's index, so each pair is one index probe, however many keys the
        // workspace holds (with only the key, PostgreSQL read every key of the workspace). Each
        // list once per value: the index is probed for every user times every key, and a batch's
        // keys mostly share one caller (31 copies of it cost 2.5 ms a batch).
        .filter(idempotency_keys::Column::UserId.is_in(distinct(keys.iter().map(|(user, _)| *user))))
        .filter(idempotency_keys::Column::Key.is_in(distinct(keys.iter().map(|(_, key)| *key))))
        .all(conn)
        .await?;
    // The same key from two callers is two keys: keep only the pairs asked for.
    Ok(rows
        .into_iter()
        .filter(|row| keys.iter().any(|(user, key)| row.user_id == *user && row.key == *key))
        .collect())
}

/// `values` without repeats, in first-seen order.
fn distinct<T: Eq + std::hash::Hash + Copy>(values: impl Iterator<Item = T>) -> Vec<T> {
    let mut seen = std::collections::HashSet::new();
    values.filter(|value| seen.insert(*value)).collect()
}

/// Claims idempotency keys for new tickets (inserted before: a key refers to its ticket), in one
/// statement; returns how many were claimed. Fewer than given means a key was taken already (on
/// PostgreSQL a concurrent request's key is waited for), which is not an error: the caller decides
/// what to undo.
pub async fn claim_idempotency_keys(conn: &impl ConnectionTrait, keys: Vec<idempotency_keys::Model>) -> ApiResult<u64> {
    if keys.is_empty() {
        return Ok(0);
    }
    let inserted = idempotency_keys::Entity::insert_many(keys.into_iter().map(idempotency_keys::ActiveModel::from))
        .on_conflict_do_nothing_on([
            idempotency_keys::Column::WorkspaceId,
            idempotency_keys::Column::UserId,
            idempotency_keys::Column::Key,
        ])
        .exec_without_returning(conn)
        .await?;
    Ok(match inserted {
        sea_orm::TryInsertResult::Inserted(count) => count,
        sea_orm::TryInsertResult::Empty | sea_orm::TryInsertResult::Conflicted => 0,
    })
}
