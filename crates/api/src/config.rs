//! Typed settings read once from the environment and passed in; nothing reads the environment later.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

#[derive(Clone, Debug)]
pub struct Settings {
    /// `FERRODESK_ADDR`, default `127.0.0.1:8080`; port 0 picks a free one (tests).
    pub addr: SocketAddr,
    /// `FERRODESK_DATA_DIR`, default `./data`: the SQLite file, the signing secret, outgoing mail.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`, default SQLite at `<data dir>/ferrodesk.db`; `postgres://...` for PostgreSQL.
    pub database_url: String,
    /// `FERRODESK_DB_MAX_CONNECTIONS`, default 10.
    pub database_max_connections: u32,
    /// `FERRODESK_DB_TIMEOUT_MS`, default 1000: how long a request waits for a database connection
    /// (and `/readyz` for its ping) before it answers `503 service_unavailable`.
    pub database_timeout: std::time::Duration,
    /// `FERRODESK_DB_BUSY_TIMEOUT_MS`, default 5000: how long a SQLite writer waits for the write
    /// lock before it answers `503`.
    pub database_busy_timeout: std::time::Duration,
    /// `FERRODESK_BODY_TIMEOUT_SECONDS`, default 10: the time a client has to send a request's body
    /// (the head has its own 5 s); a slower one gets `408 request_timeout` and the connection closes.
    pub body_timeout: std::time::Duration,
    /// `FERRODESK_PUBLIC_URL`, default `http://<addr>`: how people reach this server (links, cookies).
    pub public_url: String,
    pub auth: AuthSettings,
    /// `FERRODESK_WEB_DIR`, default `crates/web/dist`: the web app as Trunk built it.
    pub web_dir: PathBuf,
    /// `FERRODESK_BODY_LIMIT_BYTES`, default 262144: larger request bodies are refused with 413.
    pub body_limit_bytes: usize,
    pub log: LogSettings,
    pub mail: MailSettings,
    /// `FERRODESK_SLA_SCHEDULE`, a 6-field cron (seconds first), default every minute
    /// (`0 * * * * *`); `off` runs no scan in this instance.
    pub sla_schedule: Option<String>,
    pub ai: AiConfig,
    pub limits: LimitSettings,
    pub api_rate_limits: ApiRateLimitSettings,
    pub realtime: RealtimeSettings,
    pub webhooks: WebhookSettings,
    pub billing: BillingSettings,
    pub attachments: AttachmentSettings,
    /// `FERRODESK_SEARCH_RANKED_MATCHES`, default 1000: a search by relevance ranks this many of its
    /// newest matches (`tickets::repo::ranked`); sorted by a date, a search reads every match.
    pub search_ranked_matches: u64,
    /// `FERRODESK_METRICS_TOKEN` (16 characters or more): `/metrics` answers a scrape that sends it as
    /// `Authorization: Bearer <token>`. Unset, `/metrics` answers 404.
    pub metrics_token: Option<Secret>,
}

/// Files on messages (`attachments::`).
#[derive(Clone, Debug)]
pub struct AttachmentSettings {
    pub store: BlobStore,
    /// `FERRODESK_ATTACHMENT_MAX_BYTES`, default 10485760 (10 MiB): larger uploads answer 413.
    pub max_bytes: usize,
    /// `FERRODESK_UPLOADS_PER_HOUR`, default 100: files one person (or API key) may upload in an hour.
    pub uploads_per_hour: u32,
}

/// Where attachments' bytes live.
#[derive(Clone, Debug)]
pub enum BlobStore {
    /// `<data dir>/attachments`, the default: nothing else to run.
    Local(PathBuf),
    /// An S3-compatible store, when `FERRODESK_S3_BUCKET` is set: `FERRODESK_S3_ENDPOINT` (for a
    /// store that is not AWS), `FERRODESK_S3_REGION` (`us-east-1`), `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`; plain http only to an endpoint that says `http://`.
    S3 {
        bucket: String,
        endpoint: Option<String>,
        region: String,
        access_key_id: String,
        secret_access_key: Secret,
    },
}

/// Billing through Stripe. With no `STRIPE_SECRET_KEY` (the embedded default) billing is off: the
/// operator sets each workspace's plan (`ferrodesk plan set`) and nothing mentions payment.
#[derive(Clone, Debug)]
pub struct BillingSettings {
    pub stripe: Option<StripeSettings>,
    /// `BILLING_GRACE_DAYS` (7): after a failed payment, Pro stays on this long, with a banner.
    pub grace: chrono::Duration,
    /// Whether this instance runs the webhook events' worker (tests call the job themselves).
    pub worker: bool,
}

