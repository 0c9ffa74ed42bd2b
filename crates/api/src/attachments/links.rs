//! A file named in a customer's mail gets its own link, so the reply's files open from the mail
//! itself. The link needs no session: it is signed (HMAC-SHA256 under a key derived from the
//! server's secret) over the file's id and an expiry, so nothing is stored per mail, a forged or
//! altered link is refused, and it stops working after `LIFETIME_DAYS`. It opens only a file that a
//! public message carries (never an internal note's), checked again when it is opened.

use chrono::{DateTime, Duration, Utc};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};
use uuid::Uuid;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::config::{Secret, Settings};

/// How long a mailed file link works: as long as the reply it came with is likely to be read.
pub const LIFETIME_DAYS: i64 = 30;

/// What the link is refused for.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not a signature this server made for this file and expiry.
    Forged,
    Expired,
}

/// The key: the server's secret, hashed with this purpose, so a link's signature can never stand
/// for anything else the secret signs (session JWTs).
fn key(secret: &Secret) -> [u8; 64] {
    // A key of SHA-256's block size (64 bytes) is used as it is: no fallible length check.
    let mut hasher = Sha512::new();
    hasher.update(b"ferrodesk mailed attachment links\n");
    hasher.update(secret.expose().as_bytes());
    hasher.finalize().into()
}

fn mac(secret: &Secret, id: Uuid, expires: i64) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new(&key(secret).into());
    mac.update(format!("{id}\n{expires}").as_bytes());
    mac
}

/// The signature for `id` until `expires` (Unix seconds), URL-safe base64.
pub fn sign(secret: &Secret, id: Uuid, expires: i64) -> String {
    URL_SAFE_NO_PAD.encode(mac(secret, id, expires).finalize().into_bytes())
}

/// The link a mail carries for a file: `{public_url}/api/v1/attachments/{id}/signed?expires=..&signature=..`.
pub fn signed_url(settings: &Settings, id: Uuid, now: DateTime<Utc>) -> String {
    let expires = (now + Duration::days(LIFETIME_DAYS)).timestamp();
    format!(
        "{}/api/v1/attachments/{id}/signed?expires={expires}&signature={}",
        settings.public_url,
        sign(&settings.auth.jwt_secret, id, expires)
    )
}

/// Whether the link is this server's for this file (in constant time) and still good at `now`.
pub fn verify(secret: &Secret, id: Uuid, expires: i64, signature: &str, now: DateTime<Utc>) -> Result<(), Refusal> {
    let given = URL_SAFE_NO_PAD.decode(signature).map_err(|_| Refusal::Forged)?;
    mac(secret, id, expires)
        .verify_slice(&given)
        .map_err(|_| Refusal::Forged)?;
    if now.timestamp() >= expires {
        return Err(Refusal::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(value: &str) -> Secret {
        Secret::new(value)
    }

    #[test]
    fn a_link_opens_its_own_file_until_it_expires_and_nothing_else() {
        let server = secret("a-secret-of-at-least-thirty-two-characters");
        let now = Utc::now();
        let (file, other) = (Uuid::now_v7(), Uuid::now_v7());
        let expires = (now + Duration::days(LIFETIME_DAYS)).timestamp();
        let signature = sign(&server, file, expires);

        assert_eq!(verify(&server, file, expires, &signature, now), Ok(()));
        let cases = [
            ("another file", other, expires, signature.clone(), now, Refusal::Forged),
            (
                "a later expiry",
                file,
                expires + 86_400,
                signature.clone(),
                now,
                Refusal::Forged,
            ),
            ("not base64", file, expires, "**".to_owned(), now, Refusal::Forged),
            (
                "truncated",
                file,
                expires,
                signature[..32].to_owned(),
                now,
                Refusal::Forged,
            ),
            (
                "at its expiry",
                file,
                expires,
                signature.clone(),
                now + Duration::days(LIFETIME_DAYS),
                Refusal::Expired,
            ),
        ];
        for (case, id, expires, signature, at, refusal) in cases {
            assert_eq!(verify(&server, id, expires, &signature, at), Err(refusal), "{case}");
        }
        let elsewhere = secret("another-secret-of-at-least-thirty-two-chars");
        assert_eq!(verify(&elsewhere, file, expires, &signature, now), Err(Refusal::Forged));
    }
}
