//! Abuse limits: how many times an action may happen per key within a sliding window (failed
//! sign-ins per account, sign-in links per address, paid AI calls per user). Each counted action is
//! a row in `limit_hits`, so every instance sees the same count; over a limit answers
//! `429 rate_limited` with `Retry-After`, the seconds until the oldest counted action leaves the window.

pub mod buckets;
pub mod quotas;
pub mod repo;

use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::auth::tokens::hash_token;
use crate::error::{ApiError, ApiResult};
use crate::users::domain::Email;

/// At most `max` actions per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

impl Limit {
    pub const fn per_hour(max: u32) -> Limit {
        Limit {
            max,
            window: Duration::hours(1),
        }
    }

    pub const fn per_day(max: u32) -> Limit {
        Limit {
            max,
            window: Duration::days(1),
        }
    }
}

/// What a limit counts: a kind and a SHA-256 of the limited thing, so the table holds no email
/// address or client address in clear.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    /// A name in the code, never input: it labels the refusals in `/metrics`.
    kind: &'static str,
    value: String,
}

impl Key {
    pub fn new(kind: &'static str, parts: &[&str]) -> Key {
        // Each part length-prefixed, so ("a\nb") and ("a", "b") cannot meet.
        let joined: String = parts.iter().map(|part| format!("{}:{part}", part.len())).collect();
        Key {
            kind,
            value: format!("{kind}:{}", hash_token(&joined)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }
}

/// The same key for every spelling of one account, known or not: slug and email trimmed and lower-cased.
pub fn account_key(kind: &'static str, workspace_slug: &str, email: &str) -> Key {
    let slug = workspace_slug.trim().to_lowercase();
    let email = Email::parse(email).map_or_else(|_| email.trim().to_lowercase(), |email| email.as_str().to_owned());
    Key::new(kind, &[&slug, &email])
}

/// One counted action; a caller that succeeded can give it back with [`give_back`].
#[derive(Clone, Copy, Debug)]
pub struct Hit(Uuid);

/// Counts one action for `key`, or refuses with 429 when `limit` is reached (then nothing is counted).
/// The row is written before counting, so concurrent callers see each other: a burst cannot slip
/// past the limit between a check and a write.
pub async fn take(conn: &impl ConnectionTrait, key: &Key, limit: Limit, now: DateTime<Utc>) -> ApiResult<Hit> {
    let hit = repo::insert(conn, key, now).await?;
    repo::prune(conn, now - repo::KEEP).await?;
    let counted = repo::count_since(conn, key, now - limit.window).await?;
    if counted > u64::from(limit.max) {
        repo::delete(conn, hit).await?;
        return Err(refusal(conn, key, limit, now).await?);
    }
    Ok(Hit(hit))
}

/// Un-counts an action taken with [`take`] (a sign-in that turned out right costs nothing).
pub async fn give_back(conn: &impl ConnectionTrait, hit: Hit) -> ApiResult<()> {
    repo::delete(conn, hit.0).await
}

/// Refuses with 429 when `limit` is reached for `key`; counts nothing.
pub async fn check(conn: &impl ConnectionTrait, key: &Key, limit: Limit, now: DateTime<Utc>) -> ApiResult<()> {
    if repo::count_since(conn, key, now - limit.window).await? >= u64::from(limit.max) {
        return Err(refusal(conn, key, limit, now).await?);
    }
    Ok(())
}

/// Counts one action without checking (a failure, counted after the fact).
pub async fn record(conn: &impl ConnectionTrait, key: &Key, now: DateTime<Utc>) -> ApiResult<()> {
    repo::insert(conn, key, now).await?;
    repo::prune(conn, now - repo::KEEP).await
}

async fn refusal(conn: &impl ConnectionTrait, key: &Key, limit: Limit, now: DateTime<Utc>) -> ApiResult<ApiError> {
    let oldest = repo::oldest_since(conn, key, now - limit.window).await?;
    Ok(ApiError::RateLimited {
        retry_after_seconds: retry_after(oldest, limit.window, now),
        kind: key.kind,
    })
}

/// Seconds until the oldest counted action leaves the window (at least 1).
pub fn retry_after(oldest: Option<DateTime<Utc>>, window: Duration, now: DateTime<Utc>) -> u64 {
    let frees_at = oldest.map_or(now, |oldest| oldest + window);
    let millis = (frees_at - now).num_milliseconds().max(0);
    u64::try_from(millis.div_euclid(1000) + i64::from(millis % 1000 != 0))
        .unwrap_or(0)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds_and_is_never_zero() {
        let now = DateTime::<Utc>::UNIX_EPOCH + Duration::days(1);
        let hour = Duration::hours(1);
        assert_eq!(retry_after(Some(now - Duration::minutes(59)), hour, now), 60);
        assert_eq!(
            retry_after(Some(now - Duration::milliseconds(3_600_000 - 1_500)), hour, now),
            2
        );
        assert_eq!(retry_after(Some(now - Duration::hours(2)), hour, now), 1);
        assert_eq!(retry_after(None, hour, now), 1);
    }

    #[test]
    fn one_account_one_key_however_it_is_spelled() {
        assert_eq!(
            account_key("sign_in", "acme", "ada@example.com"),
            account_key("sign_in", " ACME ", " Ada@Example.COM")
        );
        assert_ne!(
            account_key("sign_in", "acme", "ada@example.com"),
            account_key("sign_in", "globex", "ada@example.com")
        );
    }

    #[test]
    fn keys_hide_what_they_count() {
        let key = Key::new("sign_in_link", &["acme", "ada@example.com"]);
        assert!(key.as_str().starts_with("sign_in_link:"));
        assert!(!key.as_str().contains("ada"));
        assert_ne!(key, Key::new("sign_in_link", &["acme", "bob@example.com"]));
        assert_ne!(
            key,
            Key::new("sign_in_link", &["acme\nada@example.com"]),
            "parts are joined unambiguously"
        );
    }
}
