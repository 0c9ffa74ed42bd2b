//! The kept counters (`reports::rollup`) against the tickets they count. Two halves: changes made
//! through the API move the counters to exactly what a rebuild from the tickets computes; and on
//! random histories (times chosen here, written straight into the rows, then rebuilt) the dashboard
//! and the inbox counts equal figures computed here from those histories, in time zones whose
//! midnight is not on the hour, with another workspace's tickets at the same moments left out.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use ferrodesk::db::entities::tickets;
use ferrodesk::reports::rollup;
use ferrodesk_shared::reports::Overview;
use ferrodesk_shared::tickets::{InboxCounts, TicketStatus};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{Session, TestApp, TestWorkspace, expect_json, spawn_app};

/// Every row of the six counter tables for a workspace, zero rows left out, as text.
async fn counter_rows(app: &TestApp, workspace: Uuid) -> Vec<String> {
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let mark = ferrodesk::db::placeholder(backend, 1);
    let mut all = Vec::new();
    for (table, key, values) in [
        ("ticket_counts", "status, assignee_id", "n"),
        ("report_quarters", "quarter", "created, solved"),
        (
            "report_days",
            "day, agent_id",
            "created, breached, solved, first_responses, first_response_ms, resolutions, resolution_ms",
        ),
        ("report_bins", "metric, day, agent_id, bin", "n, ms"),
        (
            "report_months",
            "month, agent_id",
            "created, breached, solved, first_responses, first_response_ms, resolutions, resolution_ms",
        ),
        ("report_month_bins", "metric, month, agent_id, bin", "n, ms"),
    ] {
        let columns: Vec<&str> = key.split(", ").chain(values.split(", ")).collect();
        let non_zero: Vec<String> = values.split(", ").map(|column| format!("{column} <> 0")).collect();
        let sql = format!(
            "SELECT {} FROM {table} WHERE workspace_id = {mark} AND ({}) ORDER BY {key}",
            columns.join(", "),
            non_zero.join(" OR ")
        );
        for row in db
            .query_all_raw(Statement::from_sql_and_values(backend, sql, [workspace.into()]))
            .await
            .unwrap()
        {
            let mut text = vec![table.to_owned()];
            for column in &columns {
                let value = row
                    .try_get::<i64>("", column)
                    .map(|n| n.to_string())
                    .or_else(|_| row.try_get::<i16>("", column).map(|n| n.to_string()))
                    .or_else(|_| row.try_get::<Uuid>("", column).map(|id| id.to_string()))
                    .or_else(|_| row.try_get::<String>("", column))
                    .or_else(|_| row.try_get::<DateTime<Utc>>("", column).map(|at| at.to_rfc3339()))
                    .unwrap_or_else(|error| panic!("{table}.{column}: {error}"));
                text.push(value);
            }
            all.push(text.join(" "));
        }
    }
    all
}

async fn counts(app: &TestApp, who: &Session) -> InboxCounts {
    expect_json(app.get("/api/v1/tickets/counts", &who.token).await, StatusCode::OK).await
}

