//! The dashboard's figures against a small data set computed by hand, including an empty range
//! and a ticket on the other side of midnight in another time zone.

use chrono::{DateTime, Utc};
use ferrodesk::db::entities::tickets;
use ferrodesk_shared::ErrorCode;
use ferrodesk_shared::reports::{Backlog, Overview};
use ferrodesk_shared::tickets::Ticket;
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::{Session, TestApp, TestWorkspace, expect_error, expect_json, spawn_app};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

/// Rewrites a ticket's history directly: the test data set needs chosen past times.
async fn set_history(
    app: &TestApp,
    ticket: &Ticket,
    created: &str,
    first_response: Option<&str>,
    solved: Option<&str>,
    assignee: &Session,
    breached: bool,
) {
    let status = if solved.is_some() { "solved" } else { "open" };
    tickets::Entity::update_many()
        .col_expr(tickets::Column::CreatedAt, Expr::value(at(created)))
        .col_expr(tickets::Column::FirstResponseAt, Expr::value(first_response.map(at)))
        .col_expr(tickets::Column::SolvedAt, Expr::value(solved.map(at)))
        .col_expr(tickets::Column::Status, Expr::value(status))
        .col_expr(tickets::Column::AssigneeId, Expr::value(assignee.id().0))
        .col_expr(tickets::Column::BreachedFirstResponse, Expr::value(breached))
        .filter(tickets::Column::Id.eq(ticket.id.0))
        .exec(&app.state.db)
        .await
        .unwrap();
    // Written around the kept counters: count them again, as an operator would.
    let row = tickets::Entity::find_by_id(ticket.id.0)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    ferrodesk::reports::rollup::rebuild_workspace(&app.state.db, row.workspace_id, Utc::now(), false)
        .await
        .unwrap();
}

async fn overview(app: &TestApp, who: &Session, query: &str) -> Overview {
    expect_json(
        app.get(&format!("/api/v1/reports/overview?{query}"), &who.token).await,
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn the_overview_matches_a_hand_computed_data_set() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 2).await;
    let (a, b) = (&acme.agents[0], &acme.agents[1]);
    let mut made = Vec::new();
    for index in 0..4 {
        made.push(
            app.create_ticket(acme.customer(), &format!("T{index}"), "x")
                .await
                .ticket,
        );
    }
    set_history(
        &app,
        &made[0],
        "2026-11-02T10:00:00Z",
        Some("2026-11-02T10:30:00Z"),
        Some("2026-11-03T10:00:00Z"),
        a,
        false,
    )
    .await;
    // 23:30 UTC on the 2nd is 00:30 on the 3rd in Paris.
    set_history(
        &app,
        &made[1],
        "2026-11-02T23:30:00Z",
        Some("2026-11-03T01:00:00Z"),
        None,
        a,
        true,
    )
    .await;
    set_history(
        &app,
        &made[2],
        "2026-11-04T12:00:00Z",
        Some("2026-11-04T13:00:00Z"),
        Some("2026-11-04T18:00:00Z"),
        b,
        false,
    )
    .await;
    // Created before the range, solved in it.
    set_history(
        &app,
        &made[3],
        "2026-10-20T12:00:00Z",
        None,
        Some("2026-11-03T12:00:00Z"),
        b,
        false,
    )
    .await;

    let utc = overview(&app, &acme.supervisor, "from=2026-11-01&to=2026-11-05").await;
    assert_eq!(utc.tz, "UTC");
    assert_eq!(
        utc.created_per_day.iter().map(|day| day.count).collect::<Vec<_>>(),
        vec![0, 2, 0, 1, 0]
    );
    assert_eq!(
        utc.solved_per_day.iter().map(|day| day.count).collect::<Vec<_>>(),
        vec![0, 0, 2, 1, 0]
    );
    assert_eq!(utc.created_per_day[1].date.to_string(), "2026-11-02");
    assert_eq!(
        (
            utc.first_response.count,
            utc.first_response.average_minutes,
            utc.first_response.median_minutes
        ),
        (3, Some(60.0), Some(60.0))
    );
    assert_eq!(
        (
            utc.resolution.count,
            utc.resolution.average_minutes,
            utc.resolution.median_minutes
        ),
        (3, Some(7320.0), Some(1440.0))
    );
    assert_eq!((utc.sla.tickets, utc.sla.breached), (3, 1));
    assert!((utc.sla.breach_rate - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(
        utc.backlog,
        Backlog {
            new: 0,
            open: 1,
            pending: 0,
            solved: 3,
            closed: 0
        }
    );
    let row = |who: &Session| utc.agents.iter().find(|row| row.agent.id == who.id()).unwrap().clone();
    assert_eq!(
        (row(a).assigned, row(a).solved, row(a).median_first_response_minutes),
        (2, 1, Some(60.0))
    );
    assert_eq!(
        (row(b).assigned, row(b).solved, row(b).median_first_response_minutes),
        (1, 2, Some(60.0))
    );
    assert_eq!(
        utc.agents.len(),
        4,
        "two agents, the supervisor and the owner; no customers"
    );

    let paris = overview(&app, &acme.supervisor, "from=2026-11-01&to=2026-11-05&tz=Europe/Paris").await;
    assert_eq!(
        paris.created_per_day.iter().map(|day| day.count).collect::<Vec<_>>(),
        vec![0, 1, 1, 1, 0]
    );

    let empty = overview(&app, &acme.owner, "from=2026-12-01&to=2026-12-03").await;
    assert_eq!(empty.created_per_day.len(), 3);
    assert!(
        empty
            .created_per_day
            .iter()
            .chain(&empty.solved_per_day)
            .all(|day| day.count == 0)
    );
    assert_eq!(
        (
            empty.first_response.count,
            empty.first_response.average_minutes,
            empty.first_response.median_minutes
        ),
        (0, None, None)
    );
    assert_eq!((empty.sla.tickets, empty.sla.breach_rate), (0, 0.0));

    // Another workspace's dashboard sees none of it.
    let globex = app.signup("globex").await;
    let theirs = overview(&app, &globex, "from=2026-11-01&to=2026-11-05").await;
    assert!(theirs.created_per_day.iter().all(|day| day.count == 0));
    assert_eq!(theirs.backlog, Backlog::default());
    assert_eq!(theirs.agents.len(), 1);
}

#[tokio::test]
async fn the_overview_refuses_bad_ranges_and_roles() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    for (query, field) in [
        ("from=2026-11-05&to=2026-11-01", "to"),
        ("from=2025-01-01&to=2026-11-01", "to"),
        ("from=2026-11-01&to=2026-11-05&tz=Mars/Olympus", "tz"),
    ] {
        let response = app
            .get(&format!("/api/v1/reports/overview?{query}"), &acme.supervisor.token)
            .await;
        let error = expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed).await;
        assert!(error.fields.contains_key(field), "{query}: {error:?}");
    }
    let garbage = app
        .get(
            "/api/v1/reports/overview?from=yesterday&to=2026-11-01",
            &acme.supervisor.token,
        )
        .await;
    expect_error(garbage, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;
    for who in [acme.agent(), acme.customer()] {
        let response = app
            .get("/api/v1/reports/overview?from=2026-11-01&to=2026-11-05", &who.token)
            .await;
        expect_error(response, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    }
}
