//! The embedder seam: texts in, unit-length vectors of one fixed dimension out.

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::{AiError, MiniLmEmbedder, TfIdfEmbedder};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmbedderKind {
    /// A neural sentence-embedding model (MiniLM).
    Model,
    /// The TF-IDF stand-in used when the model's weights are absent: works, but understands only words.
    Fallback,
}

/// Turns texts into vectors whose dot product is their cosine similarity.
///
/// `embed_batch` is synchronous and CPU-bound (tens of milliseconds for a batch with the model): async
/// callers must run it through `tokio::task::spawn_blocking` (or a dedicated worker thread that
/// gathers concurrent requests into one batch), never on an async worker.
pub trait Embedder: Send + Sync {
    /// A label for logs and `/readyz`, e.g. `all-MiniLM-L6-v2`.
    fn name(&self) -> &str;
    fn kind(&self) -> EmbedderKind;
    /// Length of every vector returned.
    fn dimension(&self) -> usize;
    /// One unit-length vector per text, in order.
    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, AiError>;

    fn embed(&self, text: &str) -> Result<Vec<f32>, AiError> {
        self.embed_batch(&[text])?
            .pop()
            .ok_or_else(|| AiError::InvalidInput("embedder returned no vector".into()))
    }
}

/// What [`load_embedder`] chose, and why it fell back if it did (for logs and `/readyz`).
pub struct LoadedEmbedder {
    pub embedder: Arc<dyn Embedder>,
    pub fallback_reason: Option<String>,
}

/// The MiniLM model from `model_dir` when its files are there and load, the TF-IDF fallback otherwise.
/// Never fails: a broken or missing model degrades to the fallback with the reason given.
pub fn load_embedder(model_dir: &Path) -> LoadedEmbedder {
    match MiniLmEmbedder::load(model_dir) {
        Ok(model) => LoadedEmbedder {
            embedder: Arc::new(model),
            fallback_reason: None,
        },
        Err(error) => LoadedEmbedder {
            embedder: Arc::new(TfIdfEmbedder::default()),
            fallback_reason: Some(format!(
                "sentence model unavailable ({error}); using the TF-IDF fallback"
            )),
        },
    }
}
