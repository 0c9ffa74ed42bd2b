//! The SLA scan: a plain async function of `now`. The scheduler calls it every minute; tests call
//! it with chosen times. Each breached ticket is handled in its own transaction, which starts by
//! claiming the breach, so it acts once even when several instances scan at the same moment.

use chrono::{DateTime, Utc};
use ferrodesk_shared::notifications::NotificationKind;
use ferrodesk_shared::sla::{BreachAction, BreachKind};
use ferrodesk_shared::tickets::Priority;
use ferrodesk_shared::{Role, WorkspaceId};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::db::{self, entities::tickets};
use crate::error::{ApiError, ApiResult};
use crate::notifications::service::notify;
use crate::realtime;
use crate::state::AppState;
use crate::tickets::repo as tickets_repo;
use crate::tickets::service::ticket_dto;
use crate::users::repo as users_repo;
use crate::workspaces::repo as workspaces_repo;

use super::repo;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ScanReport {
    pub assigned: usize,
    pub escalated: usize,
}

/// How many due tickets one scan handles; the next scan takes the rest.
const BATCH: u64 = 200;

pub async fn scan(state: &AppState, now: DateTime<Utc>) -> ApiResult<ScanReport> {
    let mut report = ScanReport::default();
    for ticket in repo::due(&state.db, now, BATCH).await? {
        let scope = WorkspaceScope::for_scheduled_job(WorkspaceId(ticket.workspace_id));
        match act(state, &scope, ticket.id, now).await {
            Ok(Some(BreachAction::Assigned)) => report.assigned += 1,
            Ok(Some(BreachAction::Escalated)) => report.escalated += 1,
            Ok(None) => {}
            // One bad ticket must not stop the others; it is tried again next minute.
            Err(error) => tracing::warn!(%error, ticket = %ticket.id, "acting on an SLA breach failed"),
        }
    }
    if report != ScanReport::default() {
        tracing::info!(assigned = report.assigned, escalated = report.escalated, "SLA scan");
    }
    Ok(report)
}

fn raised(priority: Priority) -> Priority {
    match priority {
        Priority::Low => Priority::Normal,
        Priority::Normal => Priority::High,
        Priority::High | Priority::Urgent => Priority::Urgent,
    }
}

