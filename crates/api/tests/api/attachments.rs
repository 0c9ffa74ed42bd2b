//! Attachments: a file is known by its bytes, kept within limits, stored (in the data folder here),
//! and read back only by its uploader until a message carries it; never across workspaces.

use ferrodesk_shared::ErrorCode;
use ferrodesk_shared::attachments::Attachment;
use reqwest::StatusCode;

use ferrodesk::config::{BlobStore, Secret};

use crate::helpers::{TestApp, TestWorkspace, expect_error, expect_json, spawn_app, spawn_app_with};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

async fn upload(app: &TestApp, token: &str, filename: &str, bytes: &[u8]) -> reqwest::Response {
    let mut url = reqwest::Url::parse(&app.url("/api/v1/attachments")).unwrap();
    url.query_pairs_mut().append_pair("filename", filename);
    app.client
        .post(url)
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap()
}

async fn download(app: &TestApp, token: &str, attachment: &Attachment) -> reqwest::Response {
    app.get(&format!("/api/v1/attachments/{}", attachment.id), token).await
}

#[tokio::test]
async fn a_file_is_typed_by_its_bytes_and_read_back_by_its_uploader_alone() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 2).await;
    let globex = TestWorkspace::create(&app, "globex", 1).await;

    // A screenshot named like a document is an image all the same.
    let shot: Attachment = expect_json(
        upload(&app, &acme.customer().token, "../../screen \"shot\".pdf", PNG).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(shot.content_type, "image/png");
    assert!(shot.inline);
    assert_eq!(shot.filename, "screen shot.pdf");
    assert_eq!(shot.size_bytes, PNG.len() as u64);

    let mine = download(&app, &acme.customer().token, &shot).await;
    assert_eq!(mine.status(), StatusCode::OK);
    let headers = mine.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline; filename=\"screen shot.pdf\"")
    );
    assert!(headers["content-security-policy"].to_str().unwrap().contains("sandbox"));
    assert_eq!(mine.bytes().await.unwrap().as_ref(), PNG);

    // Not sent with a message yet: nobody else reads it, not the team, not another customer, not
    // another workspace.
    for other in [
        &acme.customers[1],
        acme.agent(),
        &acme.owner,
        globex.agent(),
        &globex.owner,
    ] {
        expect_error(
            download(&app, &other.token, &shot).await,
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        )
        .await;
    }

    // A text file downloads as text, never as a page.
    let log: Attachment = expect_json(
        upload(&app, &acme.agent().token, "error.log", b"12:00 card declined\n").await,
        StatusCode::CREATED,
    )
    .await;
    let served = download(&app, &acme.agent().token, &log).await;
    assert_eq!(served.headers()["content-type"], "text/plain; charset=utf-8");
    assert!(
        served.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
}

