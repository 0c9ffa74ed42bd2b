//! The embeddable widget: the owner's settings, the loader and iframe, and the visitor's public API
//! (origins, identity tokens, limits, and a visitor never reading what is not theirs).

use chrono::Utc;
use ferrodesk_shared::tickets::TicketStatus;
use ferrodesk_shared::widget::{
    Conversation, ConversationList, ConversationMessage, ConversationStarted, Visitor, VisitorFrame, VisitorSession,
    WidgetConfig, WidgetSecret, WidgetSettings,
};
use ferrodesk_shared::{ErrorCode, Role, TicketId};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, expect_error, expect_json, spawn_app, spawn_app_with};

const SHOP: &str = "https://shop.example";

/// Calls the visitor API of one workspace as a browser on `origin` would.
struct Widget<'a> {
    app: &'a TestApp,
    slug: String,
    origin: Option<String>,
}

impl<'a> Widget<'a> {
    fn of(app: &'a TestApp, slug: &str) -> Widget<'a> {
        Widget {
            app,
            slug: slug.to_owned(),
            origin: Some(SHOP.to_owned()),
        }
    }

    fn with_origin(&self, origin: Option<&str>) -> Widget<'a> {
        Widget {
            app: self.app,
            slug: self.slug.clone(),
            origin: origin.map(str::to_owned),
        }
    }