#[tokio::test]
async fn changes_through_the_api_keep_the_counters_a_rebuild_computes() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 2).await;
    let workspace = acme.owner.auth.workspace.id.0;
    let (a, b) = (&acme.agents[0], &acme.agents[1]);
    let mut made = Vec::new();
    for index in 0..8 {
        made.push(
            app.create_ticket(acme.customer(), &format!("T{index}"), "help")
                .await
                .ticket,
        );
    }
    // Assigned, answered, waiting, solved, reopened by the customer, closed, merged, in a bulk change.
    app.patch_ticket(a, made[0].id, &json!({"assignee_id": a.id()})).await;
    app.reply(a, made[0].id, "On it", false).await;
    app.patch_ticket(b, made[1].id, &json!({"assignee_id": b.id(), "status": "pending"}))
        .await;
    app.reply(b, made[2].id, "Done", false).await;
    app.patch_ticket(b, made[2].id, &json!({"status": "solved"})).await;
    app.patch_ticket(a, made[3].id, &json!({"status": "solved"})).await;
    app.reply(acme.customer(), made[3].id, "Still broken", false).await;
    app.patch_ticket(a, made[4].id, &json!({"status": "closed"})).await;
    app.patch_ticket(a, made[5].id, &json!({"assignee_id": b.id()})).await;
    app.patch_ticket(a, made[5].id, &json!({"assignee_id": null})).await;
    let merged = app
        .post(
            &format!("/api/v1/tickets/{}/merge", made[6].id),
            Some(&a.token),
            &json!({"into": made[7].id}),
        )
        .await;
    assert!(merged.status().is_success(), "{}", merged.text().await.unwrap());
    let bulk = app
        .post(
            "/api/v1/tickets/bulk-update",
            Some(&a.token),
            &json!({"ids": [made[0].id, made[1].id], "patch": {"priority": "urgent", "status": "open"}}),
        )
        .await;
    assert!(bulk.status().is_success(), "{}", bulk.text().await.unwrap());
    // The scheduler misses targets two days on: escalations move the breach counts.
    ferrodesk::sla::jobs::scan(&app.state, Utc::now() + Duration::days(2))
        .await
        .unwrap();

    let kept = counter_rows(&app, workspace).await;
    assert!(kept.len() > 10, "{kept:#?}");
    let read = rollup::rebuild_workspace(&app.state.db, workspace, Utc::now(), false)
        .await
        .unwrap();
    assert_eq!(read, 8);
    assert_eq!(counter_rows(&app, workspace).await, kept);

    // The inbox counts read from them equal the lists' own counts.
    let counted = counts(&app, a).await;
    let mut listed = HashMap::new();
    for view in ["mine", "unassigned", "open", "pending", "solved"] {
        let page: ferrodesk_shared::tickets::TicketPage = expect_json(
            app.get(&format!("/api/v1/tickets?view={view}&limit=100"), &a.token)
                .await,
            StatusCode::OK,
        )
        .await;
        listed.insert(view, page.items.len() as u64);
    }
    assert_eq!(
        (
            counted.mine,
            counted.unassigned,
            counted.open,
            counted.pending,
            counted.solved
        ),
        (
            listed["mine"],
            listed["unassigned"],
            listed["open"],
            listed["pending"],
            listed["solved"]
        )
    );
    assert!(counted.open > 0 && counted.solved > 0, "{counted:?}");
}

/// Whole hours ahead of UTC and behind, half and quarter hours, and UTC itself.
const ZONES: [&str; 6] = [
    "UTC",
    "Europe/Paris",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Pacific/Chatham",
];

/// One ticket's history, as the test chose it.
#[derive(Debug, Clone)]
struct History {
    created: DateTime<Utc>,
    first_response: Option<DateTime<Utc>>,
    solved: Option<DateTime<Utc>>,
    status: TicketStatus,
    assignee: Option<Uuid>,
    breached: bool,
}

fn random_history(rng: &mut StdRng, now: DateTime<Utc>, agents: &[Uuid]) -> History {
    // Seconds and milliseconds too: quarter and day edges are crossed at odd moments.
    // 100 days: the longer ranges hold whole UTC months (read from the monthly rows).
    let created = now - Duration::milliseconds(rng.random_range(0..100 * 86_400_000_i64));
    let answered = rng.random_bool(0.7);
    let first_response =
        answered.then(|| (created + Duration::milliseconds(rng.random_range(0..3 * 86_400_000))).min(now));
    let solved = (answered && rng.random_bool(0.6)).then(|| {
        (first_response.unwrap_or(created) + Duration::milliseconds(rng.random_range(0..5 * 86_400_000))).min(now)
    });
    let status = match (solved, first_response) {
        (Some(_), _) if rng.random_bool(0.3) => TicketStatus::Closed,
        (Some(_), _) => TicketStatus::Solved,
        (None, None) => TicketStatus::New,
        (None, Some(_)) if rng.random_bool(0.3) => TicketStatus::Pending,
        (None, Some(_)) => TicketStatus::Open,
    };
    let assignee = if rng.random_bool(0.2) {
        None
    } else {
        Some(agents[rng.random_range(0..agents.len())])
    };
    History {
        created,
        first_response,
        solved,
        status,
        assignee,
        breached: rng.random_bool(0.25),
    }
}

async fn write_history(app: &TestApp, ticket: Uuid, history: &History) {
    tickets::Entity::update_many()
        .col_expr(tickets::Column::CreatedAt, Expr::value(history.created))
        .col_expr(tickets::Column::FirstResponseAt, Expr::value(history.first_response))
        .col_expr(tickets::Column::SolvedAt, Expr::value(history.solved))
        .col_expr(tickets::Column::Status, Expr::value(history.status.as_str()))
        .col_expr(tickets::Column::AssigneeId, Expr::value(history.assignee))
        .col_expr(tickets::Column::BreachedFirstResponse, Expr::value(history.breached))
        .col_expr(tickets::Column::BreachedResolution, Expr::value(false))
        .filter(tickets::Column::Id.eq(ticket))
        .exec(&app.state.db)
        .await
        .unwrap();
}

