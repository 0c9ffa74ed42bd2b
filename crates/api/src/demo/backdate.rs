//! Moves the seeded tickets into the past. The services stamp every change with the clock, so a
//! fresh seed happens within a second; each ticket's `Timeline` pairs what a step stamped with when
//! the story says it happened, and every stored timestamp is mapped through it. The map keeps order,
//! so threads stay in order and `created_at <= first_response_at <= updated_at` still holds.

use chrono::{DateTime, Utc};
use ferrodesk_shared::TicketId;
use ferrodesk_shared::csat::Rating;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::auth::WorkspaceScope;
use crate::db::stored::StoredRating;
use crate::db::{
    self, entities::csat_surveys, entities::messages, entities::notifications, entities::tickets, entities::users,
    entities::workspaces,
};
use crate::state::AppState;
use crate::tickets::repo as tickets_repo;

pub struct Timeline {
    ticket: TicketId,
    /// (stamped by the service, planned by the story), stamped strictly increasing.
    marks: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

impl Timeline {
    pub fn new(ticket: TicketId) -> Timeline {
        Timeline {
            ticket,
            marks: Vec::new(),
        }
    }

    /// Records a step. A step that changed nothing leaves the stamp it got back unchanged: skip it.
    pub fn mark(&mut self, stamped: DateTime<Utc>, planned: DateTime<Utc>) {
        if self.marks.last().is_none_or(|(last, _)| stamped > *last) {
            self.marks.push((stamped, planned));
        }
    }

