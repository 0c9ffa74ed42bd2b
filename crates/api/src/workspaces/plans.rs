//! Plans and what each includes: the one table every limit is read from (the README shows it).
//!
//! Limits are enforced by the server where they can be crossed, never by the web app alone: staff
//! seats at an invitation, its acceptance and a promotion to staff (under the workspace's lock, so
//! concurrent acceptances cannot pass the limit together); AI at every AI endpoint and in the
//! background categorisation (`ai::require_ai`). A workspace over its seats (after a downgrade)
//! keeps everyone and cannot add more.

use ferrodesk_shared::Role;
use ferrodesk_shared::billing::{BillingOverview, SubscriptionStatus};
use ferrodesk_shared::error::LimitReached;
use ferrodesk_shared::workspaces::Plan;
use sea_orm::ConnectionTrait;

use crate::auth::WorkspaceScope;
use crate::error::{ApiError, ApiResult};
use crate::users::repo as users_repo;

use super::repo;

/// What a plan includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Agents, supervisors and owners together (customers and API keys' integrations are free).
    pub staff_seats: u32,
    /// Categorisation, reply drafts and the widget's answers.
    pub ai: bool,
    /// The workspace's request bucket is the configured size (`FERRODESK_RATE_LIMIT_WORKSPACE_*`)
    /// divided by this.
    pub api_rate_divisor: u32,
}

/// The limits of each plan. No `_` arm: a new plan must say what it gets.
pub fn limits(plan: Plan) -> Limits {
    match plan {
        Plan::Free => Limits {
            staff_seats: 2,
            ai: false,
            api_rate_divisor: 10,
        },
        Plan::Pro => Limits {
            staff_seats: 25,
            ai: true,
            api_rate_divisor: 1,
        },
    }
}

/// Refuses a new staff member (an invitation, its acceptance, a promotion) when the workspace's
/// plan has no seat left: `409 plan_limit`, with the seats used and allowed. `conn` should hold the
/// workspace's lock (`repo::lock`) when the new member is written in the same transaction, so that
/// two acceptances cannot both take the last seat.
pub async fn admit_staff(conn: &impl ConnectionTrait, scope: &WorkspaceScope) -> ApiResult<()> {
    let workspace = repo::get(conn, scope).await?;
    let allowed = limits(workspace.plan.into()).staff_seats;
    let used = users_repo::count_staff(conn, scope).await?;
    if used < u64::from(allowed) {
        return Ok(());
    }
    let plan = Plan::from(workspace.plan);
    Err(ApiError::PlanLimit {
        message: format!(
            "The {} plan includes {allowed} staff seats and all {used} are taken: upgrade, or change someone \
             to customer first.",
            plan.display_name()
        ),
        limit: LimitReached {
            resource: "staff_seats".to_owned(),
            allowed,
            used: u32::try_from(used).unwrap_or(u32::MAX),
        },
    })
}

/// The plan of the workspace, how much of it is in use and how it is paid (`GET /billing`):
/// read from what is stored, so the screen works while Stripe is down.
pub async fn overview(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    billing_enabled: bool,
) -> ApiResult<BillingOverview> {
    let workspace = repo::get(conn, scope).await?;
    let plan = Plan::from(workspace.plan);
    let limits = limits(plan);
    let used = u32::try_from(users_repo::count_staff(conn, scope).await?).unwrap_or(u32::MAX);
    Ok(BillingOverview {
        plan,
        seats_used: used,
        seats_allowed: limits.staff_seats,
        over_limit: used > limits.staff_seats,
        ai_included: limits.ai,
        billing_enabled,
        status: workspace.billing_status.as_deref().and_then(SubscriptionStatus::parse),
        period_end: workspace.billing_period_end,
        cancel_at_period_end: workspace.billing_cancel_at_period_end,
        grace_until: workspace.billing_grace_until,
    })
}

/// The operator's `ferrodesk plan set <slug> <plan>`: the plan before and after, or `None` when no
/// workspace has that slug.
pub async fn set_by_slug(db: &sea_orm::DatabaseConnection, slug: &str, plan: Plan) -> ApiResult<Option<(Plan, Plan)>> {
    // An unknown slug takes no write lock.
    if repo::find_by_slug(db, slug).await?.is_none() {
        return Ok(None);
    }
    let txn = crate::db::begin_write(db).await?;
    let Some(workspace) = repo::find_by_slug(&txn, slug).await? else {
        return Ok(None);
    };
    let scope = WorkspaceScope::for_operator(ferrodesk_shared::WorkspaceId(workspace.id));
    repo::set_plan(&txn, &scope, plan, crate::clock::now()).await?;
    txn.commit().await?;
    Ok(Some((workspace.plan.into(), plan)))
}

/// What the operator is told about a plan.
pub fn describe(plan: Plan) -> String {
    let limits = limits(plan);
    format!(
        "{}: {} staff seats, AI {}",
        plan.display_name(),
        limits.staff_seats,
        if limits.ai { "included" } else { "not included" }
    )
}

/// Each workspace's plan as this instance last read it, for the request buckets only: they are
/// checked on every request, and one more query per request is not worth a rate tier being a
/// minute late after a plan changes (seats and AI read the plan fresh, every time).
#[derive(Default)]
pub struct PlanCache {
    plans: std::sync::Mutex<std::collections::HashMap<uuid::Uuid, (Plan, std::time::Instant)>>,
}

/// How long a cached plan is used before it is read again.
pub const PLAN_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(60);
/// Past this many workspaces, entries older than the TTL are dropped, so memory follows the
/// workspaces of the last minute.
const PLAN_CACHE_PRUNE_AT: usize = 10_000;

impl PlanCache {
    pub async fn plan_of(&self, conn: &impl ConnectionTrait, scope: &WorkspaceScope) -> ApiResult<Plan> {
        let now = std::time::Instant::now();
        if let Some((plan, read)) = self.lock().get(&scope.uuid()).copied()
            && now.duration_since(read) < PLAN_CACHE_TTL
        {
            return Ok(plan);
        }
        let plan = Plan::from(repo::get(conn, scope).await?.plan);
        let mut plans = self.lock();
        if plans.len() >= PLAN_CACHE_PRUNE_AT {
            plans.retain(|_, (_, read)| now.duration_since(*read) < PLAN_CACHE_TTL);
        }
        plans.insert(scope.uuid(), (plan, now));
        Ok(plan)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<uuid::Uuid, (Plan, std::time::Instant)>> {
        self.plans.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Whether `role` takes a staff seat.
pub fn takes_seat(role: Role) -> bool {
    role != Role::Customer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_has_two_seats_and_no_ai_pro_has_twenty_five_and_ai() {
        let cases = [(Plan::Free, 2, false, 10), (Plan::Pro, 25, true, 1)];
        for (plan, seats, ai, divisor) in cases {
            let expected = Limits {
                staff_seats: seats,
                ai,
                api_rate_divisor: divisor,
            };
            assert_eq!(limits(plan), expected, "{plan:?}");
        }
    }

    #[test]
    fn only_customers_take_no_seat() {
        let cases = [
            (Role::Customer, false),
            (Role::Agent, true),
            (Role::Supervisor, true),
            (Role::Owner, true),
        ];
        for (role, seat) in cases {
            assert_eq!(takes_seat(role), seat, "{role:?}");
        }
    }
}
