//! The seam to where attachments' bytes live: a folder under the data folder by default, or an
//! S3-compatible store, both through `object_store`. Keys are `<workspace>/<attachment id>`: nothing
//! a user chose, so no name can reach another's file.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig};
use uuid::Uuid;

use crate::config::BlobStore;
use crate::error::{ApiError, ApiResult};

#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
}

impl std::fmt::Debug for Blobs {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "Blobs({})", self.store)
    }
}

impl Blobs {
    pub fn new(settings: &BlobStore) -> anyhow::Result<Blobs> {
        let store: Arc<dyn ObjectStore> = match settings {
            BlobStore::Local(dir) => {
                std::fs::create_dir_all(dir)?;
                Arc::new(LocalFileSystem::new_with_prefix(dir)?)
            }
            BlobStore::S3 {
                bucket,
                endpoint,
                region,
                access_key_id,
                secret_access_key,
            } => {
                // A store that is down costs an upload a few seconds, not minutes of retries.
                let retry = RetryConfig {
                    max_retries: 2,
                    retry_timeout: Duration::from_secs(10),
                    ..RetryConfig::default()
                };
                let client = ClientOptions::new()
                    .with_connect_timeout(Duration::from_secs(5))
                    .with_timeout(Duration::from_secs(60));
                let mut builder = AmazonS3Builder::new()
                    .with_retry(retry)
                    .with_client_options(client)
                    .with_bucket_name(bucket)
                    .with_region(region)
                    .with_access_key_id(access_key_id)
                    .with_secret_access_key(secret_access_key.expose());
                if let Some(endpoint) = endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"))
                        .with_virtual_hosted_style_request(false);
                }
                Arc::new(builder.build()?)
            }
        };
        Ok(Blobs { store })
    }

    fn key(workspace: Uuid, id: Uuid) -> Path {
        Path::from(format!("{workspace}/{id}"))
    }

    /// Stores the bytes; a store that is down answers 503 and nothing is recorded.
    pub async fn put(&self, workspace: Uuid, id: Uuid, bytes: Bytes) -> ApiResult<()> {
        self.store
            .put(&Self::key(workspace, id), PutPayload::from(bytes))
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    pub async fn get(&self, workspace: Uuid, id: Uuid) -> ApiResult<Bytes> {
        let found = self.store.get(&Self::key(workspace, id)).await.map_err(unavailable)?;
        found.bytes().await.map_err(unavailable)
    }
}

impl Blobs {
    /// Deletes the bytes; already gone counts as deleted.
    pub async fn delete(&self, workspace: Uuid, id: Uuid) -> ApiResult<()> {
        match self.store.delete(&Self::key(workspace, id)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(unavailable(error)),
        }
    }
}

fn unavailable(error: object_store::Error) -> ApiError {
    tracing::warn!(%error, "the attachment store failed");
    ApiError::Unavailable("The file store cannot be reached right now. Please try again in a moment.".to_owned())
}