fn minutes(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_microseconds().unwrap() as f64 / 60_000_000.0
}

fn exact_median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    })
}

/// A median read from 10%-wide bins is within half a bin of the exact one (and the answer is
/// rounded to 0.1).
fn near(estimate: Option<f64>, exact: Option<f64>) -> bool {
    match (estimate, exact) {
        (None, None) => true,
        (Some(estimate), Some(exact)) => (estimate - exact).abs() <= exact * 0.1 + 0.6,
        _ => false,
    }
}

#[tokio::test]
async fn the_dashboard_equals_the_tickets_it_counts_in_any_time_zone() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 3).await;
    let other = TestWorkspace::create(&app, "other", 1).await;
    let workspace = acme.owner.auth.workspace.id.0;
    let agents: Vec<Uuid> = acme.agents.iter().map(|agent| agent.id().0).collect();
    let now = Utc::now();
    let mut rng = StdRng::seed_from_u64(20261207);
    let mut histories = Vec::new();
    for index in 0..90 {
        let ticket = app
            .create_ticket(acme.customer(), &format!("T{index}"), "help")
            .await
            .ticket;
        let history = random_history(&mut rng, now, &agents);
        write_history(&app, ticket.id.0, &history).await;
        histories.push(history);
    }
    // In each zone, a ticket opened and another solved just after the end of the ranges that end
    // three days ago: the UTC day of that moment holds the ranges' last hours too, so only the
    // tickets can say what is in the range and what is not.
    for tz_name in ZONES {
        let tz: Tz = tz_name.parse().unwrap();
        let day_after = now.with_timezone(&tz).date_naive() - chrono::Days::new(2);
        let edge = day_after
            .and_hms_opt(0, 10, 0)
            .and_then(|at| at.and_local_timezone(tz).earliest())
            .unwrap()
            .with_timezone(&Utc);
        for history in [
            History {
                created: edge,
                first_response: None,
                solved: None,
                status: TicketStatus::New,
                assignee: None,
                breached: false,
            },
            History {
                created: edge - Duration::days(1),
                first_response: Some(edge - Duration::hours(20)),
                solved: Some(edge),
                status: TicketStatus::Solved,
                assignee: Some(agents[0]),
                breached: false,
            },
        ] {
            let ticket = app
                .create_ticket(acme.customer(), &format!("Edge {tz_name}"), "help")
                .await
                .ticket;
            write_history(&app, ticket.id.0, &history).await;
            histories.push(history);
        }
    }
    // Another workspace's tickets at the very same moments must count there only.
    let theirs = [other.agents[0].id().0];
    for (index, history) in histories.iter().take(20).enumerate() {
        let ticket = app
            .create_ticket(other.customer(), &format!("O{index}"), "help")
            .await
            .ticket;
        let mut copy = history.clone();
        copy.assignee = Some(theirs[0]);
        write_history(&app, ticket.id.0, &copy).await;
    }
    let other_workspace = other.owner.auth.workspace.id.0;
    for id in [workspace, other_workspace] {
        rollup::rebuild_workspace(&app.state.db, id, now, false).await.unwrap();
    }

    let supervisor = &acme.supervisor;
    let today = now.date_naive();
    for tz_name in ZONES {
        let tz: Tz = tz_name.parse().unwrap();
        let local_today = now.with_timezone(&tz).date_naive();
        for days_back in [0_u64, 1, 6, 29, 45, 95] {
            let from = local_today - chrono::Days::new(days_back);
            let to = if days_back >= 45 {
                local_today - chrono::Days::new(3)
            } else {
                local_today
            };
            let overview: Overview = expect_json(
                app.get(
                    &format!("/api/v1/reports/overview?from={from}&to={to}&tz={tz_name}"),
                    &supervisor.token,
                )
                .await,
                StatusCode::OK,
            )
            .await;
            let context = format!("{tz_name} {from}..{to}");
            let local = |at: DateTime<Utc>| at.with_timezone(&tz).date_naive();
            let inside = |at: DateTime<Utc>| (from..=to).contains(&local(at));

            let mut created_per_day: BTreeMap<NaiveDate, u64> = BTreeMap::new();
            let mut solved_per_day: BTreeMap<NaiveDate, u64> = BTreeMap::new();
            let (mut created, mut breached) = (0, 0);
            let mut responses = Vec::new();
            let mut resolutions = Vec::new();
            let mut by_agent: HashMap<Uuid, (u64, u64, Vec<f64>)> = HashMap::new();
            for history in &histories {
                if inside(history.created) {
                    created += 1;
                    breached += u64::from(history.breached);
                    *created_per_day.entry(local(history.created)).or_default() += 1;
                    if let Some(agent) = history.assignee {
                        by_agent.entry(agent).or_default().0 += 1;
                    }
                    if let Some(answered) = history.first_response {
                        responses.push(minutes(history.created, answered));
                        if let Some(agent) = history.assignee {
                            by_agent
                                .entry(agent)
                                .or_default()
                                .2
                                .push(minutes(history.created, answered));
                        }
                    }
                }
                if let Some(solved) = history.solved.filter(|at| inside(*at)) {
                    *solved_per_day.entry(local(solved)).or_default() += 1;
                    resolutions.push(minutes(history.created, solved));
                    if let Some(agent) = history.assignee {
                        by_agent.entry(agent).or_default().1 += 1;
                    }
                }
            }
            let per_day = |days: &[ferrodesk_shared::reports::DayCount]| -> BTreeMap<NaiveDate, u64> {
                days.iter()
                    .filter(|day| day.count > 0)
                    .map(|day| (day.date, day.count))
                    .collect()
            };
            assert_eq!(per_day(&overview.created_per_day), created_per_day, "{context}");
            assert_eq!(per_day(&overview.solved_per_day), solved_per_day, "{context}");
            assert_eq!(
                (overview.sla.tickets, overview.sla.breached),
                (created, breached),
                "{context}"
            );
            assert_eq!(overview.first_response.count, responses.len() as u64, "{context}");
            assert_eq!(overview.resolution.count, resolutions.len() as u64, "{context}");
            let mean = |values: &[f64]| (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
            for (stats, values) in [
                (&overview.first_response, &mut responses),
                (&overview.resolution, &mut resolutions),
            ] {
                match (stats.average_minutes, mean(values)) {
                    (Some(average), Some(exact)) => {
                        assert!((average - exact).abs() <= 0.06, "{context}: {average} {exact}")
                    }
                    (average, exact) => assert_eq!(average.is_some(), exact.is_some(), "{context}"),
                }
                assert!(near(stats.median_minutes, exact_median(values)), "{context}: {stats:?}");
            }
            for agent in &overview.agents {
                let (assigned, solved, mut times) = by_agent.remove(&agent.agent.id.0).unwrap_or_default();
                assert_eq!(
                    (agent.assigned, agent.solved),
                    (assigned, solved),
                    "{context} {}",
                    agent.agent.name
                );
                assert!(
                    near(agent.median_first_response_minutes, exact_median(&mut times)),
                    "{context} {}: {:?}",
                    agent.agent.name,
                    agent.median_first_response_minutes
                );
            }
            assert!(by_agent.is_empty(), "{context}: agents not shown {by_agent:?}");
        }
    }

    // The backlog and the inbox counts: the statuses now.
    let overview: Overview = expect_json(
        app.get(
            &format!("/api/v1/reports/overview?from={today}&to={today}"),
            &supervisor.token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let status_count =
        |status: TicketStatus| histories.iter().filter(|history| history.status == status).count() as u64;
    assert_eq!(
        (
            overview.backlog.new,
            overview.backlog.open,
            overview.backlog.pending,
            overview.backlog.solved,
            overview.backlog.closed
        ),
        (
            status_count(TicketStatus::New),
            status_count(TicketStatus::Open),
            status_count(TicketStatus::Pending),
            status_count(TicketStatus::Solved),
            status_count(TicketStatus::Closed)
        )
    );
    let waiting = |history: &&History| matches!(history.status, TicketStatus::New | TicketStatus::Open);
    let mine = acme.agents[0].id().0;
    let counted = counts(&app, &acme.agents[0]).await;
    assert_eq!(
        counted,
        InboxCounts {
            mine: histories
                .iter()
                .filter(waiting)
                .filter(|history| history.assignee == Some(mine))
                .count() as u64,
            unassigned: histories
                .iter()
                .filter(waiting)
                .filter(|history| history.assignee.is_none())
                .count() as u64,
            open: histories.iter().filter(waiting).count() as u64,
            pending: status_count(TicketStatus::Pending),
            solved: status_count(TicketStatus::Solved),
        }
    );
    // The other workspace sees only its own twenty.
    let theirs: InboxCounts = counts(&app, &other.agents[0]).await;
    let copies = &histories[..20];
    assert_eq!(
        theirs.open + theirs.pending + theirs.solved,
        copies
            .iter()
            .filter(|history| !matches!(history.status, TicketStatus::Closed))
            .count() as u64
    );
}
