//! The webhook's door: Stripe's signature (HMAC-SHA256 over `"{t}.{payload}"`, any of the header's
//! `v1` values, 300 s either side of `now`) checked against each of our endpoint secrets (more than
//! one while a secret is being rolled), then the few ids billing needs, read from the envelope.
//!
//! This does not use async-stripe-webhook: it parses `data.object` strictly as the complete object
//! of the API version async-stripe pins, but Stripe renders events in the version the account or
//! endpoint is set to, so an account on any other version would have every event refused. Nothing
//! here trusts the event's object beyond naming what to look up: billing re-reads the subscription
//! from Stripe, so a stale or reordered event cannot set an old state.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// How far a signature's timestamp may be from now, either way (Stripe's own libraries' default).
pub const TOLERANCE_SECONDS: i64 = 300;

/// Why a webhook was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No `v1` matches any secret, or the header is malformed.
    #[error("the Stripe-Signature does not match")]
    Signature,
    /// Signed, but more than 300 s from now: a replay of an old delivery.
    #[error("the Stripe-Signature's timestamp is outside the tolerance")]
    Timestamp,
    /// Signed, but not an event.
    #[error("the payload is not a Stripe event")]
    Payload,
}

/// A verified event: what it is and what it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: String,
    /// `checkout.session.completed`, `invoice.paid`, ...
    pub kind: String,
    /// Seconds since the epoch.
    pub created: i64,
    /// The customer the object belongs to, when it names one.
    pub customer: Option<String>,
    /// The subscription it is about, when it names one.
    pub subscription: Option<String>,
}

/// Checks `header` (the `Stripe-Signature`) over `payload` with each secret, at `now` (seconds).
pub fn verify(payload: &str, header: &str, secrets: &[String], now: i64) -> Result<Event, Refusal> {
    let (timestamp, signatures) = parse_header(header).ok_or(Refusal::Signature)?;
    let signed = format!("{timestamp}.{payload}");
    let matches = secrets.iter().any(|secret| {
        signatures.iter().any(|signature| {
            let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
                return false;
            };
            mac.update(signed.as_bytes());
            // Constant-time comparison.
            mac.verify_slice(signature).is_ok()
        })
    });
    if !matches {
        return Err(Refusal::Signature);
    }
    if (now - timestamp).abs() > TOLERANCE_SECONDS {
        return Err(Refusal::Timestamp);
    }
    let body: Value = serde_json::from_str(payload).map_err(|_| Refusal::Payload)?;
    let (Some(id), Some(kind), Some(created), Some("event")) = (
        body["id"].as_str(),
        body["type"].as_str(),
        body["created"].as_i64(),
        body["object"].as_str(),
    ) else {
        return Err(Refusal::Payload);
    };
    let object = &body["data"]["object"];
    if !object.is_object() {
        return Err(Refusal::Payload);
    }
    Ok(Event {
        id: id.to_owned(),
        kind: kind.to_owned(),
        created,
        customer: id_of(&object["customer"]),
        subscription: subscription_of(kind, object),
    })
}

/// `t=<seconds>,v1=<hex>,v1=<hex>,v0=...`: the one timestamp and every `v1` (other schemes are
/// ignored, as Stripe's libraries do).
fn parse_header(header: &str) -> Option<(i64, Vec<Vec<u8>>)> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = Some(value.parse().ok()?),
            Some(("v1", value)) => signatures.extend(hex(value)),
            _ => {}
        }
    }
    Some((timestamp?, signatures))
}

fn hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

