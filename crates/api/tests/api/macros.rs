//! Macros: supervisors keep them, agents fill one in for a ticket, and a reply sent from one sets
//! its fields in the same change and counts the use. Another workspace's macros do not exist.

use ferrodesk::db::entities::events;
use ferrodesk_shared::ErrorCode;
use ferrodesk_shared::macros::{Macro, MacroList, RenderedMacro};
use ferrodesk_shared::tickets::{Message, Priority, TicketStatus};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, TestWorkspace, expect_error, expect_json, spawn_app};

fn refund() -> Value {
    json!({
        "title": "Refund issued",
        "body": "Hi {{customer.first_name}},\n\nYour refund for #{{ticket.number}} is on its way.\n\n{{agent.first_name}} at {{workspace.name}}",
        "set_status": "solved",
        "set_priority": "low",
        "add_tags": ["refund", "billing"],
    })
}

async fn create(app: &TestApp, who: &Session, body: &Value) -> Macro {
    expect_json(
        app.post("/api/v1/macros", Some(&who.token), body).await,
        StatusCode::CREATED,
    )
    .await
}

async fn list(app: &TestApp, who: &Session) -> Vec<Macro> {
    expect_json::<MacroList>(app.get("/api/v1/macros", &who.token).await, StatusCode::OK)
        .await
        .items
}

fn macro_path(id: &Macro) -> String {
    format!("/api/v1/macros/{}", id.id)
}