async fn act(
    state: &AppState,
    scope: &WorkspaceScope,
    ticket_id: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<Option<BreachAction>> {
    let txn = db::begin_write(&state.db).await?;
    // One breach at a time per workspace, across instances: the least busy agent is then counted
    // after the previous assignment committed, so concurrent scans still share tickets fairly.
    workspaces_repo::lock(&txn, scope, now).await?;
    let ticket = match tickets_repo::find(&txn, scope, ticket_id).await {
        Ok(ticket) => ticket,
        Err(ApiError::NotFound) => return Ok(None),
        Err(other) => return Err(other),
    };
    // Read again inside the transaction: someone may have answered since the scan's read.
    let Some(due_at) = ticket.next_due_at.filter(|due| *due <= now) else {
        return Ok(None);
    };
    let kind = if ticket.first_response_at.is_none() && !ticket.breached_first_response {
        BreachKind::FirstResponse
    } else {
        BreachKind::Resolution
    };
    let assignee = match ticket.assignee_id {
        Some(_) => None,
        None => least_busy_agent(&txn, scope).await?,
    };
    let action = if assignee.is_some() {
        BreachAction::Assigned
    } else {
        BreachAction::Escalated
    };
    if !repo::claim_breach(&txn, scope, ticket.id, kind, due_at, action, assignee, now).await? {
        return Ok(None);
    }

    let mut update = tickets::Entity::update_many()
        .col_expr(tickets::Column::UpdatedAt, Expr::value(now))
        .filter(tickets::Column::WorkspaceId.eq(scope.uuid()))
        .filter(tickets::Column::Id.eq(ticket.id));
    update = match kind {
        BreachKind::FirstResponse => update.col_expr(tickets::Column::BreachedFirstResponse, Expr::value(true)),
        BreachKind::Resolution => update.col_expr(tickets::Column::BreachedResolution, Expr::value(true)),
    };
    let what = match kind {
        BreachKind::FirstResponse => "first-response",
        BreachKind::Resolution => "resolution",
    };
    match assignee {
        Some(agent) => update = update.col_expr(tickets::Column::AssigneeId, Expr::value(agent)),
        None => {
            let priority = ticket.priority.parse::<Priority>().unwrap_or(Priority::Normal);
            update = update
                .col_expr(tickets::Column::Priority, Expr::value(raised(priority).as_str()))
                .col_expr(tickets::Column::Escalated, Expr::value(true));
        }
    }
    update.exec(&txn).await?;
    repo::refresh_due_times(&txn, scope, ticket.id).await?;

    let row = tickets_repo::find(&txn, scope, ticket.id).await?;
    let dto = ticket_dto(&txn, scope, row).await?;
    let mut events = vec![crate::tickets::effects::updated_event(&dto)];
    match assignee {
        Some(agent) => {
            let title = format!("#{} was assigned to you: it missed its {what} target", dto.number);
            events.extend(
                notify(
                    &txn,
                    scope,
                    [agent],
                    NotificationKind::TicketAssigned,
                    Some(dto.id.0),
                    &title,
                    now,
                )
                .await?,
            );
        }
        None => {
            let supervisors = supervisors(&txn, scope).await?;
            let title = format!(
                "#{} missed its {what} target and was escalated to {}: {}",
                dto.number,
                dto.priority.as_str(),
                dto.subject
            );
            events.extend(
                notify(
                    &txn,
                    scope,
                    supervisors,
                    NotificationKind::TicketEscalated,
                    Some(dto.id.0),
                    &title,
                    now,
                )
                .await?,
            );
        }
    }
    realtime::log::record(&txn, scope, events, now).await?;
    txn.commit().await?;
    state.realtime.wake(scope.uuid());
    Ok(Some(action))
}

async fn supervisors(conn: &impl ConnectionTrait, scope: &WorkspaceScope) -> ApiResult<Vec<Uuid>> {
    let people = users_repo::with_roles(conn, scope, &[Role::Supervisor, Role::Owner]).await?;
    Ok(people.into_iter().map(|user| user.id).collect())
}

/// The agent with the fewest open tickets; ties go to the one with the fewest tickets overall,
/// then by id, so that equal agents take turns as tickets come in. Supervisors and owners take
/// tickets only when the workspace has no agents.
async fn least_busy_agent(conn: &impl ConnectionTrait, scope: &WorkspaceScope) -> ApiResult<Option<Uuid>> {
    let mut candidates = users_repo::list(conn, scope, Some(Role::Agent)).await?;
    if candidates.is_empty() {
        candidates = users_repo::list(conn, scope, Some(Role::Supervisor)).await?;
    }
    if candidates.is_empty() {
        return Ok(None);
    }
    // Per assignee, in one pass: (open, total).
    let counts: Vec<(Uuid, i64, i64)> = tickets::Entity::find()
        .select_only()
        .column(tickets::Column::AssigneeId)
        .column_as(
            Expr::cust("SUM(CASE WHEN status IN ('new', 'open', 'pending') THEN 1 ELSE 0 END)"),
            "open",
        )
        .column_as(tickets::Column::Id.count(), "total")
        .filter(tickets::Column::WorkspaceId.eq(scope.uuid()))
        .filter(tickets::Column::AssigneeId.is_not_null())
        .group_by(tickets::Column::AssigneeId)
        .into_tuple()
        .all(conn)
        .await?;
    let load = |user: Uuid| {
        counts
            .iter()
            .find(|(id, ..)| *id == user)
            .map_or((0, 0), |(_, open, total)| (*open, *total))
    };
    Ok(candidates
        .iter()
        .min_by_key(|user| (load(user.id), user.id))
        .map(|user| user.id))
}
