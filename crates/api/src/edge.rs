//! What every request and answer passes through, whatever its route: the security headers, the
//! deadline for a request's body, and the count of requests in flight that a graceful shutdown
//! waits for.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{ConnectionType, Method};
use actix_web::middleware::Next;
use futures_util::StreamExt;
use tokio::sync::Notify;

use crate::config::Settings;

/// The headers every answer carries, decided once at start-up.
#[derive(Clone, Debug)]
pub struct SecurityHeaders {
    /// The web app (and everything else): scripts only from this server, plus Trunk's inline
    /// loader by its hash; WebAssembly; no framing.
    app_policy: HeaderValue,
    /// Swagger UI runs inline scripts of its own; it gets a looser policy on its own paths.
    docs_policy: HeaderValue,
    /// Only when the public URL is https: a browser that learnt it never tries plain http again.
    strict_transport: Option<HeaderValue>,
}

/// Where Swagger UI lives (see `openapi::docs`).
const DOCS_PATH: &str = "/api/docs";

impl SecurityHeaders {
    /// `inline_script_hashes` are the `sha256-...` sources of the inline scripts of the web app's
    /// index page (`spa::inline_script_hashes`).
    pub fn new(settings: &Settings, inline_script_hashes: &[String]) -> anyhow::Result<SecurityHeaders> {
        let hashes: String = inline_script_hashes.iter().map(|hash| format!(" '{hash}'")).collect();
        // Browsers that predate CSP 3 do not count ws:/wss: as 'self': name the public host too.
        let sockets = match url::Url::parse(&settings.public_url) {
            Ok(url) => match (url.host_str(), url.port()) {
                (Some(host), Some(port)) => format!(" ws://{host}:{port} wss://{host}:{port}"),
                (Some(host), None) => format!(" ws://{host} wss://{host}"),
                _ => String::new(),
            },
            Err(_) => String::new(),
        };
        // Leptos views set a few `style` attributes: styles need 'unsafe-inline' (attributes
        // cannot be allowed by hash); scripts never do.
        let app_policy = format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; font-src 'self'; connect-src 'self'{sockets}; object-src 'none'; \
             base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        );
        let docs_policy = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; \
                           img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
                           frame-ancestors 'none'";
        Ok(SecurityHeaders {
            app_policy: HeaderValue::from_str(&app_policy)?,
            docs_policy: HeaderValue::from_static(docs_policy),
            strict_transport: settings
                .public_url
                .starts_with("https://")
                .then(|| HeaderValue::from_static("max-age=31536000")),
        })
    }

    fn apply(&self, path: &str, headers: &mut header::HeaderMap) {
        // The widget's iframe document sets its own policy, whose frame-ancestors names the origins
        // that may embed it; X-Frame-Options has no such list, so it must not be sent there.
        let framed = path.starts_with("/widget/") && headers.contains_key(header::CONTENT_SECURITY_POLICY);
        if !framed {
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        }
        let policy = if path == DOCS_PATH || path.starts_with("/api/docs/") {
            &self.docs_policy
        } else {
            &self.app_policy
        };
        // An attachment's download sets its own, stricter policy (a sandbox): it stays.
        let own_policy = path.starts_with("/api/v1/")
            && path.contains("/attachments/")
            && headers.contains_key(header::CONTENT_SECURITY_POLICY);
        if !framed && !own_policy {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy.clone());
        }
        headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        // Sign-in links carry their token in the URL: it must never leak in a Referer.
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
        headers.insert(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        );
        if let Some(value) = &self.strict_transport {
            headers.insert(header::STRICT_TRANSPORT_SECURITY, value.clone());
        }
        // API answers are per user: no shared or browser cache may keep them.
        if path.starts_with("/api/v1") && !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
}

/// Adds the security headers to every answer, errors and files included.
pub async fn security_headers(
    headers: Arc<SecurityHeaders>,
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = request.path().to_owned();
    let mut response = next.call(request).await?;
    headers.apply(&path, response.headers_mut());
    Ok(response)
}

