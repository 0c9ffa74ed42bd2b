//! The SLA scan: a plain async function of `now`. The scheduler calls it every minute; tests call
//! it with chosen times. Each breached ticket is handled in its own transaction, which starts by
//! claiming the breach, so it acts once even when several instances scan at the same moment.

use chrono::{DateTime, Utc};
use ferrodesk_shared::sla::{BreachAction, BreachKind};
use ferrodesk_shared::{Role, WorkspaceId};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::db::{self, entities::tickets as ticket_rows};
use crate::error::ApiResult;
use crate::state::AppState;
use crate::tickets;
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
    let started = std::time::Instant::now();
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
    state.metrics.sla_scanned(started.elapsed(), &report);
    Ok(report)
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
    let Some(ticket) = tickets::service::sla_view(&txn, scope, ticket_id).await? else {
        return Ok(None);
    };
    // Read again inside the transaction: someone may have answered since the scan's read.
    let Some(due_at) = ticket.state.clock.next_due_at.filter(|due| *due <= now) else {
        return Ok(None);
    };
    let kind = if ticket.state.first_response_at.is_none() && !ticket.state.clock.breached_first_response {
        BreachKind::FirstResponse
    } else {
        BreachKind::Resolution
    };
    let assignee = match ticket.state.assignee {
        Some(_) => None,
        None => least_busy_agent(&txn, scope).await?,
    };
    let action = if assignee.is_some() {
        BreachAction::Assigned
    } else {
        BreachAction::Escalated
    };
    if !repo::claim_breach(&txn, scope, ticket_id, kind, due_at, action, assignee, now).await? {
        return Ok(None);
    }
    tickets::service::breach(&txn, state, scope, ticket, kind, assignee, now).await?;
    txn.commit().await?;
    state.realtime.wake(scope.uuid());
    Ok(Some(action))
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
    let counts: Vec<(Uuid, i64, i64)> = ticket_rows::Entity::find()
        .select_only()
        .column(ticket_rows::Column::AssigneeId)
        .column_as(
            Expr::cust("SUM(CASE WHEN status IN ('new', 'open', 'pending') THEN 1 ELSE 0 END)"),
            "open",
        )
        .column_as(ticket_rows::Column::Id.count(), "total")
        .filter(ticket_rows::Column::WorkspaceId.eq(scope.uuid()))
        .filter(ticket_rows::Column::AssigneeId.is_not_null())
        .group_by(ticket_rows::Column::AssigneeId)
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
