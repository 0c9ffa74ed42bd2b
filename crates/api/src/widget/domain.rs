//! Widget rules without IO: settings values, exact origins, and the identity token a company's server
//! signs for a visitor.

use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rand::RngCore;
use serde::Deserialize;

use crate::error::ApiError;
use crate::users::domain::{Email, parse_person_name};

pub const DEFAULT_COLOUR: &str = "#2f6fde";
pub const DEFAULT_LABEL: &str = "Help";
pub const DEFAULT_GREETING: &str = "Hi! Ask us anything: we usually answer within a few hours.";
pub const MAX_ORIGINS: usize = 20;
/// The longest life an identity token may claim (`exp - iat`).
pub const MAX_IDENTITY_SECONDS: i64 = 600;
/// How far ahead of our clock a token's `iat` may be (the company's server clock drifts).
const IAT_SKEW_SECONDS: i64 = 60;

pub const VISITOR_PREFIX: &str = "fdv_";
pub const SECRET_PREFIX: &str = "fdw_";

/// `#rrggbb`, lower-cased.
pub fn parse_colour(value: &str) -> Result<String, String> {
    let value = value.trim();
    let hex = value.strip_prefix('#').unwrap_or("");
    if hex.len() == 6 && hex.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        Ok(format!("#{}", hex.to_ascii_lowercase()))
    } else {
        Err("must be a colour like #2f6fde".to_owned())
    }
}

pub fn parse_label(value: &str) -> Result<String, String> {
    let value = value.trim();
    match value.chars().count() {
        0 => Err("is required: the launcher's text".to_owned()),
        1..=40 => Ok(value.to_owned()),
        _ => Err("must be at most 40 characters".to_owned()),
    }
}

pub fn parse_greeting(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.chars().count() > 200 {
        return Err("must be at most 200 characters".to_owned());
    }
    Ok(value.to_owned())
}

/// An exact origin: `http` or `https`, a host, an optional port, nothing else (no path, no
/// wildcard). Returned as browsers send it in `Origin` (lower-case host, default port left out).
pub fn parse_origin(value: &str) -> Result<String, String> {
    let trimmed = value.trim();
    let refuse = || {
        Err(format!(
            "`{trimmed}` is not an origin like https://shop.example or http://localhost:8000"
        ))
    };
    if trimmed.contains('*') {
        return Err(format!("`{trimmed}` has a wildcard: list each origin exactly"));
    }
    let Ok(url) = url::Url::parse(trimmed) else {
        return refuse();
    };
    let bare = trimmed.trim_end_matches('/');
    let plain_path = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
    let no_user = url.username().is_empty() && url.password().is_none();
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() || !plain_path || !no_user {
        return refuse();
    }
    // A path such as `https://a.example/shop` parses with a path: refused above; `bare` only allows
    // one trailing slash to be left off.
    if bare.matches('/').count() != 2 {
        return refuse();
    }
    Ok(url.origin().ascii_serialization())
}

pub fn parse_origins(values: &[String]) -> Result<Vec<String>, String> {
    if values.len() > MAX_ORIGINS {
        return Err(format!("may list at most {MAX_ORIGINS} origins"));
    }
    let mut origins = Vec::with_capacity(values.len());
    for value in values {
        let origin = parse_origin(value)?;
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    Ok(origins)
}

/// `fdw_` and 64 hex digits.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{SECRET_PREFIX}{hex}")
}

/// `fdv_` and a random token, and the hash stored in its place.
pub fn new_visitor_token() -> (String, String) {
    let (token, _) = crate::auth::tokens::new_opaque_token();
    let token = format!("{VISITOR_PREFIX}{token}");
    let hash = crate::auth::tokens::hash_token(&token);
    (token, hash)
}

/// Who the company's server says the visitor is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub email: Email,
    pub name: Option<String>,
    pub external_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct IdentityClaims {
    email: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    external_id: Option<String>,
    iat: i64,
    exp: i64,
}