#[derive(Clone, Debug)]
pub struct StripeSettings {
    /// `STRIPE_SECRET_KEY`.
    pub secret_key: Secret,
    /// `STRIPE_WEBHOOK_SECRET`: the endpoint's signing secret; several, comma-separated, while one
    /// is being rolled.
    pub webhook_secrets: Vec<Secret>,
    /// `STRIPE_PRICE_PRO`: the price Checkout subscribes to.
    pub price_pro: String,
    /// `STRIPE_API_BASE` (Stripe's): a test double on loopback in the tests.
    pub api_base: String,
    /// `STRIPE_TIMEOUT_SECONDS` (10), for each call to Stripe.
    pub timeout: std::time::Duration,
}

/// Outgoing webhooks (README, "Webhooks").
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// `FERRODESK_WEBHOOKS_ALLOW_LOCAL=1`: endpoints may be plain http and private or loopback
    /// addresses (a self-hosted operator's own receivers). Off, only https to public addresses;
    /// link-local and cloud metadata addresses are refused either way.
    pub allow_local: bool,
    /// `FERRODESK_WEBHOOK_CONNECT_TIMEOUT_SECONDS`, default 5.
    pub connect_timeout: std::time::Duration,
    /// `FERRODESK_WEBHOOK_TIMEOUT_SECONDS`, default 15: one attempt, from connecting to the answer's
    /// last byte.
    pub timeout: std::time::Duration,
    /// `FERRODESK_WEBHOOK_DISABLE_AFTER_HOURS`, default 72: an endpoint whose deliveries have all
    /// failed for this long is disabled and the workspace's owners are told in-app.
    pub disable_after: chrono::Duration,
    /// Whether this process runs the delivery worker (tests deliver by hand, with chosen times).
    pub worker: bool,
}

/// The token buckets every authenticated API request draws from (README, "Rate limits"). They live
/// in each instance's memory; `instances` divides every size so the instances together allow the
/// configured rate (see `limits::buckets` for why not the database).
#[derive(Clone, Copy, Debug)]
pub struct ApiRateLimitSettings {
    /// `FERRODESK_RATE_LIMIT_CALLER_PER_MINUTE` (default 1200) and `FERRODESK_RATE_LIMIT_CALLER_BURST`
    /// (default 300): one signed-in user's (later: one API key's) requests.
    pub caller: BucketSize,
    /// `FERRODESK_RATE_LIMIT_WORKSPACE_PER_MINUTE` (default 6000) and
    /// `FERRODESK_RATE_LIMIT_WORKSPACE_BURST` (default 1500): all of one workspace's requests together.
    /// The plan will set these per workspace (the hook is `limits::buckets`'s `workspace_limiter`).
    pub workspace: BucketSize,
    /// `FERRODESK_INSTANCES`, default 1: how many instances serve the same database behind one balancer.
    pub instances: u32,
}

/// A token bucket: refilled at `per_minute`, holding at most `burst` requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BucketSize {
    pub per_minute: u32,
    pub burst: u32,
}

impl Default for ApiRateLimitSettings {
    fn default() -> Self {
        ApiRateLimitSettings {
            caller: BucketSize {
                per_minute: 1200,
                burst: 300,
            },
            workspace: BucketSize {
                per_minute: 6000,
                burst: 1500,
            },
            instances: 1,
        }
    }
}

