//! Bad input: every refusal is JSON with a machine-readable code, and nothing is half-stored.

use ferrodesk_shared::ErrorCode;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestWorkspace, expect_error, expect_json, spawn_app};

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let app = spawn_app().await;
    let owner = app.signup("acme").await;
    let unknown = app.get("/api/v1/nothing-here", &owner.token).await;
    expect_error(unknown, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let outside_v1 = app.get("/api/v2/tickets", &owner.token).await;
    expect_error(outside_v1, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let wrong_method = app.send(Method::DELETE, "/api/v1/me", Some(&owner.token), None).await;
    expect_error(
        wrong_method,
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
    )
    .await;
    let docs = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let redirect = docs.get(app.url("/api/docs")).send().await.unwrap();
    assert_eq!(redirect.headers().get("location").unwrap(), "/api/docs/");
    let bad_id = app.get("/api/v1/tickets/not-a-uuid", &owner.token).await;
    expect_error(bad_id, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

#[tokio::test]
async fn malformed_and_unknown_fields_are_refused() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let token = &acme.customer().token;
    let broken = app
        .client
        .post(app.url("/api/v1/tickets"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body("{\"subject\": ")
        .send()
        .await
        .unwrap();
    expect_error(broken, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;
    let extra = app
        .post(
            "/api/v1/tickets",
            Some(token),
            &json!({"subject": "s", "body": "b", "status": "solved"}),
        )
        .await;
    let error = expect_error(extra, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;
    assert!(
        error.message.contains("status"),
        "names the unknown field: {}",
        error.message
    );
    let wrong_type = app
        .client
        .post(app.url("/api/v1/tickets"))
        .bearer_auth(token)
        .header("content-type", "text/plain")
        .body("subject=s")
        .send()
        .await
        .unwrap();
    expect_error(
        wrong_type,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::UnsupportedMediaType,
    )
    .await;
    let empty = app
        .post("/api/v1/tickets", Some(token), &json!({"subject": "  ", "body": ""}))
        .await;
    let error = expect_error(empty, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed).await;
    assert!(error.fields.contains_key("subject") && error.fields.contains_key("body"));
    let header_injection = app
        .post(
            "/api/v1/tickets",
            Some(token),
            &json!({"subject": "Hi\r\nBcc: all@example.com", "body": "b"}),
        )
        .await;
    expect_error(
        header_injection,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    )
    .await;

    let page: ferrodesk_shared::tickets::TicketPage =
        expect_json(app.get("/api/v1/tickets", &acme.agent().token).await, StatusCode::OK).await;
    assert!(page.items.is_empty(), "nothing was stored by refused requests");
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 0).await;
    let huge = "x".repeat(app.settings.body_limit_bytes + 1);
    let response = app
        .post(
            "/api/v1/tickets",
            Some(&acme.customer().token),
            &json!({"subject": "big", "body": huge}),
        )
        .await;
    expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge).await;
}
