//! Workspaces: what a help centre shows before anyone signs in, and the helpdesk's settings.

use ferrodesk_shared::workspaces::{HelpdeskSettings, HelpdeskSettingsPatch, WorkspacePublic};

use super::{Api, ApiError};

#[derive(Clone, Copy)]
pub struct Workspaces(Api);

impl Api {
    pub fn workspaces(&self) -> Workspaces {
        Workspaces(*self)
    }
}

impl Workspaces {
    /// `GET /api/v1/workspaces/{slug}` (public): the name a help centre's pages show.
    pub async fn public(self, slug: &str) -> Result<WorkspacePublic, ApiError> {
        self.0.get(&format!("/api/v1/workspaces/{slug}")).await
    }

    /// `GET /api/v1/workspace/settings` (staff): how the helpdesk behaves (assign on reply).
    pub async fn settings(self) -> Result<HelpdeskSettings, ApiError> {
        self.0.get("/api/v1/workspace/settings").await
    }

    /// `PATCH /api/v1/workspace/settings` (supervisors and owners): the fields to change.
    pub async fn update_settings(self, patch: HelpdeskSettingsPatch) -> Result<HelpdeskSettings, ApiError> {
        self.0.patch("/api/v1/workspace/settings", &patch).await
    }
}