#[tokio::test]
async fn pages_programs_and_oversized_files_are_refused_and_nothing_is_kept() {
    let app = spawn_app_with(|settings| settings.attachments.max_bytes = 1024).await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let token = &acme.customer().token;
    for (name, bytes) in [
        ("invoice.pdf", b"<!DOCTYPE html><script>steal()</script>".to_vec()),
        ("logo.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec()),
        ("setup.exe", b"MZ\x90\0\x03\0\0\0\x04\0".to_vec()),
    ] {
        let refused = expect_error(
            upload(&app, token, name, &bytes).await,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
        )
        .await;
        assert!(refused.message.contains("not accepted"), "{name}: {refused:?}");
    }
    expect_error(
        upload(&app, token, "big.txt", &vec![b'a'; 1025]).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
    )
    .await;
    expect_error(
        upload(&app, token, "", b"").await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::UnsupportedMediaType,
    )
    .await;
    // Exactly at the limit is fine.
    expect_json::<Attachment>(
        upload(&app, token, "ok.txt", &vec![b'a'; 1024]).await,
        StatusCode::CREATED,
    )
    .await;

    use ferrodesk::db::entities::attachments;
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(attachments::Entity::find().count(&app.state.db).await.unwrap(), 1);
    let stored = std::fs::read_dir(app.settings.data_dir.join("attachments"))
        .unwrap()
        .flatten()
        .flat_map(|workspace| std::fs::read_dir(workspace.path()).unwrap().flatten())
        .count();
    assert_eq!(stored, 1, "a refused file leaves no bytes behind");
}

#[tokio::test]
async fn uploads_are_counted_per_person_per_hour() {
    let app = spawn_app_with(|settings| settings.attachments.uploads_per_hour = 3).await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    for _ in 0..3 {
        expect_json::<Attachment>(
            upload(&app, &acme.customer().token, "a.png", PNG).await,
            StatusCode::CREATED,
        )
        .await;
    }
    expect_error(
        upload(&app, &acme.customer().token, "a.png", PNG).await,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;
    // Someone else still may.
    expect_json::<Attachment>(
        upload(&app, &acme.customers[1].token, "a.png", PNG).await,
        StatusCode::CREATED,
    )
    .await;
}

#[tokio::test]
async fn anonymous_callers_upload_and_read_nothing() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/attachments?filename=a.png"))
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

/// moto's S3 server on loopback (scripts/ensure-test-tools installs it): a store that speaks S3's
/// own wire protocol, started for one test.
struct S3Peer {
    child: tokio::process::Child,
    endpoint: String,
}

impl S3Peer {
    async fn start(bucket: &str) -> S3Peer {
        // This test's own client is made before the app, which would install it.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let child = tokio::process::Command::new(root.join(".tools/py/bin/moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("moto_server runs: `bash scripts/ensure-test-tools` installs it");
        let endpoint = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        for _ in 0..150 {
            if client
                .put(format!("{endpoint}/{bucket}"))
                .send()
                .await
                .is_ok_and(|answer| answer.status().is_success())
            {
                return S3Peer { child, endpoint };
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("moto_server did not start on {endpoint}");
    }
}

#[tokio::test]
async fn files_live_in_an_s3_compatible_store_when_one_is_configured_and_its_outage_loses_nothing() {
    let mut peer = S3Peer::start("ferrodesk-files").await;
    let endpoint = peer.endpoint.clone();
    let app = spawn_app_with(|settings| {
        settings.attachments.store = BlobStore::S3 {
            bucket: "ferrodesk-files".to_owned(),
            endpoint: Some(endpoint),
            region: "us-east-1".to_owned(),
            access_key_id: "testing".to_owned(),
            secret_access_key: Secret::new("testing"),
        };
    })
    .await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let token = &acme.customer().token;
    let shot: Attachment = expect_json(upload(&app, token, "shot.png", PNG).await, StatusCode::CREATED).await;
    // The object is in the bucket, under the workspace and the file's id (moto's own view of its
    // data: objects are private to signed requests).
    let key = format!("{}/{}", acme.owner.auth.workspace.id, shot.id);
    let data = reqwest::get(format!("{}/moto-api/data.json", peer.endpoint))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(data.contains(&key), "{key} is not in the bucket: {data}");
    let served = download(&app, token, &shot).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.bytes().await.unwrap().as_ref(), PNG);

    // The store goes away: uploads answer 503 and leave no row; reads answer 503.
    peer.child.kill().await.unwrap();
    expect_error(
        upload(&app, token, "later.png", PNG).await,
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::ServiceUnavailable,
    )
    .await;
    expect_error(
        download(&app, token, &shot).await,
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::ServiceUnavailable,
    )
    .await;
    use ferrodesk::db::entities::attachments;
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(attachments::Entity::find().count(&app.state.db).await.unwrap(), 1);
}

async fn send_with(
    app: &TestApp,
    who: &crate::helpers::Session,
    ticket: ferrodesk_shared::TicketId,
    body: serde_json::Value,
) -> reqwest::Response {
    app.post(
        &format!("{}/messages", crate::helpers::ticket_path(ticket)),
        Some(&who.token),
        &body,
    )
    .await
}

#[tokio::test]
async fn a_message_carries_its_files_to_exactly_those_who_may_read_it() {
    use ferrodesk_shared::tickets::Message;
    use serde_json::json;
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 2).await;
    let globex = TestWorkspace::create(&app, "globex", 1).await;
    let (customer, agent) = (acme.customer(), acme.agent());
    let ticket = app
        .create_ticket(customer, "Broken checkout", "See the screenshot")
        .await
        .ticket;

    // The customer's reply with a screenshot.
    let shot: Attachment = expect_json(
        upload(&app, &customer.token, "shot.png", PNG).await,
        StatusCode::CREATED,
    )
    .await;
    let sent: Message = expect_json(
        send_with(
            &app,
            customer,
            ticket.id,
            json!({"body": "Here it is", "attachment_ids": [shot.id]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(sent.attachments, vec![shot.clone()]);
    let thread = app.ticket_as(agent, ticket.id).await.messages;
    let carried = thread.iter().find(|message| message.id == sent.id).unwrap();
    assert_eq!(carried.attachments, vec![shot.clone()]);
    for reader in [customer, agent, &acme.agents[1], &acme.owner] {
        assert_eq!(download(&app, &reader.token, &shot).await.status(), StatusCode::OK);
    }
    for stranger in [&acme.customers[1], globex.agent(), &globex.owner] {
        expect_error(
            download(&app, &stranger.token, &shot).await,
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        )
        .await;
    }

    // A file sent once is sent; another's upload is not yours to send. Nothing is half-stored.
    let before = app.ticket_as(agent, ticket.id).await.messages.len();
    let theirs: Attachment = expect_json(
        upload(&app, &acme.customers[1].token, "x.png", PNG).await,
        StatusCode::CREATED,
    )
    .await;
    for ids in [vec![shot.id], vec![theirs.id]] {
        let refused = expect_error(
            send_with(
                &app,
                customer,
                ticket.id,
                json!({"body": "again", "attachment_ids": ids}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
        )
        .await;
        assert!(refused.fields.contains_key("attachment_ids"), "{refused:?}");
    }
    let mut many = Vec::new();
    for _ in 0..6 {
        let file: Attachment =
            expect_json(upload(&app, &customer.token, "m.png", PNG).await, StatusCode::CREATED).await;
        many.push(file.id);
    }
    expect_error(
        send_with(
            &app,
            customer,
            ticket.id,
            json!({"body": "six", "attachment_ids": many}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    )
    .await;
    assert_eq!(app.ticket_as(agent, ticket.id).await.messages.len(), before);
    // The refused files are still the uploader's to send.
    let five: Vec<_> = many[..5].to_vec();
    let ok: Message = expect_json(
        send_with(
            &app,
            customer,
            ticket.id,
            json!({"body": "five", "attachment_ids": five}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(ok.attachments.len(), 5);

    // An internal note's file is the team's alone.
    let log: Attachment = expect_json(
        upload(&app, &agent.token, "trace.log", b"checkout 500\n").await,
        StatusCode::CREATED,
    )
    .await;
    expect_json::<Message>(
        send_with(
            &app,
            agent,
            ticket.id,
            json!({"body": "Stack trace", "internal": true, "attachment_ids": [log.id]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        download(&app, &acme.agents[1].token, &log).await.status(),
        StatusCode::OK
    );
    expect_error(
        download(&app, &customer.token, &log).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;

    // A public reply's files are named in the customer's mail.
    let invoice: Attachment = expect_json(
        upload(&app, &agent.token, "invoice 12.pdf", b"%PDF-1.7\n%%EOF\n").await,
        StatusCode::CREATED,
    )
    .await;
    expect_json::<Message>(
        send_with(
            &app,
            agent,
            ticket.id,
            json!({"body": "Your invoice", "attachment_ids": [invoice.id]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    use ferrodesk::db::entities::outbox;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let mail = outbox::Entity::find()
        .filter(outbox::Column::ToAddress.eq(customer.auth.user.email.clone()))
        .filter(outbox::Column::Kind.eq("agent_replied"))
        .order_by_desc(outbox::Column::CreatedAt)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        mail.body_text.contains("- invoice 12.pdf (15 bytes):"),
        "{}",
        mail.body_text
    );
    // ... each with its own link, which opens the file without signing in.
    let link = mail
        .body_text
        .split_whitespace()
        .find(|word| word.contains(&format!("/api/v1/attachments/{}/signed?", invoice.id)))
        .unwrap_or_else(|| panic!("no file link in {}", mail.body_text))
        .to_owned();
    // The mail names the configured public address; the test server listens on its own port.
    let link = app.url(link.strip_prefix(app.state.settings.public_url.as_str()).unwrap());
    let opened = app.client.get(&link).send().await.unwrap();
    assert_eq!(opened.status(), StatusCode::OK);
    assert_eq!(opened.headers()["content-type"], "application/pdf");
    assert!(
        opened.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(opened.bytes().await.unwrap().as_ref(), b"%PDF-1.7\n%%EOF\n");
    // Altered, it opens nothing: another file, a later expiry, a changed signature.
    let (_, query) = link.split_once('?').unwrap();
    let value = |name: &str| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_owned()
    };
    let (expires, signature): (i64, String) = (value("expires").parse().unwrap(), value("signature"));
    let signed = |id: ferrodesk_shared::AttachmentId, expires: i64, signature: &str| {
        app.url(&format!(
            "/api/v1/attachments/{id}/signed?expires={expires}&signature={signature}"
        ))
    };
    let mut flipped = signature.clone().into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    for url in [
        signed(shot.id, expires, &signature),
        signed(invoice.id, expires + 60, &signature),
        signed(invoice.id, expires, &flipped),
    ] {
        expect_error(
            app.client.get(&url).send().await.unwrap(),
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        )
        .await;
    }
    // A link the server did sign still opens no internal note's file, and none after it expired.
    let secret = &app.state.settings.auth.jwt_secret;
    let note_link = signed(
        log.id,
        expires,
        &ferrodesk::attachments::links::sign(secret, log.id.0, expires),
    );
    expect_error(
        app.client.get(&note_link).send().await.unwrap(),
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;
    let past = chrono::Utc::now().timestamp() - 1;
    let old_link = signed(
        invoice.id,
        past,
        &ferrodesk::attachments::links::sign(secret, invoice.id.0, past),
    );
    let expired = expect_error(
        app.client.get(&old_link).send().await.unwrap(),
        StatusCode::GONE,
        ErrorCode::LinkExpired,
    )
    .await;
    assert!(expired.message.contains("file link has expired"), "{expired:?}");

    // Merged into another of the customer's tickets, the files go along and stay readable.
    let other = app
        .create_ticket(customer, "Checkout again", "Still broken")
        .await
        .ticket;
    let merged = app
        .post(
            &format!("{}/merge", crate::helpers::ticket_path(ticket.id)),
            Some(&agent.token),
            &json!({"into": other.id}),
        )
        .await;
    assert_eq!(merged.status(), StatusCode::OK);
    let moved = app.ticket_as(customer, other.id).await.messages;
    assert!(moved.iter().any(|message| message.attachments.contains(&shot)));
    assert_eq!(download(&app, &customer.token, &shot).await.status(), StatusCode::OK);
    expect_error(
        download(&app, &customer.token, &log).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;
}

#[tokio::test]
async fn a_new_request_carries_its_files_and_a_refused_one_keeps_nothing() {
    use ferrodesk_shared::tickets::TicketDetail;
    use serde_json::json;
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 2).await;
    let globex = TestWorkspace::create(&app, "globex", 1).await;
    let (customer, agent) = (acme.customer(), acme.agent());
    let shot: Attachment = expect_json(
        upload(&app, &customer.token, "error.png", PNG).await,
        StatusCode::CREATED,
    )
    .await;
    let log: Attachment = expect_json(
        upload(&app, &customer.token, "console.txt", b"TypeError: cart is undefined\n").await,
        StatusCode::CREATED,
    )
    .await;
    let created: TicketDetail = expect_json(
        app.post(
            "/api/v1/tickets",
            Some(&customer.token),
            &json!({"subject": "Checkout fails", "body": "See the files", "attachment_ids": [shot.id, log.id]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created.messages[0].attachments, vec![shot.clone(), log.clone()]);
    let seen = app.ticket_as(agent, created.ticket.id).await;
    assert_eq!(seen.messages[0].attachments, vec![shot.clone(), log.clone()]);
    assert_eq!(download(&app, &agent.token, &log).await.status(), StatusCode::OK);
    expect_error(
        download(&app, &globex.agent().token, &log).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;

    // Files already sent, someone else's, another workspace's, or too many: 422 at
    // `attachment_ids`, and no ticket is made.
    use ferrodesk::db::entities::tickets;
    use sea_orm::{EntityTrait, PaginatorTrait};
    let before = tickets::Entity::find().count(&app.state.db).await.unwrap();
    let theirs: Attachment = expect_json(
        upload(&app, &acme.customers[1].token, "x.png", PNG).await,
        StatusCode::CREATED,
    )
    .await;
    let elsewhere: Attachment = expect_json(
        upload(&app, &globex.customer().token, "y.png", PNG).await,
        StatusCode::CREATED,
    )
    .await;
    let mut six = Vec::new();
    for _ in 0..6 {
        let file: Attachment =
            expect_json(upload(&app, &customer.token, "m.png", PNG).await, StatusCode::CREATED).await;
        six.push(file.id);
    }
    for ids in [
        vec![shot.id],
        vec![theirs.id],
        vec![elsewhere.id],
        vec![six[0], six[0]],
        six.clone(),
    ] {
        let refused = expect_error(
            app.post(
                "/api/v1/tickets",
                Some(&customer.token),
                &json!({"subject": "Again", "body": "With files", "attachment_ids": ids}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
        )
        .await;
        assert!(refused.fields.contains_key("attachment_ids"), "{ids:?}: {refused:?}");
    }
    assert_eq!(tickets::Entity::find().count(&app.state.db).await.unwrap(), before);

    // Staff opening a ticket for a customer attach their own uploads the same way, and concurrent
    // creates (one transaction for the batch) each keep their own files.
    let mut creates = Vec::new();
    for n in 0..4 {
        let file: Attachment = expect_json(
            upload(
                &app,
                &agent.token,
                &format!("call-{n}.txt"),
                format!("notes {n}\n").as_bytes(),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        creates.push((n, file));
    }
    let bodies: Vec<serde_json::Value> = creates
        .iter()
        .map(|(n, file)| {
            json!({
                "subject": format!("Phone call {n}"),
                "body": "Notes attached",
                "requester_email": format!("caller{n}@mail.example"),
                "attachment_ids": [file.id]
            })
        })
        .collect();
    let answers = futures_util::future::join_all(
        bodies
            .iter()
            .map(|body| app.post("/api/v1/tickets", Some(&agent.token), body)),
    )
    .await;
    for ((_, file), answer) in creates.iter().zip(answers) {
        let detail: TicketDetail = expect_json(answer, StatusCode::CREATED).await;
        assert_eq!(detail.messages[0].attachments, vec![file.clone()]);
    }
}

#[tokio::test]
async fn uploads_never_sent_are_swept_after_a_day_and_sent_ones_stay() {
    use ferrodesk::attachments::jobs::{UNSENT_FOR, sweep};
    use serde_json::json;
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let globex = TestWorkspace::create(&app, "globex", 1).await;
    let customer = acme.customer();
    let ticket = app.create_ticket(customer, "Receipt", "Attached below").await.ticket;
    let upload_png = |token: String| {
        let app = &app;
        async move { expect_json::<Attachment>(upload(app, &token, "a.png", PNG).await, StatusCode::CREATED).await }
    };
    let (sent, forgotten, elsewhere) = (
        upload_png(customer.token.clone()).await,
        upload_png(customer.token.clone()).await,
        upload_png(globex.customer().token.clone()).await,
    );
    let response = send_with(
        &app,
        customer,
        ticket.id,
        json!({"body": "here", "attachment_ids": [sent.id]}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);

    // Within the day nothing goes.
    let now = chrono::Utc::now();
    assert_eq!(
        sweep(&app.state, now + UNSENT_FOR - chrono::Duration::minutes(5))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        download(&app, &customer.token, &forgotten).await.status(),
        StatusCode::OK
    );

    // After it, the unsent uploads of every workspace go, bytes and all; the sent one stays.
    assert_eq!(
        sweep(&app.state, now + UNSENT_FOR + chrono::Duration::minutes(5))
            .await
            .unwrap(),
        2
    );
    for (who, file) in [(customer, &forgotten), (globex.customer(), &elsewhere)] {
        expect_error(
            download(&app, &who.token, file).await,
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        )
        .await;
        assert!(app.state.blobs.get(who.auth.workspace.id.0, file.id.0).await.is_err());
    }
    assert_eq!(download(&app, &customer.token, &sent).await.status(), StatusCode::OK);
    // A swept file can no longer be sent; a second run finds nothing.
    let refused = expect_error(
        send_with(
            &app,
            customer,
            ticket.id,
            json!({"body": "late", "attachment_ids": [forgotten.id]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    )
    .await;
    assert!(refused.fields.contains_key("attachment_ids"));
    assert_eq!(sweep(&app.state, now + UNSENT_FOR * 2).await.unwrap(), 0);
}