#[tokio::test]
async fn supervisors_keep_macros_and_agents_only_read_them() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let created = create(&app, &acme.supervisor, &refund()).await;
    assert_eq!(created.title, "Refund issued");
    assert_eq!(created.set_status, Some(TicketStatus::Solved));
    assert_eq!(created.add_tags, vec!["refund", "billing"]);
    assert_eq!(created.usage_count, 0);
    assert_eq!(
        list(&app, acme.agent()).await,
        vec![created.clone()],
        "agents read them"
    );

    // Agents and customers do not change them.
    let by_agent = app.post("/api/v1/macros", Some(&acme.agent().token), &refund()).await;
    expect_error(by_agent, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    let agent_put = app
        .send(
            Method::PUT,
            &macro_path(&created),
            Some(&acme.agent().token),
            Some(&refund()),
        )
        .await;
    expect_error(agent_put, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    let agent_delete = app
        .send(Method::DELETE, &macro_path(&created), Some(&acme.agent().token), None)
        .await;
    expect_error(agent_delete, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    let customer_list = app.get("/api/v1/macros", &acme.customer().token).await;
    expect_error(customer_list, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;

    // The owner edits: the whole macro is replaced, the count kept.
    let mut edited = refund();
    edited["title"] = json!("Refund sent");
    edited["set_priority"] = Value::Null;
    edited["add_tags"] = json!([]);
    let updated: Macro = expect_json(
        app.send(
            Method::PUT,
            &macro_path(&created),
            Some(&acme.owner.token),
            Some(&edited),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(updated.id, created.id);
    assert_eq!(updated.title, "Refund sent");
    assert_eq!(updated.set_priority, None);
    assert!(updated.add_tags.is_empty());
    assert_eq!(updated.created_at, created.created_at);

    // Titles are unique per workspace, whatever their case.
    let mut same = refund();
    same["title"] = json!("REFUND SENT");
    let taken = app.post("/api/v1/macros", Some(&acme.supervisor.token), &same).await;
    let taken = expect_error(taken, StatusCode::CONFLICT, ErrorCode::Conflict).await;
    assert_eq!(
        taken.fields["title"],
        vec!["Another macro already has this title.".to_owned()]
    );
    assert_eq!(list(&app, &acme.supervisor).await.len(), 1, "nothing half-stored");

    let deleted = app
        .send(
            Method::DELETE,
            &macro_path(&created),
            Some(&acme.supervisor.token),
            None,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let again = app
        .send(
            Method::DELETE,
            &macro_path(&created),
            Some(&acme.supervisor.token),
            None,
        )
        .await;
    expect_error(again, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    assert!(list(&app, acme.agent()).await.is_empty());
}

#[tokio::test]
async fn bad_macros_are_refused_field_by_field() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 0).await;
    let bad = json!({
        "title": "",
        "body": "Hi {{customer.shoe_size}}",
        "add_tags": ["not a tag!"],
    });
    let refused = expect_error(
        app.post("/api/v1/macros", Some(&acme.supervisor.token), &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    )
    .await;
    let fields: Vec<&String> = refused.fields.keys().collect();
    assert_eq!(fields, ["add_tags", "body", "title"]);
    assert!(
        refused.fields["body"][0].contains("{{customer.shoe_size}}"),
        "{refused:?}"
    );
    let unknown_status = json!({"title": "x", "body": "y", "set_status": "archived"});
    let response = app
        .post("/api/v1/macros", Some(&acme.supervisor.token), &unknown_status)
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;
    assert!(list(&app, &acme.supervisor).await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn a_macro_is_filled_in_for_the_ticket_without_changing_anything() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let saved = create(&app, &acme.supervisor, &refund()).await;
    let ticket = app
        .create_ticket(acme.customer(), "Double charge", "Charged twice")
        .await;
    let path = format!("/api/v1/tickets/{}/macros/{}", ticket.ticket.id, saved.id);
    let rendered: RenderedMacro = expect_json(app.get(&path, &acme.agent().token).await, StatusCode::OK).await;
    let agent_first = acme
        .agent()
        .auth
        .user
        .name
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let customer_first = acme
        .customer()
        .auth
        .user
        .name
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        rendered.body,
        format!(
            "Hi {customer_first},\n\nYour refund for #{} is on its way.\n\n{agent_first} at acme Inc.",
            ticket.ticket.number
        )
    );
    assert_eq!(rendered.set_status, Some(TicketStatus::Solved));
    assert_eq!(
        list(&app, acme.agent()).await[0].usage_count,
        0,
        "filling in is not using"
    );
    let after = app.ticket_as(acme.agent(), ticket.ticket.id).await.ticket;
    assert_eq!(after.status, ticket.ticket.status, "nothing changed");

    // Customers do not fill in macros, not even on their own ticket.
    let customer = app.get(&path, &acme.customer().token).await;
    expect_error(customer, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
}

#[tokio::test]
async fn a_reply_from_a_macro_sets_its_fields_in_the_same_change_and_counts_the_use() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let saved = create(&app, &acme.supervisor, &refund()).await;
    let ticket = app
        .create_ticket(acme.customer(), "Double charge", "Charged twice")
        .await;
    let id = ticket.ticket.id;
    app.update_ticket(acme.agent(), id, &json!({"tags": ["vip", "refund"]}))
        .await;
    let updates_before = updates_logged(&app, id.0).await;

    let reply = json!({"body": "Hi, your refund is on its way.", "macro_id": saved.id});
    let message: Message = expect_json(
        app.post(
            &format!("/api/v1/tickets/{id}/messages"),
            Some(&acme.agent().token),
            &reply,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert!(!message.internal);
    let after = app.ticket_as(acme.agent(), id).await.ticket;
    assert_eq!(
        after.status,
        TicketStatus::Solved,
        "the macro's status wins over the reply's"
    );
    assert_eq!(after.priority, Priority::Low);
    assert_eq!(
        after.tags,
        vec!["vip", "refund", "billing"],
        "added, not replaced or doubled"
    );
    assert_eq!(
        updates_logged(&app, id.0).await,
        updates_before + 1,
        "the fields' change is announced"
    );
    let counted = &list(&app, acme.agent()).await[0];
    assert_eq!(counted.usage_count, 1);
    assert!(counted.last_used_at.is_some());

    // The customer sees the reply and the solved ticket.
    let theirs = app.ticket_as(acme.customer(), id).await;
    assert_eq!(theirs.ticket.status, TicketStatus::Solved);
    assert!(theirs.messages.iter().any(|m| m.id == message.id));

    // A macro as an internal note works too; the count goes on.
    let note = json!({"body": "Refunded via the portal.", "internal": true, "macro_id": saved.id});
    let response = app
        .post(
            &format!("/api/v1/tickets/{id}/messages"),
            Some(&acme.agent().token),
            &note,
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(list(&app, acme.agent()).await[0].usage_count, 2);
}

#[tokio::test]
async fn a_refused_macro_reply_stores_nothing() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let saved = create(&app, &acme.supervisor, &refund()).await;
    let ticket = app
        .create_ticket(acme.customer(), "Double charge", "Charged twice")
        .await;
    let id = ticket.ticket.id;
    let path = format!("/api/v1/tickets/{id}/messages");

    // A macro id that is no macro: refused, and the reply is not stored either.
    let unknown = json!({"body": "Done", "macro_id": uuid::Uuid::now_v7()});
    let refused = expect_error(
        app.post(&path, Some(&acme.agent().token), &unknown).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    )
    .await;
    assert!(refused.fields.contains_key("macro_id"), "{refused:?}");
    assert_eq!(
        app.ticket_as(acme.agent(), id).await.messages.len(),
        1,
        "no reply stored"
    );

    // A customer cannot use one on their own ticket.
    let customer = json!({"body": "Solve it", "macro_id": saved.id});
    let response = app.post(&path, Some(&acme.customer().token), &customer).await;
    expect_error(response, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    let after = app.ticket_as(acme.agent(), id).await;
    assert_eq!(after.messages.len(), 1);
    assert_ne!(after.ticket.status, TicketStatus::Solved);
    assert_eq!(list(&app, acme.agent()).await[0].usage_count, 0);
}

#[tokio::test]
async fn another_workspaces_macros_do_not_exist() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let globex = TestWorkspace::create(&app, "globex", 1).await;
    let theirs = create(&app, &globex.supervisor, &refund()).await;
    // The same title in another workspace is not taken.
    let ours = create(&app, &acme.supervisor, &refund()).await;

    assert_eq!(list(&app, acme.agent()).await, vec![ours.clone()]);
    let put = app
        .send(
            Method::PUT,
            &macro_path(&theirs),
            Some(&acme.owner.token),
            Some(&refund()),
        )
        .await;
    expect_error(put, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let delete = app
        .send(Method::DELETE, &macro_path(&theirs), Some(&acme.owner.token), None)
        .await;
    expect_error(delete, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;

    // Their macro on our ticket, our macro on their ticket: not found either way.
    let our_ticket = app.create_ticket(acme.customer(), "Ours", "Ours").await.ticket.id;
    let their_ticket = app.create_ticket(globex.customer(), "Theirs", "Theirs").await.ticket.id;
    for (ticket, id) in [(our_ticket, theirs.id), (their_ticket, ours.id)] {
        let path = format!("/api/v1/tickets/{ticket}/macros/{id}");
        let response = app.get(&path, &acme.agent().token).await;
        expect_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    }
    let reply = json!({"body": "Done", "macro_id": theirs.id});
    let response = app
        .post(
            &format!("/api/v1/tickets/{our_ticket}/messages"),
            Some(&acme.agent().token),
            &reply,
        )
        .await;
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed).await;

    // Nothing of theirs moved.
    let untouched = &list(&app, globex.agent()).await[0];
    assert_eq!(untouched, &theirs);
    let their_view = app.ticket_as(globex.agent(), their_ticket).await.ticket;
    assert_ne!(their_view.status, TicketStatus::Solved);
}

/// The `ticket.updated` events logged for the ticket `id`.
async fn updates_logged(app: &TestApp, id: uuid::Uuid) -> u64 {
    events::Entity::find()
        .filter(events::Column::Kind.eq("ticket.updated"))
        .filter(events::Column::TicketId.eq(id))
        .count(&app.state.db)
        .await
        .unwrap()
}
