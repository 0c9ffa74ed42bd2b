//! The survey rows: offered in a ticket change's transaction, found by their token's hash, rated
//! with a conditional UPDATE (two clicks at once rate once), counted for the dashboard.

use chrono::{DateTime, Utc};
use ferrodesk_shared::csat::Rating;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::auth::tokens::new_opaque_token;
use crate::db::entities::csat_surveys;
use crate::db::stored::StoredRating;
use crate::error::ApiResult;
use crate::reports::repo::{hour_bucket, hour_of, placeholders, rows};

use super::domain;

/// A solved ticket to offer a survey for.
#[derive(Debug, Clone)]
pub struct Offer {
    pub ticket_id: Uuid,
    pub requester_id: Uuid,
    pub agent_id: Option<Uuid>,
}

/// Stores a survey for each ticket of `offers` that never had one, in one statement, and hands back
/// those tickets with their links' tokens (to mail; only their hashes are kept).
pub async fn offer(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    offers: Vec<Offer>,
    now: DateTime<Utc>,
) -> ApiResult<Vec<(Uuid, String)>> {
    if offers.is_empty() {
        return Ok(Vec::new());
    }
    // The tickets are locked by the change that solved them, so nobody offers between this read
    // and the insert; the unique ticket_id stands behind it anyway.
    let offered: Vec<Uuid> = csat_surveys::Entity::find()
        .select_only()
        .column(csat_surveys::Column::TicketId)
        .filter(csat_surveys::Column::WorkspaceId.eq(scope.uuid()))
        .filter(csat_surveys::Column::TicketId.is_in(offers.iter().map(|offer| offer.ticket_id)))
        .into_tuple()
        .all(conn)
        .await?;
    let mut tokens = Vec::new();
    let mut rows = Vec::new();
    for offer in offers {
        if offered.contains(&offer.ticket_id) || tokens.iter().any(|(ticket, _)| *ticket == offer.ticket_id) {
            continue;
        }
        let (token, hash) = new_opaque_token();
        rows.push(csat_surveys::ActiveModel {
            id: Set(Uuid::now_v7()),
            workspace_id: Set(scope.uuid()),
            ticket_id: Set(offer.ticket_id),
            requester_id: Set(offer.requester_id),
            agent_id: Set(offer.agent_id),
            token_hash: Set(hash),
            sent_at: Set(now),
            expires_at: Set(domain::expires_at(now)),
            rating: Set(None),
            comment: Set(None),
            rated_at: Set(None),
        });
        tokens.push((offer.ticket_id, token));
    }
    if !rows.is_empty() {
        csat_surveys::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(tokens)
}

pub async fn by_token_hash(conn: &impl ConnectionTrait, hash: &str) -> ApiResult<Option<csat_surveys::Model>> {
    Ok(csat_surveys::Entity::find()
        .filter(csat_surveys::Column::TokenHash.eq(hash))
        .one(conn)
        .await?)
}

/// The survey of one ticket of this workspace, for the team.
pub async fn of_ticket(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    ticket_id: Uuid,
) -> ApiResult<Option<csat_surveys::Model>> {
    Ok(csat_surveys::Entity::find()
        .filter(csat_surveys::Column::WorkspaceId.eq(scope.uuid()))
        .filter(csat_surveys::Column::TicketId.eq(ticket_id))
        .one(conn)
        .await?)
}

/// The first rating; false when another request rated first.
pub async fn rate(
    conn: &impl ConnectionTrait,
    id: Uuid,
    rating: Rating,
    comment: Option<String>,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let done = csat_surveys::Entity::update_many()
        .col_expr(csat_surveys::Column::Rating, Expr::value(StoredRating::from(rating)))
        .col_expr(csat_surveys::Column::Comment, Expr::value(comment))
        .col_expr(csat_surveys::Column::RatedAt, Expr::value(now))
        .filter(csat_surveys::Column::Id.eq(id))
        .filter(csat_surveys::Column::RatedAt.is_null())
        .exec(conn)
        .await?;
    Ok(done.rows_affected == 1)
}

/// The comment to a rating that has none yet; false when another request wrote one first.
pub async fn add_comment(conn: &impl ConnectionTrait, id: Uuid, comment: String) -> ApiResult<bool> {
    let done = csat_surveys::Entity::update_many()
        .col_expr(csat_surveys::Column::Comment, Expr::value(comment))
        .filter(csat_surveys::Column::Id.eq(id))
        .filter(csat_surveys::Column::Comment.is_null())
        .exec(conn)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Ratings of one UTC hour for one agent (or none: the ticket was unassigned when solved).
pub struct RatingHour {
    pub at: DateTime<Utc>,
    pub agent: Option<Uuid>,
    pub rating: Rating,
    pub count: u64,
}

/// The ratings given in [start, end), per UTC hour, agent and rating: one index range read.
pub async fn ratings(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> ApiResult<Vec<RatingHour>> {
    let backend = conn.get_database_backend();
    let p = placeholders(backend, 3);
    let hour = hour_of(backend, "rated_at");
    let sql = format!(
        "SELECT {hour} AS hour, agent_id, rating, COUNT(*) AS n FROM csat_surveys \
         WHERE workspace_id = {} AND rated_at >= {} AND rated_at < {} GROUP BY {hour}, agent_id, rating",
        p[0], p[1], p[2],
    );
    let mut out = Vec::new();
    for row in rows(conn, sql, vec![scope.uuid().into(), start.into(), end.into()]).await? {
        let rating = match row.try_get::<String>("", "rating")?.as_str() {
            "good" => Rating::Good,
            _ => Rating::Bad,
        };
        out.push(RatingHour {
            at: hour_bucket(backend, &row)?,
            agent: row.try_get("", "agent_id")?,
            rating,
            count: row.try_get::<i64>("", "n")?.max(0) as u64,
        });
    }
    Ok(out)
}

/// Surveys mailed in [start, end).
pub async fn offered(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> ApiResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(csat_surveys::Entity::find()
        .filter(csat_surveys::Column::WorkspaceId.eq(scope.uuid()))
        .filter(csat_surveys::Column::SentAt.gte(start))
        .filter(csat_surveys::Column::SentAt.lt(end))
        .count(conn)
        .await?)
}