/// A field that is an id, or an expanded object with one.
fn id_of(value: &Value) -> Option<String> {
    match value {
        Value::String(id) => Some(id.clone()),
        Value::Object(object) => object.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

fn subscription_of(kind: &str, object: &Value) -> Option<String> {
    if kind.starts_with("customer.subscription.") {
        return id_of(&object["id"]);
    }
    // Invoices name it under `parent` since the 2025 API versions, at the top level before.
    id_of(&object["subscription"]).or_else(|| id_of(&object["parent"]["subscription_details"]["subscription"]))
}

/// A `Stripe-Signature` header for `payload` signed at `timestamp` with each secret, as Stripe
/// sends it (one `v1` per secret while a secret is rolled). For tests and test doubles.
pub fn signature_header(payload: &str, secrets: &[&str], timestamp: i64) -> String {
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
            continue;
        };
        mac.update(format!("{timestamp}.{payload}").as_bytes());
        header.push_str(",v1=");
        for byte in mac.finalize().into_bytes() {
            header.push_str(&format!("{byte:02x}"));
        }
    }
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn invoice_paid(shape: &str) -> String {
        format!(
            r#"{{"id":"evt_1","object":"event","api_version":"2026-09-30.endive","created":{NOW},
            "data":{{"object":{{"id":"in_1","object":"invoice","customer":"cus_1",{shape}}}}},
            "livemode":false,"pending_webhooks":1,"request":{{"id":null,"idempotency_key":null}},
            "type":"invoice.paid"}}"#
        )
    }

    #[test]
    fn an_invoice_names_its_subscription_in_either_shape() {
        let secrets = ["whsec_a".to_owned()];
        for shape in [
            r#""parent":{"type":"subscription_details","subscription_details":{"subscription":"sub_1"}}"#,
            r#""subscription":"sub_1""#,
        ] {
            let payload = invoice_paid(shape);
            let header = signature_header(&payload, &["whsec_a"], NOW);
            let event = verify(&payload, &header, &secrets, NOW).unwrap_or_else(|refusal| panic!("{refusal}"));
            assert_eq!(event.kind, "invoice.paid");
            assert_eq!(event.customer.as_deref(), Some("cus_1"));
            assert_eq!(event.subscription.as_deref(), Some("sub_1"));
        }
    }

    #[test]
    fn signatures_are_checked_against_every_secret_and_the_clock() {
        let payload = invoice_paid(r#""subscription":"sub_1""#);
        let rolled = ["whsec_old".to_owned(), "whsec_new".to_owned()];
        // Signed with the new secret only, or with both (Stripe during a roll): accepted.
        for signers in [&["whsec_new"][..], &["whsec_other", "whsec_old"][..]] {
            let header = signature_header(&payload, signers, NOW);
            assert!(verify(&payload, &header, &rolled, NOW).is_ok(), "{signers:?}");
        }
        let wrong = signature_header(&payload, &["whsec_other"], NOW);
        assert_eq!(verify(&payload, &wrong, &rolled, NOW), Err(Refusal::Signature));
        let old = signature_header(&payload, &["whsec_new"], NOW - 301);
        assert_eq!(verify(&payload, &old, &rolled, NOW), Err(Refusal::Timestamp));
        let edge = signature_header(&payload, &["whsec_new"], NOW - 300);
        assert!(verify(&payload, &edge, &rolled, NOW).is_ok());
        let tampered = payload.replace("cus_1", "cus_2");
        let header = signature_header(&payload, &["whsec_new"], NOW);
        assert_eq!(verify(&tampered, &header, &rolled, NOW), Err(Refusal::Signature));
        for garbage in ["garbage", "t=abc,v1=00", "v1=00", "t=1800000000,v1=zz"] {
            assert_eq!(
                verify(&payload, garbage, &rolled, NOW),
                Err(Refusal::Signature),
                "{garbage}"
            );
        }
    }

    #[test]
    fn the_signature_matches_one_computed_elsewhere() {
        // printf '%s' '1492774577.{"id":"evt_1"}' | openssl dgst -sha256 -hmac whsec_test
        let expected = "t=1492774577,v1=7656fc2882a7ca0a651666b36bf2f2f22ee204f54f608f227498a2419f2890b2";
        assert_eq!(
            signature_header(r#"{"id":"evt_1"}"#, &["whsec_test"], 1_492_774_577),
            expected
        );
        // With a test-mode v0 beside it, as Stripe sends, only the v1 counts.
        assert_eq!(
            parse_header(&format!("{expected},v0=abcd")).map(|(t, v1)| (t, v1.len())),
            Some((1_492_774_577, 1))
        );
    }

    #[test]
    fn a_signed_non_event_is_refused() {
        let secrets = ["whsec_a".to_owned()];
        for payload in [
            "[]",
            r#"{"id":"evt_1","object":"customer","type":"x","created":1,"data":{"object":{}}}"#,
            r#"{"id":"evt_1","object":"event","type":"x","created":1,"data":{}}"#,
        ] {
            let header = signature_header(payload, &["whsec_a"], NOW);
            assert_eq!(
                verify(payload, &header, &secrets, NOW),
                Err(Refusal::Payload),
                "{payload}"
            );
        }
    }
}
