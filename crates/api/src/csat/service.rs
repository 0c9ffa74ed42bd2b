//! The rating page's two calls, for whoever holds a survey link (no session: the token is the
//! key), and the team's view of a ticket's rating. Both calls count against the caller's address.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use ferrodesk_shared::csat::{Survey, SurveyAnswer, TicketRating};
use ferrodesk_shared::{UserId, WorkspaceId};

use crate::auth::WorkspaceScope;
use crate::auth::tokens::hash_token;
use crate::clock;
use crate::db::entities::csat_surveys;
use crate::error::{ApiError, ApiResult};
use crate::limits::{self, Key, Limit};
use crate::state::AppState;
use crate::tickets::repo as tickets_repo;
use crate::users::repo as users_repo;
use crate::workspaces::repo as workspaces_repo;

use super::domain::{self, Decision, Given, Refusal};
use super::repo;

/// Calls of the rating page per address and hour: a person rates a handful of tickets; guessing
/// a 256-bit token is hopeless anyway, this keeps the table from being hammered.
const CALLS_PER_HOUR: u32 = 120;

async fn admit(state: &AppState, client: Option<IpAddr>, now: DateTime<Utc>) -> ApiResult<()> {
    if let Some(address) = client {
        let key = Key::new("csat_address", &[&address.to_string()]);
        limits::take(&state.db, &key, Limit::per_hour(CALLS_PER_HOUR), now).await?;
    }
    Ok(())
}

/// The survey a token opens: unknown tokens are 404, expired links 410.
async fn open(state: &AppState, token: &str, now: DateTime<Utc>) -> ApiResult<csat_surveys::Model> {
    let survey = repo::by_token_hash(&state.db, &hash_token(token))
        .await?
        .ok_or(ApiError::NotFound)?;
    if survey.rating.is_none() && now >= survey.expires_at {
        return Err(ApiError::LinkExpired(
            "This survey has closed: ratings are taken for 30 days after a request is solved. \
             You can still write to us on your request.",
        ));
    }
    Ok(survey)
}

fn given(survey: &csat_surveys::Model) -> Given {
    Given {
        rating: survey.rating.map(Into::into),
        comment: survey.comment.clone(),
        rated_at: survey.rated_at,
    }
}

async fn view(state: &AppState, survey: &csat_surveys::Model) -> ApiResult<Survey> {
    let scope = WorkspaceScope::for_survey_link(WorkspaceId(survey.workspace_id));
    let workspace = workspaces_repo::get(&state.db, &scope).await?;
    let ticket = tickets_repo::find(&state.db, &scope, survey.ticket_id).await?;
    let agent_first_name = match survey.agent_id {
        Some(agent) => users_repo::find(&state.db, &scope, UserId(agent))
            .await
            .ok()
            .and_then(|user| user.name.split_whitespace().next().map(str::to_owned)),
        None => None,
    };
    Ok(Survey {
        workspace_name: workspace.name,
        ticket_number: ticket.number,
        subject: ticket.subject,
        agent_first_name,
        rating: survey.rating.map(Into::into),
        comment: survey.comment.clone(),
        rated_at: survey.rated_at,
    })
}

pub async fn get(state: &AppState, client: Option<IpAddr>, token: &str) -> ApiResult<Survey> {
    let now = clock::now();
    admit(state, client, now).await?;
    let survey = open(state, token, now).await?;
    view(state, &survey).await
}

pub async fn answer(state: &AppState, client: Option<IpAddr>, token: &str, answer: SurveyAnswer) -> ApiResult<Survey> {
    let now = clock::now();
    admit(state, client, now).await?;
    let survey = open(state, token, now).await?;
    let refused = |refusal: Refusal| match refusal {
        Refusal::CommentTooLong => ApiError::invalid(
            "comment",
            format!(
                "may be at most {} characters",
                ferrodesk_shared::csat::MAX_COMMENT_CHARS
            ),
        ),
        Refusal::AlreadyRated => ApiError::Conflict("This link has already been used to rate the ticket.".to_owned()),
    };
    let written = match domain::decide(&given(&survey), &answer, now).map_err(refused)? {
        Decision::Rate { rating, comment } => repo::rate(&state.db, survey.id, rating, comment, now).await?,
        Decision::Comment(comment) => repo::add_comment(&state.db, survey.id, comment).await?,
        Decision::Unchanged => true,
    };
    let survey = repo::by_token_hash(&state.db, &survey.token_hash)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !written {
        // Another request got there first: judge this one against what it wrote.
        if let Err(refusal) = domain::decide(&given(&survey), &answer, now).and_then(|decision| match decision {
            Decision::Unchanged => Ok(()),
            _ => Err(Refusal::AlreadyRated),
        }) {
            return Err(refused(refusal));
        }
    }
    view(state, &survey).await
}

/// A ticket's rating, for the team; none before the customer rated.
pub async fn of_ticket(
    conn: &impl sea_orm::ConnectionTrait,
    scope: &WorkspaceScope,
    ticket_id: uuid::Uuid,
) -> ApiResult<Option<TicketRating>> {
    Ok(repo::of_ticket(conn, scope, ticket_id).await?.and_then(|survey| {
        Some(TicketRating {
            rating: survey.rating?.into(),
            comment: survey.comment,
            rated_at: survey.rated_at?,
        })
    }))
}
