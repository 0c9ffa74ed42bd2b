//! The one error type of the AI seam.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AiError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A model file exists but cannot be understood (bad JSON, bad tokenizer, missing tensor).
    #[error("invalid model files: {0}")]
    ModelFormat(String),
    #[error("tokenizer failed: {0}")]
    Tokenizer(String),
    #[error("inference failed: {0}")]
    Inference(#[from] candle_core::Error),
    /// The caller handed over data that cannot be used (wrong dimension, unknown category...).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A chat provider failed: unreachable, refused, timed out or answered garbage.
    #[error("chat provider failed: {0}")]
    Chat(String),
}

impl AiError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
