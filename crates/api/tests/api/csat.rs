//! Customer satisfaction: a ticket solved for a customer mails one survey; its link rates once,
//! takes one comment, expires, and never opens another workspace's anything; the team sees the
//! rating on the ticket and the dashboard counts it per day and per agent, per workspace.

use chrono::Utc;
use ferrodesk_shared::ErrorCode;
use ferrodesk_shared::csat::{Rating, Survey};
use ferrodesk_shared::reports::Overview;
use ferrodesk_shared::tickets::Ticket;
use ferrodesk_shared::workspaces::HelpdeskSettings;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, TestWorkspace, expect_error, expect_json, spawn_app};

const SURVEY: &str = "satisfaction_survey";

/// The token of the newest survey mailed to `email`, from the mail's text.
async fn survey_token(app: &TestApp, email: &str) -> String {
    use ferrodesk::db::entities::outbox;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let mail = outbox::Entity::find()
        .filter(outbox::Column::ToAddress.eq(email))
        .filter(outbox::Column::Kind.eq(SURVEY))
        .order_by_desc(outbox::Column::CreatedAt)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no survey mailed to {email}"));
    let text = &mail.body_text;
    assert!(text.contains("?rating=good") && text.contains("?rating=bad"), "{text}");
    let start = text.find("/rate/").expect("a rating link") + "/rate/".len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "-_".contains(*c))
        .collect()
}

async fn survey_call(app: &TestApp, token: &str, body: Option<&Value>) -> reqwest::Response {
    let method = if body.is_some() { Method::POST } else { Method::GET };
    app.send(method, &format!("/api/v1/csat/{token}"), None, body).await
}

async fn rate(app: &TestApp, token: &str, body: Value) -> Survey {
    expect_json(survey_call(app, token, Some(&body)).await, StatusCode::OK).await
}

/// A customer's ticket, assigned to `agent` and solved by them.
async fn solved_ticket(app: &TestApp, customer: &Session, agent: &Session, subject: &str) -> Ticket {
    let ticket = app.create_ticket(customer, subject, "It broke").await.ticket;
    app.update_ticket(
        agent,
        ticket.id,
        &json!({"assignee_id": agent.id(), "status": "solved"}),
    )
    .await
}

