//! The embedded engine: one embedder for the process, run on threads of its own that gather
//! concurrent requests into batches (one forward pass for several tickets is cheaper than several),
//! so model inference never blocks an async worker. With a backlog (the categorisation queue keeps
//! one batch in flight per thread) every thread runs a forward pass of its own.

use std::sync::{Arc, Mutex};

use ferrodesk_ai::{Classifier, Embedder, EmbedderKind, LoadedEmbedder, Prior};
use ferrodesk_shared::ai::{self as wire, EngineStatus};
use tokio::sync::{Notify, mpsc, oneshot};
use uuid::Uuid;

use super::bounded::Bounded;
use super::clip;
use super::crypto::KeyBox;
use crate::error::{ApiError, ApiResult};

/// Texts longer than this are cut before embedding: the model reads 256 tokens at most, and the
/// fallback gains nothing from a whole log file pasted into a ticket.
const MAX_TEXT_CHARS: usize = 2_000;
/// At most this many texts go through the model in one pass.
pub const MAX_BATCH: usize = 32;
/// Classifiers kept parsed: one per workspace categorising lately, each a few tens of kilobytes
/// (a weight vector of the model's dimension per category). Past it, a workspace's classifier is
/// read from its row again.
const CACHED_CLASSIFIERS: usize = 1_000;
/// Description embeddings kept: 1.5 KB each with MiniLM. Past it, a description is embedded again.
const CACHED_DESCRIPTIONS: usize = 4_096;

type Reply = oneshot::Sender<Result<Vec<Vec<f32>>, ferrodesk_ai::AiError>>;

struct Job {
    texts: Vec<String>,
    reply: Reply,
}

/// A workspace's classifier as last built, and what it was built from.
#[derive(Clone)]
pub struct CachedClassifier {
    pub key: String,
    pub classifier: Arc<Classifier>,
}

#[derive(Clone)]
pub struct AiEngine {
    jobs: mpsc::Sender<Job>,
    name: String,
    kind: EmbedderKind,
    dimension: usize,
    notice: Option<String>,
    /// What a new workspace knows of the built-in categories, when it was learnt in this embedder.
    prior: Option<Arc<Prior>>,
    /// Threads running the embedder.
    threads: usize,
    /// Wakes the categorisation worker (`categorise::spawn_worker`).
    wake: Arc<Notify>,
    /// Embeddings of category descriptions, by text: they change only when an owner edits them.
    descriptions: Arc<Mutex<Bounded<String, Vec<f32>>>>,
    /// Per workspace: the classifier in use, so a new ticket does not parse it from JSON again.
    classifiers: Arc<Mutex<Bounded<Uuid, CachedClassifier>>>,
    /// Workspaces with a retraining scheduled and not yet started.
    pub(crate) retraining: Arc<Mutex<std::collections::HashSet<Uuid>>>,
    keys: KeyBox,
    http: reqwest::Client,
}

