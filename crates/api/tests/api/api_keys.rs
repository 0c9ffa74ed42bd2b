//! API keys: owners create (the key shown once, only its hash stored), list and revoke them; a key
//! acts as its workspace's integration with exactly its scopes, authors what it writes under its
//! name, never reaches an owner's endpoints, and stops working on the next request once revoked
//! or expired. A key in a URL is refused.

use std::collections::BTreeSet;

use ferrodesk_shared::api_keys::{ApiKeyCreated, ApiKeyList, ApiScope};
use ferrodesk_shared::tickets::{Message, TicketDetail, TicketPage};
use ferrodesk_shared::webhooks::{WebhookDeliveryPage, WebhookList, WebhookWithSecret};
use ferrodesk_shared::{ErrorCode, UserId};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, TestWorkspace, expect_error, expect_json, spawn_app, ticket_path};

const KEYS: &str = "/api/v1/api-keys";

async fn list_keys(app: &TestApp, token: &str) -> ApiKeyList {
    expect_json(app.get(KEYS, token).await, StatusCode::OK).await
}

/// One column of `api_keys` for every row, straight from the database.
async fn key_rows(app: &TestApp) -> Vec<(String, String, String)> {
    let db = Database::connect(&app.settings.database_url).await.unwrap();
    let statement = Statement::from_string(
        db.get_database_backend(),
        "SELECT key_hash, prefix, scopes FROM api_keys ORDER BY created_at",
    );
    let rows = db.query_all_raw(statement).await.unwrap();
    let rows = rows
        .iter()
        .map(|row| {
            (
                row.try_get::<String>("", "key_hash").unwrap(),
                row.try_get::<String>("", "prefix").unwrap(),
                row.try_get::<String>("", "scopes").unwrap(),
            )
        })
        .collect();
    db.close().await.ok();
    rows
}

