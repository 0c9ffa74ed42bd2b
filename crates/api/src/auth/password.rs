//! argon2id password hashing, run on the blocking pool so a sign-in never stalls the async workers,
//! and at most a few at once: each hash takes its memory cost (19 MiB in production) for its whole
//! run, so unbounded concurrent sign-ins would grow the server without limit. Over capacity, a
//! caller waits briefly for a slot, then gets `503` with `Retry-After`.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::config::PasswordHashing;
use crate::error::ApiError;

/// A password as accepted at sign-up: 10 to 200 characters.
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Password, String> {
        let length = raw.chars().count();
        if length < 10 {
            return Err("must be at least 10 characters".to_owned());
        }
        if length > 200 {
            return Err("must be at most 200 characters".to_owned());
        }
        Ok(Password(raw.to_owned()))
    }
}

#[derive(Clone)]
pub struct Passwords {
    params: Params,
    /// Verified against when the user does not exist, so a wrong email costs as long as a wrong password.
    dummy_hash: Arc<String>,
    /// One permit per hash allowed to run at once.
    slots: Arc<Semaphore>,
    /// How long a caller waits for a slot before the 503.
    wait: Duration,
}

/// A full pool: the client should retry in about this many seconds.
const RETRY_AFTER_SECONDS: u64 = 1;

impl Passwords {
    pub fn new(cost: PasswordHashing) -> anyhow::Result<Passwords> {
        let params = Params::new(cost.memory_kib, cost.iterations, 1, None)
            .map_err(|error| anyhow::anyhow!("invalid argon2 parameters: {error}"))?;
        let dummy_hash = hash_with(&params, "not a real password, only for timing")?;
        Ok(Passwords {
            params,
            dummy_hash: Arc::new(dummy_hash),
            slots: Arc::new(Semaphore::new(2)),
            wait: Duration::from_secs(2),
        })
    }

    /// At most `concurrency` hashes at once; a caller waits up to `wait` for a slot.
    pub fn bounded(self, concurrency: usize, wait: Duration) -> Passwords {
        Passwords {
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
            wait,
            ..self
        }
    }

    async fn slot(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(closed)) => Err(ApiError::Internal(closed.into())),
            Err(_) => {
                tracing::warn!("password hashing is at capacity; answering 503");
                Err(ApiError::Unavailable(format!(
                    "Too many sign-ins at once; retry in {RETRY_AFTER_SECONDS} s."
                )))
            }
        }
    }

    pub async fn hash(&self, password: Password) -> Result<String, ApiError> {
        let params = self.params.clone();
        let permit = self.slot().await?;
        // The permit moves into the blocking task: it is released when the hash is done, even if
        // the request was dropped meanwhile.
        tokio::task::spawn_blocking(move || {
            let hash = hash_with(&params, &password.0);
            drop(permit);
            hash
        })
        .await
            .map_err(|error| ApiError::Internal(error.into()))?
            .map_err(ApiError::Internal)
    }

    /// Whether `password` matches `hash`; `None` (a user without a password, or none at all) never matches.
    pub async fn verify(&self, password: &str, hash: Option<String>) -> Result<bool, ApiError> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.as_ref().clone());
        let password = password.to_owned();
        let permit = self.slot().await?;
        let matches = tokio::task::spawn_blocking(move || {
            let matches = PasswordHash::new(&hash)
                .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
                .unwrap_or(false);
            drop(permit);
            matches
        })
        .await
        .map_err(|error| ApiError::Internal(error.into()))?;
        Ok(known && matches)
    }
}

fn hash_with(params: &Params, password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| anyhow::anyhow!("hashing a password: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let passwords = Passwords::new(PasswordHashing {
            memory_kib: 1024,
            iterations: 1,
        })
        .unwrap();
        let hash = passwords
            .hash(Password::parse("correct horse battery").unwrap())
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            passwords
                .verify("correct horse battery", Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!passwords.verify("wrong horse battery", Some(hash)).await.unwrap());
        assert!(
            !passwords
                .verify("not a real password, only for timing", None)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn a_full_pool_answers_unavailable_after_the_wait() {
        let passwords = Passwords::new(PasswordHashing {
            memory_kib: 1024,
            iterations: 1,
        })
        .unwrap()
        .bounded(1, Duration::from_millis(50));
        let held = passwords.slots.clone().acquire_owned().await.unwrap();
        let started = std::time::Instant::now();
        let refused = passwords.verify("correct horse battery", None).await;
        assert!(matches!(refused, Err(ApiError::Unavailable(_))), "{refused:?}");
        assert!(started.elapsed() < Duration::from_secs(1));
        drop(held);
        assert!(!passwords.verify("correct horse battery", None).await.unwrap());
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("long enough!").is_ok());
    }
}
