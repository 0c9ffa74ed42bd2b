//! The chat-model seam: messages in, completion text out. The OpenAI-compatible HTTP adapter lives in
//! the app (it owns HTTP, keys and timeouts); this crate only defines the contract and a test double.

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

use crate::AiError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatRole {
    System,
    User,
    Assistant,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: ChatRole,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: ChatRole, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }
}

/// A boxed future, so that `dyn ChatModel` works (`async fn` in traits is not object-safe).
pub type ChatFuture<'a> = Pin<Box<dyn Future<Output = Result<String, AiError>> + Send + 'a>>;

/// A chat-completion provider. Implementations do their own IO; callers put their own timeout
/// around `complete` and fall back to the retrieval draft on any error.
pub trait ChatModel: Send + Sync {
    /// A label for logs and `/readyz`, e.g. `openai:gpt-4o-mini`.
    fn name(&self) -> &str;
    fn complete<'a>(&'a self, messages: &'a [ChatMessage]) -> ChatFuture<'a>;
}

/// A test double: answers every request with the same text, or the same failure.
#[derive(Clone, Debug)]
pub struct CannedChatModel {
    answer: Result<String, String>,
}

impl CannedChatModel {
    pub fn replying(text: impl Into<String>) -> Self {
        Self {
            answer: Ok(text.into()),
        }
    }

    pub fn failing(reason: impl Into<String>) -> Self {
        Self {
            answer: Err(reason.into()),
        }
    }
}

impl ChatModel for CannedChatModel {
    fn name(&self) -> &str {
        "canned"
    }

    fn complete<'a>(&'a self, _messages: &'a [ChatMessage]) -> ChatFuture<'a> {
        let answer = self.answer.clone().map_err(AiError::Chat);
        Box::pin(async move { answer })
    }
}
