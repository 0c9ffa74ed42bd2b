//! The dashboard's figures: a date range in a time zone turned into UTC bounds, the database's
//! aggregates turned into one answer.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use ferrodesk_shared::Role;
use ferrodesk_shared::csat::{CsatAgent, CsatDay, CsatStats, Rating, score};
use ferrodesk_shared::reports::{
    AgentStats, Backlog, DayCount, DurationStats, Overview, ReportQuery, SlaStats, WidgetStats,
};
use uuid::Uuid;

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::users::repo as users_repo;

use ferrodesk_shared::tickets::TicketStatus;

use super::repo;
use super::rollup;

/// The longest range one request may ask for.
const MAX_DAYS: u64 = 366;

/// Midnight of `date` in `tz`, in UTC. On a day whose midnight a DST change skips, the first
/// instant that exists.
pub fn start_of_day(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    match tz.from_local_datetime(&midnight).earliest() {
        Some(local) => local.with_timezone(&Utc),
        None => (1..=180)
            .find_map(|minutes| {
                tz.from_local_datetime(&(midnight + chrono::Duration::minutes(minutes)))
                    .earliest()
            })
            .map_or_else(|| Utc.from_utc_datetime(&midnight), |local| local.with_timezone(&Utc)),
    }
}

/// Per-day counts in `tz` from per-hour UTC counts, zeros included.
pub fn days(tz: Tz, from: NaiveDate, to: NaiveDate, hours: &[repo::HourCount]) -> Vec<DayCount> {
    let mut by_day: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    for hour in hours {
        *by_day.entry(hour.at.with_timezone(&tz).date_naive()).or_default() += hour.count;
    }
    from.iter_days()
        .take_while(|day| *day <= to)
        .map(|date| DayCount {
            date,
            count: by_day.get(&date).copied().unwrap_or(0),
        })
        .collect()
}

/// A duration's figures from the kept counters: the exact count and mean, the median from the bins.
fn duration_stats(count: i64, total_ms: i64, bins: &std::collections::BTreeMap<i16, rollup::Bin>) -> DurationStats {
    DurationStats {
        count: u64::try_from(count).unwrap_or(0),
        average_minutes: (count > 0).then(|| round(total_ms as f64 / count as f64 / 60_000.0)),
        median_minutes: rollup::median_of_bins(bins).map(round),
    }
}

fn round(minutes: f64) -> f64 {
    (minutes * 10.0).round() / 10.0
}

#[tracing::instrument(skip_all, fields(workspace = %principal.scope().id()))]
pub async fn overview(state: &AppState, principal: &Principal, query: ReportQuery) -> ApiResult<Overview> {
    let tz_name = query.tz.unwrap_or_else(|| "UTC".to_owned());
    let tz: Tz = tz_name
        .parse()
        .map_err(|_| ApiError::invalid("tz", "is not an IANA time zone like Europe/Paris"))?;
    if query.to < query.from {
        return Err(ApiError::invalid("to", "must not be before `from`"));
    }
    if (query.to - query.from).num_days() as u64 >= MAX_DAYS {
        return Err(ApiError::invalid("to", "the range may cover at most 366 days"));
    }
    let start = start_of_day(tz, query.from);
    let end = start_of_day(tz, query.to.checked_add_days(Days::new(1)).unwrap_or(query.to));
    let scope = principal.scope();
    let db = &state.db;

    let range = rollup::range(db, scope, start, end, crate::clock::now()).await?;
    let quarters = |pick: fn(&(i64, i64)) -> i64| -> Vec<repo::HourCount> {
        range
            .quarters
            .iter()
            .map(|(at, counts)| repo::HourCount {
                at: *at,
                count: u64::try_from(pick(counts)).unwrap_or(0),
                breached: 0,
            })
            .collect()
    };
    let (created, solved) = (quarters(|counts| counts.0), quarters(|counts| counts.1));
    let totals = range.totals();
    let tickets = u64::try_from(totals.created).unwrap_or(0);
    let breached = u64::try_from(totals.breached).unwrap_or(0);
    let mut first_response_bins = std::collections::BTreeMap::new();
    for bins in range.first_response_bins.values() {
        for (index, counts) in bins {
            let bin: &mut rollup::Bin = first_response_bins.entry(*index).or_default();
            bin.n += counts.n;
            bin.ms += counts.ms;
        }
    }
    let first_response = duration_stats(totals.first_responses, totals.first_response_ms, &first_response_bins);
    let resolution = duration_stats(totals.resolutions, totals.resolution_ms, &range.resolution_bins);

    let mut backlog = Backlog::default();
    for (status, _, n) in rollup::counts(db, scope).await? {
        let n = u64::try_from(n).unwrap_or(0);
        match status {
            TicketStatus::New => backlog.new += n,
            TicketStatus::Open => backlog.open += n,
            TicketStatus::Pending => backlog.pending += n,
            TicketStatus::Solved => backlog.solved += n,
            TicketStatus::Closed => backlog.closed += n,
        }
    }
    let mut agents = Vec::new();
    for user in users_repo::with_roles(db, scope, &[Role::Agent, Role::Supervisor, Role::Owner]).await? {
        let summary = users_repo::into_summary(&user);
        let counts = range.agents.get(&user.id).copied().unwrap_or_default();
        agents.push(AgentStats {
            assigned: u64::try_from(counts.created).unwrap_or(0),
            solved: u64::try_from(counts.solved).unwrap_or(0),
            median_first_response_minutes: range
                .first_response_bins
                .get(&user.id)
                .and_then(rollup::median_of_bins)
                .map(round),
            agent: summary,
        });
    }

    let csat = csat_stats(
        tz,
        (query.from, query.to),
        crate::csat::repo::ratings(db, scope, start, end).await?,
        crate::csat::repo::offered(db, scope, start, end).await?,
        &agents,
    );
    let (conversations, deflected) = crate::widget::answers::counts(db, scope, start, end).await?;
    let asked = conversations + deflected;
    Ok(Overview {
        from: query.from,
        to: query.to,
        tz: tz_name,
        created_per_day: days(tz, query.from, query.to, &created),
        solved_per_day: days(tz, query.from, query.to, &solved),
        first_response,
        resolution,
        sla: SlaStats {
            tickets,
            breached,
            breach_rate: if tickets == 0 {
                0.0
            } else {
                breached as f64 / tickets as f64
            },
        },
        backlog,
        agents,
        widget: WidgetStats {
            conversations,
            deflected,
            deflection_rate: if asked == 0 {
                0.0
            } else {
                deflected as f64 / asked as f64
            },
        },
        csat,
    })
}