impl AiEngine {
    /// Starts `threads` embedder threads for `loaded`; they stop when the last clone of the engine
    /// is dropped.
    pub fn start(loaded: LoadedEmbedder, threads: usize, keys: KeyBox, http: reqwest::Client) -> AiEngine {
        let embedder = loaded.embedder;
        let threads = threads.max(1);
        let (jobs, receiver) = mpsc::channel::<Job>(1024);
        // One embedding at start-up (the prior's probe), so every workspace's training knows at once.
        let prior = match Prior::builtin_for(embedder.as_ref()) {
            Ok(prior) => prior.map(Arc::new),
            Err(error) => {
                tracing::warn!(%error, "the category prior does not load; new workspaces start zero-shot");
                None
            }
        };
        let engine = AiEngine {
            jobs,
            name: embedder.name().to_owned(),
            kind: embedder.kind(),
            dimension: embedder.dimension(),
            notice: loaded.fallback_reason,
            prior,
            threads,
            wake: Arc::new(Notify::new()),
            descriptions: Arc::new(Mutex::new(Bounded::new(CACHED_DESCRIPTIONS))),
            classifiers: Arc::new(Mutex::new(Bounded::new(CACHED_CLASSIFIERS))),
            retraining: Arc::default(),
            keys,
            http,
        };
        match &engine.notice {
            Some(reason) => tracing::warn!(embedder = %engine.name, %reason, "AI runs on the fallback embedder"),
            None => tracing::info!(
                embedder = %engine.name,
                dimension = engine.dimension,
                threads,
                prior = engine.prior.as_ref().map(|p| p.id.as_str()),
                "AI model loaded"
            ),
        }
        // The threads take turns at the queue: one waits for a job while the others embed.
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..threads {
            let (embedder, receiver) = (embedder.clone(), receiver.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("ferrodesk-embedder-{index}"))
                .spawn(move || work(embedder, receiver));
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start an embedder thread; AI requests will fail");
            }
        }
        engine
    }

    /// How many forward passes can run at once.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// What wakes the categorisation worker.
    pub fn wake(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Tells the categorisation worker that tickets are queued (after the transaction that queued
    /// them committed).
    pub fn nudge(&self) {
        self.wake.notify_one();
    }

    /// Seals and opens providers' API keys.
    pub fn keys(&self) -> &KeyBox {
        &self.keys
    }

    /// The guarded HTTP client for providers.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The built-in categories' prior, if it fits this embedder.
    pub fn prior(&self) -> Option<Arc<Prior>> {
        self.prior.clone()
    }

    /// The embedder's name, stored beside every vector it makes.
    pub fn embedder(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> EmbedderKind {
        self.kind
    }

    pub fn status(&self) -> EngineStatus {
        EngineStatus {
            embedder: self.name.clone(),
            kind: match self.kind {
                EmbedderKind::Model => wire::EmbedderKind::Model,
                EmbedderKind::Fallback => wire::EmbedderKind::Fallback,
            },
            notice: self.notice.clone(),
        }
    }

    /// Unit vectors for `texts`, in order, computed off the async workers.
    pub async fn embed_many(&self, texts: Vec<String>) -> ApiResult<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let texts = texts
            .into_iter()
            .map(|text| clip(&text, MAX_TEXT_CHARS).to_owned())
            .collect();
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { texts, reply })
            .await
            .map_err(|_| ApiError::Unavailable("The AI engine is not running.".to_owned()))?;
        answer
            .await
            .map_err(|_| ApiError::Unavailable("The AI engine stopped.".to_owned()))?
            .map_err(|error| ApiError::Internal(anyhow::anyhow!("embedding failed: {error}")))
    }

    pub async fn embed(&self, text: String) -> ApiResult<Vec<f32>> {
        self.embed_many(vec![text])
            .await?
            .pop()
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the embedder returned nothing")))
    }

    /// Embeddings of category descriptions, computed once per text (while it stays cached).
    pub async fn describe(&self, descriptions: &[String]) -> ApiResult<Vec<Vec<f32>>> {
        let mut found: Vec<Option<Vec<f32>>> = {
            let mut known = lock(&self.descriptions);
            descriptions.iter().map(|text| known.get(text).cloned()).collect()
        };
        let missing: Vec<String> = descriptions
            .iter()
            .zip(&found)
            .filter(|(_, vector)| vector.is_none())
            .map(|(text, _)| text.clone())
            .collect();
        if !missing.is_empty() {
            let mut vectors = self.embed_many(missing.clone()).await?.into_iter();
            let mut known = lock(&self.descriptions);
            for (text, slot) in descriptions.iter().zip(&mut found) {
                if slot.is_none() {
                    let vector = vectors
                        .next()
                        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a description was not embedded")))?;
                    known.insert(text.clone(), vector.clone());
                    *slot = Some(vector);
                }
            }
        }
        found
            .into_iter()
            .map(|vector| vector.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a description was not embedded"))))
            .collect()
    }

    pub fn cached_classifier(&self, workspace: Uuid, key: &str) -> Option<Arc<Classifier>> {
        lock(&self.classifiers)
            .get(&workspace)
            .filter(|cached| cached.key == key)
            .map(|cached| cached.classifier.clone())
    }

    pub fn cache_classifier(&self, workspace: Uuid, key: String, classifier: Arc<Classifier>) {
        lock(&self.classifiers).insert(workspace, CachedClassifier { key, classifier });
    }
}

/// A poisoned lock only means another request panicked mid-update of a cache: the data is still usable.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// How much lower than the server's threads the embedder runs (a nice value). Categorising a backlog
/// is background work: with the model on every core, requests (and the database beside them on a
/// small box) would otherwise wait behind it; at a lower priority it uses the CPU they leave. That
/// is not enough on two cores, so the categorisation drain also rests while people write
/// (`categorise::make_way`).
const EMBEDDER_NICENESS: i32 = 10;

fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // On Linux a priority belongs to the thread; rayon's threads, started from here, inherit it.
        let thread = Some(rustix::thread::gettid());
        if let Err(error) = rustix::process::setpriority_process(thread, EMBEDDER_NICENESS) {
            tracing::warn!(%error, "the embedder thread keeps the normal priority");
        }
    }
}

