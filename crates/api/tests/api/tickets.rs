//! Tickets: creation, numbering, idempotency, the inbox query, the status lifecycle and threads.

use ferrodesk_shared::tickets::{Ticket, TicketDetail, TicketStatus};
use ferrodesk_shared::{ErrorCode, Role};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestWorkspace, expect_error, expect_json, spawn_app};

#[tokio::test]
async fn a_customer_opens_a_ticket_and_numbers_count_per_workspace() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let globex = TestWorkspace::create(&app, "globex", 1).await;
    let first = app
        .create_ticket(acme.customer(), "  Card declined ", "My card was declined at checkout.")
        .await;
    assert_eq!(first.ticket.number, 1);
    assert_eq!(first.ticket.subject, "Card declined");
    assert_eq!(first.ticket.status, TicketStatus::New);
    assert_eq!(first.ticket.requester.id, acme.customer().id());
    assert_eq!(first.messages.len(), 1);
    assert_eq!(first.messages[0].body, "My card was declined at checkout.");
    assert!(!first.messages[0].internal);
    let second = app.create_ticket(&acme.customers[1], "Second", "Another one").await;
    assert_eq!(second.ticket.number, 2);
    let other = app
        .create_ticket(globex.customer(), "Elsewhere", "Numbers start again")
        .await;
    assert_eq!(other.ticket.number, 1, "each workspace numbers its own tickets");
}

#[tokio::test]
async fn staff_open_tickets_for_a_requester_who_becomes_a_customer() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let ticket = app
        .create_ticket_for(acme.agent(), "New.Person@Mail.example", "Phone call")
        .await;
    assert_eq!(ticket.ticket.requester.email, "new.person@mail.example");
    assert_eq!(ticket.ticket.requester.role, Role::Customer);
    assert_eq!(ticket.ticket.requester.name, "new.person");
    // The same requester again is the same customer, not a second one.
    let again = app
        .create_ticket_for(acme.agent(), "new.person@mail.example", "Second call")
        .await;
    assert_eq!(again.ticket.requester.id, ticket.ticket.requester.id);

    let missing = app
        .post(
            "/api/v1/tickets",
            Some(&acme.agent().token),
            &json!({"subject": "x", "body": "y"}),
        )
        .await;
    let error = expect_error(missing, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed).await;
    assert!(error.fields.contains_key("requester_email"));
}

#[tokio::test]
async fn an_idempotency_key_makes_a_retry_return_the_first_ticket() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let body = json!({"subject": "Refund", "body": "Please refund order 12"});
    let send = |key: &'static str, body: serde_json::Value| {
        let request = app
            .client
            .post(app.url("/api/v1/tickets"))
            .bearer_auth(&acme.customer().token)
            .header("Idempotency-Key", key)
            .json(&body);
        async move { request.send().await.unwrap() }
    };
    let first: TicketDetail = expect_json(send("retry-1", body.clone()).await, StatusCode::CREATED).await;
    let retry = send("retry-1", body.clone()).await;
    assert_eq!(retry.headers().get("idempotent-replayed").unwrap(), "true");
    let retried: TicketDetail = expect_json(retry, StatusCode::CREATED).await;
    assert_eq!(retried.ticket.id, first.ticket.id);

    // Concurrent retries also make one ticket.
    let (a, b) = tokio::join!(send("retry-2", body.clone()), send("retry-2", body.clone()));
    let a: TicketDetail = expect_json(a, StatusCode::CREATED).await;
    let b: TicketDetail = expect_json(b, StatusCode::CREATED).await;
    assert_eq!(a.ticket.id, b.ticket.id);

    let reused = send("retry-1", json!({"subject": "Other", "body": "Different"})).await;
    expect_error(reused, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed).await;
    let all = app.tickets_as(acme.agent(), "").await;
    assert_eq!(all.items.len(), 2, "two keys, two tickets: {:?}", all.items);
}

