//! `spawn_app()` and typed helpers per endpoint.

use ferrodesk::config::{
    AiConfig, ApiRateLimitSettings, AttachmentSettings, AuthSettings, BillingSettings, BlobStore, LimitSettings,
    LogFormat, LogSettings, MailSettings, PasswordHashing, RateLimit, RealtimeSettings, Secret, Settings,
    WebhookSettings,
};
use ferrodesk::startup::Application;
use ferrodesk_dev::ThrowawayDatabase;
use ferrodesk_shared::auth::{AuthResponse, InvitationCreated, InvitationRequest, SignupRequest};
use ferrodesk_shared::tickets::{Message, NewTicket, Ticket, TicketDetail, TicketPage};
use ferrodesk_shared::users::{User, UserList};
use ferrodesk_shared::{ErrorBody, ErrorCode, Role, TicketId};
use reqwest::{Method, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The signing secret of every test app, so tests can forge tokens that the app must refuse.
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub address: String,
    /// The running app's state, for tests that call jobs directly (with a chosen `now`).
    pub state: ferrodesk::state::AppState,
    pub settings: Settings,
    /// A client without cookies; tests that need the refresh cookie make their own with `browser()`.
    pub client: reqwest::Client,
    /// Stops this app gracefully, as SIGTERM would.
    pub stopper: ferrodesk::startup::Stopper,
    _database: TestDatabase,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// `spawn_app` with settings changed by `adjust` first.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let database = TestDatabase::create().await;
    let mut settings = Settings {
        addr: "127.0.0.1:0".parse().unwrap(),
        data_dir: database.dir.clone(),
        database_url: database.url.clone(),
        database_max_connections: 5,
        // Roomy, so a loaded CI machine does not turn slow tests into 503s; the fault tests set 1 s.
        database_timeout: std::time::Duration::from_secs(5),
        database_busy_timeout: std::time::Duration::from_secs(5),
        body_timeout: std::time::Duration::from_secs(10),
        public_url: "http://127.0.0.1".to_owned(),
        auth: AuthSettings {
            jwt_secret: Secret::new(JWT_SECRET),
            access_token_ttl_seconds: 900,
            refresh_token_ttl_seconds: 3600,
            invitation_ttl_seconds: 3600,
            sign_in_link_ttl_seconds: 3600,
            confirm_email_ttl_seconds: 3600,
            secure_cookies: false,
            // Real argon2id at a test-sized cost.
            password_hashing: PasswordHashing {
                memory_kib: 256,
                iterations: 1,
            },
            // Every test client comes from 127.0.0.1; the rate-limit test sets its own.
            rate_limit: RateLimit {
                burst: 10_000,
                seconds_per_request: 1,
            },
        },
        web_dir: database.dir.join("web"),
        body_limit_bytes: 64 * 1024,
        search_ranked_matches: 1000,
        log: LogSettings {
            filter: "warn".to_owned(),
            format: LogFormat::Text,
        },
        // Tests run the SLA scan themselves, with chosen times.
        sla_schedule: None,
        // The TF-IDF fallback unless a test asks for the model (`with_model`): loading it per app
        // would slow every test down.
        ai: AiConfig {
            model_dir: database.dir.join("no-model"),
            encryption_key: Secret::new("test-encryption-key-test-encryption-key-0123"),
            allow_local_providers: true,
            provider_timeout: std::time::Duration::from_secs(5),
            embedder_threads: 2,
            // Tests drain the categorisation queue themselves (`ai::categorise::drain`).
            categorise_worker: false,
        },
        mail: MailSettings {
            smtp_url: None,
            from_address: "support@ferrodesk.test".to_owned(),
            dir: database.dir.join("mail"),
            worker: true,
            send_timeout: std::time::Duration::from_secs(30),
        },
        limits: LimitSettings::default(),
        api_rate_limits: ApiRateLimitSettings::default(),
        realtime: RealtimeSettings {
            max_sockets_per_user: 20,
            max_sockets_per_address: 100,
        },
        // Receivers in tests listen on 127.0.0.1; tests deliver by hand, with chosen times.
        webhooks: WebhookSettings {
            allow_local: true,
            connect_timeout: std::time::Duration::from_secs(2),
            timeout: std::time::Duration::from_secs(5),
            disable_after: chrono::Duration::hours(72),
            worker: false,
        },
        billing: BillingSettings {
            stripe: None,
            grace: chrono::Duration::days(7),
            worker: false,
        },
        attachments: AttachmentSettings {
            store: BlobStore::Local(database.dir.join("attachments")),
            max_bytes: 10 * 1024 * 1024,
            uploads_per_hour: 100,
        },
        metrics_token: None,
    };
    adjust(&mut settings);
    let application = Application::build(settings.clone()).await.expect("the app starts");
    let port = application.port();
    let state = application.state().clone();
    let stopper = application.stopper();
    tokio::spawn(application.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        state,
        settings,
        client: reqwest::Client::new(),
        stopper,
        _database: database,
    }
}