    /// When the story places the moment `stamped`: the planned time of the latest step stamped no later.
    fn planned(&self, stamped: DateTime<Utc>) -> DateTime<Utc> {
        self.marks
            .iter()
            .rev()
            .find(|(at, _)| *at <= stamped)
            .or(self.marks.first())
            .map_or(stamped, |(_, planned)| *planned)
    }
}

/// Rewrites the timestamps of the tickets and their messages, and dates the workspace and its
/// people from `founded`, all in one transaction.
pub async fn apply(
    state: &AppState,
    scope: &WorkspaceScope,
    timelines: &[Timeline],
    founded: DateTime<Utc>,
) -> anyhow::Result<()> {
    let txn = db::begin_write(&state.db).await?;
    let now = crate::clock::now();
    for timeline in timelines {
        backdate_ticket(&txn, scope, timeline, now).await?;
    }
    users::Entity::update_many()
        .col_expr(users::Column::CreatedAt, Expr::value(founded))
        .filter(users::Column::WorkspaceId.eq(scope.uuid()))
        .exec(&txn)
        .await?;
    workspaces::Entity::update_many()
        .col_expr(workspaces::Column::CreatedAt, Expr::value(founded))
        .filter(workspaces::Column::Id.eq(scope.uuid()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    // The times moved under the kept counters: count again.
    crate::reports::rollup::rebuild_workspace(&state.db, scope.uuid(), now, false).await?;
    Ok(())
}

/// Notifications older than this were read by the demo's team (a bell of nothing but unread
/// items from last week is not what a team that works its queue sees).
const READ_AFTER: chrono::Duration = chrono::Duration::hours(12);

async fn backdate_ticket(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    timeline: &Timeline,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let ticket = tickets_repo::find(conn, scope, timeline.ticket.0).await?;
    let planned = |at: DateTime<Utc>| timeline.planned(at);
    tickets::Entity::update_many()
        .col_expr(
            tickets::Column::CreatedAt,
            Expr::value(planned(ticket.state.clock.created_at)),
        )
        .col_expr(
            tickets::Column::UpdatedAt,
            Expr::value(planned(ticket.state.updated_at)),
        )
        .col_expr(
            tickets::Column::FirstResponseAt,
            Expr::value(ticket.state.first_response_at.map(planned)),
        )
        .col_expr(
            tickets::Column::SolvedAt,
            Expr::value(ticket.state.solved_at.map(planned)),
        )
        .filter(tickets::Column::WorkspaceId.eq(scope.uuid()))
        .filter(tickets::Column::Id.eq(ticket.id))
        .exec(conn)
        .await?;
    for message in tickets_repo::messages(conn, scope, ticket.id, true).await? {
        messages::Entity::update_many()
            .col_expr(messages::Column::CreatedAt, Expr::value(planned(message.created_at)))
            .filter(messages::Column::WorkspaceId.eq(scope.uuid()))
            .filter(messages::Column::Id.eq(message.id))
            .exec(conn)
            .await?;
    }
    let notices = notifications::Entity::find()
        .filter(notifications::Column::WorkspaceId.eq(scope.uuid()))
        .filter(notifications::Column::TicketId.eq(ticket.id))
        .all(conn)
        .await?;
    for notice in notices {
        let at = planned(notice.created_at);
        let read_at = (now - at > READ_AFTER).then(|| at + chrono::Duration::minutes(20));
        notifications::Entity::update_many()
            .col_expr(notifications::Column::CreatedAt, Expr::value(at))
            .col_expr(notifications::Column::ReadAt, Expr::value(read_at))
            .filter(notifications::Column::WorkspaceId.eq(scope.uuid()))
            .filter(notifications::Column::Id.eq(notice.id))
            .exec(conn)
            .await?;
    }
    rate_survey(conn, scope, ticket.id, ticket.number, &planned, now).await
}

/// How the demo's customers answered their surveys: most were happy, some not, some never
/// answered, so the dashboard's satisfaction card has a story to tell.
fn demo_rating(number: i64) -> Option<(Rating, Option<&'static str>)> {
    match number % 7 {
        0 => None,
        3 => Some((Rating::Bad, Some("It took three emails to get a straight answer."))),
        5 => Some((Rating::Good, Some("Quick and friendly, thank you!"))),
        _ => Some((Rating::Good, None)),
    }
}

/// Dates a solved ticket's survey from when it was solved, and rates it a few hours later.
async fn rate_survey(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    ticket: uuid::Uuid,
    number: i64,
    planned: &impl Fn(DateTime<Utc>) -> DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Some(survey) = crate::csat::repo::of_ticket(conn, scope, ticket).await? else {
        return Ok(());
    };
    let sent = planned(survey.sent_at);
    let rated_at = sent + chrono::Duration::hours(3);
    let answer = demo_rating(number).filter(|_| rated_at < now);
    csat_surveys::Entity::update_many()
        .col_expr(csat_surveys::Column::SentAt, Expr::value(sent))
        .col_expr(
            csat_surveys::Column::ExpiresAt,
            Expr::value(crate::csat::domain::expires_at(sent)),
        )
        .col_expr(
            csat_surveys::Column::Rating,
            Expr::value(answer.map(|(rating, _)| StoredRating::from(rating))),
        )
        .col_expr(
            csat_surveys::Column::Comment,
            Expr::value(answer.and_then(|(_, comment)| comment.map(str::to_owned))),
        )
        .col_expr(csat_surveys::Column::RatedAt, Expr::value(answer.map(|_| rated_at)))
        .filter(csat_surveys::Column::WorkspaceId.eq(scope.uuid()))
        .filter(csat_surveys::Column::Id.eq(survey.id))
        .exec(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn stamps_map_to_the_latest_step_at_or_before_them_and_order_is_kept() {
        let now = Utc::now();
        let past = now - Duration::days(10);
        let mut timeline = Timeline::new(TicketId(uuid::Uuid::nil()));
        timeline.mark(now, past);
        timeline.mark(now + Duration::milliseconds(5), past + Duration::hours(1));
        // A step that changed nothing hands back an older stamp: ignored.
        timeline.mark(now + Duration::milliseconds(5), past + Duration::hours(2));
        timeline.mark(now + Duration::milliseconds(9), past + Duration::hours(3));

        assert_eq!(timeline.planned(now), past);
        assert_eq!(
            timeline.planned(now + Duration::milliseconds(5)),
            past + Duration::hours(1)
        );
        assert_eq!(
            timeline.planned(now + Duration::milliseconds(7)),
            past + Duration::hours(1)
        );
        assert_eq!(
            timeline.planned(now + Duration::milliseconds(9)),
            past + Duration::hours(3)
        );
        assert_eq!(timeline.planned(now - Duration::seconds(1)), past);
    }
}
