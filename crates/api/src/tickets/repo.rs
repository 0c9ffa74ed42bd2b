//! Ticket, message and idempotency-key queries; each is bounded by the workspace scope.

use chrono::{DateTime, Utc};
use ferrodesk_shared::tickets::{Priority, TicketSort, TicketStatus};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Set,
};
use uuid::Uuid;

use crate::auth::{TicketVisibility, WorkspaceScope};
use crate::db::entities::{idempotency_keys, messages, tickets};
use crate::error::{ApiError, ApiResult};

use super::domain::Cursor;

pub struct NewTicketRow {
    pub number: i64,
    pub subject: String,
    pub priority: Priority,
    pub requester_id: Uuid,
    /// Who wrote the first message.
    pub created_by: Uuid,
    pub preview: String,
    /// The classifier's verdict on arrival, when AI ran.
    pub ai: Option<crate::ai::Categorised>,
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    row: NewTicketRow,
    now: DateTime<Utc>,
) -> ApiResult<tickets::Model> {
    Ok(tickets::ActiveModel {
        id: Set(Uuid::now_v7()),
        workspace_id: Set(scope.uuid()),
        number: Set(row.number),
        subject: Set(row.subject),
        status: Set(TicketStatus::New.as_str().to_owned()),
        priority: Set(row.priority.as_str().to_owned()),
        category: Set(row.ai.as_ref().filter(|ai| ai.assigned).map(|ai| ai.category.clone())),
        category_source: Set(row.ai.as_ref().filter(|ai| ai.assigned).map(|_| "ai".to_owned())),
        ai_category: Set(row.ai.as_ref().map(|ai| ai.category.clone())),
        ai_confidence: Set(row.ai.as_ref().map(|ai| f64::from(ai.confidence))),
        ai_assigned: Set(row.ai.as_ref().is_some_and(|ai| ai.assigned)),
        tags: Set("[]".to_owned()),
        requester_id: Set(row.requester_id),
        created_by: Set(Some(row.created_by)),
        assignee_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        first_response_at: Set(None),
        solved_at: Set(None),
        preview: Set(Some(row.preview)),
        first_response_due_at: Set(None),
        resolution_due_at: Set(None),
        next_due_at: Set(None),
        pending_since: Set(None),
        paused_seconds: Set(0),
        breached_first_response: Set(false),
        breached_resolution: Set(false),
        escalated: Set(false),
    }
    .insert(conn)
    .await?)
}

pub async fn find(conn: &impl ConnectionTrait, scope: &WorkspaceScope, id: Uuid) -> ApiResult<tickets::Model> {
    tickets::Entity::find_by_id(id)
        .filter(tickets::Column::WorkspaceId.eq(scope.uuid()))
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Writes the fields set on `changes` to the ticket `id` of this workspace.
pub async fn update(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    id: Uuid,
    changes: tickets::ActiveModel,
) -> ApiResult<()> {
    tickets::Entity::update_many()
        .set(changes)
        .filter(tickets::Column::WorkspaceId.eq(scope.uuid()))
        .filter(tickets::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn insert_message(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    ticket_id: Uuid,
    author_id: Uuid,
    body: String,
    internal: bool,
    now: DateTime<Utc>,
) -> ApiResult<messages::Model> {
    Ok(messages::ActiveModel {
        id: Set(Uuid::now_v7()),
        workspace_id: Set(scope.uuid()),
        ticket_id: Set(ticket_id),
        author_id: Set(author_id),
        body: Set(body),
        internal: Set(internal),
        created_at: Set(now),
    }
    .insert(conn)
    .await?)
}

/// The thread, oldest first; internal notes only when `include_internal`.
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
    /// Lower-cased.
    pub search: Option<String>,
    pub sort: TicketSort,
    pub after: Option<Cursor>,
    pub limit: u64,
}

pub async fn list(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    filter: &ListFilter,
) -> ApiResult<Vec<tickets::Model>> {
    let sort_column = match filter.sort {
        TicketSort::Updated => tickets::Column::UpdatedAt,
        TicketSort::Created => tickets::Column::CreatedAt,
        TicketSort::Due => tickets::Column::NextDueAt,
    };
    // Due: the nearest target first, only tickets that still have one. Otherwise newest first.
    let ascending = filter.sort == TicketSort::Due;
    let mut query = filtered(scope, filter);
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
    Ok(query
        .order_by(sort_column, order.clone())
        .order_by(tickets::Column::Id, order)
        .limit(filter.limit)
        .all(conn)
        .await?)
}

/// How many tickets match (pagination and sort are ignored).
pub async fn count(conn: &impl ConnectionTrait, scope: &WorkspaceScope, filter: &ListFilter) -> ApiResult<u64> {
    Ok(filtered(scope, filter).count(conn).await?)
}

fn filtered(scope: &WorkspaceScope, filter: &ListFilter) -> Select<tickets::Entity> {
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
        query = query.filter(tickets::Column::Status.is_in(filter.statuses.iter().map(|status| status.as_str())));
    }
    if let Some(status) = filter.status {
        query = query.filter(tickets::Column::Status.eq(status.as_str()));
    }
    match filter.assignee {
        Some(Some(assignee)) => query = query.filter(tickets::Column::AssigneeId.eq(assignee)),
        Some(None) => query = query.filter(tickets::Column::AssigneeId.is_null()),
        None => {}
    }
    if let Some(priority) = filter.priority {
        query = query.filter(tickets::Column::Priority.eq(priority.as_str()));
    }
    if let Some(category) = &filter.category {
        query = query.filter(tickets::Column::Category.eq(category.as_str()));
    }
    if let Some(search) = &filter.search {
        query = query.filter(search_condition(search, filter.visibility == TicketVisibility::All));
    }
    query
}

/// Subject or any visible message contains the words, case-insensitively.
fn search_condition(search: &str, include_internal: bool) -> Condition {
    let escaped = search.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    let mut in_messages = Query::select();
    in_messages
        .expr(Expr::val(1))
        .from(messages::Entity)
        .and_where(
            Expr::col((messages::Entity, messages::Column::TicketId)).equals((tickets::Entity, tickets::Column::Id)),
        )
        .and_where(
            Expr::expr(Func::lower(Expr::col((messages::Entity, messages::Column::Body))))
                .like(LikeExpr::new(pattern.clone()).escape('\\')),
        );
    if !include_internal {
        in_messages.and_where(Expr::col((messages::Entity, messages::Column::Internal)).eq(false));
    }
    Condition::any()
        .add(
            Expr::expr(Func::lower(Expr::col((tickets::Entity, tickets::Column::Subject))))
                .like(LikeExpr::new(pattern).escape('\\')),
        )
        .add(Expr::exists(in_messages))
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

pub async fn insert_idempotency_key(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    user_id: Uuid,
    key: String,
    request_hash: String,
    ticket_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    idempotency_keys::ActiveModel {
        workspace_id: Set(scope.uuid()),
        user_id: Set(user_id),
        key: Set(key),
        request_hash: Set(request_hash),
        ticket_id: Set(ticket_id),
        created_at: Set(now),
    }
    .insert(conn)
    .await
    .map(|_| ())
}
