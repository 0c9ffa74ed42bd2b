//! Files on messages: uploaded on their own first (the bytes as the body), then sent with a message
//! by id. Downloads need the token too, so a page never points `<img src>` at the API: it fetches
//! the file here, as a blob, and shows that.

use ferrodesk_shared::AttachmentId;
use ferrodesk_shared::attachments::{Attachment, UploadQuery};
use gloo_net::http::Method;
use wasm_bindgen::JsValue;

use super::{Api, ApiError, query_string};

#[derive(Clone, Copy)]
pub struct Attachments(Api);

impl Api {
    pub fn attachments(&self) -> Attachments {
        Attachments(*self)
    }
}

impl Attachments {
    /// `POST /api/v1/attachments?filename=...`: one file, not yet on any message.
    pub async fn upload(self, file: web_sys::File) -> Result<Attachment, ApiError> {
        let query = query_string(&UploadQuery { filename: file.name() });
        let response = self
            .0
            .raw(
                Method::POST,
                &format!("/api/v1/attachments{query}"),
                Some(&JsValue::from(file)),
            )
            .await?;
        let status = response.status();
        response.json().await.map_err(|_| ApiError { status, body: None })
    }

    /// `GET /api/v1/attachments/{id}`: the file's bytes, typed as the server says they are.
    pub async fn fetch_blob(self, id: AttachmentId) -> Result<web_sys::Blob, ApiError> {
        let (content_type, bytes) = self.fetch_bytes(id).await?;
        let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes.as_slice()));
        let options = web_sys::BlobPropertyBag::new();
        options.set_type(&content_type);
        web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(|_| ApiError {
            status: 200,
            body: None,
        })
    }

    /// `GET /api/v1/attachments/{id}`: the file's type and bytes (a thumbnail makes a `data:` URL
    /// of them: the app's Content-Security-Policy lets images load from `data:`, not `blob:`).
    pub async fn fetch_bytes(self, id: AttachmentId) -> Result<(String, Vec<u8>), ApiError> {
        let response = self
            .0
            .raw(Method::GET, &format!("/api/v1/attachments/{id}"), None)
            .await?;
        let status = response.status();
        let content_type = response.headers().get("content-type").unwrap_or_default();
        let bytes = response.binary().await.map_err(|_| ApiError { status, body: None })?;
        Ok((content_type, bytes))
    }
}