pub struct SecondInstance {
    pub address: String,
}

/// A client that keeps cookies, like a browser.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).build().unwrap()
}

/// A signed-in user: the token and who they are.
#[derive(Clone, Debug)]
pub struct Session {
    pub token: String,
    pub auth: AuthResponse,
}

impl Session {
    pub fn id(&self) -> ferrodesk_shared::UserId {
        self.auth.user.id
    }
}

impl TestApp {
    /// A second instance of the app on the same database (another process in production).
    pub async fn another_instance(&self) -> SecondInstance {
        let mut settings = self.settings.clone();
        settings.addr = "127.0.0.1:0".parse().unwrap();
        let application = Application::build(settings).await.expect("the second instance starts");
        let address = format!("http://127.0.0.1:{}", application.port());
        tokio::spawn(application.run_until_stopped());
        SecondInstance { address }
    }

    pub fn ws_url(&self) -> String {
        format!("{}/api/v1/ws", self.address.replacen("http://", "ws://", 1))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Sends `body` as JSON with `token` as the bearer, and returns the raw response.
    pub async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Option<&Value>) -> Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("the request is sent")
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.send(Method::GET, path, Some(token), None).await
    }

    pub async fn post<B: Serialize>(&self, path: &str, token: Option<&str>, body: &B) -> Response {
        self.send(Method::POST, path, token, Some(&serde_json::to_value(body).unwrap()))
            .await
    }

    pub async fn patch<B: Serialize>(&self, path: &str, token: &str, body: &B) -> Response {
        self.send(
            Method::PATCH,
            path,
            Some(token),
            Some(&serde_json::to_value(body).unwrap()),
        )
        .await
    }

    /// Signs up `slug` and puts it on Pro, as the operator would (`ferrodesk plan set`): most tests
    /// use a team larger than Free's seats, or AI. Free's limits have their own tests (`plans.rs`).
    pub async fn signup(&self, slug: &str) -> Session {
        let owner = self.signup_free(slug).await;
        self.set_plan(slug, ferrodesk_shared::workspaces::Plan::Pro).await;
        owner
    }

    /// The operator's `ferrodesk plan set <slug> <plan>`.
    pub async fn set_plan(&self, slug: &str, plan: ferrodesk_shared::workspaces::Plan) {
        ferrodesk::workspaces::plans::set_by_slug(&self.state.db, slug, plan)
            .await
            .expect("the plan is set")
            .expect("the workspace exists");
    }

    /// Signs up `slug` on the plan every new workspace starts on: Free.
    pub async fn signup_free(&self, slug: &str) -> Session {
        let request = SignupRequest {
            workspace_name: format!("{slug} Inc."),
            workspace_slug: slug.to_owned(),
            name: format!("Owner of {slug}"),
            email: format!("owner@{slug}.example"),
            password: PASSWORD.to_owned(),
        };
        let response = self.post("/api/v1/signup", None, &request).await;
        session(expect_json::<AuthResponse>(response, StatusCode::CREATED).await)
    }

    /// Invites `email` as `role` (by `inviter`) and accepts the invitation.
    pub async fn invite_and_join(&self, inviter: &Session, email: &str, role: Role) -> Session {
        let invitation = InvitationRequest {
            email: email.to_owned(),
            role,
        };
        let created: InvitationCreated = expect_json(
            self.post("/api/v1/invitations", Some(&inviter.token), &invitation)
                .await,
            StatusCode::CREATED,
        )
        .await;
        let accept =
            serde_json::json!({ "token": created.token, "name": format!("{role} {email}"), "password": PASSWORD });
        let response = self.post("/api/v1/invitations/accept", None, &accept).await;
        session(expect_json::<AuthResponse>(response, StatusCode::CREATED).await)
    }

    /// Registers a customer and opens the confirmation link from the outbox: a signed-in, proven customer.
    pub async fn register_customer(&self, slug: &str, email: &str) -> Session {
        let request = serde_json::json!({
            "workspace_slug": slug, "name": format!("Customer {email}"), "email": email, "password": PASSWORD,
        });
        let response = self.post("/api/v1/auth/register", None, &request).await;
        assert_eq!(
            response.status(),
            StatusCode::ACCEPTED,
            "{}",
            response.text().await.unwrap()
        );
        // Opened through the service, not HTTP: the link endpoint's per-address rate limit belongs
        // to the tests that measure it, not to every test that needs a customer. The mail of this
        // workspace: the same address may be a customer of several.
        let token = self.mailed_link_token_in(Some(slug), email, "confirm_email").await;
        match ferrodesk::auth::links::sign_in(&self.state, &token).await {
            Ok(signed_in) => session(signed_in.response),
            Err(error) => panic!(
                "the confirmation link to {email} in {slug} does not open: {error:?}; {}",
                self.link_diagnosis(email, &token).await
            ),
        }
    }

    /// The token of the newest link mailed to `email` in an outbox mail of `kind`.
    pub async fn mailed_link_token(&self, email: &str, kind: &str) -> String {
        self.mailed_link_token_in(None, email, kind).await
    }

    /// `mailed_link_token`, among one workspace's mail when a slug is given.
    pub async fn mailed_link_token_in(&self, slug: Option<&str>, email: &str, kind: &str) -> String {
        use ferrodesk::db::entities::outbox;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        let mut query = outbox::Entity::find()
            .filter(outbox::Column::ToAddress.eq(email.to_lowercase()))
            .filter(outbox::Column::Kind.eq(kind));
        if let Some(slug) = slug {
            let workspace = ferrodesk::workspaces::repo::find_by_slug(&self.state.db, slug)
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("no workspace {slug}"));
            query = query.filter(outbox::Column::WorkspaceId.eq(workspace.id));
        }
        let mail = query
            .order_by_desc(outbox::Column::CreatedAt)
            .order_by_desc(outbox::Column::Id)
            .one(&self.state.db)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no {kind} mail to {email}"));
        link_token_in(&mail.body_text)
    }

    /// What the database holds about a link that would not open (for a failing test's message).
    async fn link_diagnosis(&self, email: &str, token: &str) -> String {
        use ferrodesk::db::entities::{outbox, sign_in_links};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let link = sign_in_links::Entity::find()
            .filter(sign_in_links::Column::TokenHash.eq(ferrodesk::auth::tokens::hash_token(token)))
            .one(&self.state.db)
            .await;
        let mails = outbox::Entity::find()
            .filter(outbox::Column::ToAddress.eq(email.to_lowercase()))
            .all(&self.state.db)
            .await
            .map(|mails| {
                mails
                    .into_iter()
                    .map(|mail| {
                        format!(
                            "{} {:?} {} {}",
                            mail.id,
                            mail.kind,
                            mail.workspace_id.unwrap_or_default(),
                            mail.created_at
                        )
                    })
                    .collect::<Vec<_>>()
            });
        format!(
            "token of {} characters; its link row: {link:?}; mail to the address: {mails:?}",
            token.len()
        )
    }

    pub async fn create_ticket(&self, author: &Session, subject: &str, body: &str) -> TicketDetail {
        let request = NewTicket {
            subject: subject.to_owned(),
            body: body.to_owned(),
            priority: None,
            requester_email: None,
            requester_name: None,
            attachment_ids: Vec::new(),
        };
        expect_json(
            self.post("/api/v1/tickets", Some(&author.token), &request).await,
            StatusCode::CREATED,
        )
        .await
    }

    /// A staff member opens a ticket on behalf of `requester_email`.
    pub async fn create_ticket_for(&self, staff: &Session, requester_email: &str, subject: &str) -> TicketDetail {
        let request = NewTicket {
            subject: subject.to_owned(),
            body: format!("Reported by phone: {subject}"),
            priority: None,
            requester_email: Some(requester_email.to_owned()),
            requester_name: None,
            attachment_ids: Vec::new(),
        };
        expect_json(
            self.post("/api/v1/tickets", Some(&staff.token), &request).await,
            StatusCode::CREATED,
        )
        .await
    }
}