/// One embedder thread: waits for a job, takes whatever else is already queued (up to
/// `MAX_BATCH` texts), embeds them together and answers each job with its share.
fn work(embedder: Arc<dyn Embedder>, receiver: Arc<Mutex<mpsc::Receiver<Job>>>) {
    lower_priority();
    loop {
        // The lock is released before the batch runs, so another thread takes the next one.
        let batch = {
            let mut receiver = lock(&receiver);
            let Some(first) = receiver.blocking_recv() else {
                return;
            };
            let mut batch = vec![first];
            let mut count = batch[0].texts.len();
            while count < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(job) => {
                        count += job.texts.len();
                        batch.push(job);
                    }
                    Err(_) => break,
                }
            }
            batch
        };
        let texts: Vec<&str> = batch
            .iter()
            .flat_map(|job| job.texts.iter().map(String::as_str))
            .collect();
        match embedder.embed_batch(&texts) {
            Ok(vectors) => {
                let mut vectors = vectors.into_iter();
                for job in batch {
                    let share: Vec<Vec<f32>> = vectors.by_ref().take(job.texts.len()).collect();
                    let _ = job.reply.send(Ok(share));
                }
            }
            Err(error) => {
                tracing::warn!(%error, texts = texts.len(), "embedding a batch failed");
                for job in batch {
                    let _ = job
                        .reply
                        .send(Err(ferrodesk_ai::AiError::InvalidInput(error.to_string())));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use ferrodesk_ai::AiError;

    use super::*;
    use crate::config::Secret;

    /// Records each batch's size and takes a while, as the model does.
    struct Slow {
        batches: Arc<Mutex<Vec<usize>>>,
        calls: AtomicUsize,
    }

    impl Embedder for Slow {
        fn name(&self) -> &str {
            "slow"
        }
        fn kind(&self) -> EmbedderKind {
            EmbedderKind::Fallback
        }
        fn dimension(&self) -> usize {
            2
        }
        fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, AiError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            lock(&self.batches).push(texts.len());
            std::thread::sleep(Duration::from_millis(50));
            Ok(texts.iter().map(|text| vec![text.len() as f32, 1.0]).collect())
        }
    }

    #[tokio::test]
    async fn concurrent_requests_share_batches_and_each_gets_its_own_vector() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let batches = Arc::new(Mutex::new(Vec::new()));
        let embedder = Arc::new(Slow {
            batches: batches.clone(),
            calls: AtomicUsize::new(0),
        });
        let engine = AiEngine::start(
            LoadedEmbedder {
                embedder,
                fallback_reason: Some("test".into()),
            },
            1,
            KeyBox::new(&Secret::new("k".repeat(40))),
            reqwest::Client::new(),
        );
        let requests: Vec<_> = (1..=12)
            .map(|n| {
                let engine = engine.clone();
                tokio::spawn(async move { (n, engine.embed("x".repeat(n)).await) })
            })
            .collect();
        for request in requests {
            let (n, vector) = request.await.expect("joins");
            assert_eq!(
                vector.expect("embeds"),
                vec![n as f32, 1.0],
                "request {n} got its own vector"
            );
        }
        let batches = lock(&batches).clone();
        assert_eq!(batches.iter().sum::<usize>(), 12);
        assert!(
            batches.len() < 12,
            "requests waiting behind a batch go together: {batches:?}"
        );
    }
}
