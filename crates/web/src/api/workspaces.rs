//! Workspaces: what a help centre shows before anyone signs in.

use ferrodesk_shared::workspaces::WorkspacePublic;

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
}