/// Abuse limits and quotas (README, "Abuse limits"). Each is per key in a sliding window, counted
/// in the database so it holds across instances.
#[derive(Clone, Debug)]
pub struct LimitSettings {
    /// `FERRODESK_SIGN_IN_ACCOUNT_FAILURES`, default 10: wrong passwords for one workspace + email
    /// (known or not) within the window, after which that account's sign-in answers 429.
    pub sign_in_account_failures: u32,
    /// `FERRODESK_SIGN_IN_ADDRESS_FAILURES`, default 100: wrong passwords from one client address
    /// within the window. Only failures count, so an office behind one address is never locked out.
    pub sign_in_address_failures: u32,
    /// `FERRODESK_SIGN_IN_FAILURE_WINDOW_SECONDS`, default 900 (at most a day).
    pub sign_in_failure_window: chrono::Duration,
    /// `FERRODESK_QUOTA_SIGN_IN_LINKS_PER_HOUR`, default 5: sign-in link requests per requested address.
    pub sign_in_links_per_hour: u32,
    /// `FERRODESK_QUOTA_TICKET_CONFIRMATIONS_PER_HOUR`, default 5: "we received your request" mails
    /// per requester address; over it the ticket is still created, without the mail.
    pub ticket_confirmations_per_hour: u32,
    /// `FERRODESK_QUOTA_INVITATIONS_PER_DAY`, default 20: invitations per workspace.
    pub invitations_per_day: u32,
    /// `FERRODESK_QUOTA_AI_SUGGESTIONS_PER_HOUR`, default 20: suggest-reply calls per user that go to
    /// the workspace's (paid) provider.
    pub ai_suggestions_per_hour: u32,
    /// `FERRODESK_WIDGET_CONVERSATIONS_PER_HOUR`, default 10: conversations one widget visitor, or
    /// one client address, may start in an hour.
    pub widget_conversations_per_hour: u32,
    /// `FERRODESK_WIDGET_MESSAGES_PER_HOUR`, default 120: replies one widget visitor may send in an hour.
    pub widget_messages_per_hour: u32,
    /// `FERRODESK_WIDGET_DAILY_CAP`, default 2000: conversations a workspace's widget takes in a day,
    /// all visitors together (a flood from many addresses stops here).
    pub widget_daily_cap: u32,
    /// `FERRODESK_PASSWORD_HASHING_CONCURRENCY`, default the number of cores: argon2 runs at once.
    pub password_hashing_concurrency: usize,
    /// `FERRODESK_PASSWORD_HASHING_WAIT_MS`, default 2000: how long a sign-in waits for a hashing
    /// slot before answering 503 with `Retry-After`.
    pub password_hashing_wait: std::time::Duration,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            sign_in_account_failures: 10,
            sign_in_address_failures: 100,
            sign_in_failure_window: chrono::Duration::minutes(15),
            sign_in_links_per_hour: 5,
            ticket_confirmations_per_hour: 5,
            invitations_per_day: 20,
            ai_suggestions_per_hour: 20,
            widget_conversations_per_hour: 10,
            widget_messages_per_hour: 120,
            widget_daily_cap: 2000,
            password_hashing_concurrency: std::thread::available_parallelism().map_or(2, usize::from),
            password_hashing_wait: std::time::Duration::from_secs(2),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct RealtimeSettings {
    /// `FERRODESK_WS_MAX_PER_USER`, default 20: one user's open WebSockets (tabs and devices).
    pub max_sockets_per_user: usize,
    /// `FERRODESK_WS_MAX_PER_ADDRESS`, default 100: open WebSockets from one client address (an
    /// office behind one NAT included); more are refused with `429 rate_limited` before the upgrade.
    pub max_sockets_per_address: usize,
}

#[derive(Clone, Debug)]
pub struct AiConfig {
    /// The sentence model's files (`FERRODESK_MODEL_DIR`); when they are missing, the TF-IDF fallback.
    pub model_dir: PathBuf,
    /// Encrypts providers' API keys at rest (`FERRODESK_ENCRYPTION_KEY`, or a key made on first start
    /// in the data folder). Every instance of one deployment needs the same.
    pub encryption_key: Secret,
    /// `FERRODESK_AI_ALLOW_LOCAL_PROVIDERS=1`: a self-hosted operator may point workspaces at plain
    /// http and at private or loopback addresses (an Ollama on the same host). Off, only https to
    /// public addresses. Link-local and cloud metadata addresses are refused either way.
    pub allow_local_providers: bool,
    /// How long a provider may take before the draft falls back to retrieval.
    pub provider_timeout: std::time::Duration,
    /// `FERRODESK_EMBEDDER_THREADS`, default 1: forward passes that run at once when the
    /// categorisation queue has a backlog (see `ai::engine`). candle spreads each matrix product
    /// over rayon's threads (`RAYON_NUM_THREADS`, default the cores), so one pass already uses every
    /// core: on 2 cores 256 tickets went through at 43 texts/s with one thread and 41/s with two,
    /// whose working memory added 94 MB to the peak (244 against 338 MB). Two threads pay when
    /// rayon is held to one (`RAYON_NUM_THREADS=1`: 56 texts/s, 310 MB), at some cost to a single
    /// request's latency.
    pub embedder_threads: usize,
    /// Whether this process runs the categorisation worker (tests drain the queue by hand).
    pub categorise_worker: bool,
}

#[derive(Clone, Debug)]
pub struct MailSettings {
    /// `SMTP_URL`: `smtp://host:25`, `smtp://user:pass@host:587?tls=required` or `smtps://host:465`.
    /// Unset: mail is written as `.eml` files into `dir`.
    pub smtp_url: Option<Secret>,
    /// `SMTP_FROM`, default `noreply@ferrodesk.localhost`: the sender address of every mail.
    pub from_address: String,
    /// `<data dir>/mail`: where `.eml` files go without SMTP.
    pub dir: PathBuf,
    /// Whether this process runs the delivery worker (tests drive delivery by hand).
    pub worker: bool,
    /// `FERRODESK_SMTP_TIMEOUT_SECONDS`, default 30: the most one SMTP conversation may take, from
    /// connecting to the server's answer to the message.
    pub send_timeout: std::time::Duration,
}

#[derive(Clone)]
pub struct AuthSettings {
    /// `FERRODESK_JWT_SECRET`, or generated once into `<data dir>/jwt-secret`.
    pub jwt_secret: Secret,
    /// Access tokens live 15 minutes; refresh tokens 30 days; invitations 72 hours.
    pub access_token_ttl_seconds: i64,
    pub refresh_token_ttl_seconds: i64,
    pub invitation_ttl_seconds: i64,
    /// `FERRODESK_SIGN_IN_LINK_TTL_SECONDS`, default 3600: how long an emailed sign-in link works (once).
    pub sign_in_link_ttl_seconds: i64,
    /// `FERRODESK_CONFIRM_EMAIL_TTL_SECONDS`, default 86400: how long a link confirming an address works (once).
    pub confirm_email_ttl_seconds: i64,
    /// Marks the refresh cookie `Secure`; on when the public URL is https.
    pub secure_cookies: bool,
    pub password_hashing: PasswordHashing,
    /// `FERRODESK_AUTH_BURST` (default 10) sign-in, sign-up and invitation attempts per client address,
    /// refilled one every `FERRODESK_AUTH_REFILL_SECONDS` (default 6).
    pub rate_limit: RateLimit,
}

#[derive(Clone, Copy, Debug)]
pub struct RateLimit {
    pub burst: u32,
    pub seconds_per_request: u64,
}

/// argon2id cost. Production uses the OWASP minimum; tests lower the memory to stay fast.
#[derive(Clone, Copy, Debug)]
pub struct PasswordHashing {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl PasswordHashing {
    pub const RECOMMENDED: PasswordHashing = PasswordHashing {
        memory_kib: 19 * 1024,
        iterations: 2,
    };
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings")
            .field("jwt_secret", &self.jwt_secret)
            .field("access_token_ttl_seconds", &self.access_token_ttl_seconds)
            .field("refresh_token_ttl_seconds", &self.refresh_token_ttl_seconds)
            .field("invitation_ttl_seconds", &self.invitation_ttl_seconds)
            .field("sign_in_link_ttl_seconds", &self.sign_in_link_ttl_seconds)
            .field("confirm_email_ttl_seconds", &self.confirm_email_ttl_seconds)
            .field("secure_cookies", &self.secure_cookies)
            .field("password_hashing", &self.password_hashing)
            .field("rate_limit", &self.rate_limit)
            .finish()
    }
}

/// A secret value that never shows in logs or `Debug` output.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Debug)]
pub struct LogSettings {
    /// `RUST_LOG`, default `info,sqlx=warn,sea_orm=warn`.
    pub filter: String,
    /// `FERRODESK_LOG_FORMAT`: `text` (default) or `json`.
    pub format: LogFormat,
}

impl Settings {
    /// Reads the process environment. Missing values take the embedded defaults, so a bare
    /// `ferrodesk` runs on SQLite in `./data` with nothing else installed.
    pub fn from_env() -> anyhow::Result<Settings> {
        Settings::from_lookup(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Settings> {
        let addr: SocketAddr = lookup("FERRODESK_ADDR")
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned())
            .parse()
            .context("FERRODESK_ADDR must be an address like 127.0.0.1:8080")?;
        let data_dir = PathBuf::from(lookup("FERRODESK_DATA_DIR").unwrap_or_else(|| "./data".to_owned()));
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("cannot create the data folder {}", data_dir.display()))?;
        let database_url = lookup("DATABASE_URL").unwrap_or_else(|| sqlite_url(&data_dir.join("ferrodesk.db")));
        let database_max_connections = parse_or(&lookup, "FERRODESK_DB_MAX_CONNECTIONS", 10)?;
        let database_timeout = std::time::Duration::from_millis(parse_or(&lookup, "FERRODESK_DB_TIMEOUT_MS", 1000)?);
        let database_busy_timeout =
            std::time::Duration::from_millis(parse_or(&lookup, "FERRODESK_DB_BUSY_TIMEOUT_MS", 5000)?);
        let body_timeout = std::time::Duration::from_secs(parse_or(&lookup, "FERRODESK_BODY_TIMEOUT_SECONDS", 10)?);
        let public_url = lookup("FERRODESK_PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_owned();
        let jwt_secret = match lookup("FERRODESK_JWT_SECRET") {
            Some(secret) if secret.len() >= 32 => Secret::new(secret),
            Some(_) => anyhow::bail!("FERRODESK_JWT_SECRET must be at least 32 characters"),
            None => load_or_create_secret(&data_dir.join("jwt-secret"))?,
        };
        let format = match lookup("FERRODESK_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => anyhow::bail!("FERRODESK_LOG_FORMAT must be text or json, not {other}"),
        };
        let metrics_token = match lookup("FERRODESK_METRICS_TOKEN") {
            Some(token) if token.len() >= 16 => Some(Secret::new(token)),
            Some(_) => anyhow::bail!("FERRODESK_METRICS_TOKEN must be at least 16 characters"),
            None => None,
        };
        Ok(Settings {
            addr,
            data_dir: data_dir.clone(),
            database_url,
            database_max_connections,
            database_timeout,
            database_busy_timeout,
            body_timeout,
            auth: AuthSettings {
                jwt_secret,
                access_token_ttl_seconds: 15 * 60,
                refresh_token_ttl_seconds: 30 * 24 * 3600,
                invitation_ttl_seconds: 72 * 3600,
                sign_in_link_ttl_seconds: parse_or(&lookup, "FERRODESK_SIGN_IN_LINK_TTL_SECONDS", 3600)?,
                confirm_email_ttl_seconds: parse_or(&lookup, "FERRODESK_CONFIRM_EMAIL_TTL_SECONDS", 24 * 3600)?,
                secure_cookies: public_url.starts_with("https://"),
                password_hashing: PasswordHashing::RECOMMENDED,
                rate_limit: RateLimit {
                    burst: parse_or(&lookup, "FERRODESK_AUTH_BURST", 10)?,
                    seconds_per_request: parse_or(&lookup, "FERRODESK_AUTH_REFILL_SECONDS", 6)?,
                },
            },
            public_url,
            web_dir: PathBuf::from(lookup("FERRODESK_WEB_DIR").unwrap_or_else(|| "crates/web/dist".to_owned())),
            body_limit_bytes: parse_or(&lookup, "FERRODESK_BODY_LIMIT_BYTES", 256 * 1024)?,
            search_ranked_matches: parse_or(&lookup, "FERRODESK_SEARCH_RANKED_MATCHES", 1000_u64)?.max(1),
            mail: MailSettings {
                smtp_url: lookup("SMTP_URL").map(Secret::new),
                from_address: lookup("SMTP_FROM").unwrap_or_else(|| "noreply@ferrodesk.localhost".to_owned()),
                dir: data_dir.join("mail"),
                worker: true,
                send_timeout: std::time::Duration::from_secs(parse_or(&lookup, "FERRODESK_SMTP_TIMEOUT_SECONDS", 30)?),
            },
            sla_schedule: match lookup("FERRODESK_SLA_SCHEDULE").as_deref() {
                Some("off") => None,
                Some(cron) => Some(cron.to_owned()),
                None => Some("0 * * * * *".to_owned()),
            },
            ai: AiConfig {
                model_dir: PathBuf::from(
                    lookup("FERRODESK_MODEL_DIR").unwrap_or_else(|| "models/all-MiniLM-L6-v2".to_owned()),
                ),
                encryption_key: match lookup("FERRODESK_ENCRYPTION_KEY") {
                    Some(key) if key.len() >= 32 => Secret::new(key),
                    Some(_) => anyhow::bail!("FERRODESK_ENCRYPTION_KEY must be at least 32 characters"),
                    None => load_or_create_secret(&data_dir.join("encryption-key"))?,
                },
                allow_local_providers: matches!(
                    lookup("FERRODESK_AI_ALLOW_LOCAL_PROVIDERS").as_deref(),
                    Some("1" | "true" | "yes")
                ),
                provider_timeout: std::time::Duration::from_secs(parse_or(
                    &lookup,
                    "FERRODESK_AI_PROVIDER_TIMEOUT_SECONDS",
                    20,
                )?),
                embedder_threads: parse_or(&lookup, "FERRODESK_EMBEDDER_THREADS", 1usize)?.max(1),
                categorise_worker: true,
            },
            limits: limits_from(&lookup)?,
            api_rate_limits: api_rate_limits_from(&lookup)?,
            realtime: RealtimeSettings {
                max_sockets_per_user: parse_or(&lookup, "FERRODESK_WS_MAX_PER_USER", 20)?,
                max_sockets_per_address: parse_or(&lookup, "FERRODESK_WS_MAX_PER_ADDRESS", 100)?,
            },
            webhooks: WebhookSettings {
                allow_local: matches!(
                    lookup("FERRODESK_WEBHOOKS_ALLOW_LOCAL").as_deref(),
                    Some("1" | "true" | "yes")
                ),
                connect_timeout: std::time::Duration::from_secs(parse_or(
                    &lookup,
                    "FERRODESK_WEBHOOK_CONNECT_TIMEOUT_SECONDS",
                    5,
                )?),
                timeout: std::time::Duration::from_secs(parse_or(&lookup, "FERRODESK_WEBHOOK_TIMEOUT_SECONDS", 15)?),
                disable_after: chrono::Duration::hours(parse_or(&lookup, "FERRODESK_WEBHOOK_DISABLE_AFTER_HOURS", 72)?),
                worker: true,
            },
            billing: billing_from(&lookup)?,
            attachments: AttachmentSettings {
                store: match lookup("FERRODESK_S3_BUCKET") {
                    Some(bucket) => BlobStore::S3 {
                        bucket,
                        endpoint: lookup("FERRODESK_S3_ENDPOINT"),
                        region: lookup("FERRODESK_S3_REGION").unwrap_or_else(|| "us-east-1".to_owned()),
                        access_key_id: lookup("AWS_ACCESS_KEY_ID").unwrap_or_default(),
                        secret_access_key: Secret::new(lookup("AWS_SECRET_ACCESS_KEY").unwrap_or_default()),
                    },
                    None => BlobStore::Local(data_dir.join("attachments")),
                },
                max_bytes: parse_or(&lookup, "FERRODESK_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)?,
                uploads_per_hour: parse_or(&lookup, "FERRODESK_UPLOADS_PER_HOUR", 100)?,
            },
            log: LogSettings {
                filter: lookup("RUST_LOG").unwrap_or_else(|| "info,sqlx=warn,sea_orm=warn".to_owned()),
                format,
            },
            metrics_token,
        })
    }
}

fn limits_from(lookup: &impl Fn(&str) -> Option<String>) -> anyhow::Result<LimitSettings> {
    let defaults = LimitSettings::default();
    let window: i64 = parse_or(lookup, "FERRODESK_SIGN_IN_FAILURE_WINDOW_SECONDS", 900)?;
    if !(1..=86_400).contains(&window) {
        anyhow::bail!("FERRODESK_SIGN_IN_FAILURE_WINDOW_SECONDS must be between 1 and 86400");
    }
    let concurrency: usize = parse_or(
        lookup,
        "FERRODESK_PASSWORD_HASHING_CONCURRENCY",
        defaults.password_hashing_concurrency,
    )?;
    if concurrency == 0 {
        anyhow::bail!("FERRODESK_PASSWORD_HASHING_CONCURRENCY must be at least 1");
    }
    Ok(LimitSettings {
        sign_in_account_failures: parse_or(
            lookup,
            "FERRODESK_SIGN_IN_ACCOUNT_FAILURES",
            defaults.sign_in_account_failures,
        )?,
        sign_in_address_failures: parse_or(
            lookup,
            "FERRODESK_SIGN_IN_ADDRESS_FAILURES",
            defaults.sign_in_address_failures,
        )?,
        sign_in_failure_window: chrono::Duration::seconds(window),
        sign_in_links_per_hour: parse_or(
            lookup,
            "FERRODESK_QUOTA_SIGN_IN_LINKS_PER_HOUR",
            defaults.sign_in_links_per_hour,
        )?,
        ticket_confirmations_per_hour: parse_or(
            lookup,
            "FERRODESK_QUOTA_TICKET_CONFIRMATIONS_PER_HOUR",
            defaults.ticket_confirmations_per_hour,
        )?,
        invitations_per_day: parse_or(
            lookup,
            "FERRODESK_QUOTA_INVITATIONS_PER_DAY",
            defaults.invitations_per_day,
        )?,
        ai_suggestions_per_hour: parse_or(
            lookup,
            "FERRODESK_QUOTA_AI_SUGGESTIONS_PER_HOUR",
            defaults.ai_suggestions_per_hour,
        )?,
        widget_conversations_per_hour: parse_or(
            lookup,
            "FERRODESK_WIDGET_CONVERSATIONS_PER_HOUR",
            defaults.widget_conversations_per_hour,
        )?,
        widget_messages_per_hour: parse_or(
            lookup,
            "FERRODESK_WIDGET_MESSAGES_PER_HOUR",
            defaults.widget_messages_per_hour,
        )?,
        widget_daily_cap: parse_or(lookup, "FERRODESK_WIDGET_DAILY_CAP", defaults.widget_daily_cap)?,
        password_hashing_concurrency: concurrency,
        password_hashing_wait: std::time::Duration::from_millis(parse_or(
            lookup,
            "FERRODESK_PASSWORD_HASHING_WAIT_MS",
            2000,
        )?),
    })
}

fn billing_from(lookup: &impl Fn(&str) -> Option<String>) -> anyhow::Result<BillingSettings> {
    let grace_days: i64 = parse_or(lookup, "BILLING_GRACE_DAYS", 7)?;
    if !(0..=90).contains(&grace_days) {
        anyhow::bail!("BILLING_GRACE_DAYS must be between 0 and 90");
    }
    let stripe = match lookup("STRIPE_SECRET_KEY") {
        None => None,
        Some(secret_key) => {
            // Half a configuration would take money and never upgrade anyone: refuse to start.
            let webhook_secrets: Vec<Secret> = lookup("STRIPE_WEBHOOK_SECRET")
                .context("STRIPE_WEBHOOK_SECRET is needed with STRIPE_SECRET_KEY (the webhook's signing secret)")?
                .split(',')
                .map(str::trim)
                .filter(|secret| !secret.is_empty())
                .map(Secret::new)
                .collect();
            if webhook_secrets.is_empty() {
                anyhow::bail!("STRIPE_WEBHOOK_SECRET must name at least one secret");
            }
            Some(StripeSettings {
                secret_key: Secret::new(secret_key),
                webhook_secrets,
                price_pro: lookup("STRIPE_PRICE_PRO")
                    .context("STRIPE_PRICE_PRO is needed with STRIPE_SECRET_KEY (the Pro plan's price id)")?,
                api_base: lookup("STRIPE_API_BASE").unwrap_or_else(|| ferrodesk_stripe::API_BASE.to_owned()),
                timeout: std::time::Duration::from_secs(parse_or(lookup, "STRIPE_TIMEOUT_SECONDS", 10)?),
            })
        }
    };
    Ok(BillingSettings {
        stripe,
        grace: chrono::Duration::days(grace_days),
        worker: true,
    })
}

fn api_rate_limits_from(lookup: &impl Fn(&str) -> Option<String>) -> anyhow::Result<ApiRateLimitSettings> {
    let defaults = ApiRateLimitSettings::default();
    let bucket = |prefix: &str, default: BucketSize| -> anyhow::Result<BucketSize> {
        let size = BucketSize {
            per_minute: parse_or(lookup, &format!("{prefix}_PER_MINUTE"), default.per_minute)?,
            burst: parse_or(lookup, &format!("{prefix}_BURST"), default.burst)?,
        };
        if size.per_minute == 0 || size.burst == 0 {
            anyhow::bail!("{prefix}_PER_MINUTE and {prefix}_BURST must be at least 1");
        }
        Ok(size)
    };
    let instances = parse_or(lookup, "FERRODESK_INSTANCES", defaults.instances)?;
    if instances == 0 {
        anyhow::bail!("FERRODESK_INSTANCES must be at least 1");
    }
    Ok(ApiRateLimitSettings {
        caller: bucket("FERRODESK_RATE_LIMIT_CALLER", defaults.caller)?,
        workspace: bucket("FERRODESK_RATE_LIMIT_WORKSPACE", defaults.workspace)?,
        instances,
    })
}

pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

fn parse_or<T: std::str::FromStr>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: T,
) -> anyhow::Result<T> {
    match lookup(name) {
        None => Ok(default),
        Some(value) => value
            .parse()
            .map_err(|_| anyhow::anyhow!("{name} must be a number, not {value}")),
    }
}

/// The signing secret is made on first start and kept, so sessions survive a restart.
fn load_or_create_secret(path: &Path) -> anyhow::Result<Secret> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let existing = existing.trim();
        if existing.len() >= 32 {
            return Ok(Secret::new(existing));
        }
    }
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    write_private(path, &secret).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Secret::new(secret))
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_run_on_sqlite_in_the_data_folder() {
        let dir = std::env::temp_dir().join(format!("ferrodesk-config-{}", uuid::Uuid::now_v7()));
        let dir_string = dir.display().to_string();
        let settings = Settings::from_lookup(|name| match name {
            "FERRODESK_DATA_DIR" => Some(dir_string.clone()),
            _ => None,
        })
        .expect("defaults are valid");
        assert_eq!(settings.addr.to_string(), "127.0.0.1:8080");
        assert!(settings.database_url.starts_with("sqlite://"));
        assert!(settings.database_url.ends_with("ferrodesk.db?mode=rwc"));
        assert_eq!(
            settings.auth.sign_in_link_ttl_seconds, 3600,
            "sign-in links work for an hour"
        );
        assert_eq!(
            settings.auth.invitation_ttl_seconds,
            72 * 3600,
            "invitations for 72 hours"
        );
        let again = Settings::from_lookup(|name| match name {
            "FERRODESK_DATA_DIR" => Some(dir_string.clone()),
            _ => None,
        })
        .expect("defaults are valid");
        assert_eq!(
            settings.auth.jwt_secret.expose(),
            again.auth.jwt_secret.expose(),
            "the secret is kept"
        );
        assert!(!format!("{settings:?}").contains(settings.auth.jwt_secret.expose()));
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn postgres_url_and_bad_values() {
        let settings = Settings::from_lookup(|name| match name {
            "DATABASE_URL" => Some("postgres://postgres@127.0.0.1/test".to_owned()),
            "FERRODESK_JWT_SECRET" => Some("x".repeat(40)),
            "FERRODESK_DATA_DIR" => Some(std::env::temp_dir().display().to_string()),
            _ => None,
        })
        .expect("valid");
        assert!(settings.database_url.starts_with("postgres://"));
        let bad = Settings::from_lookup(|name| (name == "FERRODESK_ADDR").then(|| "nowhere".to_owned()));
        assert!(bad.is_err());
    }

    #[test]
    fn billing_is_off_without_stripe_keys_and_refuses_half_a_configuration() {
        let dir = std::env::temp_dir().display().to_string();
        let with = |pairs: &[(&str, &str)]| {
            let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
            let dir = dir.clone();
            Settings::from_lookup(move |name| {
                if name == "FERRODESK_DATA_DIR" {
                    return Some(dir.clone());
                }
                pairs
                    .iter()
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| value.clone())
            })
        };
        let off = with(&[]).expect("valid");
        assert!(off.billing.stripe.is_none());
        assert_eq!(off.billing.grace, chrono::Duration::days(7));
        assert!(
            with(&[("STRIPE_SECRET_KEY", "sk_test_1")]).is_err(),
            "no webhook secret"
        );
        assert!(
            with(&[("STRIPE_SECRET_KEY", "sk_test_1"), ("STRIPE_WEBHOOK_SECRET", "whsec_1")]).is_err(),
            "no price"
        );
        let on = with(&[
            ("STRIPE_SECRET_KEY", "sk_test_1"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_old, whsec_new"),
            ("STRIPE_PRICE_PRO", "price_pro"),
            ("BILLING_GRACE_DAYS", "3"),
        ])
        .expect("valid");
        let stripe = on.billing.stripe.expect("on");
        let secrets: Vec<&str> = stripe.webhook_secrets.iter().map(Secret::expose).collect();
        assert_eq!(secrets, ["whsec_old", "whsec_new"]);
        assert_eq!(stripe.api_base, "https://api.stripe.com/");
        assert_eq!(on.billing.grace, chrono::Duration::days(3));
        assert!(!format!("{stripe:?}").contains("sk_test_1"), "the key is never printed");
    }
}