    async fn send(&self, method: Method, rest: &str, token: Option<&str>, body: Option<Value>) -> Response {
        let url = self.app.url(&format!("/api/v1/widget/{}{rest}", self.slug));
        let mut request = self.app.client.request(method, url);
        if let Some(origin) = &self.origin {
            request = request.header("Origin", origin);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    /// `POST .../conversations` with `body`, as a new visitor (`None`) or with a visitor's token.
    async fn start(&self, token: Option<&str>, body: Value) -> Response {
        self.send(Method::POST, "/conversations", token, Some(body)).await
    }

    async fn write_in(&self, name: &str, email: &str, message: &str) -> ConversationStarted {
        let body = json!({ "name": name, "email": email, "message": message });
        expect_json(self.start(None, body).await, StatusCode::CREATED).await
    }

    async fn conversation(&self, token: &str, id: TicketId) -> Response {
        self.send(Method::GET, &format!("/conversations/{id}"), Some(token), None)
            .await
    }

    async fn reply(&self, token: &str, id: TicketId, body: &str) -> Response {
        self.send(
            Method::POST,
            &format!("/conversations/{id}/messages"),
            Some(token),
            Some(json!({ "body": body })),
        )
        .await
    }

    /// `POST .../attachments?filename=` with the file's bytes, as the visitor.
    async fn upload(&self, token: &str, filename: &str, bytes: &[u8]) -> Response {
        let mut url = reqwest::Url::parse(&self.app.url(&format!("/api/v1/widget/{}/attachments", self.slug))).unwrap();
        url.query_pairs_mut().append_pair("filename", filename);
        let mut request = self.app.client.post(url).bearer_auth(token).body(bytes.to_vec());
        if let Some(origin) = &self.origin {
            request = request.header("Origin", origin);
        }
        request.send().await.unwrap()
    }

    async fn file(&self, token: &str, id: ferrodesk_shared::AttachmentId) -> Response {
        self.send(Method::GET, &format!("/attachments/{id}"), Some(token), None)
            .await
    }

    async fn list(&self, token: &str) -> ConversationList {
        expect_json(
            self.send(Method::GET, "/conversations", Some(token), None).await,
            StatusCode::OK,
        )
        .await
    }

    async fn identify(&self, identity: &str) -> Response {
        self.send(Method::POST, "/identify", None, Some(json!({ "token": identity })))
            .await
    }
}

async fn put_settings(app: &TestApp, who: &Session, body: Value) -> Response {
    app.send(Method::PUT, "/api/v1/widget/settings", Some(&who.token), Some(&body))
        .await
}

/// Signs up `slug` and switches its widget on for [`SHOP`].
async fn workspace_with_widget(app: &TestApp, slug: &str) -> Session {
    let owner = app.signup(slug).await;
    let settings: WidgetSettings = expect_json(
        put_settings(app, &owner, json!({ "enabled": true, "allowed_origins": [SHOP] })).await,
        StatusCode::OK,
    )
    .await;
    assert!(settings.enabled);
    owner
}

async fn rotate_secret(app: &TestApp, owner: &Session) -> String {
    let secret: WidgetSecret = expect_json(
        app.post("/api/v1/widget/secret", Some(&owner.token), &json!({})).await,
        StatusCode::OK,
    )
    .await;
    secret.secret
}

fn identity(secret: &str, claims: Value) -> String {
    crate::helpers::forge_token(&claims, secret)
}

fn claims(slug: &str, email: &str) -> Value {
    let now = Utc::now().timestamp();
    json!({ "aud": slug, "email": email, "name": "Ada Lovelace", "external_id": "cust-42", "iat": now, "exp": now + 300 })
}

#[tokio::test]
async fn widget_settings_are_the_owners_and_a_partial_update_keeps_the_rest() {
    let app = spawn_app().await;
    let owner = app.signup("acme").await;
    let settings: WidgetSettings =
        expect_json(app.get("/api/v1/widget/settings", &owner.token).await, StatusCode::OK).await;
    assert!(!settings.enabled, "a new workspace's widget is off");
    assert!(settings.allowed_origins.is_empty());
    assert!(!settings.has_secret);

    let body = json!({ "enabled": true, "allowed_origins": ["https://Shop.Example/", "http://localhost:8000"] });
    let settings: WidgetSettings = expect_json(put_settings(&app, &owner, body).await, StatusCode::OK).await;
    assert_eq!(
        settings.allowed_origins,
        vec!["https://shop.example", "http://localhost:8000"]
    );

    // A partial body: the origins stay.
    let settings: WidgetSettings = expect_json(
        put_settings(&app, &owner, json!({ "colour": "#112233", "label": "Chat" })).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(settings.colour, "#112233");
    assert_eq!(settings.label, "Chat");
    assert_eq!(
        settings.allowed_origins,
        vec!["https://shop.example", "http://localhost:8000"]
    );
    assert!(settings.enabled);

    // One bad field: nothing is stored, and the answer names the field.
    let refused = expect_error(
        put_settings(
            &app,
            &owner,
            json!({ "colour": "#445566", "allowed_origins": ["https://*.shop.example"] }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    )
    .await;
    assert!(refused.fields.contains_key("allowed_origins"), "{refused:?}");
    let settings: WidgetSettings =
        expect_json(app.get("/api/v1/widget/settings", &owner.token).await, StatusCode::OK).await;
    assert_eq!(settings.colour, "#112233");
    let unknown = put_settings(&app, &owner, json!({ "colour": "#445566", "surprise": 1 })).await;
    expect_error(unknown, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;

    // Only the owner; no API key, whatever its scopes.
    let supervisor = app.invite_and_join(&owner, "sup@acme.example", Role::Supervisor).await;
    let agent = app.invite_and_join(&owner, "agent@acme.example", Role::Agent).await;
    for who in [&supervisor, &agent] {
        expect_error(
            app.get("/api/v1/widget/settings", &who.token).await,
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
        )
        .await;
        expect_error(
            put_settings(&app, who, json!({ "enabled": false })).await,
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
        )
        .await;
        expect_error(
            app.post("/api/v1/widget/secret", Some(&who.token), &json!({})).await,
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
        )
        .await;
    }
    let key = app.api_key_with_every_scope(&owner, "everything").await;
    expect_error(
        app.get("/api/v1/widget/settings", &key).await,
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
    )
    .await;

    // Another workspace's owner sees and changes only their own.
    let other = app.signup("globex").await;
    let theirs: WidgetSettings =
        expect_json(app.get("/api/v1/widget/settings", &other.token).await, StatusCode::OK).await;
    assert!(!theirs.enabled && theirs.allowed_origins.is_empty());
    let _: WidgetSettings = expect_json(
        put_settings(&app, &other, json!({ "enabled": false, "colour": "#000000" })).await,
        StatusCode::OK,
    )
    .await;
    let ours: WidgetSettings =
        expect_json(app.get("/api/v1/widget/settings", &owner.token).await, StatusCode::OK).await;
    assert!(ours.enabled);
    assert_eq!(ours.colour, "#112233");

    // The secret is shown once: the settings only say there is one.
    let secret = rotate_secret(&app, &owner).await;
    assert!(secret.starts_with("fdw_") && secret.len() == 68, "{secret}");
    let text = app
        .get("/api/v1/widget/settings", &owner.token)
        .await
        .text()
        .await
        .unwrap();
    assert!(text.contains("\"has_secret\":true") && !text.contains(&secret));
    assert_ne!(rotate_secret(&app, &owner).await, secret);
}

#[tokio::test]
async fn the_loader_and_the_iframe_are_served_and_only_allowed_origins_may_frame_it() {
    let app = spawn_app().await;
    let owner = app.signup("acme").await;

    let loader = app.client.get(app.url("/widget.js")).send().await.unwrap();
    assert_eq!(loader.status(), StatusCode::OK);
    assert!(
        loader.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(loader.text().await.unwrap().contains("Ferrodesk"));

    // Off: no iframe, no config.
    let frame = app.client.get(app.url("/widget/acme")).send().await.unwrap();
    assert_eq!(frame.status(), StatusCode::NOT_FOUND);
    let widget = Widget::of(&app, "acme");
    expect_error(
        widget.send(Method::GET, "/config", None, None).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;

    let _: WidgetSettings = expect_json(
        put_settings(
            &app,
            &owner,
            json!({ "enabled": true, "allowed_origins": [SHOP, "http://localhost:8000"], "label": "Ask us" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let frame = app.client.get(app.url("/widget/acme")).send().await.unwrap();
    assert_eq!(frame.status(), StatusCode::OK);
    let policy = frame.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(
        policy.contains("frame-ancestors https://shop.example http://localhost:8000"),
        "{policy}"
    );
    assert!(
        frame.headers().get("x-frame-options").is_none(),
        "X-Frame-Options would forbid every embedding"
    );
    let html = frame.text().await.unwrap();
    assert!(html.contains(r#"data-slug="acme""#), "{html}");
    assert!(html.contains("https://shop.example"));
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let asset = app.client.get(app.url(&script)).send().await.unwrap();
    assert_eq!(asset.status(), StatusCode::OK, "{script}");
    assert!(asset.headers()["cache-control"].to_str().unwrap().contains("immutable"));

    // The rest of the product still refuses to be framed.
    let home = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(home.headers()["x-frame-options"], "DENY");
    let api = app
        .client
        .get(app.url("/api/v1/widget/acme/config"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.headers()["x-frame-options"], "DENY");

    // No origin allowed: nobody may frame it.
    let _: WidgetSettings = expect_json(
        put_settings(&app, &owner, json!({ "allowed_origins": [] })).await,
        StatusCode::OK,
    )
    .await;
    let frame = app.client.get(app.url("/widget/acme")).send().await.unwrap();
    let policy = frame.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
}

#[tokio::test]
async fn the_config_answers_allowed_origins_exactly_and_refuses_others() {
    let app = spawn_app().await;
    workspace_with_widget(&app, "acme").await;
    let widget = Widget::of(&app, "acme");

    let response = widget.send(Method::GET, "/config", None, None).await;
    assert_eq!(response.headers()["access-control-allow-origin"], SHOP);
    let config: WidgetConfig = expect_json(response, StatusCode::OK).await;
    assert_eq!(config.workspace_name, "acme Inc.");
    assert_eq!(config.label, "Help");

    for origin in [
        "https://evil.example",
        "https://shop.example.evil.example",
        "http://shop.example",
        "https://shop.example:8443",
        "null",
    ] {
        let response = widget
            .with_origin(Some(origin))
            .send(Method::GET, "/config", None, None)
            .await;
        assert!(response.headers().get("access-control-allow-origin").is_none());
        expect_error(response, StatusCode::FORBIDDEN, ErrorCode::OriginNotAllowed).await;
        // Writing in from there is refused too, and nothing is stored.
        let body = json!({ "name": "Eve", "email": "eve@example.com", "message": "hello" });
        let response = widget.with_origin(Some(origin)).start(None, body).await;
        expect_error(response, StatusCode::FORBIDDEN, ErrorCode::OriginNotAllowed).await;
    }
    assert_eq!(app.mails_to("eve@example.com", "ticket_received").await, 0);

    // The iframe itself calls from this server's own origin.
    let own = app.address.clone();
    let response = widget
        .with_origin(Some(&own))
        .send(Method::GET, "/config", None, None)
        .await;
    assert!(response.headers().get("access-control-allow-origin").is_none());
    let _: WidgetConfig = expect_json(response, StatusCode::OK).await;

    // An unknown workspace is 404, like one whose widget is off.
    expect_error(
        Widget::of(&app, "nobody")
            .send(Method::GET, "/config", None, None)
            .await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;
}

#[tokio::test]
async fn a_visitor_writes_in_and_talks_with_the_team() {
    let app = spawn_app().await;
    let owner = workspace_with_widget(&app, "acme").await;
    let agent = app.invite_and_join(&owner, "agent@acme.example", Role::Agent).await;
    let widget = Widget::of(&app, "acme");

    // Bad input: clear errors, nothing stored.
    let refused = expect_error(
        widget
            .start(None, json!({ "name": "", "email": "nope", "message": "" }))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    )
    .await;
    for field in ["name", "email", "message"] {
        assert!(refused.fields.contains_key(field), "{field}: {refused:?}");
    }
    // A team address cannot be taken by a visitor.
    let refused = expect_error(
        widget
            .start(
                None,
                json!({ "name": "Mallory", "email": "agent@acme.example", "message": "let me in" }),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    )
    .await;
    assert!(refused.fields.contains_key("email"));

    let started = widget
        .write_in(
            "Vera Visitor",
            "Vera@Example.com",
            "My parcel never arrived\nOrder 1234, sent last week.",
        )
        .await;
    let session = started.session.expect("a new visitor gets a token");
    assert!(session.token.starts_with("fdv_"));
    assert_eq!(
        session.visitor,
        Visitor {
            name: "Vera Visitor".into(),
            email: "vera@example.com".into(),
            identified: false,
        }
    );
    let conversation = started.conversation;
    assert_eq!(conversation.subject, "My parcel never arrived");
    assert_eq!(conversation.messages.len(), 1);
    assert!(!conversation.messages[0].from_team);

    // The team sees a ticket from that customer, and the customer got the usual confirmation.
    let ticket = app.ticket_as(&agent, conversation.id).await;
    assert_eq!(ticket.ticket.requester.email, "vera@example.com");
    assert_eq!(ticket.ticket.number, conversation.number);
    assert_eq!(app.mails_to("vera@example.com", "ticket_received").await, 1);

    // A public reply reaches the visitor; an internal note never does.
    app.reply(
        &agent,
        conversation.id,
        "Sorry about that! A new parcel is on its way.",
        false,
    )
    .await;
    app.reply(&agent, conversation.id, "INTERNAL: carrier claim #77", true)
        .await;
    let seen: Conversation = expect_json(
        widget.conversation(&session.token, conversation.id).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(seen.messages.len(), 2, "{seen:?}");
    assert!(seen.messages[1].from_team);
    assert_eq!(seen.messages[1].author_name, agent.auth.user.name);
    assert!(!serde_json::to_string(&seen).unwrap().contains("carrier claim"));

    // The visitor replies; the team sees it.
    let reply: ConversationMessage = expect_json(
        widget.reply(&session.token, conversation.id, "Thank you!").await,
        StatusCode::CREATED,
    )
    .await;
    assert!(!reply.from_team);
    let ticket = app.ticket_as(&agent, conversation.id).await;
    assert_eq!(ticket.messages.last().unwrap().body, "Thank you!");
    expect_error(
        widget.reply(&session.token, conversation.id, "   ").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    )
    .await;

    // A second conversation with the same token: no new visitor, same customer.
    let body = json!({ "message": "Also: can I change my address?" });
    let second: ConversationStarted =
        expect_json(widget.start(Some(&session.token), body).await, StatusCode::CREATED).await;
    assert!(second.session.is_none());
    let list = widget.list(&session.token).await;
    assert_eq!(list.items.len(), 2);
    assert_eq!(list.items[0].id, second.conversation.id, "newest first");
    assert_eq!(list.items[1].status, TicketStatus::Open);
    let me: Visitor = expect_json(
        widget.send(Method::GET, "/visitor", Some(&session.token), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(me.email, "vera@example.com");

    // No token, or a made-up one: 401.
    expect_error(
        widget.send(Method::GET, "/conversations", None, None).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
    )
    .await;
    expect_error(
        widget
            .send(Method::GET, "/conversations", Some("fdv_madeup"), None)
            .await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
    )
    .await;
    // A session token of the team is no visitor token.
    expect_error(
        widget
            .send(Method::GET, "/conversations", Some(&agent.token), None)
            .await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
    )
    .await;

    // Switching the widget off ends every visitor at once.
    let _: WidgetSettings = expect_json(
        put_settings(&app, &owner, json!({ "enabled": false })).await,
        StatusCode::OK,
    )
    .await;
    expect_error(
        widget.conversation(&session.token, conversation.id).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;
}

#[tokio::test]
async fn a_visitor_never_reads_what_is_not_theirs() {
    let app = spawn_app().await;
    let owner = workspace_with_widget(&app, "acme").await;
    let agent = app.invite_and_join(&owner, "agent@acme.example", Role::Agent).await;
    let widget = Widget::of(&app, "acme");

    // A customer with history: a ticket the team opened for them, and one they wrote in the portal.
    let known = app.register_customer("acme", "known@example.com").await;
    let by_team = app.create_ticket_for(&agent, "known@example.com", "Your invoice").await;
    let by_them = app
        .create_ticket(&known, "Portal question", "Written in the portal")
        .await;

    // A visitor who types that address sees only what it writes here.
    let impostor = widget
        .write_in("Not Known", "known@example.com", "Show me everything")
        .await;
    let impostor_token = impostor.session.unwrap().token;
    let list = widget.list(&impostor_token).await;
    assert_eq!(
        list.items.iter().map(|item| item.id).collect::<Vec<_>>(),
        vec![impostor.conversation.id]
    );
    for id in [by_team.ticket.id, by_them.ticket.id] {
        expect_error(
            widget.conversation(&impostor_token, id).await,
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        )
        .await;
        expect_error(
            widget.reply(&impostor_token, id, "let me in").await,
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        )
        .await;
    }
    // The typed address's owner still has their tickets, and the new one is theirs too.
    assert_eq!(
        app.ticket_as(&agent, impostor.conversation.id)
            .await
            .ticket
            .requester
            .id,
        known.id()
    );

    // Two visitors never see each other's conversations.
    let a = widget.write_in("Alice", "alice@example.com", "Alice's question").await;
    let b = widget.write_in("Bob", "bob@example.com", "Bob's question").await;
    let (a_token, b_token) = (a.session.unwrap().token, b.session.unwrap().token);
    expect_error(
        widget.conversation(&b_token, a.conversation.id).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;
    expect_error(
        widget.reply(&b_token, a.conversation.id, "hi Alice").await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;
    assert_eq!(widget.list(&a_token).await.items.len(), 1);
    assert_eq!(widget.list(&b_token).await.items[0].id, b.conversation.id);

    // Another workspace: its visitors' tokens mean nothing here, and ours nothing there.
    workspace_with_widget(&app, "globex").await;
    let theirs = Widget::of(&app, "globex");
    let stranger = theirs.write_in("Gus", "gus@example.com", "Globex question").await;
    let stranger_token = stranger.session.unwrap().token;
    expect_error(
        widget.list_response(&stranger_token).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
    )
    .await;
    expect_error(
        theirs.conversation(&a_token, a.conversation.id).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
    )
    .await;
    // Their visitor, on their slug, asking for our ticket: 404.
    expect_error(
        theirs.conversation(&stranger_token, a.conversation.id).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;
}

impl Widget<'_> {
    async fn list_response(&self, token: &str) -> Response {
        self.send(Method::GET, "/conversations", Some(token), None).await
    }
}

#[tokio::test]
async fn identity_tokens_sign_a_customer_in_and_bad_ones_are_refused() {
    let app = spawn_app().await;
    let owner = workspace_with_widget(&app, "acme").await;
    let agent = app.invite_and_join(&owner, "agent@acme.example", Role::Agent).await;
    let widget = Widget::of(&app, "acme");
    let history = app
        .create_ticket_for(&agent, "ada@example.com", "Your earlier order")
        .await;

    // No secret yet.
    let refused = expect_error(
        widget
            .identify(&identity("fdw_guess", claims("acme", "ada@example.com")))
            .await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::IdentityRejected,
    )
    .await;
    assert!(refused.message.contains("no widget identity secret"), "{refused:?}");

    let secret = rotate_secret(&app, &owner).await;
    let session: VisitorSession = expect_json(
        widget
            .identify(&identity(&secret, claims("acme", "Ada@Example.com")))
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(session.visitor.identified);
    assert_eq!(session.visitor.email, "ada@example.com");
    // The customer's history, opened by the team before the widget existed.
    let list = widget.list(&session.token).await;
    assert_eq!(list.items.len(), 1);
    assert_eq!(list.items[0].id, history.ticket.id);
    let _: Conversation = expect_json(
        widget.conversation(&session.token, history.ticket.id).await,
        StatusCode::OK,
    )
    .await;

    let now = Utc::now().timestamp();
    let cases = [
        (
            "forged",
            identity("fdw_not-the-secret", claims("acme", "ada@example.com")),
            "signature",
        ),
        (
            "another workspace",
            identity(&secret, claims("globex", "ada@example.com")),
            "another workspace",
        ),
        (
            "expired (replayed after exp)",
            identity(
                &secret,
                json!({ "aud": "acme", "email": "ada@example.com", "iat": now - 400, "exp": now - 100 }),
            ),
            "expired",
        ),
        (
            "too long",
            identity(
                &secret,
                json!({ "aud": "acme", "email": "ada@example.com", "iat": now, "exp": now + 3600 }),
            ),
            "too long",
        ),
        (
            "no email",
            identity(&secret, json!({ "aud": "acme", "iat": now, "exp": now + 60 })),
            "claim",
        ),
        (
            "a team address",
            identity(&secret, claims("acme", "agent@acme.example")),
            "team",
        ),
        ("not a JWT", "garbage".to_owned(), "JWT"),
    ];
    for (case, token, says) in cases {
        let refused = expect_error(
            widget.identify(&token).await,
            StatusCode::UNAUTHORIZED,
            ErrorCode::IdentityRejected,
        )
        .await;
        assert!(refused.message.contains(says), "{case}: {refused:?}");
    }

    // Required: anonymous visitors cannot write in, identified ones can.
    let _: WidgetSettings = expect_json(
        put_settings(&app, &owner, json!({ "identity_required": true })).await,
        StatusCode::OK,
    )
    .await;
    let body = json!({ "name": "Anon", "email": "anon@example.com", "message": "hello" });
    expect_error(
        widget.start(None, body).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::IdentityRequired,
    )
    .await;
    let started: ConversationStarted = expect_json(
        widget
            .start(Some(&session.token), json!({ "message": "Where is my order?" }))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        app.ticket_as(&agent, started.conversation.id)
            .await
            .ticket
            .requester
            .email,
        "ada@example.com"
    );

    // Rotating the secret ends the visitors it signed in, at once.
    let new_secret = rotate_secret(&app, &owner).await;
    expect_error(
        widget.list_response(&session.token).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
    )
    .await;
    expect_error(
        widget
            .identify(&identity(&secret, claims("acme", "ada@example.com")))
            .await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::IdentityRejected,
    )
    .await;
    let _: VisitorSession = expect_json(
        widget
            .identify(&identity(&new_secret, claims("acme", "ada@example.com")))
            .await,
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn writing_in_is_limited_per_visitor_address_and_workspace() {
    let app = spawn_app_with(|settings| {
        settings.limits.widget_conversations_per_hour = 2;
        settings.limits.widget_daily_cap = 3;
        settings.limits.widget_messages_per_hour = 2;
    })
    .await;
    workspace_with_widget(&app, "acme").await;
    let widget = Widget::of(&app, "acme");

    // Per client address, before visitors have tokens.
    let first = widget.write_in("One", "one@example.com", "first").await;
    widget.write_in("Two", "two@example.com", "second").await;
    let body = json!({ "name": "Three", "email": "three@example.com", "message": "third" });
    let response = widget.start(None, body).await;
    assert!(crate::helpers::retry_after(&response) > 0);
    expect_error(response, StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited).await;
    assert_eq!(
        app.mails_to("three@example.com", "ticket_received").await,
        0,
        "nothing stored"
    );

    // The visitor's own count, and then the workspace's daily cap.
    let token = first.session.unwrap().token;
    let _: ConversationStarted = expect_json(
        widget.start(Some(&token), json!({ "message": "again" })).await,
        StatusCode::CREATED,
    )
    .await;
    let response = widget.start(Some(&token), json!({ "message": "and again" })).await;
    expect_error(response, StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited).await;

    // Replies per visitor.
    let id = first.conversation.id;
    for _ in 0..2 {
        assert_eq!(widget.reply(&token, id, "more").await.status(), StatusCode::CREATED);
    }
    expect_error(
        widget.reply(&token, id, "too much").await,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;
}

/// A visitor's socket, as the iframe opens it.
struct VisitorSocket {
    stream: crate::live::Stream,
}

impl VisitorSocket {
    async fn open(app: &TestApp, slug: &str, token: &str) -> VisitorSocket {
        use futures_util::SinkExt;
        use tokio_tungstenite::tungstenite::Message as Frame;
        let url = format!(
            "{}/api/v1/widget/{slug}/ws",
            app.address.replacen("http://", "ws://", 1)
        );
        let (mut stream, _) = tokio_tungstenite::connect_async(url).await.expect("the socket opens");
        let auth = json!({ "type": "auth", "token": token });
        stream.send(Frame::text(auth.to_string())).await.unwrap();
        let mut socket = VisitorSocket { stream };
        assert_eq!(socket.next().await, Some(VisitorFrame::Ready));
        socket
    }

    /// The next frame, or None after two seconds of silence or a close.
    async fn next(&mut self) -> Option<VisitorFrame> {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message as Frame;
        loop {
            let frame = tokio::time::timeout(std::time::Duration::from_secs(2), self.stream.next())
                .await
                .ok()??
                .ok()?;
            match frame {
                Frame::Text(text) => return Some(serde_json::from_str(&text).expect("a VisitorFrame")),
                Frame::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// Every frame until a short silence (or the close).
    async fn drain(&mut self) -> Vec<VisitorFrame> {
        let mut frames = Vec::new();
        while let Some(frame) = self.next().await {
            frames.push(frame);
        }
        frames
    }

    /// Whether the server closed the socket (a close frame or the end of the stream).
    async fn closed(&mut self) -> bool {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message as Frame;
        loop {
            match tokio::time::timeout(std::time::Duration::from_secs(3), self.stream.next()).await {
                Ok(None | Some(Err(_)) | Some(Ok(Frame::Close(_)))) => return true,
                Ok(Some(Ok(_))) => continue,
                Err(_) => return false,
            }
        }
    }
}

#[tokio::test]
async fn a_visitor_that_closes_gets_the_close_answered() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message as Frame;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    let app = spawn_app().await;
    workspace_with_widget(&app, "acme").await;
    let mine = Widget::of(&app, "acme")
        .write_in("Vera", "vera@example.com", "Where is my parcel?")
        .await;
    let mut socket = VisitorSocket::open(&app, "acme", &mine.session.unwrap().token).await;
    let bye = CloseFrame {
        code: CloseCode::Away,
        reason: "tab closed".into(),
    };
    socket.stream.send(Frame::Close(Some(bye))).await.unwrap();
    let answer = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        loop {
            match socket.stream.next().await {
                Some(Ok(Frame::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                other => panic!("expected the server's close, got {other:?}"),
            }
        }
    })
    .await
    .expect("the server answers a close");
    assert_eq!(
        answer.map(|frame| frame.code),
        Some(CloseCode::Away),
        "the visitor's own code, echoed"
    );
}

#[tokio::test]
async fn a_visitor_hears_the_teams_replies_live_and_nothing_else() {
    let app = spawn_app().await;
    let owner = workspace_with_widget(&app, "acme").await;
    let agent = app.invite_and_join(&owner, "agent@acme.example", Role::Agent).await;
    let widget = Widget::of(&app, "acme");
    let mine = widget.write_in("Vera", "vera@example.com", "Where is my parcel?").await;
    let token = mine.session.unwrap().token;
    // The same address's other request (the team opened it) and another visitor's conversation.
    let not_mine = app.create_ticket_for(&agent, "vera@example.com", "Your invoice").await;
    let other = widget.write_in("Otto", "otto@example.com", "Other question").await;

    let mut socket = VisitorSocket::open(&app, "acme", &token).await;
    let started = std::time::Instant::now();
    app.reply(&agent, mine.conversation.id, "It left our warehouse today.", false)
        .await;
    let first = socket.next().await;
    let latency = started.elapsed();
    match first {
        Some(VisitorFrame::Message {
            conversation_id,
            message,
        }) => {
            assert_eq!(conversation_id, mine.conversation.id);
            assert!(message.from_team);
            assert_eq!(message.body, "It left our warehouse today.");
        }
        other => panic!("expected the reply, got {other:?}"),
    }
    assert!(latency < std::time::Duration::from_secs(2), "{latency:?}");

    // Internal notes, the address's other ticket and another visitor's conversation: nothing.
    app.reply(&agent, mine.conversation.id, "INTERNAL: check the depot", true)
        .await;
    app.reply(&agent, not_mine.ticket.id, "About your invoice", false).await;
    app.reply(&agent, other.conversation.id, "Hello Otto", false).await;
    let status = app
        .update_ticket(&agent, mine.conversation.id, &json!({ "status": "solved" }))
        .await;
    assert_eq!(status.status, TicketStatus::Solved);
    let frames = socket.drain().await;
    let text = serde_json::to_string(&frames).unwrap();
    assert!(
        !text.contains("INTERNAL") && !text.contains("invoice") && !text.contains("Otto"),
        "{text}"
    );
    assert!(
        frames.iter().any(|frame| matches!(frame,
            VisitorFrame::Conversation { conversation } if conversation.id == mine.conversation.id
                && conversation.status == TicketStatus::Solved)),
        "{frames:?}"
    );

    // Switching the widget off closes the socket at once (at its next frame or recheck).
    let _: WidgetSettings = expect_json(
        put_settings(&app, &owner, json!({ "enabled": false })).await,
        StatusCode::OK,
    )
    .await;
    app.reply(&agent, mine.conversation.id, "After the switch-off", false)
        .await;
    assert!(socket.closed().await, "the socket outlived the widget");

    // A dead token never gets in; another workspace's slug neither.
    let _: WidgetSettings = expect_json(
        put_settings(&app, &owner, json!({ "enabled": true })).await,
        StatusCode::OK,
    )
    .await;
    workspace_with_widget(&app, "globex").await;
    for (slug, token) in [("acme", "fdv_madeup"), ("globex", token.as_str())] {
        use futures_util::SinkExt;
        use tokio_tungstenite::tungstenite::Message as Frame;
        let url = format!(
            "{}/api/v1/widget/{slug}/ws",
            app.address.replacen("http://", "ws://", 1)
        );
        let (mut stream, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        stream
            .send(Frame::text(json!({ "type": "auth", "token": token }).to_string()))
            .await
            .unwrap();
        let mut socket = VisitorSocket { stream };
        assert_eq!(socket.next().await, None, "{slug}: a frame for a dead token");
    }
}

#[tokio::test]
async fn answers_come_from_solved_tickets_masked_and_a_helpful_one_counts_as_deflected() {
    let app = spawn_app().await;
    let owner = workspace_with_widget(&app, "acme").await;
    let agent = app.invite_and_join(&owner, "agent@acme.example", Role::Agent).await;
    let widget = Widget::of(&app, "acme");

    let solved = app
        .create_ticket_for(&agent, "john.smith@example.com", "Password reset email never arrives")
        .await;
    app.reply(
        &agent,
        solved.ticket.id,
        "Hi John,\n\nJohn, the reset email can land in spam. I sent a new link to john.smith@example.com; it \
         expires in 24 hours. Open Settings > Security to choose the new password.\n\nBest regards,\nAgent",
        false,
    )
    .await;
    app.update_ticket(&agent, solved.ticket.id, &json!({ "status": "solved" }))
        .await;
    // Open tickets are never offered, however similar.
    let open = app
        .create_ticket_for(&agent, "mary@example.com", "Password reset email is missing")
        .await;
    app.reply(
        &agent,
        open.ticket.id,
        "Mary, we are looking into the reset email.",
        false,
    )
    .await;
    ferrodesk::ai::categorise::drain(&app.state, Utc::now()).await.unwrap();

    let ask = |text: &str| widget.send(Method::POST, "/answers", None, Some(json!({ "text": text })));
    let answers: ferrodesk_shared::widget::SuggestedAnswers =
        expect_json(ask("The password reset email never arrives").await, StatusCode::OK).await;
    assert_eq!(answers.items.len(), 1, "{answers:?}");
    let answer = &answers.items[0];
    assert_eq!(answer.id, solved.ticket.id);
    assert!(answer.body.contains("Open Settings > Security"), "{}", answer.body);
    for private in ["John", "john", "24", "Agent"] {
        assert!(!answer.body.contains(private), "{private} in {}", answer.body);
    }
    assert!(
        answer.body.contains("[email]") && answer.body.contains("[name]"),
        "{}",
        answer.body
    );
    expect_error(
        ask("short").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    )
    .await;
    expect_error(
        widget
            .with_origin(Some("https://evil.example"))
            .send(
                Method::POST,
                "/answers",
                None,
                Some(json!({ "text": "The password reset email never arrives" })),
            )
            .await,
        StatusCode::FORBIDDEN,
        ErrorCode::OriginNotAllowed,
    )
    .await;

    // "This answered my question" counts; an open ticket or another workspace's is no answer.
    let helpful = |id: TicketId| {
        let widget = &widget;
        async move {
            widget
                .send(Method::POST, &format!("/answers/{id}/helpful"), None, None)
                .await
        }
    };
    assert_eq!(helpful(answer.id).await.status(), StatusCode::NO_CONTENT);
    expect_error(
        helpful(open.ticket.id).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;
    workspace_with_widget(&app, "globex").await;
    let theirs = Widget::of(&app, "globex");
    let other = theirs
        .send(Method::POST, &format!("/answers/{}/helpful", answer.id), None, None)
        .await;
    expect_error(other, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let nothing: ferrodesk_shared::widget::SuggestedAnswers = expect_json(
        theirs
            .send(
                Method::POST,
                "/answers",
                None,
                Some(json!({ "text": "The password reset email never arrives" })),
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(nothing.items.is_empty(), "another workspace's answers: {nothing:?}");

    // The dashboard: one conversation, one question answered without a ticket.
    widget
        .write_in("Pat", "pat@example.com", "Something else entirely")
        .await;
    let today = Utc::now().date_naive();
    let overview: ferrodesk_shared::reports::Overview = expect_json(
        app.get(
            &format!("/api/v1/reports/overview?from={today}&to={today}"),
            &owner.token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(overview.widget.conversations, 1);
    assert_eq!(overview.widget.deflected, 1);
    assert!((overview.widget.deflection_rate - 0.5).abs() < 1e-9);

    // Answers off: none.
    let _: WidgetSettings = expect_json(
        put_settings(&app, &owner, json!({ "suggest_answers": false })).await,
        StatusCode::OK,
    )
    .await;
    let none: ferrodesk_shared::widget::SuggestedAnswers =
        expect_json(ask("The password reset email never arrives").await, StatusCode::OK).await;
    assert!(none.items.is_empty());
}

#[tokio::test]
async fn a_visitor_comes_back_from_the_confirmation_mail_to_the_help_centre() {
    let app = spawn_app().await;
    let owner = workspace_with_widget(&app, "acme").await;
    let agent = app.invite_and_join(&owner, "agent@acme.example", Role::Agent).await;
    let widget = Widget::of(&app, "acme");
    let started = widget
        .write_in("Hana", "hana@example.com", "Can I return an opened box?")
        .await;
    app.reply(&agent, started.conversation.id, "Yes, within 30 days.", false)
        .await;

    // The "we have your request" mail carries a sign-in link: opening it proves the address and
    // shows the same conversation in the help centre, with the team's reply.
    let token = app.mailed_link_token("hana@example.com", "ticket_received").await;
    let signed_in = ferrodesk::auth::links::sign_in(&app.state, &token).await.unwrap();
    let customer = signed_in.response.access_token;
    let detail = app.ticket_as(customer.as_str(), started.conversation.id).await;
    assert_eq!(detail.ticket.subject, "Can I return an opened box?");
    assert!(
        detail
            .messages
            .iter()
            .any(|message| message.body == "Yes, within 30 days.")
    );
    let page = app.tickets_as(customer.as_str(), "").await;
    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn a_retried_start_with_the_same_key_finds_the_first_conversation() {
    let app = spawn_app().await;
    let owner = workspace_with_widget(&app, "acme").await;
    let agent = app.invite_and_join(&owner, "agent@acme.example", Role::Agent).await;
    let widget = Widget::of(&app, "acme");
    let start = |key: &'static str, message: &'static str| {
        let url = app.url("/api/v1/widget/acme/conversations");
        let body = json!({ "name": "Rita", "email": "rita@example.com", "message": message });
        let client = app.client.clone();
        async move {
            client
                .post(url)
                .header("Origin", SHOP)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };

    // The first answer is "lost": the browser retries with the same key, as a new visitor.
    let first: ConversationStarted = expect_json(start("k-1", "My order is late").await, StatusCode::CREATED).await;
    let retry: ConversationStarted = expect_json(start("k-1", "My order is late").await, StatusCode::CREATED).await;
    assert_eq!(retry.conversation.id, first.conversation.id, "one ticket, not two");
    let retry_token = retry.session.unwrap().token;
    assert_eq!(
        widget.list(&retry_token).await.items.len(),
        1,
        "the retrying visitor has it"
    );
    let tickets = app.tickets_as(&agent, "?view=all").await;
    assert_eq!(
        tickets
            .items
            .iter()
            .filter(|ticket| ticket.subject == "My order is late")
            .count(),
        1
    );

    // The same key with another message is a mistake, not a retry; a new key is a new conversation.
    expect_error(
        start("k-1", "Something else").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    )
    .await;
    let other: ConversationStarted = expect_json(start("k-2", "My order is late").await, StatusCode::CREATED).await;
    assert_ne!(other.conversation.id, first.conversation.id);
}

#[tokio::test]
async fn a_visitor_sends_and_reads_files_on_its_own_conversations_only() {
    use ferrodesk_shared::attachments::Attachment;
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    let app = spawn_app().await;
    let owner = workspace_with_widget(&app, "acme").await;
    let agent = app.invite_and_join(&owner, "agent@acme.example", Role::Agent).await;
    workspace_with_widget(&app, "globex").await;
    let widget = Widget::of(&app, "acme");

    let started = widget
        .write_in("Ada", "ada@example.com", "My order arrived broken")
        .await;
    let token = started.session.unwrap().token;
    let id = started.conversation.id;

    // A photo, then the reply that carries it.
    let photo: Attachment = expect_json(widget.upload(&token, "parcel.png", PNG).await, StatusCode::CREATED).await;
    assert_eq!(photo.content_type, "image/png");
    let refused = expect_error(
        widget
            .upload(&token, "page.png", b"<html><script>alert(1)</script></html>")
            .await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::UnsupportedMediaType,
    )
    .await;
    assert!(refused.message.contains("read from the file itself"), "{refused:?}");
    let sent: ConversationMessage = expect_json(
        widget
            .send(
                Method::POST,
                &format!("/conversations/{id}/messages"),
                Some(&token),
                Some(json!({ "body": "Here is a photo", "attachment_ids": [photo.id] })),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(sent.attachments, vec![photo.clone()]);
    let read = widget.file(&token, photo.id).await;
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(read.headers()["content-type"], "image/png");
    assert_eq!(read.bytes().await.unwrap().as_ref(), PNG);

    // The team sees it on the ticket, and answers with a file of its own and an internal note's.
    let thread = app.ticket_as(&agent, id).await.messages;
    assert!(thread.iter().any(|message| message.attachments == vec![photo.clone()]));
    let agent_upload = |name: &'static str, bytes: &'static [u8]| {
        let app = &app;
        let agent = &agent;
        async move {
            let mut url = reqwest::Url::parse(&app.url("/api/v1/attachments")).unwrap();
            url.query_pairs_mut().append_pair("filename", name);
            let response = app
                .client
                .post(url)
                .bearer_auth(&agent.token)
                .body(bytes)
                .send()
                .await
                .unwrap();
            expect_json::<Attachment>(response, StatusCode::CREATED).await
        }
    };
    let label = agent_upload("return-label.pdf", b"%PDF-1.7\n%%EOF\n").await;
    let note = agent_upload("courier.txt", b"claim 42 opened\n").await;
    for (body, internal, file) in [("Print this label", false, &label), ("Courier claim", true, &note)] {
        let response = app
            .post(
                &format!("{}/messages", crate::helpers::ticket_path(id)),
                Some(&agent.token),
                &json!({ "body": body, "internal": internal, "attachment_ids": [file.id] }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let conversation: Conversation = expect_json(widget.conversation(&token, id).await, StatusCode::OK).await;
    let files: Vec<Attachment> = conversation
        .messages
        .iter()
        .flat_map(|message| message.attachments.clone())
        .collect();
    assert_eq!(files, vec![photo.clone(), label.clone()]);
    assert_eq!(widget.file(&token, label.id).await.status(), StatusCode::OK);
    expect_error(
        widget.file(&token, note.id).await,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
    )
    .await;

    // A returning visitor starts a new conversation with a file.
    let receipt: Attachment = expect_json(
        widget.upload(&token, "receipt.txt", b"order 1001\n").await,
        StatusCode::CREATED,
    )
    .await;
    let again: ConversationStarted = expect_json(
        widget
            .start(
                Some(&token),
                json!({ "message": "And my invoice is wrong", "attachment_ids": [receipt.id] }),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(again.conversation.messages[0].attachments, vec![receipt.clone()]);

    // Another visitor typing the same address reads none of it; nor does the file leave its
    // workspace, nor can a stranger send it.
    let impostor = widget.write_in("Not Ada", "ada@example.com", "Show me the files").await;
    let impostor_token = impostor.session.unwrap().token;
    for file in [&photo, &label, &receipt] {
        expect_error(
            widget.file(&impostor_token, file.id).await,
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        )
        .await;
    }
    let stolen = expect_error(
        widget
            .send(
                Method::POST,
                &format!("/conversations/{}/messages", impostor.conversation.id),
                Some(&impostor_token),
                Some(json!({ "body": "mine now", "attachment_ids": [photo.id] })),
            )
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::ValidationFailed,
    )
    .await;
    assert!(stolen.fields.contains_key("attachment_ids"), "{stolen:?}");
    expect_error(
        Widget::of(&app, "globex").file(&token, photo.id).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
    )
    .await;
    expect_error(
        widget.file("fdv_not-a-visitor", photo.id).await,
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
    )
    .await;
}
