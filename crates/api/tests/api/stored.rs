//! Enum columns are typed (`db::stored` twins of the contract's enums, and the features' own), but
//! the rows keep the strings they always held: what the app writes reads back as the old string,
//! and a row written as a plain string reads through the entity.

use chrono::{Duration, Utc};
use ferrodesk::auth::links::Purpose;
use ferrodesk::db::entities::{
    invitations, notifications, outbox, sign_in_links, sla_breaches, sla_policies, users, workspaces,
};
use ferrodesk::db::stored::{StoredBreachAction, StoredBreachKind, StoredNotificationKind, StoredPlan, StoredRole};
use ferrodesk::mail::MailKind;
use ferrodesk::mail::outbox::OutboxStatus;
use reqwest::{Method, StatusCode};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Value};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::spawn_app;

/// A text column of one row, read with plain SQL.
async fn stored_text(db: &DatabaseConnection, table: &str, column: &str, key: (&str, Uuid)) -> Vec<String> {
    let mut select = Query::select();
    select
        .column(Alias::new(column))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new(key.0)).eq(key.1))
        .order_by(Alias::new(column), sea_orm::Order::Asc);
    let rows = db.query_all(&select).await.unwrap();
    rows.iter()
        .map(|row| row.try_get::<String>("", column).unwrap())
        .collect()
}

async fn insert_raw(db: &DatabaseConnection, table: &str, columns: &[(&str, Value)]) {
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new(table))
        .columns(columns.iter().map(|(name, _)| Alias::new(*name)))
        .values_panic(columns.iter().map(|(_, value)| value.clone().into()));
    db.execute(&insert).await.unwrap();
}

