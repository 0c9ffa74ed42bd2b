//! What a key looks like: `fd_` and 32 random bytes (256 bits) in unpadded base64url; its stored
//! hash; its scopes as stored; and the query-string check.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ferrodesk_shared::api_keys::ApiScope;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const KEY_PREFIX: &str = "fd_";
/// `fd_` and 43 base64url characters.
const KEY_LENGTH: usize = 3 + 43;
/// How much of a key the list shows: `fd_` and 6 characters (36 bits, not enough to guess the rest).
const SHOWN_LENGTH: usize = 3 + 6;
pub const NAME_MAX_CHARS: usize = 80;

pub struct NewKey {
    pub key: String,
    pub prefix: String,
    pub hash: String,
}

pub fn generate() -> NewKey {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let key = format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    NewKey {
        prefix: key[..SHOWN_LENGTH].to_owned(),
        hash: hash(&key),
        key,
    }
}

/// A plain SHA-256, not a password hash: the key is 256 random bits, so no dictionary or brute
/// force can reach it from its hash, and a fast hash lets every request find its key by an index
/// lookup (a salted, slow hash would need the key's id in the token and cost milliseconds per call).
pub fn hash(key: &str) -> String {
    format!("{:x}", Sha256::digest(key.as_bytes()))
}

/// Whether a bearer token is an API key (and not a session's JWT, which never starts with `fd_`).
pub fn is_api_key(token: &str) -> bool {
    token.starts_with(KEY_PREFIX)
}

/// Whether the text holds something shaped like one of our keys.
fn holds_key(text: &str) -> bool {
    text.match_indices(KEY_PREFIX).any(|(at, _)| {
        text[at + KEY_PREFIX.len()..]
            .bytes()
            .take_while(|byte| byte.is_ascii_alphanumeric() || *byte == b'-' || *byte == b'_')
            .count()
            >= KEY_LENGTH - KEY_PREFIX.len()
    })
}

/// Whether a query string carries an API key: a parameter named like a credential whose value
/// starts with `fd_`, or any value holding a whole key. URLs end up in access logs, proxies and
/// browser history, so a key there is refused (and should be revoked), never used.
pub fn query_holds_key(query: &str) -> bool {
    const CREDENTIAL_NAMES: [&str; 6] = ["access_token", "api_key", "apikey", "key", "token", "authorization"];
    url::form_urlencoded::parse(query.as_bytes()).any(|(name, value)| {
        let name = name.to_ascii_lowercase();
        (CREDENTIAL_NAMES.contains(&name.as_str()) && value.trim_start().starts_with(KEY_PREFIX))
            || holds_key(&value)
            || holds_key(&name)
    })
}

/// Scopes as stored: their names, space-separated, in a fixed order.
pub fn store_scopes(scopes: &[ApiScope]) -> String {
    let mut sorted = scopes.to_vec();
    sorted.sort();
    sorted.dedup();
    sorted.iter().map(ApiScope::as_str).collect::<Vec<_>>().join(" ")
}

/// Stored scopes back; a name this version does not know is skipped (it grants nothing).
pub fn read_scopes(stored: &str) -> Vec<ApiScope> {
    stored.split_whitespace().filter_map(|name| name.parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_has_256_random_bits_and_a_short_shown_prefix() {
        let one = generate();
        let two = generate();
        assert_ne!(one.key, two.key);
        assert_eq!(one.key.len(), KEY_LENGTH);
        assert!(one.key.starts_with("fd_"));
        assert!(one.key.starts_with(&one.prefix));
        assert_eq!(one.prefix.len(), 9);
        assert_eq!(one.hash, hash(&one.key));
        assert_ne!(one.hash, one.key);
        assert!(is_api_key(&one.key));
    }

    #[test]
    fn keys_in_query_strings_are_recognised() {
        let key = generate().key;
        for query in [
            format!("access_token={key}"),
            format!("api_key={key}"),
            format!("key={key}"),
            format!("page=2&token={key}"),
            format!("q={key}"),
            "key=fd_short".to_owned(),
        ] {
            assert!(query_holds_key(&query), "{query}");
        }
        for query in ["", "status=open&q=printer", "q=fd_", "key=abc", "q=the+fd_thing"] {
            assert!(!query_holds_key(query), "{query}");
        }
    }

    #[test]
    fn scopes_round_trip_through_their_stored_form() {
        let scopes = [ApiScope::UsersRead, ApiScope::TicketsRead, ApiScope::UsersRead];
        let stored = store_scopes(&scopes);
        assert_eq!(stored, "tickets:read users:read");
        assert_eq!(read_scopes(&stored), vec![ApiScope::TicketsRead, ApiScope::UsersRead]);
        assert_eq!(read_scopes("tickets:read admin:all"), vec![ApiScope::TicketsRead]);
    }
}
