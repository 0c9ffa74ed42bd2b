//! Liveness, readiness and the API documentation.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_and_readyz_answer() {
    let app = spawn_app().await;
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let ready: Value = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"], "ok");
}

#[tokio::test]
async fn openapi_document_and_offline_docs_are_served() {
    let app = spawn_app().await;
    let spec: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["paths"]["/api/v1/tickets"]["post"].is_object());
    assert!(spec["components"]["securitySchemes"]["session"].is_object());
    assert!(spec["components"]["securitySchemes"]["api_key"].is_object());

    let docs = app.client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    let html = docs.text().await.unwrap();
    assert!(html.contains("swagger"), "Swagger UI page: {html}");
    assert!(!html.contains("cdn."), "the docs must not load from a CDN");
    // Its script is served by us, not fetched from elsewhere.
    let bundle = app
        .client
        .get(app.url("/api/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(bundle.status(), StatusCode::OK);
}

/// The committed `openapi/openapi.json` is what the code generates. Run with
/// `FERRODESK_UPDATE_OPENAPI=1` to rewrite it after changing the API.
#[test]
fn committed_openapi_document_is_fresh() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/openapi.json");
    let generated = ferrodesk::openapi::document_json();
    if std::env::var("FERRODESK_UPDATE_OPENAPI").is_ok_and(|value| value == "1") {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is stale: run `FERRODESK_UPDATE_OPENAPI=1 cargo test -p ferrodesk --test api committed_openapi` and commit it"
    );
}

#[tokio::test]
async fn the_web_app_is_served_with_index_html_for_client_routes() {
    let app = crate::helpers::spawn_app_with(|settings| {
        std::fs::create_dir_all(&settings.web_dir).unwrap();
        std::fs::write(
            settings.web_dir.join("index.html"),
            "<!doctype html><title>Ferrodesk app</title>",
        )
        .unwrap();
        std::fs::write(settings.web_dir.join("app-123.js"), "console.log('hi')").unwrap();
    })
    .await;
    for path in ["/", "/inbox", "/inbox/0193-abc?view=mine", "/requests/new"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(response.text().await.unwrap().contains("Ferrodesk app"), "{path}");
    }
    let asset = app.client.get(app.url("/app-123.js")).send().await.unwrap();
    assert!(asset.text().await.unwrap().contains("console.log"));
    // API paths never fall back to the page.
    let api = app.client.get(app.url("/api/v1/nothing")).send().await.unwrap();
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    assert_eq!(api.headers().get("content-type").unwrap(), "application/json");
}

#[tokio::test]
async fn without_a_built_web_app_the_root_says_how_to_build_it() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.text().await.unwrap().contains("scripts/run"));
}
