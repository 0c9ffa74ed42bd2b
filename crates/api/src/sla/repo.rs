//! SLA queries: policies (stored overrides of the defaults), ticket due times, breaches.

use chrono::{DateTime, Utc};
use ferrodesk_shared::sla::{BreachAction, BreachKind, SlaPolicy};
use ferrodesk_shared::tickets::Priority;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::db::entities::{sla_breaches, sla_policies, tickets};
use crate::error::ApiResult;

/// The workspace's policy for each priority: its own where set, the defaults otherwise.
pub async fn policies(conn: &impl ConnectionTrait, scope: &WorkspaceScope) -> ApiResult<Vec<SlaPolicy>> {
    let stored = sla_policies::Entity::find()
        .filter(sla_policies::Column::WorkspaceId.eq(scope.uuid()))
        .all(conn)
        .await?;
    Ok(Priority::ALL
        .into_iter()
        .rev()
        .map(|priority| {
            stored
                .iter()
                .find(|row| Priority::from(row.priority) == priority)
                .map(|row| SlaPolicy {
                    priority,
                    first_response_minutes: row.first_response_minutes.max(1) as u32,
                    resolution_minutes: row.resolution_minutes.max(1) as u32,
                })
                .unwrap_or_else(|| SlaPolicy::default_for(priority))
        })
        .collect())
}

pub async fn policy(conn: &impl ConnectionTrait, scope: &WorkspaceScope, priority: Priority) -> ApiResult<SlaPolicy> {
    Ok(policies(conn, scope)
        .await?
        .into_iter()
        .find(|policy| policy.priority == priority)
        .unwrap_or_else(|| SlaPolicy::default_for(priority)))
}

pub async fn save_policy(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    policy: &SlaPolicy,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    sla_policies::Entity::insert(sla_policies::ActiveModel {
        workspace_id: Set(scope.uuid()),
        priority: Set(policy.priority.into()),
        first_response_minutes: Set(policy.first_response_minutes as i32),
        resolution_minutes: Set(policy.resolution_minutes as i32),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([sla_policies::Column::WorkspaceId, sla_policies::Column::Priority])
            .update_columns([
                sla_policies::Column::FirstResponseMinutes,
                sla_policies::Column::ResolutionMinutes,
                sla_policies::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(conn)
    .await?;
    Ok(())
}

/// Tickets of every workspace with a target due at `now`: the scheduler's work list.
pub async fn due(conn: &impl ConnectionTrait, now: DateTime<Utc>, limit: u64) -> ApiResult<Vec<tickets::Model>> {
    Ok(tickets::Entity::find()
        .filter(tickets::Column::NextDueAt.lte(now))
        .order_by_asc(tickets::Column::NextDueAt)
        .limit(limit)
        .all(conn)
        .await?)
}

/// Claims a breach: true for the one caller that gets to act on it. The unique index on
/// (ticket, kind) settles races between instances; the claim commits with the action or not at all.
#[allow(clippy::too_many_arguments)]
pub async fn claim_breach(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    ticket_id: Uuid,
    kind: BreachKind,
    due_at: DateTime<Utc>,
    action: BreachAction,
    assignee: Option<Uuid>,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let inserted = sla_breaches::ActiveModel {
        id: Set(Uuid::now_v7()),
        workspace_id: Set(scope.uuid()),
        ticket_id: Set(ticket_id),
        kind: Set(kind.into()),
        due_at: Set(due_at),
        action: Set(action.into()),
        assignee_id: Set(assignee),
        created_at: Set(now),
    }
    .insert(conn)
    .await;
    match inserted {
        Ok(_) => Ok(true),
        Err(error) if crate::db::violates_unique(&error, "ux_sla_breaches_once", "sla_breaches.") => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// A ticket's missed targets, oldest first (`assignee_id`: whom an assignment gave it to).
pub async fn breaches(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    ticket_id: Uuid,
) -> ApiResult<Vec<sla_breaches::Model>> {
    Ok(sla_breaches::Entity::find()
        .filter(sla_breaches::Column::WorkspaceId.eq(scope.uuid()))
        .filter(sla_breaches::Column::TicketId.eq(ticket_id))
        .order_by_asc(sla_breaches::Column::CreatedAt)
        .all(conn)
        .await?)
}
