//! AI: the categories an agent may pick, the owner's settings, and reply drafts.

use ferrodesk_shared::TicketId;
use ferrodesk_shared::ai::{AiSettings, AiSettingsUpdate, CategoryList, SuggestedReply};

use super::{Api, ApiError};

#[derive(Clone, Copy)]
pub struct Ai(Api);

impl Api {
    pub fn ai(&self) -> Ai {
        Ai(*self)
    }
}

impl Ai {
    /// `GET /api/v1/ai/categories` (staff): the built-in categories, then the workspace's own.
    pub async fn categories(self) -> Result<CategoryList, ApiError> {
        self.0.get("/api/v1/ai/categories").await
    }

    /// `GET /api/v1/ai/settings` (owner).
    pub async fn settings(self) -> Result<AiSettings, ApiError> {
        self.0.get("/api/v1/ai/settings").await
    }

    /// `PUT /api/v1/ai/settings` (owner): the whole settings, replaced; 422 names the fields.
    pub async fn save_settings(self, update: AiSettingsUpdate) -> Result<AiSettings, ApiError> {
        self.0.put("/api/v1/ai/settings", &update).await
    }

    /// `POST /api/v1/tickets/{id}/suggest-reply` (staff): a draft for the agent to edit, never sent.
    pub async fn suggest_reply(self, ticket: TicketId) -> Result<SuggestedReply, ApiError> {
        self.0
            .post(&format!("/api/v1/tickets/{ticket}/suggest-reply"), &())
            .await
    }
}