#[tokio::test]
async fn typed_columns_keep_the_stored_strings_both_ways() {
    let app = spawn_app().await;
    let db = &app.state.db;
    let owner = app.signup("acme").await;
    let workspace = owner.auth.workspace.id.0;
    let owner_id = owner.id().0;
    let ticket = app.create_ticket_for(&owner, "c@mail.example", "Printer").await;

    // Written by the app through the typed entities, read as text.
    // `signup` put it on Pro through the typed column, as `ferrodesk plan set` does.
    assert_eq!(stored_text(db, "workspaces", "plan", ("id", workspace)).await, ["pro"]);
    assert_eq!(stored_text(db, "users", "role", ("id", owner_id)).await, ["owner"]);
    assert_eq!(
        stored_text(db, "outbox", "kind", ("workspace_id", workspace)).await,
        ["confirm_email", "ticket_received"]
    );
    // The mail worker may already have sent them.
    let statuses = stored_text(db, "outbox", "status", ("workspace_id", workspace)).await;
    assert!(
        statuses.len() == 2
            && statuses
                .iter()
                .all(|status| ["pending", "sent"].contains(&status.as_str())),
        "{statuses:?}"
    );
    assert_eq!(
        stored_text(db, "sign_in_links", "purpose", ("workspace_id", workspace)).await,
        ["confirm_email", "sign_in"]
    );
    let targets = json!({"items": [
        {"priority": "urgent", "first_response_minutes": 30, "resolution_minutes": 240},
        {"priority": "low", "first_response_minutes": 600, "resolution_minutes": 6000},
    ]});
    let response = app
        .send(Method::PUT, "/api/v1/sla/policies", Some(&owner.token), Some(&targets))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        stored_text(db, "sla_policies", "priority", ("workspace_id", workspace)).await,
        ["low", "urgent"]
    );

    // Written as plain strings, read through the entities.
    let now = Utc::now();
    let supervisor = Uuid::now_v7();
    insert_raw(
        db,
        "users",
        &[
            ("id", supervisor.into()),
            ("workspace_id", workspace.into()),
            ("email", "sam@acme.example".into()),
            ("name", "Sam".into()),
            ("role", "supervisor".into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ],
    )
    .await;
    let invitation = Uuid::now_v7();
    insert_raw(
        db,
        "invitations",
        &[
            ("id", invitation.into()),
            ("workspace_id", workspace.into()),
            ("email", "new@acme.example".into()),
            ("role", "agent".into()),
            ("token_hash", "not-a-real-hash".into()),
            ("invited_by", owner_id.into()),
            ("created_at", now.into()),
            ("expires_at", (now + Duration::hours(1)).into()),
        ],
    )
    .await;
    let breach = Uuid::now_v7();
    insert_raw(
        db,
        "sla_breaches",
        &[
            ("id", breach.into()),
            ("workspace_id", workspace.into()),
            ("ticket_id", ticket.ticket.id.0.into()),
            ("kind", "first_response".into()),
            ("due_at", now.into()),
            ("action", "escalated".into()),
            ("created_at", now.into()),
        ],
    )
    .await;
    let notification = Uuid::now_v7();
    insert_raw(
        db,
        "notifications",
        &[
            ("id", notification.into()),
            ("workspace_id", workspace.into()),
            ("user_id", supervisor.into()),
            ("kind", "ticket_escalated".into()),
            ("title", "Escalated".into()),
            ("created_at", now.into()),
        ],
    )
    .await;
    let mail = Uuid::now_v7();
    insert_raw(
        db,
        "outbox",
        &[
            ("id", mail.into()),
            ("workspace_id", workspace.into()),
            ("kind", "agent_replied".into()),
            ("to_address", "c@mail.example".into()),
            ("to_name", "C".into()),
            ("from_name", "Acme".into()),
            ("subject", "Re: Printer".into()),
            ("body_text", "Fixed.".into()),
            ("message_id", "<1@acme.example>".into()),
            ("status", "dead".into()),
            ("attempts", 16i32.into()),
            ("next_attempt_at", now.into()),
            ("created_at", now.into()),
        ],
    )
    .await;
    let link = Uuid::now_v7();
    insert_raw(
        db,
        "sign_in_links",
        &[
            ("id", link.into()),
            ("workspace_id", workspace.into()),
            ("user_id", supervisor.into()),
            ("token_hash", "another-hash".into()),
            ("purpose", "sign_in".into()),
            ("created_at", now.into()),
            ("expires_at", now.into()),
        ],
    )
    .await;

    let workspace_row = workspaces::Entity::find_by_id(workspace)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(workspace_row.plan, StoredPlan::Pro);
    let user = users::Entity::find_by_id(supervisor).one(db).await.unwrap().unwrap();
    assert_eq!(user.role, StoredRole::Supervisor);
    let invitation = invitations::Entity::find_by_id(invitation)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(invitation.role, StoredRole::Agent);
    let breach = sla_breaches::Entity::find_by_id(breach).one(db).await.unwrap().unwrap();
    assert_eq!(
        (breach.kind, breach.action),
        (StoredBreachKind::FirstResponse, StoredBreachAction::Escalated)
    );
    let notification = notifications::Entity::find_by_id(notification)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(notification.kind, StoredNotificationKind::TicketEscalated);
    let mail = outbox::Entity::find_by_id(mail).one(db).await.unwrap().unwrap();
    assert_eq!((mail.kind, mail.status), (MailKind::AgentReplied, OutboxStatus::Dead));
    let link = sign_in_links::Entity::find_by_id(link).one(db).await.unwrap().unwrap();
    assert_eq!(link.purpose, Purpose::SignIn);
    let policy = sla_policies::Entity::find_by_id((workspace, ferrodesk::db::stored::StoredPriority::Urgent))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(policy.first_response_minutes, 30);

    // And the API answers from those rows as it did from strings.
    let view = app
        .get(&format!("/api/v1/tickets/{}", ticket.ticket.id), &owner.token)
        .await;
    let detail: serde_json::Value = view.json().await.unwrap();
    assert_eq!(detail["breaches"][0]["kind"], "first_response");
    assert_eq!(detail["breaches"][0]["action"], "escalated");
}
