//! Ferrodesk's AI seam: what the app needs from a model, and the embedded, offline implementations.
//! Pure computation only: no HTTP, no database, no global state. The app owns storage, per-workspace
//! isolation and scheduling; everything here is data in, data out.

pub mod chat;
pub mod claims;
pub mod classifier;
pub mod draft;
pub mod embedder;
pub mod error;
pub mod eval;
pub mod minilm;
pub mod retrieval;
pub mod tfidf;
pub mod vector;

pub use chat::{CannedChatModel, ChatFuture, ChatMessage, ChatModel, ChatRole};
pub use classifier::{CategorySeed, Classifier, ClassifierConfig, LabelledExample, Method, Prior, Verdict};
pub use draft::Draft;
pub use embedder::{Embedder, EmbedderKind, LoadedEmbedder, load_embedder};
pub use error::AiError;
pub use minilm::MiniLmEmbedder;
pub use retrieval::{Neighbour, nearest};
pub use tfidf::TfIdfEmbedder;