/// Checks an identity token: HS256 only, signed with `secret`, `aud` = the workspace's slug, not
/// expired at `now` (no leeway: a token replayed after its `exp` is refused), at most
/// [`MAX_IDENTITY_SECONDS`] long, and carrying a valid email.
pub fn verify_identity(token: &str, secret: &str, slug: &str, now: DateTime<Utc>) -> Result<Identity, ApiError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[slug]);
    validation.set_required_spec_claims(&["exp", "aud"]);
    validation.leeway = 0;
    // `exp` is checked against the caller's `now` below, so tests and the server use one clock.
    validation.validate_exp = false;
    let data = jsonwebtoken::decode::<IdentityClaims>(token, &DecodingKey::from_secret(secret.as_bytes()), &validation)
        .map_err(|error| {
            ApiError::IdentityRejected(match error.kind() {
                ErrorKind::InvalidSignature => "The identity token's signature does not match this workspace's widget secret.",
                ErrorKind::InvalidAudience => "The identity token is for another workspace: its `aud` must be this workspace's slug.",
                ErrorKind::InvalidAlgorithm => "The identity token must be signed with HS256.",
                ErrorKind::MissingRequiredClaim(_) => "The identity token lacks a required claim (`aud`, `exp`, `iat`, `email`).",
                ErrorKind::Json(_) => "The identity token lacks a required claim (`aud`, `exp`, `iat`, `email`) or has one of the wrong type.",
                _ => "The identity token is not a valid JWT.",
            })
        })?;
    let claims = data.claims;
    let now = now.timestamp();
    if claims.exp <= now {
        return Err(ApiError::IdentityRejected(
            "The identity token has expired: sign a new one for each page load.",
        ));
    }
    if claims.exp - claims.iat > MAX_IDENTITY_SECONDS {
        return Err(ApiError::IdentityRejected(
            "The identity token lives too long: `exp` must be at most 10 minutes after `iat`.",
        ));
    }
    if claims.iat > now + IAT_SKEW_SECONDS {
        return Err(ApiError::IdentityRejected(
            "The identity token was issued in the future (`iat`).",
        ));
    }
    let email = Email::parse(&claims.email)
        .map_err(|_| ApiError::IdentityRejected("The identity token's `email` is not a valid address."))?;
    let name = claims
        .name
        .as_deref()
        .filter(|name| !name.trim().is_empty())
        .map(parse_person_name)
        .transpose()
        .map_err(|_| {
            ApiError::IdentityRejected("The identity token's `name` is not valid (at most 100 characters).")
        })?;
    let external_id = claims
        .external_id
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty());
    if external_id.as_ref().is_some_and(|id| id.chars().count() > 200) {
        return Err(ApiError::IdentityRejected(
            "The identity token's `external_id` must be at most 200 characters.",
        ));
    }
    Ok(Identity {
        email,
        name,
        external_id,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    use super::*;

    #[test]
    fn origins_are_exact() {
        let cases = [
            ("https://shop.example", Ok("https://shop.example")),
            ("https://shop.example/", Ok("https://shop.example")),
            ("HTTPS://Shop.Example", Ok("https://shop.example")),
            ("http://localhost:8000", Ok("http://localhost:8000")),
            ("https://shop.example:443", Ok("https://shop.example")),
            ("http://127.0.0.1:5500", Ok("http://127.0.0.1:5500")),
            ("https://*.shop.example", Err(())),
            ("https://shop.example/path", Err(())),
            ("https://shop.example?x=1", Err(())),
            ("ftp://shop.example", Err(())),
            ("shop.example", Err(())),
            ("https://user:pw@shop.example", Err(())),
            ("", Err(())),
        ];
        for (input, expected) in cases {
            let got = parse_origin(input).ok();
            assert_eq!(got.as_deref(), expected.ok(), "{input}");
        }
    }

    #[test]
    fn settings_values() {
        assert_eq!(parse_colour("#2F6FDE").as_deref(), Ok("#2f6fde"));
        assert!(parse_colour("red").is_err());
        assert!(parse_colour("#12345").is_err());
        assert!(parse_label("  ").is_err());
        assert!(parse_label(&"x".repeat(41)).is_err());
        assert!(parse_greeting(&"x".repeat(201)).is_err());
        assert_eq!(
            parse_origins(&["https://a.example".into(), "https://a.example/".into()]),
            Ok(vec!["https://a.example".to_owned()])
        );
        assert!(new_secret().starts_with(SECRET_PREFIX) && new_secret().len() == 68);
        let (token, hash) = new_visitor_token();
        assert!(token.starts_with(VISITOR_PREFIX));
        assert_eq!(hash, crate::auth::tokens::hash_token(&token));
    }

    const SECRET: &str = "fdw_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn sign(claims: serde_json::Value, secret: &str, algorithm: Algorithm) -> String {
        jsonwebtoken::encode(
            &Header::new(algorithm),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }

    #[test]
    fn identity_tokens() {
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
        let t = now.timestamp();
        let good = json!({"aud": "acme", "email": "Ada@Example.com", "name": "Ada", "external_id": "u-1", "iat": t - 10, "exp": t + 300});
        let identity = verify_identity(&sign(good.clone(), SECRET, Algorithm::HS256), SECRET, "acme", now).unwrap();
        assert_eq!(identity.email.as_str(), "ada@example.com");
        assert_eq!(identity.name.as_deref(), Some("Ada"));
        assert_eq!(identity.external_id.as_deref(), Some("u-1"));

        let refused = |claims: serde_json::Value, secret: &str, algorithm: Algorithm, slug: &str| match verify_identity(
            &sign(claims, secret, algorithm),
            SECRET,
            slug,
            now,
        ) {
            Err(ApiError::IdentityRejected(message)) => message,
            other => panic!("expected a refusal, got {other:?}"),
        };
        let with = |key: &str, value: serde_json::Value| {
            let mut claims = good.clone();
            claims[key] = value;
            claims
        };
        let without = |key: &str| {
            let mut claims = good.clone();
            claims.as_object_mut().unwrap().remove(key);
            claims
        };
        let other_secret = "fdw_ffff";
        assert!(refused(good.clone(), other_secret, Algorithm::HS256, "acme").contains("signature"));
        assert!(refused(good.clone(), SECRET, Algorithm::HS256, "globex").contains("another workspace"));
        assert!(refused(good.clone(), SECRET, Algorithm::HS512, "acme").contains("HS256"));
        assert!(refused(with("exp", json!(t)), SECRET, Algorithm::HS256, "acme").contains("expired"));
        assert!(refused(with("exp", json!(t - 1)), SECRET, Algorithm::HS256, "acme").contains("expired"));
        assert!(refused(with("exp", json!(t + 3600)), SECRET, Algorithm::HS256, "acme").contains("too long"));
        assert!(
            refused(
                json!({"aud": "acme", "email": "a@example.com", "iat": t + 600, "exp": t + 700}),
                SECRET,
                Algorithm::HS256,
                "acme"
            )
            .contains("future")
        );
        assert!(refused(with("email", json!("not-an-email")), SECRET, Algorithm::HS256, "acme").contains("email"));
        assert!(refused(without("email"), SECRET, Algorithm::HS256, "acme").contains("claim"));
        assert!(refused(without("iat"), SECRET, Algorithm::HS256, "acme").contains("claim"));
        assert!(refused(without("aud"), SECRET, Algorithm::HS256, "acme").contains("claim"));
        assert!(matches!(
            verify_identity("not.a.jwt", SECRET, "acme", now),
            Err(ApiError::IdentityRejected(_))
        ));
        // `alg: none` is refused: the algorithm is pinned.
        let unsigned = format!(
            "{}.{}.",
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                br#"{"alg":"none","typ":"JWT"}"#
            ),
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, good.to_string())
        );
        assert!(matches!(
            verify_identity(&unsigned, SECRET, "acme", now),
            Err(ApiError::IdentityRejected(_))
        ));
    }
}
