//! API keys (owners): create one (its key is in this answer only), list them, revoke one.

use ferrodesk_shared::ApiKeyId;
use ferrodesk_shared::api_keys::{ApiKeyCreated, ApiKeyList, NewApiKey};

use super::{Api, ApiError};

#[derive(Clone, Copy)]
pub struct ApiKeys(Api);

impl Api {
    pub fn api_keys(&self) -> ApiKeys {
        ApiKeys(*self)
    }
}

impl ApiKeys {
    /// `GET /api/v1/api-keys`: the keys not revoked, without their secrets.
    pub async fn list(self) -> Result<ApiKeyList, ApiError> {
        self.0.get("/api/v1/api-keys").await
    }

    /// `POST /api/v1/api-keys`: the answer holds the key, shown this once.
    pub async fn create(self, request: NewApiKey) -> Result<ApiKeyCreated, ApiError> {
        self.0.post("/api/v1/api-keys", &request).await
    }

    /// `DELETE /api/v1/api-keys/{id}`: the key stops working on its next request.
    pub async fn revoke(self, id: ApiKeyId) -> Result<(), ApiError> {
        self.0.delete(&format!("/api/v1/api-keys/{id}")).await
    }
}
