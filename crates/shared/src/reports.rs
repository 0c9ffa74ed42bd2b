//! The supervisor dashboard's numbers, for a date range in a time zone.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::users::UserSummary;

/// Query of `GET /api/v1/reports/overview`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// First day, inclusive (`2026-11-01`).
    pub from: NaiveDate,
    /// Last day, inclusive; at most 366 days after `from`.
    pub to: NaiveDate,
    /// An IANA time zone (`Europe/Paris`); days start at midnight there. UTC when missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayCount {
    pub date: NaiveDate,
    pub count: u64,
}

/// Durations in minutes; `None` when there is nothing to measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DurationStats {
    pub count: u64,
    pub average_minutes: Option<f64>,
    pub median_minutes: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaStats {
    /// Tickets created in the range.
    pub tickets: u64,
    /// Of those, how many missed a target.
    pub breached: u64,
    /// `breached / tickets`, 0 when there are none.
    pub breach_rate: f64,
}

/// Tickets by status right now (not limited to the range).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Backlog {
    pub new: u64,
    pub open: u64,
    pub pending: u64,
    pub solved: u64,
    pub closed: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentStats {
    pub agent: UserSummary,
    /// Tickets created in the range that are assigned to this person.
    pub assigned: u64,
    /// Tickets solved in the range that are assigned to this person.
    pub solved: u64,
    pub median_first_response_minutes: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Overview {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub tz: String,
    /// One entry per day of the range, zeros included.
    pub created_per_day: Vec<DayCount>,
    pub solved_per_day: Vec<DayCount>,
    /// From creation to the first public reply, for tickets created in the range.
    pub first_response: DurationStats,
    /// From creation to solved, for tickets solved in the range.
    pub resolution: DurationStats,
    pub sla: SlaStats,
    pub backlog: Backlog,
    /// Every agent, supervisor and owner, by name.
    pub agents: Vec<AgentStats>,
    pub widget: WidgetStats,
    /// Customer satisfaction: ratings given in the range.
    #[serde(default)]
    pub csat: crate::csat::CsatStats,
}

/// The embeddable widget in the range: questions it answered without a ticket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WidgetStats {
    /// Conversations visitors started.
    pub conversations: u64,
    /// Questions a suggested answer settled ("This answered my question").
    pub deflected: u64,
    /// `deflected / (deflected + conversations)`; 0 when there were neither.
    pub deflection_rate: f64,
}
