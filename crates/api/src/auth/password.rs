//! argon2id password hashing, on a few threads of its own so a sign-in never stalls the async workers,
//! and at most one hash per thread at once: each hash takes its memory cost (19 MiB in production) for its whole
//! run, so unbounded concurrent sign-ins would grow the server without limit. Over capacity, a
//! caller waits briefly for a slot, then gets `503` with `Retry-After`.

use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use tokio::sync::{Semaphore, oneshot};

use std::cell::RefCell;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{self, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::config::PasswordHashing;
use crate::error::ApiError;

/// A password as accepted at sign-up: 10 to 200 characters, and not easy to guess.
pub struct Password(String);

/// zxcvbn's "safely unguessable" level: about 10^8 guesses or more.
const MINIMUM_STRENGTH: zxcvbn::Score = zxcvbn::Score::Three;
/// zxcvbn's matching grows quickly with length; the start of a long password tells enough.
const STRENGTH_PREFIX_CHARS: usize = 64;

impl Password {
    /// `context` is what the person typed beside it (name, email, workspace): a password made of
    /// those is guessed first.
    pub fn parse(raw: &str, context: &[&str]) -> Result<Password, String> {
        let length = raw.chars().count();
        if length < 10 {
            return Err("must be at least 10 characters".to_owned());
        }
        if length > 200 {
            return Err("must be at most 200 characters".to_owned());
        }
        let prefix: String = raw.chars().take(STRENGTH_PREFIX_CHARS).collect();
        // Each input whole, run together ("adalovelace"), and in its parts (an email's name and domain).
        let mut inputs: Vec<String> = Vec::new();
        for input in context.iter().map(|input| input.to_lowercase()) {
            inputs.extend(
                input
                    .split(['@', '.', ' ', '-', '_'])
                    .filter(|part| part.len() >= 3)
                    .map(str::to_owned),
            );
            inputs.push(input.replace([' ', '.', '-', '_'], ""));
            inputs.push(input);
        }
        let inputs: Vec<&str> = inputs
            .iter()
            .map(String::as_str)
            .filter(|input| !input.is_empty())
            .collect();
        let estimate = zxcvbn::zxcvbn(&prefix, &inputs);
        if estimate.score() < MINIMUM_STRENGTH {
            let warning = estimate
                .feedback()
                .and_then(|feedback| feedback.warning())
                .map(|warning| format!(" ({})", warning.to_string().trim_end_matches('.')))
                .unwrap_or_default();
            return Err(format!(
                "is too easy to guess{warning}: use a few uncommon words, not a common password or your name or email"
            ));
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
    /// `concurrency` threads hash, each in its own argon2 memory kept while it has work; a caller waits
    /// up to `wait` for one. Dedicated threads, not tokio's blocking pool: that one starts a new
    /// thread whenever none is idle at the instant of the call, and each new thread's malloc arena
    /// kept its hash's memory, so even two hashes at a time grew the server by 650 MiB over a burst.
    pub fn new(cost: PasswordHashing, concurrency: usize, wait: Duration) -> anyhow::Result<Passwords> {
        let params = Params::new(cost.memory_kib, cost.iterations, 1, None)
            .map_err(|error| anyhow::anyhow!("invalid argon2 parameters: {error}"))?;
        let dummy_hash = hash_with(&params, "not a real password, only for timing");
        // Hashed on the caller's thread, which hashes nothing else.
        release_memory();
        let dummy_hash = dummy_hash?;
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
        let matches = self.run(move || verify_with(&hash, &password)).await?;
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
                        Ok(receiver) => receiver.try_recv().or_else(|_| {
                            // Nothing queued: an idle server does not keep 19 MiB per thread.
                            release_memory();
                            receiver.recv()
                        }),
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

thread_local! {
    /// This thread's argon2 working memory, kept between the hashes of a burst and given back when
    /// the queue is empty. Allocating it per hash (as `Argon2::hash_password` does) made glibc keep
    /// several copies per thread: one thread grew the process by about 95 MiB over a burst instead
    /// of the 19 MiB a hash needs.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Gives this thread's argon2 working memory back to the allocator.
fn release_memory() {
    MEMORY.with(|memory| *memory.borrow_mut() = Vec::new());
}

/// Runs one argon2 computation in this thread's working memory, grown to `params` if needed.
fn compute(argon2: &Argon2<'_>, params: &Params, password: &[u8], salt: &[u8], out: &mut [u8]) -> argon2::Result<()> {
    MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        let blocks = params.block_count();
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        argon2.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
    })
}

/// A PHC string (`$argon2id$v=19$m=...,t=...,p=1$salt$hash`), as `Argon2::hash_password` writes it.
fn hash_with(params: &Params, password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|error| anyhow::anyhow!("decoding a salt: {error}"))?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let output = Output::init_with(params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN), |out| {
        compute(&argon2, params, password.as_bytes(), salt_bytes, out).map_err(|_| password_hash::Error::Crypto)
    })
    .map_err(|error| anyhow::anyhow!("hashing a password: {error}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|error| anyhow::anyhow!("argon2 parameters: {error}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `hash`, with the algorithm, version and cost stored in
/// it; the comparison is constant-time (`Output`'s equality). An unreadable hash never matches.
fn verify_with(hash: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let algorithm = Algorithm::try_from(parsed.algorithm);
    let version = parsed.version.map_or(Ok(Version::default()), Version::try_from);
    let (Ok(algorithm), Ok(version), Ok(params)) = (algorithm, version, Params::try_from(&parsed)) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    Output::init_with(expected.len(), |out| {
        compute(&argon2, &params, password.as_bytes(), salt_bytes, out).map_err(|_| password_hash::Error::Crypto)
    })
    .is_ok_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The working memory a thread holds now, in argon2 blocks.
    fn memory_held() -> usize {
        MEMORY.with(|memory| memory.borrow().capacity())
    }

    #[tokio::test]
    async fn idle_threads_give_their_working_memory_back() {
        let cost = PasswordHashing {
            memory_kib: 1024,
            iterations: 1,
        };
        // One thread, so the probe below runs where the hash ran.
        let passwords = Passwords::new(cost, 1, Duration::from_secs(5)).unwrap();
        assert_eq!(memory_held(), 0, "the dummy hash's memory stays on the caller's thread");
        let during = passwords
            .run(|| {
                hash_with(&Params::new(1024, 1, 1, None).unwrap(), "correct horse battery").unwrap();
                memory_held()
            })
            .await
            .unwrap();
        assert_eq!(during, 1024, "a hash works in 1,024 blocks of 1 KiB");
        // Once the thread finds its queue empty it gives the memory back. A probe queued at once
        // may still find it held (the thread had not yet looked): ask again after a pause.
        let mut held = Vec::new();
        for _ in 0..50 {
            held.push(passwords.run(memory_held).await.unwrap());
            if held.last() == Some(&0) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            held.last(),
            Some(&0),
            "the idle thread still holds its memory: {held:?}"
        );
    }

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
            .hash(Password::parse("correct horse battery", &[]).unwrap())
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
    fn hashes_are_interchangeable_with_the_argon2_crates_own() {
        use argon2::{PasswordHasher, PasswordVerifier};
        let params = Params::new(1024, 2, 1, None).unwrap();
        let ours = hash_with(&params, "correct horse battery").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"wrong horse battery", &parsed)
                .is_err()
        );
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"correct horse battery", &salt)
            .unwrap()
            .to_string();
        assert!(verify_with(&theirs, "correct horse battery"));
        assert!(!verify_with(&theirs, "wrong horse battery"));
        assert!(!verify_with("$argon2id$not-a-hash", "correct horse battery"));
        assert!(!verify_with("", "correct horse battery"));
    }

    #[test]
    fn short_and_common_passwords_are_refused() {
        assert!(Password::parse("short", &[]).is_err());
        for common in ["password123", "1234567890", "qwertyuiop", "iloveyou123", "aaaaaaaaaaaa"] {
            let error = Password::parse(common, &[]).err();
            assert!(
                error
                    .as_deref()
                    .is_some_and(|error| error.starts_with("is too easy to guess")),
                "{common}: {error:?}"
            );
        }
        // Made of the person's own name and email.
        assert!(Password::parse("adalovelace1815", &["Ada Lovelace", "ada@lovelace.example"]).is_err());
        assert!(Password::parse("correct horse battery staple", &[]).is_ok());
        assert!(Password::parse("plum-kettle-orbit-57", &["Ada", "ada@example.com"]).is_ok());
        // The passwords the demo, the scale seeder, the README and the tests use.
        for used in [
            "ferrodesk-demo",
            "ferrodesk-scale",
            "a long password",
            "acme-only kettle orbit",
        ] {
            assert!(
                Password::parse(used, &[]).is_ok(),
                "{used}: {:?}",
                Password::parse(used, &[]).err()
            );
        }
    }
}