/// Whoever can send a bearer token: a `Session`, or the token itself.
pub trait Caller {
    fn token(&self) -> &str;
}

impl Caller for Session {
    fn token(&self) -> &str {
        &self.token
    }
}

impl Caller for str {
    fn token(&self) -> &str {
        self
    }
}

impl Caller for String {
    fn token(&self) -> &str {
        self
    }
}

pub fn ticket_path(id: TicketId) -> String {
    format!("/api/v1/tickets/{id}")
}

/// Typed helpers per endpoint, for the requests many tests make.
impl TestApp {
    /// `POST /api-keys` as `owner`, which must succeed: the answer holds the key, shown once.
    pub async fn create_api_key(
        &self,
        owner: &Session,
        name: &str,
        scopes: &[ferrodesk_shared::api_keys::ApiScope],
    ) -> ferrodesk_shared::api_keys::ApiKeyCreated {
        let body = serde_json::json!({ "name": name, "scopes": scopes });
        expect_json(
            self.post("/api/v1/api-keys", Some(&owner.token), &body).await,
            StatusCode::CREATED,
        )
        .await
    }

    /// A key of `owner`'s workspace with every scope.
    pub async fn api_key_with_every_scope(&self, owner: &Session, name: &str) -> String {
        self.create_api_key(owner, name, &ferrodesk_shared::api_keys::ApiScope::ALL)
            .await
            .key
    }