#[tokio::test]
async fn the_inbox_filters_searches_and_pages_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 2).await;
    let mut created = Vec::new();
    for index in 0..7 {
        let ticket = app
            .create_ticket(acme.customer(), &format!("Question {index}"), &format!("body {index}"))
            .await;
        created.push(ticket.ticket);
    }
    let billing = app
        .create_ticket(&acme.customers[1], "Invoice missing", "Where is my 50% discount_code?")
        .await
        .ticket;
    expect_json::<Ticket>(
        app.patch_ticket(
            acme.agent(),
            billing.id,
            &json!({"status": "pending", "priority": "high", "category": "Billing", "assignee_id": acme.agent().id()}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    app.reply(acme.agent(), created[2].id, "Secret internal phrase", true)
        .await;

    // Pages of 3 walk all 8 tickets exactly once, newest update first.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(cursor) => format!("?limit=3&cursor={cursor}"),
            None => "?limit=3".to_owned(),
        };
        let page = app.tickets_as(acme.agent(), &query).await;
        assert!(page.items.len() <= 3);
        seen.extend(page.items.iter().map(|ticket| ticket.id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 8);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 8, "no ticket twice");
    assert_eq!(seen[0], created[2].id, "the ticket with the newest note comes first");

    let by_created = app.tickets_as(acme.agent(), "?sort=created&limit=100").await;
    assert_eq!(by_created.items[0].id, billing.id);
    assert_eq!(by_created.items.last().unwrap().id, created[0].id);

    let pending = app.tickets_as(acme.agent(), "?status=pending").await;
    assert_eq!(pending.items.iter().map(|t| t.id).collect::<Vec<_>>(), vec![billing.id]);
    let mine = app.tickets_as(acme.agent(), "?assignee=me").await;
    assert_eq!(mine.items.len(), 1);
    let others = app.tickets_as(&acme.agents[1], "?assignee=me").await;
    assert!(others.items.is_empty());
    let unassigned = app.tickets_as(acme.agent(), "?assignee=none").await;
    assert_eq!(unassigned.items.len(), 7);
    let by_id = app
        .tickets_as(&acme.agents[1], &format!("?assignee={}", acme.agent().id()))
        .await;
    assert_eq!(by_id.items.len(), 1);
    assert_eq!(app.tickets_as(acme.agent(), "?priority=high").await.items.len(), 1);
    assert_eq!(app.tickets_as(acme.agent(), "?category=billing").await.items.len(), 1);

    // Search: words in the subject and messages, case-insensitive; % and _ are not words.
    assert_eq!(app.tickets_as(acme.agent(), "?q=INVOICE").await.items.len(), 1);
    assert_eq!(
        app.tickets_as(acme.agent(), "?q=50%25%20discount_code")
            .await
            .items
            .len(),
        1
    );
    assert_eq!(
        app.tickets_as(acme.agent(), "?q=%25").await.total,
        Some(0),
        "punctuation alone finds nothing"
    );
    assert_eq!(app.tickets_as(acme.agent(), "?q=body%204").await.items.len(), 1);
    assert_eq!(
        app.tickets_as(acme.agent(), "?q=secret%20internal").await.items.len(),
        1,
        "staff search notes"
    );
    assert!(
        app.tickets_as(acme.customer(), "?q=secret%20internal")
            .await
            .items
            .is_empty(),
        "customers never find notes"
    );

    // A search's first page counts every match, beyond the page; later pages and lists do not.
    let first = app.tickets_as(acme.agent(), "?q=question&limit=3").await;
    assert_eq!((first.items.len(), first.total), (3, Some(7)));
    let second = app
        .tickets_as(
            acme.agent(),
            &format!("?q=question&limit=3&cursor={}", first.next_cursor.unwrap()),
        )
        .await;
    assert_eq!((second.items.len(), second.total), (3, None));
    assert_eq!(app.tickets_as(acme.agent(), "?q=question").await.total, Some(7));
    assert_eq!(
        app.tickets_as(acme.agent(), "?q=nothing%20like%20it").await.total,
        Some(0)
    );
    assert_eq!(app.tickets_as(acme.agent(), "?limit=3").await.total, None);
    assert_eq!(
        app.tickets_as(acme.customer(), "?q=question&limit=2").await.total,
        Some(7),
        "the customer who wrote them"
    );
    assert_eq!(
        app.tickets_as(&acme.customers[1], "?q=question&limit=2").await.total,
        Some(0)
    );

    // Customers see only their own tickets.
    let own = app.tickets_as(&acme.customers[1], "?limit=100").await;
    assert_eq!(own.items.iter().map(|t| t.id).collect::<Vec<_>>(), vec![billing.id]);

    for bad in ["?limit=0", "?limit=101", "?cursor=garbage", "?assignee=bob"] {
        let response = app.get(&format!("/api/v1/tickets{bad}"), &acme.agent().token).await;
        expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed).await;
    }
    let unknown = app.get("/api/v1/tickets?colour=red", &acme.agent().token).await;
    expect_error(unknown, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;
    let bad_status = app.get("/api/v1/tickets?status=sleeping", &acme.agent().token).await;
    expect_error(bad_status, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;
}

#[tokio::test]
async fn replies_notes_and_the_lifecycle() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let customer = acme.customer();
    let agent = acme.agent();
    let ticket = app.create_ticket(customer, "Broken widget", "It broke.").await.ticket;

    let note = app.reply(agent, ticket.id, "Customer is a VIP", true).await;
    assert!(note.internal);
    let after_note = app.ticket_as(agent, ticket.id).await;
    assert_eq!(after_note.ticket.first_response_at, None, "a note is not a response");
    assert_eq!(after_note.ticket.status, TicketStatus::New);

    let answer = app.reply(agent, ticket.id, "Try turning it off and on.", false).await;
    assert_eq!(answer.author.id, agent.id());
    let answered = app.ticket_as(agent, ticket.id).await;
    assert_eq!(answered.ticket.first_response_at, Some(answer.created_at));
    assert_eq!(
        answered.ticket.status,
        TicketStatus::Open,
        "the first public reply opens a new ticket"
    );
    assert_eq!(answered.messages.len(), 3);

    // The customer sees the reply, never the note.
    let seen = app.ticket_as(customer, ticket.id).await;
    assert_eq!(seen.messages.len(), 2);
    assert!(seen.messages.iter().all(|message| !message.internal));
    assert!(!seen.messages.iter().any(|message| message.body.contains("VIP")));

    // Solve, then the customer writes again: it reopens.
    let solved: Ticket = expect_json(
        app.patch_ticket(agent, ticket.id, &json!({"status": "solved"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(solved.status, TicketStatus::Solved);
    assert!(solved.solved_at.is_some());
    app.reply(customer, ticket.id, "Still broken.", false).await;
    let reopened = app.ticket_as(agent, ticket.id).await;
    assert_eq!(reopened.ticket.status, TicketStatus::Open);
    assert_eq!(reopened.ticket.solved_at, None);
    assert_eq!(
        reopened.ticket.first_response_at, answered.ticket.first_response_at,
        "set once"
    );

    // new is only a starting point; closed is final.
    let back_to_new = app.patch_ticket(agent, ticket.id, &json!({"status": "new"})).await;
    expect_error(back_to_new, StatusCode::CONFLICT, ErrorCode::Conflict).await;
    let close_open = app.patch_ticket(agent, ticket.id, &json!({"status": "closed"})).await;
    expect_error(close_open, StatusCode::CONFLICT, ErrorCode::Conflict).await;
    expect_json::<Ticket>(
        app.patch_ticket(agent, ticket.id, &json!({"status": "solved"})).await,
        StatusCode::OK,
    )
    .await;
    let closed: Ticket = expect_json(
        app.patch_ticket(agent, ticket.id, &json!({"status": "closed"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(closed.status, TicketStatus::Closed);
    let late = app
        .post(
            &format!("/api/v1/tickets/{}/messages", ticket.id),
            Some(&customer.token),
            &json!({"body": "hello?"}),
        )
        .await;
    expect_error(late, StatusCode::CONFLICT, ErrorCode::Conflict).await;
    let reopen_closed = app.patch_ticket(agent, ticket.id, &json!({"status": "open"})).await;
    expect_error(reopen_closed, StatusCode::CONFLICT, ErrorCode::Conflict).await;
    assert_eq!(
        app.ticket_as(agent, ticket.id).await.messages.len(),
        4,
        "nothing stored by refused requests"
    );
}

#[tokio::test]
async fn fields_change_and_clear_and_bad_values_change_nothing() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let ticket = app.create_ticket(acme.customer(), "Tags", "Tag me").await.ticket;
    let updated: Ticket = expect_json(
        app.patch_ticket(&acme.supervisor, ticket.id, &json!({"priority": "urgent", "category": " Shipping ", "tags": ["VIP", "vip", "late-delivery"], "assignee_id": acme.agent().id()})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(updated.category.as_deref(), Some("shipping"));
    assert_eq!(updated.tags, vec!["vip", "late-delivery"]);
    assert_eq!(updated.assignee.as_ref().map(|a| a.id), Some(acme.agent().id()));
    assert!(updated.updated_at > ticket.updated_at);

    let cleared: Ticket = expect_json(
        app.patch_ticket(
            &acme.supervisor,
            ticket.id,
            &json!({"category": null, "assignee_id": null}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(cleared.category, None);
    assert_eq!(cleared.assignee, None);
    assert_eq!(
        cleared.tags,
        vec!["vip", "late-delivery"],
        "a missing field is left alone"
    );

    for (body, field) in [
        (json!({"tags": ["two words"]}), "tags"),
        (json!({"category": ""}), "category"),
        (json!({"assignee_id": acme.customer().id()}), "assignee_id"),
        (json!({"assignee_id": uuid::Uuid::now_v7()}), "assignee_id"),
    ] {
        let error = expect_error(
            app.patch_ticket(&acme.supervisor, ticket.id, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
        )
        .await;
        assert!(error.fields.contains_key(field), "{error:?}");
    }
    let unknown = app
        .patch_ticket(
            &acme.supervisor,
            ticket.id,
            &json!({"status": "open", "requester_id": acme.agent().id()}),
        )
        .await;
    expect_error(unknown, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;
    let after = app.ticket_as(&acme.supervisor, ticket.id).await.ticket;
    assert_eq!(after, cleared, "refused patches change nothing");
}

#[tokio::test]
async fn customers_cannot_see_other_customers_tickets() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let theirs = app
        .create_ticket(&acme.customers[1], "Private", "Mine only")
        .await
        .ticket;
    let missing = app
        .get(
            &format!("/api/v1/tickets/{}", uuid::Uuid::now_v7()),
            &acme.customer().token,
        )
        .await;
    let missing = expect_error(missing, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let other = app
        .get(&format!("/api/v1/tickets/{}", theirs.id), &acme.customer().token)
        .await;
    let other = expect_error(other, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    assert_eq!(other, missing, "another customer's ticket looks exactly like none");
    let write = app
        .send(
            Method::POST,
            &format!("/api/v1/tickets/{}/messages", theirs.id),
            Some(&acme.customer().token),
            Some(&json!({"body": "let me in"})),
        )
        .await;
    expect_error(write, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    assert_eq!(app.ticket_as(acme.agent(), theirs.id).await.messages.len(), 1);
}

#[tokio::test]
async fn views_and_their_counts_agree() {
    use ferrodesk_shared::tickets::InboxCounts;
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 2).await;
    let agent = acme.agent();
    let mut tickets = Vec::new();
    for index in 0..6 {
        tickets.push(
            app.create_ticket(acme.customer(), &format!("T{index}"), "help")
                .await
                .ticket,
        );
    }
    // 0, 1: mine (one new, one open); 2: another agent's; 3: pending; 4: solved; 5: unassigned and new.
    expect_json::<Ticket>(
        app.patch_ticket(agent, tickets[0].id, &json!({"assignee_id": agent.id()}))
            .await,
        StatusCode::OK,
    )
    .await;
    expect_json::<Ticket>(
        app.patch_ticket(
            agent,
            tickets[1].id,
            &json!({"assignee_id": agent.id(), "status": "open"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let other = &acme.agents[1];
    expect_json::<Ticket>(
        app.patch_ticket(other, tickets[2].id, &json!({"assignee_id": other.id()}))
            .await,
        StatusCode::OK,
    )
    .await;
    expect_json::<Ticket>(
        app.patch_ticket(agent, tickets[3].id, &json!({"status": "pending"}))
            .await,
        StatusCode::OK,
    )
    .await;
    expect_json::<Ticket>(
        app.patch_ticket(agent, tickets[4].id, &json!({"status": "solved"}))
            .await,
        StatusCode::OK,
    )
    .await;

    let counts: InboxCounts = expect_json(app.get("/api/v1/tickets/counts", &agent.token).await, StatusCode::OK).await;
    assert_eq!(
        counts,
        InboxCounts {
            mine: 2,
            unassigned: 1,
            open: 4,
            pending: 1,
            solved: 1
        }
    );
    for (view, expected) in [
        ("mine", 2),
        ("unassigned", 1),
        ("open", 4),
        ("pending", 1),
        ("solved", 1),
        ("all", 6),
    ] {
        let listed = app.tickets_as(agent, &format!("?view={view}&limit=100")).await;
        assert_eq!(listed.items.len(), expected, "view {view}");
    }
    // Filters narrow a view; an explicit assignee replaces the view's.
    assert_eq!(app.tickets_as(agent, "?view=open&status=open").await.items.len(), 1);
    assert_eq!(
        app.tickets_as(agent, &format!("?view=mine&assignee={}", other.id()))
            .await
            .items
            .len(),
        1
    );
    // The list shows the latest public message, never a note.
    app.reply(agent, tickets[5].id, "We are looking into it now.", false)
        .await;
    app.reply(agent, tickets[5].id, "internal: check logs", true).await;
    let row = app.tickets_as(agent, "?limit=1").await.items.remove(0);
    assert_eq!(row.preview.as_deref(), Some("We are looking into it now."));

    let customer = app.get("/api/v1/tickets/counts", &acme.customer().token).await;
    expect_error(customer, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    let bad_view = app.get("/api/v1/tickets?view=everything", &agent.token).await;
    expect_error(bad_view, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;
}

/// Concurrent creates in one workspace share transactions (`tickets::batch`), and sharing changes
/// nothing a caller can see: every ticket gets its own number, with no gap, its event, its receipt
/// and its place in the categorisation queue; a key used twice in one burst still makes one ticket;
/// another workspace's burst keeps its own numbers.
#[tokio::test]
async fn a_burst_of_creates_shares_transactions_and_each_ticket_is_whole() {
    use ferrodesk::db::entities::{categorise_queue, events, outbox, tickets};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 2).await;
    let globex = TestWorkspace::create(&app, "globex", 1).await;
    let before = app.state.batcher.committed();
    let create = |workspace: &TestWorkspace, index: usize, key: String| {
        let request = app
            .client
            .post(app.url("/api/v1/tickets"))
            .bearer_auth(&workspace.agent().token)
            .header("Idempotency-Key", key)
            .json(&json!({
                "subject": format!("Order {index} did not arrive"),
                "body": "It has been two weeks.",
                "requester_email": format!("buyer-{index}@shop.example"),
            }));
        async move { request.send().await.unwrap() }
    };
    // 60 for acme (two of them with the same key), 20 for globex, all at once.
    let acme_calls = (0..60)
        .map(|index| index.min(58))
        .map(|index| create(&acme, index, format!("acme-{index}")));
    let globex_calls = (0..20).map(|index| create(&globex, index, format!("globex-{index}")));
    let (acme_answers, globex_answers) = tokio::join!(
        futures_util::future::join_all(acme_calls),
        futures_util::future::join_all(globex_calls)
    );
    let mut numbers = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for answer in acme_answers {
        let detail: TicketDetail = expect_json(answer, StatusCode::CREATED).await;
        assert_eq!(detail.messages.len(), 1);
        assert_eq!(detail.messages[0].author.id, acme.agent().id());
        if ids.insert(detail.ticket.id) {
            numbers.push(detail.ticket.number);
        }
    }
    numbers.sort_unstable();
    assert_eq!(
        numbers,
        (1..=59).collect::<Vec<i64>>(),
        "59 tickets, numbered without gaps"
    );
    let mut globex_numbers = Vec::new();
    for answer in globex_answers {
        let detail: TicketDetail = expect_json(answer, StatusCode::CREATED).await;
        globex_numbers.push(detail.ticket.number);
    }
    globex_numbers.sort_unstable();
    assert_eq!(globex_numbers, (1..=20).collect::<Vec<i64>>());

    let db = &app.state.db;
    let workspace = acme.owner.auth.workspace.id.0;
    let stored = tickets::Entity::find()
        .filter(tickets::Column::WorkspaceId.eq(workspace))
        .count(db)
        .await
        .unwrap();
    assert_eq!(stored, 59);
    let created_events = events::Entity::find()
        .filter(events::Column::WorkspaceId.eq(workspace))
        .filter(events::Column::Kind.eq("ticket.created"))
        .count(db)
        .await
        .unwrap();
    assert_eq!(created_events, 59, "one ticket.created per ticket");
    let queued = categorise_queue::Entity::find()
        .filter(categorise_queue::Column::WorkspaceId.eq(workspace))
        .count(db)
        .await
        .unwrap();
    assert_eq!(queued, 59);
    let receipts = outbox::Entity::find()
        .filter(outbox::Column::WorkspaceId.eq(workspace))
        .filter(outbox::Column::Kind.eq(ferrodesk::mail::MailKind::TicketReceived))
        .count(db)
        .await
        .unwrap();
    assert_eq!(receipts, 59, "each new customer got their receipt");

    let after = app.state.batcher.committed();
    assert_eq!(after.tickets - before.tickets, 79);
    assert!(
        after.batches - before.batches < 79,
        "concurrent creates shared transactions: {before:?} -> {after:?}"
    );
}

/// Concurrent replies and patches in one workspace: two replies on one ticket both land, a refused
/// change (another workspace's ticket, assigning a customer as an agent) is refused without undoing
/// the others, and every change has its event.
#[tokio::test]
async fn a_burst_of_changes_each_land_and_a_refusal_stays_alone() {
    use ferrodesk::db::entities::events;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 2).await;
    let globex = TestWorkspace::create(&app, "globex", 1).await;
    let mut tickets = Vec::new();
    for index in 0..4 {
        tickets.push(
            app.create_ticket(acme.customer(), &format!("Question {index}"), "Hello")
                .await,
        );
    }
    let foreign = app.create_ticket(globex.customer(), "Not yours", "Hello").await;
    let workspace = acme.owner.auth.workspace.id.0;
    let count_events = || async {
        events::Entity::find()
            .filter(events::Column::WorkspaceId.eq(workspace))
            .count(&app.state.db)
            .await
            .unwrap()
    };
    let events_before = count_events().await;
    let before = app.state.batcher.committed();

    let (app, agent) = (&app, acme.agent());
    let reply = |ticket: &TicketDetail, index: usize| {
        let path = format!("/api/v1/tickets/{}/messages", ticket.ticket.id.0);
        let body = json!({"body": format!("Answer {index}"), "internal": false});
        async move { app.post(&path, Some(&agent.token), &body).await }
    };
    let patch = |ticket: &TicketDetail, body: serde_json::Value| {
        let path = format!("/api/v1/tickets/{}", ticket.ticket.id.0);
        async move { app.patch(&path, &agent.token, &body).await }
    };
    let replies = futures_util::future::join_all(
        (0..24)
            .map(|index| reply(&tickets[index % 4], index))
            .collect::<Vec<_>>(),
    );
    let patches = futures_util::future::join_all(
        (0..8)
            .map(|index| {
                patch(
                    &tickets[index % 4],
                    json!({"priority": if index % 2 == 0 { "high" } else { "low" }}),
                )
            })
            .collect::<Vec<_>>(),
    );
    let refused_foreign = reply(&foreign, 99);
    let refused_assignee = patch(&tickets[0], json!({"assignee_id": acme.customer().id()}));
    let (replies, patches, refused_foreign, refused_assignee) =
        tokio::join!(replies, patches, refused_foreign, refused_assignee);
    for response in replies {
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    for response in patches {
        assert_eq!(response.status(), StatusCode::OK);
    }
    expect_error(refused_foreign, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    expect_error(refused_assignee, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;

    for ticket in &tickets {
        let detail = app.ticket_as(agent, ticket.ticket.id).await;
        assert_eq!(detail.messages.len(), 1 + 6, "the first message and six answers");
    }
    let foreign_now = app.ticket_as(globex.agent(), foreign.ticket.id).await;
    assert_eq!(foreign_now.messages.len(), 1);
    // Each reply: message.created (ticket.updated is not sent for a reply); each patch that changed
    // something: ticket.updated. At least the 24 replies and the first patch per ticket.
    assert!(count_events().await - events_before >= 24 + 4);
    let after = app.state.batcher.committed();
    assert_eq!(after.changes - before.changes, 24 + 8, "{before:?} -> {after:?}");
}

#[tokio::test]
async fn concurrent_changes_to_many_tickets_each_land_on_their_own_ticket() {
    // A batch saves the tickets that changed the same columns in one UPDATE (`repo::save_many`,
    // a CASE by id per column): each ticket must get its own values, not a neighbour's.
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let mut ids = Vec::new();
    for n in 0..12 {
        let created = app
            .create_ticket(acme.customer(), &format!("Question {n}"), "Please help.")
            .await;
        ids.push(created.ticket.id);
    }
    let priorities = ["low", "normal", "high", "urgent"];
    let patches: Vec<serde_json::Value> = (0..ids.len())
        .map(|n| json!({"priority": priorities[n % 4], "tags": [format!("tag-{n}")]}))
        .collect();
    futures_util::future::join_all(
        ids.iter()
            .zip(&patches)
            .map(|(id, patch)| app.update_ticket(acme.agent(), *id, patch)),
    )
    .await;
    let bodies: Vec<String> = (0..ids.len()).map(|n| format!("The answer to question {n}.")).collect();
    futures_util::future::join_all(
        ids.iter()
            .zip(&bodies)
            .map(|(id, body)| app.reply(acme.agent(), *id, body, false)),
    )
    .await;
    for (n, id) in ids.iter().enumerate() {
        let ticket = app.ticket_as(acme.agent(), *id).await.ticket;
        let priority: ferrodesk_shared::tickets::Priority = serde_json::from_value(json!(priorities[n % 4])).unwrap();
        assert_eq!(ticket.priority, priority, "ticket {n}");
        assert_eq!(ticket.tags, vec![format!("tag-{n}")], "ticket {n}");
        assert_eq!(ticket.preview.as_deref(), Some(bodies[n].as_str()), "ticket {n}");
        assert!(ticket.first_response_at.is_some(), "ticket {n}");
    }
}

#[tokio::test]
async fn concurrent_changes_to_one_ticket_each_start_from_the_one_before() {
    // Concurrent writes of a workspace share a transaction (`tickets::batch`), which reads its
    // tickets once: each change must still see what the earlier ones in the batch did.
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let created = app
        .create_ticket(acme.customer(), "Printer on fire", "It smokes.")
        .await;
    let id = created.ticket.id;

    let bodies: Vec<String> = (0..12).map(|n| format!("Answer {n}")).collect();
    let replies =
        futures_util::future::join_all(bodies.iter().map(|body| app.reply(acme.agent(), id, body, false))).await;
    let first = replies.iter().map(|reply| reply.created_at).min().unwrap();
    let after_replies = app.ticket_as(acme.agent(), id).await;
    assert_eq!(after_replies.messages.len(), 13);
    assert_eq!(
        after_replies.ticket.first_response_at,
        Some(first),
        "only the first reply is the first response"
    );

    let patches = [
        json!({"priority": "urgent"}),
        json!({"tags": ["fire", "hardware"]}),
        json!({"status": "pending"}),
        json!({"assignee_id": acme.agent().id()}),
    ];
    let answers =
        futures_util::future::join_all(patches.iter().map(|patch| app.update_ticket(acme.agent(), id, patch))).await;
    let after = app.ticket_as(acme.agent(), id).await.ticket;
    assert_eq!(after.priority, ferrodesk_shared::tickets::Priority::Urgent);
    assert_eq!(after.tags, vec!["fire".to_owned(), "hardware".to_owned()]);
    assert_eq!(after.status, TicketStatus::Pending);
    assert_eq!(after.assignee.as_ref().map(|user| user.id), Some(acme.agent().id()));
    // The answer of whichever patch ran last already shows every field: none started from a stale copy.
    assert!(
        answers.iter().any(|ticket| ticket.priority == after.priority
            && ticket.tags == after.tags
            && ticket.status == after.status
            && ticket.assignee.as_ref().map(|user| user.id) == after.assignee.as_ref().map(|user| user.id)),
        "no answer shows the final ticket"
    );
}
