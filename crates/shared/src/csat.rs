//! Customer satisfaction (CSAT): when a ticket is first solved its customer is mailed a link to rate
//! the help good or bad, with an optional comment. The link carries an unguessable token and works
//! once; the dashboard counts the ratings per day and per agent.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::users::UserSummary;

/// The most characters a rating's comment keeps.
pub const MAX_COMMENT_CHARS: usize = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Good,
    Bad,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Good => "good",
            Rating::Bad => "bad",
        }
    }
}

/// `GET /api/v1/csat/{token}`: what the rating page shows. Only what the customer already knows:
/// the ticket's number and subject, the workspace's name and the first name of who helped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Survey {
    pub workspace_name: String,
    pub ticket_number: i64,
    pub subject: String,
    /// The first name of the agent the ticket was assigned to when it was solved.
    pub agent_first_name: Option<String>,
    /// Set once the customer rated.
    pub rating: Option<Rating>,
    pub comment: Option<String>,
    pub rated_at: Option<DateTime<Utc>>,
}

/// `POST /api/v1/csat/{token}`: the rating, then optionally a comment. A link rates once: a second
/// rating is refused (409); a comment may be added once to the rating already given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SurveyAnswer {
    pub rating: Rating,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A ticket's rating, for the team (never in a customer's view of the ticket).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketRating {
    pub rating: Rating,
    pub comment: Option<String>,
    pub rated_at: DateTime<Utc>,
}

/// Ratings given on one day of the dashboard's range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CsatDay {
    pub date: NaiveDate,
    pub good: u64,
    pub bad: u64,
}

/// The ratings one agent's tickets received in the range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CsatAgent {
    pub agent: UserSummary,
    pub good: u64,
    pub bad: u64,
    /// `good / (good + bad)`; none without ratings.
    pub score: Option<f64>,
}

/// The dashboard's satisfaction figures for its range (ratings by when they were given).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CsatStats {
    pub good: u64,
    pub bad: u64,
    /// `good / (good + bad)`; none without ratings.
    pub score: Option<f64>,
    /// Surveys mailed in the range, for the response rate.
    pub offered: u64,
    /// One entry per day of the range, zeros included.
    pub per_day: Vec<CsatDay>,
    /// Agents with at least one rating, best score first.
    pub per_agent: Vec<CsatAgent>,
}

/// `good / (good + bad)`, none when both are zero.
pub fn score(good: u64, bad: u64) -> Option<f64> {
    let rated = good + bad;
    (rated > 0).then(|| good as f64 / rated as f64)
}
