//! The embeddable widget (owner): its settings, and the identity secret (shown once).

use ferrodesk_shared::widget::{WidgetSecret, WidgetSettings, WidgetSettingsUpdate};

use super::{Api, ApiError};

#[derive(Clone, Copy)]
pub struct Widget(Api);

impl Api {
    pub fn widget(&self) -> Widget {
        Widget(*self)
    }
}

impl Widget {
    /// `GET /api/v1/widget/settings` (owner).
    pub async fn settings(self) -> Result<WidgetSettings, ApiError> {
        self.0.get("/api/v1/widget/settings").await
    }

    /// `PUT /api/v1/widget/settings` (owner): only the fields sent change; 422 names the fields.
    pub async fn save_settings(self, update: WidgetSettingsUpdate) -> Result<WidgetSettings, ApiError> {
        self.0.put("/api/v1/widget/settings", &update).await
    }

    /// `POST /api/v1/widget/secret` (owner): a new identity secret, this once; the old one and the
    /// visitors it signed in stop working at once.
    pub async fn rotate_secret(self) -> Result<WidgetSecret, ApiError> {
        self.0.post("/api/v1/widget/secret", &()).await
    }
}