#[tokio::test]
async fn an_owner_creates_lists_and_revokes_a_key_that_is_shown_once_and_stored_as_a_hash() {
    let app = spawn_app().await;
    let ws = TestWorkspace::create(&app, "acme", 1).await;

    let response = app
        .post(
            KEYS,
            Some(&ws.owner.token),
            &json!({ "name": "Shop back office", "scopes": ["tickets:write", "tickets:read"] }),
        )
        .await;
    let created: ApiKeyCreated = expect_json(response, StatusCode::CREATED).await;
    assert_eq!(created.name, "Shop back office");
    assert_eq!(created.scopes, vec![ApiScope::TicketsRead, ApiScope::TicketsWrite]);
    assert!(created.key.starts_with("fd_"), "{}", created.key);
    // At least 128 random bits: 22 base64url characters; ours has 43 (256 bits).
    assert!(created.key.len() >= 3 + 43, "{}", created.key);
    assert!(created.key.starts_with(&created.prefix));
    assert!(
        created.prefix.len() < 12,
        "the prefix gives nothing away: {}",
        created.prefix
    );
    assert_eq!(created.expires_at, None);

    // Only the SHA-256 of the key is stored; no column holds the key.
    let rows = key_rows(&app).await;
    assert_eq!(rows.len(), 1);
    let (hash, prefix, scopes) = &rows[0];
    assert_eq!(*hash, format!("{:x}", Sha256::digest(created.key.as_bytes())));
    assert_eq!(*prefix, created.prefix);
    assert_eq!(scopes, "tickets:read tickets:write");
    assert!(!rows[0].0.contains(&created.key) && !rows[0].1.contains(&created.key));

    // The list never shows it again.
    let raw = app.get(KEYS, &ws.owner.token).await.text().await.unwrap();
    assert!(!raw.contains(&created.key), "{raw}");
    let value: Value = serde_json::from_str(&raw).unwrap();
    assert!(value["items"][0].get("key").is_none(), "{raw}");
    let list = list_keys(&app, &ws.owner.token).await;
    assert_eq!(list.items.len(), 1);
    let listed = &list.items[0];
    assert_eq!(
        (listed.id, &listed.name, &listed.prefix),
        (created.id, &created.name, &created.prefix)
    );
    assert_eq!(listed.created_by.as_ref().map(|by| by.id), Some(ws.owner.id()));
    assert_eq!(listed.last_used_at, None);

    // The key works, and its use is recorded (at most once a minute).
    expect_json::<TicketPage>(app.get("/api/v1/tickets", &created.key).await, StatusCode::OK).await;
    let used = list_keys(&app, &ws.owner.token).await.items[0].last_used_at;
    assert!(used.is_some());
    expect_json::<TicketPage>(app.get("/api/v1/tickets", &created.key).await, StatusCode::OK).await;
    assert_eq!(list_keys(&app, &ws.owner.token).await.items[0].last_used_at, used);

    // Revoked: 204, then 401 on the very next request, gone from the list, and a second revoke is 404.
    let path = format!("{KEYS}/{}", created.id);
    let response = app.send(Method::DELETE, &path, Some(&ws.owner.token), None).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app.get("/api/v1/tickets", &created.key).await;
    expect_error(response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
    assert!(list_keys(&app, &ws.owner.token).await.items.is_empty());
    let response = app.send(Method::DELETE, &path, Some(&ws.owner.token), None).await;
    expect_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

#[tokio::test]
async fn a_bad_key_request_is_refused_with_its_fields_and_stores_nothing() {
    let app = spawn_app().await;
    let ws = TestWorkspace::create(&app, "acme", 0).await;
    let invalid = [
        (json!({ "name": "", "scopes": ["tickets:read"] }), "name"),
        (json!({ "name": "a\nb", "scopes": ["tickets:read"] }), "name"),
        (json!({ "name": "x".repeat(81), "scopes": ["tickets:read"] }), "name"),
        (json!({ "name": "CRM", "scopes": [] }), "scopes"),
        (
            json!({ "name": "CRM", "scopes": ["tickets:read"], "expires_at": "2001-01-01T00:00:00Z" }),
            "expires_at",
        ),
    ];
    for (body, field) in invalid {
        let response = app.post(KEYS, Some(&ws.owner.token), &body).await;
        let error = expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed).await;
        assert!(error.fields.contains_key(field), "{body}: {error:?}");
    }
    for body in [
        json!({ "name": "CRM", "scopes": ["admin:all"] }),
        json!({ "name": "CRM" }),
        json!({ "name": "CRM", "scopes": ["tickets:read"], "workspace_id": ws.owner.auth.user.workspace_id }),
    ] {
        let response = app.post(KEYS, Some(&ws.owner.token), &body).await;
        expect_error(response, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;
    }
    assert!(key_rows(&app).await.is_empty());
    // Nor did a refused request leave an integration behind in the team.
    assert_eq!(app.users_as(&ws.owner, "").await.len(), 4);
}

#[tokio::test]
async fn only_owners_manage_keys_and_a_key_never_reaches_a_peoples_endpoint() {
    let app = spawn_app().await;
    let ws = TestWorkspace::create(&app, "acme", 1).await;
    let mine = app
        .create_api_key(&ws.owner, "Existing", &[ApiScope::TicketsRead])
        .await;
    let key = app.api_key_with_every_scope(&ws.owner, "Everything").await;
    let revoke_path = format!("{KEYS}/{}", mine.id);
    let create = json!({ "name": "Sneaky", "scopes": ["tickets:read"] });

    // A supervisor, an agent, a customer, and a key with every scope.
    for token in [
        ws.supervisor.token.as_str(),
        ws.agent().token.as_str(),
        ws.customer().token.as_str(),
        key.as_str(),
    ] {
        for (method, path, body) in [
            (Method::POST, KEYS, Some(&create)),
            (Method::GET, KEYS, None),
            (Method::DELETE, revoke_path.as_str(), None),
        ] {
            let response = app.send(method.clone(), path, Some(token), body).await;
            expect_error(response, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
        }
    }
    assert_eq!(key_rows(&app).await.len(), 2, "nothing created");
    expect_json::<TicketPage>(app.get("/api/v1/tickets", &mine.key).await, StatusCode::OK).await;

    // Everything a person does for themselves or an owner does for the workspace refuses a key,
    // whatever its scopes: 403 `forbidden`, and nothing changes.
    let someone = ws.agent().id();
    let people_only: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/api/v1/me".into(), None),
        (Method::POST, "/api/v1/auth/logout".into(), None),
        (Method::POST, "/api/v1/auth/refresh".into(), None),
        (Method::POST, "/api/v1/auth/confirm-email/resend".into(), None),
        (Method::GET, "/api/v1/invitations".into(), None),
        (
            Method::POST,
            "/api/v1/invitations".into(),
            Some(json!({ "email": "mole@acme.example", "role": "owner" })),
        ),
        (
            Method::PATCH,
            format!("/api/v1/users/{someone}"),
            Some(json!({ "role": "owner" })),
        ),
        (Method::GET, "/api/v1/ai/settings".into(), None),
        (Method::GET, "/api/v1/ai/categories".into(), None),
        (Method::GET, "/api/v1/sla/policies".into(), None),
        (Method::GET, "/api/v1/notifications".into(), None),
        (Method::POST, "/api/v1/notifications/read-all".into(), None),
    ];
    for (method, path, body) in &people_only {
        let response = app.send(method.clone(), path, Some(&key), body.as_ref()).await;
        let error = expect_error(response, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
        assert!(error.message.contains("API keys"), "{method} {path}: {error:?}");
    }
    let roles: Vec<_> = app
        .users_as(&ws.owner, "")
        .await
        .into_iter()
        .map(|user| user.role)
        .collect();
    assert_eq!(roles.iter().filter(|role| role.as_str() == "owner").count(), 1);
}

/// Every endpoint a key can use, the scope it needs, and the answer with that scope alone.
#[tokio::test]
async fn each_endpoint_needs_its_scope_and_names_the_missing_one() {
    let app = spawn_app().await;
    let ws = TestWorkspace::create(&app, "acme", 1).await;
    // A webhook before the ticket, so the ticket's event leaves a delivery to retry.
    let hook: WebhookWithSecret = expect_json(
        app.post(
            "/api/v1/webhooks",
            Some(&ws.owner.token),
            &json!({ "url": "https://example.com/hooks", "events": ["ticket.created"] }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let hook = hook.webhook.id;
    let ticket = app.create_ticket(ws.customer(), "Printer on fire", "It smokes.").await;
    let id = ticket.ticket.id;
    let delivery_page: WebhookDeliveryPage = expect_json(
        app.get(&format!("/api/v1/webhooks/{hook}/deliveries"), &ws.owner.token)
            .await,
        StatusCode::OK,
    )
    .await;
    let delivery = delivery_page.items[0].id;
    let hook_path = format!("/api/v1/webhooks/{hook}");
    let routes: Vec<(Method, String, Option<Value>, ApiScope, StatusCode)> = vec![
        (
            Method::GET,
            "/api/v1/tickets".into(),
            None,
            ApiScope::TicketsRead,
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/v1/tickets/counts".into(),
            None,
            ApiScope::TicketsRead,
            StatusCode::OK,
        ),
        (
            Method::GET,
            ticket_path(id),
            None,
            ApiScope::TicketsRead,
            StatusCode::OK,
        ),
        (
            Method::POST,
            "/api/v1/tickets".into(),
            Some(
                json!({ "subject": "From the shop", "body": "Order 7 never arrived.", "requester_email": "buyer@mail.example" }),
            ),
            ApiScope::TicketsWrite,
            StatusCode::CREATED,
        ),
        (
            Method::PATCH,
            ticket_path(id),
            Some(json!({ "priority": "high", "tags": ["shop"] })),
            ApiScope::TicketsWrite,
            StatusCode::OK,
        ),
        (
            Method::POST,
            format!("{}/messages", ticket_path(id)),
            Some(json!({ "body": "We are on it." })),
            ApiScope::TicketsWrite,
            StatusCode::CREATED,
        ),
        (
            Method::POST,
            format!("{}/messages", ticket_path(id)),
            Some(json!({ "body": "Courier says Tuesday.", "internal": true })),
            ApiScope::TicketsWrite,
            StatusCode::CREATED,
        ),
        (
            Method::POST,
            "/api/v1/tickets/bulk-update".into(),
            Some(json!({ "ids": [id], "patch": { "priority": "urgent" } })),
            ApiScope::TicketsWrite,
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/v1/users".into(),
            None,
            ApiScope::UsersRead,
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/v1/reports/overview?from=2026-11-01&to=2026-11-30".into(),
            None,
            ApiScope::ReportsRead,
            StatusCode::OK,
        ),
        (
            Method::POST,
            "/api/v1/webhooks".into(),
            Some(json!({ "url": "https://example.com/shop", "events": ["ticket.updated"] })),
            ApiScope::WebhooksManage,
            StatusCode::CREATED,
        ),
        (
            Method::GET,
            "/api/v1/webhooks".into(),
            None,
            ApiScope::WebhooksManage,
            StatusCode::OK,
        ),
        (
            Method::GET,
            hook_path.clone(),
            None,
            ApiScope::WebhooksManage,
            StatusCode::OK,
        ),
        (
            Method::PATCH,
            hook_path.clone(),
            Some(json!({ "description": "The shop" })),
            ApiScope::WebhooksManage,
            StatusCode::OK,
        ),
        (
            Method::POST,
            format!("{hook_path}/rotate-secret"),
            None,
            ApiScope::WebhooksManage,
            StatusCode::OK,
        ),
        (
            Method::GET,
            format!("{hook_path}/deliveries"),
            None,
            ApiScope::WebhooksManage,
            StatusCode::OK,
        ),
        (
            Method::POST,
            format!("{hook_path}/deliveries/{delivery}/retry"),
            None,
            ApiScope::WebhooksManage,
            StatusCode::OK,
        ),
    ];
    for (method, path, body, scope, expected) in &routes {
        let others: Vec<ApiScope> = ApiScope::ALL.into_iter().filter(|other| other != scope).collect();
        let without = app.create_api_key(&ws.owner, "Without", &others).await.key;
        let response = app.send(method.clone(), path, Some(&without), body.as_ref()).await;
        let error = expect_error(response, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
        assert!(
            error.message.contains(scope.as_str()),
            "{method} {path} without {scope}: {error:?}"
        );

        let only = app.create_api_key(&ws.owner, "Only", &[*scope]).await.key;
        let response = app.send(method.clone(), path, Some(&only), body.as_ref()).await;
        let status = response.status();
        assert_eq!(
            status,
            *expected,
            "{method} {path} with {scope}: {}",
            response.text().await.unwrap()
        );

        // A person's session is unaffected by scopes.
        let response = app
            .send(method.clone(), path, Some(&ws.owner.token), body.as_ref())
            .await;
        assert!(
            response.status().is_success(),
            "{method} {path} as the owner: {}",
            response.status()
        );
    }
    // The refused writes stored nothing: one ticket from the key with the scope, one from the owner.
    let page = app.tickets_as(&ws.owner, "").await;
    assert_eq!(page.items.len(), 3);
    let hooks: WebhookList = expect_json(app.get("/api/v1/webhooks", &ws.owner.token).await, StatusCode::OK).await;
    assert_eq!(hooks.items.len(), 3, "the first, one from the key, one from the owner");

    // Deleting can be tried once: without the scope, then with it (the owner's turn is above).
    let without = app
        .create_api_key(&ws.owner, "Without", &[ApiScope::TicketsWrite])
        .await
        .key;
    let response = app.send(Method::DELETE, &hook_path, Some(&without), None).await;
    let error = expect_error(response, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    assert!(error.message.contains("webhooks:manage"), "{error:?}");
    let only = app
        .create_api_key(&ws.owner, "Only", &[ApiScope::WebhooksManage])
        .await
        .key;
    let response = app.send(Method::DELETE, &hook_path, Some(&only), None).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let mut routes: Vec<(Method, String, Option<Value>, ApiScope, StatusCode)> = routes;
    routes.push((
        Method::DELETE,
        hook_path.clone(),
        None,
        ApiScope::WebhooksManage,
        StatusCode::NO_CONTENT,
    ));

    // A merge, too, can be done once: two tickets of one requester, without the scope, then with it.
    let into = app
        .create_ticket_for(&ws.owner, "twice@mail.example", "Order 8")
        .await
        .ticket
        .id;
    let away = app
        .create_ticket_for(&ws.owner, "twice@mail.example", "Order 8 again")
        .await
        .ticket
        .id;
    let merge_path = format!("{}/merge", ticket_path(away));
    let merge = json!({ "into": into });
    let others: Vec<ApiScope> = ApiScope::ALL
        .into_iter()
        .filter(|scope| *scope != ApiScope::TicketsWrite)
        .collect();
    let reader = app.create_api_key(&ws.owner, "Reader", &others).await.key;
    let response = app.post(&merge_path, Some(&reader), &merge).await;
    let error = expect_error(response, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;
    assert!(error.message.contains("tickets:write"), "{error:?}");
    let writer = app
        .create_api_key(&ws.owner, "Writer", &[ApiScope::TicketsWrite])
        .await
        .key;
    let response = app.post(&merge_path, Some(&writer), &merge).await;
    assert_eq!(response.status(), StatusCode::OK);
    routes.push((
        Method::POST,
        merge_path.clone(),
        Some(merge),
        ApiScope::TicketsWrite,
        StatusCode::OK,
    ));

    // An upload, and reading it back: raw bytes, not JSON.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let upload = |key: String| {
        let client = app.client.clone();
        let url = app.url("/api/v1/attachments?filename=receipt.png");
        let png = png.clone();
        async move { client.post(url).bearer_auth(key).body(png).send().await.unwrap() }
    };
    let error = expect_error(
        upload(reader.clone()).await,
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
    )
    .await;
    assert!(error.message.contains("tickets:write"), "{error:?}");
    let both = app
        .create_api_key(&ws.owner, "Both", &[ApiScope::TicketsRead, ApiScope::TicketsWrite])
        .await
        .key;
    let uploaded: ferrodesk_shared::attachments::Attachment =
        expect_json(upload(both.clone()).await, StatusCode::CREATED).await;
    let attachment_path = format!("/api/v1/attachments/{}", uploaded.id);
    let error = expect_error(
        app.get(&attachment_path, &writer).await,
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
    )
    .await;
    assert!(error.message.contains("tickets:read"), "{error:?}");
    assert_eq!(app.get(&attachment_path, &both).await.status(), StatusCode::OK);
    // Each key is its own integration: an upload not sent yet is its uploader's alone.
    let other = app
        .create_api_key(&ws.owner, "Other", &[ApiScope::TicketsRead])
        .await
        .key;
    assert_eq!(app.get(&attachment_path, &other).await.status(), StatusCode::NOT_FOUND);
    routes.push((
        Method::POST,
        "/api/v1/attachments".to_owned(),
        None,
        ApiScope::TicketsWrite,
        StatusCode::CREATED,
    ));
    routes.push((
        Method::GET,
        attachment_path.clone(),
        None,
        ApiScope::TicketsRead,
        StatusCode::OK,
    ));

    // The OpenAPI document offers keys exactly these operations, each with the scope tried above.
    let tried: BTreeSet<(String, String, String)> = routes
        .iter()
        .map(|(method, path, _, scope, _)| {
            let template = path
                .split('?')
                .next()
                .unwrap()
                .replace(&id.to_string(), "{id}")
                .replace(&away.to_string(), "{id}")
                .replace(&uploaded.id.to_string(), "{id}")
                .replace(&hook.to_string(), "{id}")
                .replace(&delivery.to_string(), "{delivery_id}");
            (method.as_str().to_lowercase(), template, scope.as_str().to_owned())
        })
        .collect();
    let document: Value = serde_json::from_str(&ferrodesk::openapi::document_json()).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for requirement in operation["security"].as_array().into_iter().flatten() {
                for scope in requirement["api_key"].as_array().into_iter().flatten() {
                    documented.insert((method.clone(), path.clone(), scope.as_str().unwrap().to_owned()));
                }
            }
        }
    }
    assert_eq!(documented, tried);
}

#[tokio::test]
async fn what_a_key_writes_is_authored_by_its_integration_which_is_never_a_team_member() {
    let app = spawn_app().await;
    let ws = TestWorkspace::create(&app, "acme", 1).await;
    let key = app
        .create_api_key(
            &ws.owner,
            "Shop back office",
            &[ApiScope::TicketsRead, ApiScope::TicketsWrite],
        )
        .await
        .key;
    let team_before = app.users_as(&ws.owner, "").await;

    let body = json!({
        "subject": "Order 7 never arrived",
        "body": "The courier lost it.",
        "requester_email": ws.customer().auth.user.email,
        "priority": "high",
    });
    let created: TicketDetail = expect_json(
        app.post("/api/v1/tickets", Some(&key), &body).await,
        StatusCode::CREATED,
    )
    .await;
    let integration = created.messages[0].author.clone();
    assert_eq!(integration.name, "Shop back office");
    assert_eq!(created.ticket.requester.id, ws.customer().id());
    let people: Vec<UserId> = team_before.iter().map(|user| user.id).collect();
    assert!(!people.contains(&integration.id), "the author is not a person");

    let id = created.ticket.id;
    let reply: Message = expect_json(
        app.post(
            &format!("{}/messages", ticket_path(id)),
            Some(&key),
            &json!({ "body": "Refund sent." }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(reply.author.id, integration.id);
    assert_eq!(reply.author.name, "Shop back office");

    // Staff and the customer see the integration's name on both messages.
    for viewer in [&ws.owner, ws.agent(), ws.customer()] {
        let thread = app.ticket_as(viewer, id).await;
        let authors: Vec<&str> = thread
            .messages
            .iter()
            .map(|message| message.author.name.as_str())
            .collect();
        assert_eq!(authors, ["Shop back office", "Shop back office"]);
    }
    // The integration is not in the team (so never an assignee choice) nor counted as staff.
    assert_eq!(app.users_as(&ws.owner, "").await, team_before);
    assert_eq!(app.users_as(&ws.owner, "?role=supervisor").await.len(), 1);
    // And nobody can sign in as it.
    let response = app.login("acme", &integration.email, "").await;
    assert!(response.status().is_client_error());
    // An owner cannot give it a role.
    let response = app
        .patch(
            &format!("/api/v1/users/{}", integration.id),
            &ws.owner.token,
            &json!({ "role": "owner" }),
        )
        .await;
    expect_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    // Nor make it the assignee: not the owner, not the key itself. Nothing changes.
    let before = app.ticket_as(&ws.owner, id).await;
    for token in [ws.owner.token.as_str(), key.as_str()] {
        let response = app
            .patch(&ticket_path(id), token, &json!({ "assignee_id": integration.id }))
            .await;
        let error = expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed).await;
        assert!(error.fields.contains_key("assignee_id"), "{error:?}");
        assert_eq!(app.ticket_as(&ws.owner, id).await, before);
    }
}

#[tokio::test]
async fn revoked_expired_and_unknown_keys_answer_401() {
    let app = spawn_app().await;
    let ws = TestWorkspace::create(&app, "acme", 0).await;
    let revoked = app.create_api_key(&ws.owner, "Old CRM", &[ApiScope::TicketsRead]).await;
    let response = app
        .send(
            Method::DELETE,
            &format!("{KEYS}/{}", revoked.id),
            Some(&ws.owner.token),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let future = chrono::Utc::now() + chrono::Duration::hours(1);
    let body = json!({ "name": "Trial", "scopes": ["tickets:read"], "expires_at": future });
    let expiring: ApiKeyCreated =
        expect_json(app.post(KEYS, Some(&ws.owner.token), &body).await, StatusCode::CREATED).await;
    assert!(expiring.expires_at.is_some());
    expect_json::<TicketPage>(app.get("/api/v1/tickets", &expiring.key).await, StatusCode::OK).await;
    // Its hour passes: it expired the moment it was created.
    app.execute_sql("UPDATE api_keys SET expires_at = created_at WHERE name = 'Trial'")
        .await;
    // Still listed (the owner sees why calls fail), but refused.
    assert_eq!(list_keys(&app, &ws.owner.token).await.items.len(), 1);

    let unknown = format!("fd_{}", "A".repeat(43));
    for (what, key) in [
        ("revoked", &revoked.key),
        ("expired", &expiring.key),
        ("unknown", &unknown),
    ] {
        let response = app.get("/api/v1/tickets", key).await;
        let error = expect_error(response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated).await;
        assert!(!error.message.is_empty(), "{what}");
    }
}

#[tokio::test]
async fn a_key_in_the_query_string_is_refused() {
    let app = spawn_app().await;
    let ws = TestWorkspace::create(&app, "acme", 0).await;
    let key = app.api_key_with_every_scope(&ws.owner, "CRM").await;
    for query in [
        format!("access_token={key}"),
        format!("api_key={key}"),
        format!("key={key}"),
        format!("status=open&token={key}"),
        format!("q={key}"),
    ] {
        for path in ["/api/v1/tickets", "/api/v1/me", "/api/v1/nowhere"] {
            let url = app.url(&format!("{path}?{query}"));
            let response = app.client.get(&url).send().await.unwrap();
            expect_error(response, StatusCode::BAD_REQUEST, ErrorCode::ApiKeyInQuery).await;
            // Even beside a valid header.
            let response = app.client.get(&url).bearer_auth(&key).send().await.unwrap();
            expect_error(response, StatusCode::BAD_REQUEST, ErrorCode::ApiKeyInQuery).await;
        }
    }
    // A search that merely mentions the prefix is not a key.
    let response = app
        .client
        .get(app.url("/api/v1/tickets?q=fd_"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_key_cannot_open_the_websocket() {
    let app = spawn_app().await;
    let ws = TestWorkspace::create(&app, "acme", 0).await;
    let key = app.api_key_with_every_scope(&ws.owner, "CRM").await;
    // The socket's first-message auth takes a session token only; a key is refused like a bad token.
    let error = ferrodesk::auth::principal::authenticate(&app.state, &key)
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::Unauthenticated);
}
