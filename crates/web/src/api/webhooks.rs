//! Outgoing webhooks (owner): endpoints, their signing secrets (shown once), and the delivery log.

use ferrodesk_shared::webhooks::{
    NewWebhook, Webhook, WebhookDelivery, WebhookDeliveryPage, WebhookDeliveryQuery, WebhookList, WebhookPatch,
    WebhookWithSecret,
};
use ferrodesk_shared::{WebhookDeliveryId, WebhookId};

use super::{Api, ApiError, query_string};

#[derive(Clone, Copy)]
pub struct Webhooks(Api);

impl Api {
    pub fn webhooks(&self) -> Webhooks {
        Webhooks(*self)
    }
}

impl Webhooks {
    /// `GET /api/v1/webhooks`.
    pub async fn list(self) -> Result<WebhookList, ApiError> {
        self.0.get("/api/v1/webhooks").await
    }

    /// `POST /api/v1/webhooks`: the answer holds the signing secret, this once.
    pub async fn create(self, webhook: NewWebhook) -> Result<WebhookWithSecret, ApiError> {
        self.0.post("/api/v1/webhooks", &webhook).await
    }

    /// `PATCH /api/v1/webhooks/{id}`.
    pub async fn update(self, id: WebhookId, patch: WebhookPatch) -> Result<Webhook, ApiError> {
        self.0.patch(&format!("/api/v1/webhooks/{id}"), &patch).await
    }

    /// `DELETE /api/v1/webhooks/{id}`.
    pub async fn delete(self, id: WebhookId) -> Result<(), ApiError> {
        self.0.delete(&format!("/api/v1/webhooks/{id}")).await
    }

    /// `POST /api/v1/webhooks/{id}/rotate-secret`: the new secret, this once.
    pub async fn rotate_secret(self, id: WebhookId) -> Result<WebhookWithSecret, ApiError> {
        self.0.post(&format!("/api/v1/webhooks/{id}/rotate-secret"), &()).await
    }

    /// `GET /api/v1/webhooks/{id}/deliveries`, newest first.
    pub async fn deliveries(self, id: WebhookId, query: WebhookDeliveryQuery) -> Result<WebhookDeliveryPage, ApiError> {
        self.0
            .get(&format!("/api/v1/webhooks/{id}/deliveries{}", query_string(&query)))
            .await
    }

    /// `POST /api/v1/webhooks/{id}/deliveries/{delivery_id}/retry`.
    pub async fn retry(self, id: WebhookId, delivery: WebhookDeliveryId) -> Result<WebhookDelivery, ApiError> {
        self.0
            .post(&format!("/api/v1/webhooks/{id}/deliveries/{delivery}/retry"), &())
            .await
    }
}