/// The ratings per local day, zeros included, and per agent (those with ratings, best first).
/// Ratings of tickets solved unassigned count in the totals and days only.
fn csat_stats(
    tz: Tz,
    (from, to): (NaiveDate, NaiveDate),
    hours: Vec<crate::csat::repo::RatingHour>,
    offered: u64,
    agents: &[AgentStats],
) -> CsatStats {
    let mut by_day: BTreeMap<NaiveDate, (u64, u64)> = BTreeMap::new();
    let mut by_agent: BTreeMap<Uuid, (u64, u64)> = BTreeMap::new();
    let mut totals = (0, 0);
    for hour in hours {
        let add = |counts: &mut (u64, u64)| match hour.rating {
            Rating::Good => counts.0 += hour.count,
            Rating::Bad => counts.1 += hour.count,
        };
        add(by_day.entry(hour.at.with_timezone(&tz).date_naive()).or_default());
        if let Some(agent) = hour.agent {
            add(by_agent.entry(agent).or_default());
        }
        add(&mut totals);
    }
    let per_day = from
        .iter_days()
        .take_while(|day| *day <= to)
        .map(|date| {
            let (good, bad) = by_day.get(&date).copied().unwrap_or_default();
            CsatDay { date, good, bad }
        })
        .collect();
    let mut per_agent: Vec<CsatAgent> = agents
        .iter()
        .filter_map(|stats| {
            let (good, bad) = by_agent.get(&stats.agent.id.0).copied()?;
            Some(CsatAgent {
                agent: stats.agent.clone(),
                good,
                bad,
                score: score(good, bad),
            })
        })
        .collect();
    per_agent.sort_by(|a, b| {
        b.score
            .partial_cmp(&a.score)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then((b.good + b.bad).cmp(&(a.good + a.bad)))
    });
    CsatStats {
        good: totals.0,
        bad: totals.1,
        score: score(totals.0, totals.1),
        offered,
        per_day,
        per_agent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn days_start_at_local_midnight_across_dst() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        assert_eq!(
            start_of_day(paris, date(2026, 1, 15)).to_rfc3339(),
            "2026-01-14T23:00:00+00:00"
        );
        assert_eq!(
            start_of_day(paris, date(2026, 7, 15)).to_rfc3339(),
            "2026-07-14T22:00:00+00:00"
        );
        // 2026-03-29: the clocks jump at 02:00; midnight still exists.
        assert_eq!(
            start_of_day(paris, date(2026, 3, 29)).to_rfc3339(),
            "2026-03-28T23:00:00+00:00"
        );
        // Santiago skips midnight when DST begins (2026-09-06): the day starts at 01:00.
        let santiago: Tz = "America/Santiago".parse().unwrap();
        assert_eq!(
            start_of_day(santiago, date(2026, 9, 6)).to_rfc3339(),
            "2026-09-06T04:00:00+00:00"
        );
    }

    #[test]
    fn hours_fall_into_local_days() {
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        let hour = |text: &str| DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc);
        let bucket = |at: &str, count: u64| repo::HourCount {
            at: hour(at),
            count,
            breached: 0,
        };
        let counts = [bucket("2026-11-01T14:00:00Z", 2), bucket("2026-11-01T15:00:00Z", 3)];
        // 14:00 UTC is 23:00 on the 1st in Tokyo; 15:00 UTC is midnight on the 2nd.
        let per_day = days(tokyo, date(2026, 11, 1), date(2026, 11, 3), &counts);
        assert_eq!(per_day.iter().map(|day| day.count).collect::<Vec<_>>(), vec![2, 3, 0]);
    }
}