async fn overview(app: &TestApp, who: &Session) -> Overview {
    let today = Utc::now().date_naive();
    expect_json(
        app.get(&format!("/api/v1/reports/overview?from={today}&to={today}"), &who.token)
            .await,
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn a_solved_ticket_mails_one_survey_whose_link_rates_once() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let (customer, agent) = (acme.customer(), acme.agent());
    let email = &customer.auth.user.email;

    let ticket = app.create_ticket(customer, "Card declined", "It broke").await.ticket;
    app.update_ticket(agent, ticket.id, &json!({"status": "pending"})).await;
    assert_eq!(app.mails_to(email, SURVEY).await, 0, "only solving offers a survey");
    app.update_ticket(
        agent,
        ticket.id,
        &json!({"assignee_id": agent.id(), "status": "solved"}),
    )
    .await;
    assert_eq!(app.mails_to(email, SURVEY).await, 1);
    let token = survey_token(&app, email).await;

    let opened: Survey = expect_json(survey_call(&app, &token, None).await, StatusCode::OK).await;
    assert_eq!(opened.ticket_number, ticket.number);
    assert_eq!(opened.subject, "Card declined");
    assert_eq!(opened.workspace_name, "acme Inc.");
    let agent_name = agent.auth.user.name.split_whitespace().next().map(str::to_owned);
    assert_eq!(opened.agent_first_name, agent_name);
    assert_eq!(opened.rating, None);

    // The one click, then the same click again (a reload): one rating.
    let rated = rate(&app, &token, json!({"rating": "good"})).await;
    assert_eq!(rated.rating, Some(Rating::Good));
    assert!(rated.rated_at.is_some());
    assert_eq!(
        rate(&app, &token, json!({"rating": "good"})).await.rated_at,
        rated.rated_at
    );
    // The other answer is refused, and the first stays.
    expect_error(
        survey_call(&app, &token, Some(&json!({"rating": "bad"}))).await,
        StatusCode::CONFLICT,
        ErrorCode::Conflict,
    )
    .await;
    // The comment follows, once.
    let commented = rate(&app, &token, json!({"rating": "good", "comment": "  Fast and kind.  "})).await;
    assert_eq!(commented.comment.as_deref(), Some("Fast and kind."));
    expect_error(
        survey_call(
            &app,
            &token,
            Some(&json!({"rating": "good", "comment": "Changed my mind"})),
        )
        .await,
        StatusCode::CONFLICT,
        ErrorCode::Conflict,
    )
    .await;

    // The team sees it on the ticket; the customer's view has no rating.
    let seen = app.ticket_as(agent, ticket.id).await.rating.expect("the rating");
    assert_eq!(
        (seen.rating, seen.comment.as_deref()),
        (Rating::Good, Some("Fast and kind."))
    );
    assert_eq!(app.ticket_as(customer, ticket.id).await.rating, None);

    // Reopened and solved again: still the one survey.
    app.update_ticket(agent, ticket.id, &json!({"status": "open"})).await;
    app.update_ticket(agent, ticket.id, &json!({"status": "solved"})).await;
    assert_eq!(app.mails_to(email, SURVEY).await, 1);
}

#[tokio::test]
async fn bad_answers_unknown_and_expired_links_are_refused() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let email = acme.customer().auth.user.email.clone();
    solved_ticket(&app, acme.customer(), acme.agent(), "Slow site").await;
    let token = survey_token(&app, &email).await;

    expect_error(
        survey_call(&app, "not-a-token", None).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;
    expect_error(
        survey_call(&app, &token, Some(&json!({"rating": "meh"}))).await,
        StatusCode::BAD_REQUEST,
        ErrorCode::BadRequest,
    )
    .await;
    let long = "x".repeat(ferrodesk_shared::csat::MAX_COMMENT_CHARS + 1);
    let refused = expect_error(
        survey_call(&app, &token, Some(&json!({"rating": "bad", "comment": long}))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    )
    .await;
    assert!(refused.fields.contains_key("comment"), "{refused:?}");
    // Nothing was half-stored: the link still rates.
    let opened: Survey = expect_json(survey_call(&app, &token, None).await, StatusCode::OK).await;
    assert_eq!(opened.rating, None);

    app.execute_sql("UPDATE csat_surveys SET expires_at = '2000-01-01 00:00:00+00:00'")
        .await;
    let expired = survey_call(&app, &token, Some(&json!({"rating": "bad"}))).await;
    assert_eq!(expired.status(), StatusCode::GONE);
}

#[tokio::test]
async fn the_dashboard_counts_ratings_per_agent_and_day_within_the_workspace() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 2).await;
    let globex = TestWorkspace::create(&app, "globex", 1).await;
    let (a, b) = (&acme.agents[0], &acme.agents[1]);
    let email = acme.customer().auth.user.email.clone();
    for (agent, rating) in [(a, "good"), (a, "good"), (b, "bad"), (a, "bad")] {
        solved_ticket(&app, acme.customer(), agent, "Help").await;
        rate(&app, &survey_token(&app, &email).await, json!({"rating": rating})).await;
    }
    // One offered and not answered.
    solved_ticket(&app, acme.customer(), b, "Unanswered").await;

    let csat = overview(&app, &acme.supervisor).await.csat;
    assert_eq!((csat.good, csat.bad, csat.offered), (2, 2, 5));
    assert_eq!(csat.score, Some(0.5));
    assert_eq!(csat.per_day.len(), 1);
    assert_eq!((csat.per_day[0].good, csat.per_day[0].bad), (2, 2));
    let per_agent: Vec<_> = csat
        .per_agent
        .iter()
        .map(|row| (row.agent.id, row.good, row.bad))
        .collect();
    assert_eq!(per_agent, vec![(a.id(), 2, 1), (b.id(), 0, 1)]);

    // Another workspace counts none of them.
    let theirs = overview(&app, &globex.supervisor).await.csat;
    assert_eq!((theirs.good, theirs.bad, theirs.offered), (0, 0, 0));
    assert!(theirs.per_agent.is_empty());
}

#[tokio::test]
async fn supervisors_can_turn_surveys_off_and_agents_cannot() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let email = acme.customer().auth.user.email.clone();
    let off = json!({"csat_enabled": false});
    expect_error(
        app.patch("/api/v1/workspace/settings", &acme.agent().token, &off).await,
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
    )
    .await;
    let settings: HelpdeskSettings = expect_json(
        app.patch("/api/v1/workspace/settings", &acme.supervisor.token, &off)
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(!settings.csat_enabled && settings.assign_on_reply);
    solved_ticket(&app, acme.customer(), acme.agent(), "Quiet").await;
    assert_eq!(app.mails_to(&email, SURVEY).await, 0);

    // Another workspace still mails its own.
    let globex = TestWorkspace::create(&app, "globex", 1).await;
    let theirs = globex.customer().auth.user.email.clone();
    solved_ticket(&app, globex.customer(), globex.agent(), "Loud").await;
    assert_eq!(app.mails_to(&theirs, SURVEY).await, 1);
}

#[tokio::test]
async fn the_rating_page_is_rate_limited_per_address() {
    let app = spawn_app().await;
    let mut last = StatusCode::OK;
    for _ in 0..121 {
        last = survey_call(&app, "guessing", None).await.status();
        if last == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}