/// actix-web limits the time to receive a request's head, not its body: a client that declares
/// a body and trickles it one byte at a time would hold a connection (and its handler) for as long
/// as it likes. This gives the body `timeout` from the moment the handler starts; then reading it
/// fails with a timed-out payload error, which the JSON extractor answers as `408
/// request_timeout`, and the connection is closed. WebSocket upgrades are exempt: their "body" is
/// the socket's life.
pub async fn body_deadline(
    timeout: Duration,
    mut request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let has_body = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .is_some_and(|length| length.as_bytes() != b"0")
        || request.headers().contains_key(header::TRANSFER_ENCODING);
    let upgrade = request.headers().contains_key(header::UPGRADE) || request.method() == Method::CONNECT;
    if has_body && !upgrade {
        let mut inner = request.take_payload();
        let mut deadline = Box::pin(tokio::time::sleep(timeout));
        let mut expired = false;
        let stream = futures_util::stream::poll_fn(move |cx| {
            if expired {
                return Poll::Ready(None);
            }
            if deadline.as_mut().poll(cx).is_ready() {
                expired = true;
                return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the request body did not arrive in time",
                )))));
            }
            inner.poll_next_unpin(cx)
        });
        request.set_payload(Payload::Stream {
            payload: Box::pin(stream),
        });
    }
    next.call(request).await
}

/// Whether a body read failed because `body_deadline` ran out.
pub fn is_body_timeout(error: &PayloadError) -> bool {
    matches!(error, PayloadError::Io(error) if error.kind() == std::io::ErrorKind::TimedOut)
}

/// Requests in flight, and whether the server is draining. A graceful stop first waits here
/// until no request has run for a moment, still accepting connections, and only then tells
/// actix-web to stop: actix-web closes a connection whose request it has read but not started
/// (a fresh connection, or the next request on a kept-alive one) the moment it stops, without
/// an answer.
#[derive(Clone, Default)]
pub struct Drain {
    inner: Arc<DrainState>,
}

#[derive(Default)]
struct DrainState {
    in_flight: AtomicUsize,
    draining: AtomicBool,
    changed: Notify,
}

/// How long no request may have run before the server is considered drained.
const QUIET: Duration = Duration::from_millis(300);

impl Drain {
    pub fn is_draining(&self) -> bool {
        self.inner.draining.load(Ordering::SeqCst)
    }

    /// Starts draining, then waits until no request has been in flight for `QUIET`, or until
    /// `limit` has passed.
    pub async fn drain(&self, limit: Duration) {
        self.inner.draining.store(true, Ordering::SeqCst);
        let quiet = async {
            loop {
                while self.inner.in_flight.load(Ordering::SeqCst) > 0 {
                    let changed = self.inner.changed.notified();
                    if self.inner.in_flight.load(Ordering::SeqCst) == 0 {
                        break;
                    }
                    changed.await;
                }
                // A request that arrives now still gets its answer; the quiet moment starts again.
                let started = self.inner.changed.notified();
                if tokio::time::timeout(QUIET, started).await.is_err() {
                    return;
                }
            }
        };
        if tokio::time::timeout(limit, quiet).await.is_err() {
            tracing::warn!(
                in_flight = self.inner.in_flight.load(Ordering::SeqCst),
                "requests still running at the shutdown limit"
            );
        }
    }

    fn enter(&self) -> InFlight {
        self.inner.in_flight.fetch_add(1, Ordering::SeqCst);
        self.inner.changed.notify_waiters();
        InFlight(self.inner.clone())
    }
}

/// One request in flight; leaving (even by cancellation) counts it out.
struct InFlight(Arc<DrainState>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.0.changed.notify_waiters();
    }
}

/// Counts the request in flight; while draining, asks the client to close the connection after
/// the answer, so that no kept-alive connection is left for the final stop to cut.
pub async fn track_in_flight(
    drain: Drain,
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let _in_flight = drain.enter();
    let mut response = next.call(request).await?;
    if drain.is_draining() {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(response)
}