    /// Runs one SQL statement on the app's database (to age a row, say).
    pub async fn execute_sql(&self, sql: &str) {
        use sea_orm::ConnectionTrait;
        let db = sea_orm::Database::connect(&self.settings.database_url).await.unwrap();
        db.execute_unprepared(sql).await.unwrap();
        db.close().await.ok();
    }

    /// The ticket as `viewer` sees it.
    pub async fn ticket_as(&self, viewer: &(impl Caller + ?Sized), id: TicketId) -> TicketDetail {
        expect_json(self.get(&ticket_path(id), viewer.token()).await, StatusCode::OK).await
    }

    /// One page of `GET /tickets{query}` as `viewer` (`query` is empty or starts with `?`).
    pub async fn tickets_as(&self, viewer: &(impl Caller + ?Sized), query: &str) -> TicketPage {
        expect_json(
            self.get(&format!("/api/v1/tickets{query}"), viewer.token()).await,
            StatusCode::OK,
        )
        .await
    }

    /// A reply (or, with `internal`, a note) on the ticket, which must be accepted.
    pub async fn reply(&self, author: &(impl Caller + ?Sized), id: TicketId, body: &str, internal: bool) -> Message {
        let request = serde_json::json!({ "body": body, "internal": internal });
        let response = self
            .post(&format!("{}/messages", ticket_path(id)), Some(author.token()), &request)
            .await;
        expect_json(response, StatusCode::CREATED).await
    }

    /// `PATCH /tickets/{id}`, answered as it comes.
    pub async fn patch_ticket(&self, who: &(impl Caller + ?Sized), id: TicketId, body: &Value) -> Response {
        self.patch(&ticket_path(id), who.token(), body).await
    }

    /// `PATCH /tickets/{id}`, which must succeed.
    pub async fn update_ticket(&self, who: &(impl Caller + ?Sized), id: TicketId, body: &Value) -> Ticket {
        expect_json(self.patch_ticket(who, id, body).await, StatusCode::OK).await
    }

    /// `GET /users{query}` as `viewer` (`query` is empty or starts with `?`).
    pub async fn users_as(&self, viewer: &(impl Caller + ?Sized), query: &str) -> Vec<User> {
        let list: UserList = expect_json(
            self.get(&format!("/api/v1/users{query}"), viewer.token()).await,
            StatusCode::OK,
        )
        .await;
        list.items
    }

    /// `POST /auth/login`, answered as it comes.
    pub async fn login(&self, slug: &str, email: &str, password: &str) -> Response {
        let body = serde_json::json!({ "workspace_slug": slug, "email": email, "password": password });
        self.post("/api/v1/auth/login", None, &body).await
    }

    /// Signs in with the test password, which must work.
    pub async fn sign_in(&self, slug: &str, email: &str) -> Session {
        session(expect_json::<AuthResponse>(self.login(slug, email, PASSWORD).await, StatusCode::OK).await)
    }

    /// How many mails of `kind` the outbox holds for `email`.
    pub async fn mails_to(&self, email: &str, kind: &str) -> u64 {
        use ferrodesk::db::entities::outbox;
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        outbox::Entity::find()
            .filter(outbox::Column::ToAddress.eq(email))
            .filter(outbox::Column::Kind.eq(kind))
            .count(&self.state.db)
            .await
            .unwrap()
    }
}

