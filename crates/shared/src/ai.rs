//! AI on tickets: the category the model chose on arrival, reply drafts, and a workspace's AI settings.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::TicketId;

/// The categories every workspace has; a workspace adds its own beside them.
pub const BUILTIN_CATEGORIES: [&str; 5] = ["billing", "technical", "shipping", "account", "other"];

/// Who set a ticket's category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CategorySource {
    /// The workspace's classifier, confident enough, when the ticket arrived.
    Ai,
    /// A person: these are the labels the classifier learns from.
    Agent,
}

/// What the classifier thought of a ticket when it arrived. Kept even when it abstained (confidence
/// below the workspace's threshold), so an agent sees the hint; then `assigned` is false and the
/// ticket's category was left for a human.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryGuess {
    pub category: String,
    /// 0..=1.
    pub confidence: f32,
    pub assigned: bool,
}

/// A category and the short description zero-shot classification compares tickets with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CategoryDef {
    /// Lower-case letters, digits, `-` and `_`; 1 to 40 characters.
    pub name: String,
    /// What tickets of this category are about, in a few words (at most 200 characters).
    pub description: String,
    /// One of the five every workspace has (read only).
    #[serde(default)]
    pub builtin: bool,
}

/// `GET /api/v1/ai/categories` (staff): what an agent may pick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryList {
    pub items: Vec<CategoryDef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EmbedderKind {
    /// The embedded sentence model (all-MiniLM-L6-v2), in-process and offline.
    Model,
    /// Word-based TF-IDF, used while the model's weights are absent.
    Fallback,
}

/// The server's embedded engine, as `/readyz` and the AI settings show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EngineStatus {
    pub embedder: String,
    pub kind: EmbedderKind,
    /// Why the fallback is in use, when it is.
    pub notice: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClassifierMethod {
    /// No labels yet: tickets are compared with the categories' descriptions.
    ZeroShot,
    /// Few labels: nearest category centroid.
    Centroid,
    /// Enough labels: logistic regression over the embeddings.
    Logistic,
    /// No labels yet: the built-in categories from a prior learnt from public support requests,
    /// the workspace's own from their descriptions.
    Prior,
}

/// How far the workspace's classifier has learnt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClassifierStatus {
    pub method: ClassifierMethod,
    /// Tickets whose category a person set: what it learnt from.
    pub labels: u64,
    pub trained_at: Option<DateTime<Utc>>,
}

/// A configured chat-completions provider; the key itself never leaves the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderView {
    pub base_url: String,
    pub model: String,
    pub has_api_key: bool,
}

/// `GET /api/v1/ai/settings` (owner).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AiSettings {
    /// The owner's switch; the plan must allow AI as well.
    pub enabled: bool,
    /// Below this confidence (0..=1) a new ticket's category is left for a human.
    pub min_confidence: f32,
    /// Built-in categories first, then the workspace's own.
    pub categories: Vec<CategoryDef>,
    pub provider: Option<ProviderView>,
    pub classifier: ClassifierStatus,
    pub engine: EngineStatus,
}

/// An OpenAI-compatible chat-completions endpoint: OpenAI, Ollama, vLLM, llama.cpp server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProviderInput {
    /// Up to the version segment, e.g. `https://api.openai.com/v1`; `/chat/completions` is appended.
    pub base_url: String,
    pub model: String,
    /// Omitted or null: keep the stored key, if the base URL keeps its scheme, host and port (a new
    /// origin drops it). Empty: no key (local servers need none).
    #[serde(default)]
    pub api_key: Option<String>,
}

/// `PUT /api/v1/ai/settings` (owner): the whole settings, replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AiSettingsUpdate {
    pub enabled: bool,
    pub min_confidence: f32,
    /// The workspace's own categories (the built-in ones are always there).
    pub custom_categories: Vec<CategoryDef>,
    /// None: no provider; replies are drafted offline from similar solved tickets.
    pub provider: Option<ProviderInput>,
}

/// Where a draft came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReplyOrigin {
    /// The workspace's chat-completions provider, grounded in similar solved tickets.
    Provider,
    /// Adapted offline from the best agent reply on a similar solved ticket.
    Retrieval,
    /// No similar solved ticket yet: no draft (`draft` is empty), the answer is the agent's to write.
    NoSimilar,
}

/// A solved ticket a draft drew on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplySource {
    pub ticket_id: TicketId,
    pub number: i64,
    pub subject: String,
    /// Cosine similarity to this ticket, 0..=1.
    pub similarity: f32,
}

/// `POST /api/v1/tickets/{id}/suggest-reply`: a draft for the agent to edit; never sent by itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuggestedReply {
    pub draft: String,
    pub origin: ReplyOrigin,
    /// The provider's model, when `origin` is `provider`.
    pub model: Option<String>,
    pub sources: Vec<ReplySource>,
    /// The `{{placeholders}}` in the draft, for facts only the agent knows.
    pub placeholders: Vec<String>,
    /// Why the provider was not used although configured (its error), for the agent.
    pub notice: Option<String>,
}
