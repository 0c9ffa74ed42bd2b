//! HTTP hygiene over real sockets: a trickled body times out, every answer carries the security
//! headers, hashed assets are cached and compressed, and a graceful stop answers what it received.

use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::Engine;
use ferrodesk_shared::tickets::NewTicket;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use sea_orm::{ConnectionTrait, TransactionTrait};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn a_body_trickled_slower_than_the_body_timeout_gets_408_and_the_connection_closes() {
    let app = spawn_app_with(|settings| settings.body_timeout = Duration::from_secs(1)).await;
    let port = app.address.rsplit(':').next().unwrap().to_owned();
    let mut socket = TcpStream::connect(format!("127.0.0.1:{port}")).await.unwrap();
    let head = "POST /api/v1/signup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
                Content-Length: 100\r\n\r\n{";
    socket.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let (mut read, mut write) = socket.into_split();
    // One byte every 300 ms: each arrives well within a per-read timeout, the whole never does.
    let trickle = tokio::spawn(async move {
        for _ in 0..30 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if write.write_all(b" ").await.is_err() {
                return;
            }
        }
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let mut answered_after = None;
    let closed = tokio::time::timeout(Duration::from_secs(8), async {
        loop {
            match read.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    answer.extend_from_slice(&buffer[..n]);
                    if answered_after.is_none() && String::from_utf8_lossy(&answer).contains("request_timeout") {
                        answered_after = Some(started.elapsed());
                    }
                }
            }
        }
    })
    .await;
    trickle.abort();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"code\":\"request_timeout\""), "{text}");
    let answered_after = answered_after.unwrap();
    eprintln!(
        "a trickled body was answered 408 after {} ms",
        answered_after.as_millis()
    );
    assert!(answered_after < Duration::from_secs(3), "{answered_after:?}");
    assert!(closed.is_ok(), "the server closes the connection");
}

/// A web app as Trunk lays it out: an index with an inline loader script, and hashed assets.
fn fake_web_dir() -> (PathBuf, String, Vec<u8>) {
    let dir = std::env::temp_dir().join(format!("ferrodesk-web-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let loader = "\nimport init from '/app-0123abcd.js';\nawait init({ module_or_path: '/app-0123abcd_bg.wasm' });\n";
    std::fs::write(
        dir.join("index.html"),
        format!(
            "<!doctype html><html><head><link rel=\"modulepreload\" href=\"/app-0123abcd.js\">\
             <script type=\"module\">{loader}</script></head><body></body></html>"
        ),
    )
    .unwrap();
    let script: Vec<u8> = (0..2000)
        .flat_map(|index| format!("export function f{index}() {{ return {index}; }}\n").into_bytes())
        .collect();
    std::fs::write(dir.join("app-0123abcd.js"), &script).unwrap();
    let hash = format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(loader.as_bytes()))
    );
    (dir, hash, script)
}

fn assert_security_headers(headers: &HeaderMap, what: &str) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_else(|| panic!("{what}: no {name}"))
            .to_owned()
    };
    assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header("referrer-policy"), "no-referrer", "{what}");
    let policy = header("content-security-policy");
    assert!(policy.contains("frame-ancestors 'none'"), "{what}: {policy}");
    assert!(
        !policy.contains("script-src 'self' 'unsafe-inline'"),
        "{what}: {policy}"
    );
}

