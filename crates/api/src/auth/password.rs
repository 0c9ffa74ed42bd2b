//! argon2id password hashing, on a few threads of its own so a sign-in never stalls the async workers,
//! and at most one hash per thread at once: each hash takes its memory cost (19 MiB in production) for its whole
//! run, so unbounded concurrent sign-ins would grow the server without limit. Over capacity, a
//! caller waits briefly for a slot, then gets `503` with `Retry-After`.

use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use tokio::sync::{Semaphore, oneshot};

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
    /// One permit per hashing thread: a caller holds one from before its job is queued until it is done.
    slots: Arc<Semaphore>,
    /// How long a caller waits for a slot before the 503.
    wait: Duration,
    /// The hashing threads' queue; they stop when the last `Passwords` is dropped.
    jobs: mpsc::Sender<Job>,
}

type Job = Box<dyn FnOnce() + Send>;

/// A full pool: the client should retry in about this many seconds.
const RETRY_AFTER_SECONDS: u64 = 1;

impl Passwords {
    /// `concurrency` threads hash, each with its own argon2 memory; a caller waits up to `wait` for one.
    /// Dedicated threads, not tokio's blocking pool: that one starts a new thread whenever none is
    /// idle at the instant of the call, and glibc gives each thread an arena that keeps its 19 MiB
    /// after the hash, so even two hashes at a time grew the server by 650 MiB over a burst.
    pub fn new(cost: PasswordHashing, concurrency: usize, wait: Duration) -> anyhow::Result<Passwords> {
        let params = Params::new(cost.memory_kib, cost.iterations, 1, None)
            .map_err(|error| anyhow::anyhow!("invalid argon2 parameters: {error}"))?;
        let dummy_hash = hash_with(&params, "not a real password, only for timing")?;
        let concurrency = concurrency.max(1);
        Ok(Passwords {
            params,
            dummy_hash: Arc::new(dummy_hash),
            slots: Arc::new(Semaphore::new(concurrency)),
            wait,
            jobs: start_threads(concurrency)?,
        })
    }

    /// Runs `work` on a hashing thread once a slot is free, or answers 503 after the wait.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
        let permit = match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(closed)) => return Err(ApiError::Internal(closed.into())),
            Err(_) => {
                tracing::warn!("password hashing is at capacity; answering 503");
                return Err(ApiError::Unavailable(format!(
                    "Too many sign-ins at once; retry in {RETRY_AFTER_SECONDS} s."
                )));
            }
        };
        let (reply, answer) = oneshot::channel();
        // The permit goes with the job: it is released when the hash is done, even if the request
        // was dropped meanwhile.
        let job: Job = Box::new(move || {
            let output = work();
            drop(permit);
            let _ = reply.send(output);
        });
        self.jobs
            .send(job)
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("the password hashing threads stopped")))?;
        answer
            .await
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("a password hashing thread stopped")))
    }

    pub async fn hash(&self, password: Password) -> Result<String, ApiError> {
        let params = self.params.clone();
        self.run(move || hash_with(&params, &password.0))
            .await?
            .map_err(ApiError::Internal)
    }

    /// Whether `password` matches `hash`; `None` (a user without a password, or none at all) never matches.
    pub async fn verify(&self, password: &str, hash: Option<String>) -> Result<bool, ApiError> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.as_ref().clone());
        let password = password.to_owned();
        let matches = self
            .run(move || {
                PasswordHash::new(&hash)
                    .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
                    .unwrap_or(false)
            })
            .await?;
        Ok(known && matches)
    }
}

fn start_threads(count: usize) -> anyhow::Result<mpsc::Sender<Job>> {
    let (sender, receiver) = mpsc::channel::<Job>();
    let receiver = Arc::new(Mutex::new(receiver));
    for index in 0..count {
        let receiver = receiver.clone();
        std::thread::Builder::new()
            .name(format!("argon2-{index}"))
            .spawn(move || {
                loop {
                    // The lock is released before the job runs, so the other threads take the next ones.
                    let job = match receiver.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            })?;
    }
    Ok(sender)
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
        let passwords = Passwords::new(
            PasswordHashing {
                memory_kib: 1024,
                iterations: 1,
            },
            2,
            Duration::from_secs(5),
        )
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
        let passwords = Passwords::new(
            PasswordHashing {
                memory_kib: 1024,
                iterations: 1,
            },
            1,
            Duration::from_millis(50),
        )
        .unwrap();
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