/// The `Retry-After` of a response, in seconds.
pub fn retry_after(response: &Response) -> u64 {
    response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
        .expect("a Retry-After header in seconds")
}

/// A token signed as the app signs them, carrying any `claims`.
pub fn forge_token(claims: &Value, secret: &str) -> String {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// This process's resident memory, in KiB (the app runs in the test process).
pub fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// The token of the first `/link?token=...` in a mail's text as the outbox stores it (plain text,
/// not quoted-printable: decoding `=3D` here once cut the first two characters off every token that
/// began with `3D`, one link in 4,096, the intermittent "This link is not valid").
pub fn link_token_in(text: &str) -> String {
    let start = text.find("/link?token=").expect("a link") + "/link?token=".len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "-_".contains(*c))
        .collect()
}

fn session(auth: AuthResponse) -> Session {
    Session {
        token: auth.access_token.clone(),
        auth,
    }
}

/// A workspace with an owner, `agents` agents, a supervisor and two customers.
pub struct TestWorkspace {
    pub slug: String,
    pub owner: Session,
    pub supervisor: Session,
    pub agents: Vec<Session>,
    pub customers: Vec<Session>,
}

impl TestWorkspace {
    pub async fn create(app: &TestApp, slug: &str, agents: usize) -> TestWorkspace {
        let owner = app.signup(slug).await;
        let supervisor = app
            .invite_and_join(&owner, &format!("supervisor@{slug}.example"), Role::Supervisor)
            .await;
        let mut agent_sessions = Vec::new();
        for index in 0..agents {
            agent_sessions.push(
                app.invite_and_join(&owner, &format!("agent{index}@{slug}.example"), Role::Agent)
                    .await,
            );
        }
        let mut customers = Vec::new();
        for index in 0..2 {
            customers.push(
                app.register_customer(slug, &format!("customer{index}@mail.example"))
                    .await,
            );
        }
        TestWorkspace {
            slug: slug.to_owned(),
            owner,
            supervisor,
            agents: agent_sessions,
            customers,
        }
    }

    pub fn agent(&self) -> &Session {
        &self.agents[0]
    }

    pub fn customer(&self) -> &Session {
        &self.customers[0]
    }
}

/// Asserts the status and parses the body.
pub async fn expect_json<T: DeserializeOwned>(response: Response, status: StatusCode) -> T {
    let actual = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("cannot parse {text}: {error}"))
}

/// Asserts an error answer: its status and its machine-readable code.
pub async fn expect_error(response: Response, status: StatusCode, code: ErrorCode) -> ErrorBody {
    let body: ErrorBody = expect_json(response, status).await;
    assert_eq!(body.code, code, "unexpected code: {body:?}");
    assert!(!body.message.is_empty());
    body
}

/// A database of its own for one test, removed when the test ends: a throwaway database
/// (`ferrodesk_dev::throwaway`, shared with the benchmarks), on PostgreSQL when `TEST_DATABASE_URL`
/// names a server, else SQLite; `url`, `dir` and `is_postgres()` come from it.
pub struct TestDatabase(ThrowawayDatabase);

impl TestDatabase {
    pub async fn create() -> TestDatabase {
        let admin_url = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|url| url.starts_with("postgres"));
        let database = ThrowawayDatabase::create("test", admin_url.as_deref()).await;
        TestDatabase(database.expect("a throwaway database (PostgreSQL at TEST_DATABASE_URL?)"))
    }
}

impl std::ops::Deref for TestDatabase {
    type Target = ThrowawayDatabase;

    fn deref(&self) -> &ThrowawayDatabase {
        &self.0
    }
}

/// A write transaction on SQLite as another process would hold it: SQLite's lock, without this
/// process's write gate (`ferrodesk::db::WriteTxn`).
pub async fn another_process_writes(db: &sea_orm::DatabaseConnection) -> sea_orm::DatabaseTransaction {
    use sea_orm::TransactionTrait;
    db.begin_with_options(sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
    .unwrap()
}

#[test]
fn a_link_token_is_read_whole_whatever_it_starts_with() {
    let token = "3Dab-_cdefghijklmnopqrstuvwxyz0123456789ABC";
    let text = format!("Hello,\n\nhttp://127.0.0.1/link?token={token}&to=/requests\n");
    assert_eq!(link_token_in(&text), token);
}
