//! Pure rules: what an endpoint URL, its events and description may be; secrets; signatures.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ferrodesk_shared::webhooks::WebhookEvent;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use url::Url;

use crate::net;
use crate::validation;

const MAX_URL_CHARS: usize = 2000;
const MAX_DESCRIPTION_CHARS: usize = 200;
/// 24 random bytes: Standard Webhooks asks for 24 to 64.
const SECRET_BYTES: usize = 24;
const SECRET_PREFIX: &str = "whsec_";

/// An endpoint URL: https (http only where the operator allows local receivers), a host, no
/// credentials or fragment, and no forbidden address literal or name. The resolved addresses are
/// checked again at every connection.
pub fn parse_url(raw: &str, allow_local: bool) -> Result<String, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("is required".to_owned());
    }
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(format!("must be at most {MAX_URL_CHARS} characters"));
    }
    let url = Url::parse(raw).map_err(|_| "must be a URL like https://example.com/hooks/ferrodesk".to_owned())?;
    match url.scheme() {
        "https" => {}
        "http" if allow_local => {}
        "http" => return Err("must use https".to_owned()),
        _ => return Err("must be an https URL".to_owned()),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain credentials; verify the signature instead".to_owned());
    }
    if url.fragment().is_some() {
        return Err("must not have a fragment".to_owned());
    }
    match net::forbidden_host(&url, allow_local) {
        Some(reason) => Err(reason),
        None => Ok(url.to_string()),
    }
}

/// At least one event, each once, in a stable order.
pub fn parse_events(events: &[WebhookEvent]) -> Result<Vec<WebhookEvent>, String> {
    let mut events = events.to_vec();
    events.sort();
    events.dedup();
    if events.is_empty() {
        return Err("choose at least one event".to_owned());
    }
    Ok(events)
}

/// An optional single line; blank is none.
pub fn parse_description(raw: Option<&str>) -> Result<Option<String>, String> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => validation::single_line(text, "a description", MAX_DESCRIPTION_CHARS).map(Some),
    }
}

/// How the subscribed events are stored: a JSON array of their names.
pub fn events_column(events: &[WebhookEvent]) -> String {
    serde_json::to_string(events).unwrap_or_else(|_| "[]".to_owned())
}

pub fn events_of_column(stored: &str) -> Vec<WebhookEvent> {
    serde_json::from_str(stored).unwrap_or_default()
}

/// A fresh signing secret, `whsec_<base64 of 24 random bytes>`.
pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The `webhook-signature` header: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed with the
/// secret's bytes (Standard Webhooks).
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, String> {
    let key = STANDARD
        .decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret))
        .map_err(|_| "a webhook secret is not base64".to_owned())?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| "a webhook secret has no bytes".to_owned())?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_like_the_standard_webhooks_reference() {
        // The example of the Standard Webhooks specification and its reference libraries.
        let signature = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(
            signature.as_deref(),
            Ok("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn secrets_are_fresh_and_usable() {
        let (one, two) = (new_secret(), new_secret());
        assert_ne!(one, two);
        assert!(one.starts_with("whsec_"));
        assert!(sign(&one, "msg", 1, b"{}").is_ok());
    }

    #[test]
    fn urls() {
        assert_eq!(
            parse_url(" https://example.com/hooks?x=1 ", false).as_deref(),
            Ok("https://example.com/hooks?x=1")
        );
        assert!(parse_url("http://example.com/hooks", false).is_err(), "https only");
        assert!(
            parse_url("http://127.0.0.1:9/hooks", true).is_ok(),
            "local receivers when allowed"
        );
        for refused in [
            "https://127.0.0.1/hooks",
            "https://10.0.0.8/hooks",
            "https://192.168.1.1/hooks",
            "https://localhost/hooks",
            "https://[::1]/hooks",
            "https://user:pw@example.com/hooks",
            "https://example.com/hooks#part",
            "ftp://example.com/hooks",
            "not a url",
            "",
        ] {
            assert!(parse_url(refused, false).is_err(), "{refused}");
        }
        for always in ["http://169.254.169.254/latest", "https://metadata.google.internal/x"] {
            assert!(parse_url(always, true).is_err(), "{always}");
        }
    }

    #[test]
    fn events_and_descriptions() {
        assert!(parse_events(&[]).is_err());
        assert_eq!(
            parse_events(&[
                WebhookEvent::MessageCreated,
                WebhookEvent::TicketCreated,
                WebhookEvent::MessageCreated
            ]),
            Ok(vec![WebhookEvent::TicketCreated, WebhookEvent::MessageCreated])
        );
        let stored = events_column(&[WebhookEvent::TicketCreated, WebhookEvent::MessageCreated]);
        assert_eq!(stored, r#"["ticket.created","message.created"]"#);
        assert_eq!(events_of_column(&stored).len(), 2);
        assert_eq!(parse_description(Some("  ")), Ok(None));
        assert!(parse_description(Some("two\nlines")).is_err());
    }
}