#[tokio::test]
async fn every_answer_carries_security_headers_and_hashed_assets_are_immutable_and_gzipped() {
    let (dir, loader_hash, script) = fake_web_dir();
    let web_dir = dir.clone();
    let app = spawn_app_with(move |settings| settings.web_dir = web_dir).await;
    let owner = app.signup("headers").await;

    // JSON 200, JSON 4xx, an unknown API path, the SPA index and a client route.
    let cases = [
        ("/healthz", None, StatusCode::OK),
        ("/api/v1/me", Some(owner.token.as_str()), StatusCode::OK),
        ("/api/v1/me", None, StatusCode::UNAUTHORIZED),
        (
            "/api/v1/nothing-here",
            Some(owner.token.as_str()),
            StatusCode::NOT_FOUND,
        ),
        ("/", None, StatusCode::OK),
        ("/inbox/some-ticket", None, StatusCode::OK),
    ];
    for (path, token, status) in cases {
        let mut request = app.client.get(app.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status, "{path}");
        assert_security_headers(response.headers(), path);
        assert!(
            response.headers().get("strict-transport-security").is_none(),
            "http: no HSTS"
        );
        let cache = response
            .headers()
            .get("cache-control")
            .map(|value| value.to_str().unwrap().to_owned());
        if path.starts_with("/api/v1") {
            assert_eq!(cache.as_deref(), Some("no-store"), "{path}");
        }
        if !path.starts_with("/api") && path != "/healthz" {
            let policy = response.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(policy.contains("'wasm-unsafe-eval'"), "{policy}");
            assert!(
                policy.contains(&loader_hash),
                "the loader script is allowed by its hash: {policy}"
            );
            assert!(response.text().await.unwrap().contains("<script type=\"module\">"));
        }
    }

    // A hashed asset: a year, immutable, gzipped at the best level.
    let response = app
        .client
        .get(app.url("/app-0123abcd.js"))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_security_headers(response.headers(), "asset");
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(response.headers()["content-encoding"], "gzip");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    let compressed = response.bytes().await.unwrap();
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut unpacked)
        .unwrap();
    assert_eq!(unpacked, script);
    let mut fast = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut fast, &script).unwrap();
    let fast = fast.finish().unwrap();
    eprintln!(
        "asset: {} bytes raw, {} gzipped fast, {} served",
        script.len(),
        fast.len(),
        compressed.len()
    );
    assert!(compressed.len() < fast.len(), "better than the fastest level");
    // A client without gzip gets the file as it is, cached the same.
    let plain = app
        .client
        .get(app.url("/app-0123abcd.js"))
        .header("accept-encoding", "identity")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.bytes().await.unwrap().as_ref(), &script[..]);

    // A real icon, not the app's page.
    let icon = app.client.get(app.url("/favicon.ico")).send().await.unwrap();
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(icon.headers()["content-type"], "image/x-icon");
    assert_eq!(&icon.bytes().await.unwrap()[..4], &[0, 0, 1, 0], "an ICO file");

    // Swagger UI keeps working: its inline scripts are allowed on its own paths only.
    let docs = app.client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    let policy = docs.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        policy.contains("'unsafe-inline'") && policy.contains("frame-ancestors 'none'"),
        "{policy}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn an_https_public_url_turns_on_strict_transport_security() {
    let app = spawn_app_with(|settings| settings.public_url = "https://desk.example.com".to_owned()).await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.headers()["strict-transport-security"], "max-age=31536000");
    assert_security_headers(response.headers(), "/healthz over https");
    let policy = response.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("wss://desk.example.com"), "{policy}");
}

#[tokio::test]
async fn a_graceful_stop_answers_requests_in_flight_and_those_arriving_while_it_drains() {
    let app = spawn_app_with(|settings| settings.database_busy_timeout = Duration::from_secs(20)).await;
    let owner = app.signup("draining").await;
    // Something slow in flight: a new ticket waits for a lock another connection holds.
    let other = ferrodesk::db::connect(&app.settings.database_url, 1).await.unwrap();
    let lock = if app.settings.database_url.starts_with("postgres") {
        let lock = other.begin().await.unwrap();
        lock.execute_unprepared(&format!(
            "SELECT 1 FROM workspaces WHERE id = '{}' FOR UPDATE",
            owner.auth.workspace.id.0
        ))
        .await
        .unwrap();
        lock
    } else {
        crate::helpers::another_process_writes(&other).await
    };
    let slow = tokio::spawn({
        let (client, url, token) = (app.client.clone(), app.url("/api/v1/tickets"), owner.token.clone());
        async move {
            let ticket = NewTicket {
                subject: "Sent just before the deploy".to_owned(),
                body: "Please do not lose me.".to_owned(),
                priority: None,
                requester_email: Some("patient@mail.example".to_owned()),
                requester_name: None,
                attachment_ids: Vec::new(),
            };
            client.post(url).bearer_auth(token).json(&ticket).send().await
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!slow.is_finished(), "the ticket waits for the lock");

    let stopper = app.stopper.clone();
    let stopping = tokio::spawn(async move { stopper.stop().await });
    tokio::time::sleep(Duration::from_millis(200)).await;

    // While draining: not ready for new traffic, but what arrives is still answered, on a
    // kept-alive connection and on a new one.
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let kept_alive = app.get("/api/v1/me", &owner.token).await;
    assert_eq!(kept_alive.status(), StatusCode::OK);
    let fresh = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&owner.token)
        .send()
        .await
        .expect("a request sent while draining is answered");
    assert_eq!(fresh.status(), StatusCode::OK);
    assert!(!stopping.is_finished(), "the server waits for the ticket in flight");

    lock.rollback().await.unwrap();
    let created = slow
        .await
        .unwrap()
        .expect("the request in flight is answered, not reset");
    assert_eq!(created.status(), StatusCode::CREATED);
    tokio::time::timeout(Duration::from_secs(15), stopping)
        .await
        .expect("the server stops once idle")
        .unwrap();
    let port = app.address.rsplit(':').next().unwrap().to_owned();
    assert!(
        TcpStream::connect(format!("127.0.0.1:{port}")).await.is_err(),
        "stopped servers accept nothing"
    );
}
