//! The one typed client of the REST API, one file per feature as the server's routes are, one method
//! per endpoint taking and returning `ferrodesk_shared` types; pages never spell a path. Every call
//! sends the access token; a 401 triggers one silent refresh through the httpOnly cookie and a
//! retry, and signs out if that fails too.

mod ai;
mod api_keys;
mod attachments;
mod auth;
mod billing;
mod csat;
mod invitations;
mod macros;
mod notifications;
pub mod realtime;
mod reports;
mod sla;
mod submit;
mod tickets;
mod users;
mod webhooks;
mod widget;
mod workspaces;

pub use submit::{Submit, use_submit};

use ferrodesk_shared::auth::AuthResponse;
use ferrodesk_shared::{ErrorBody, ErrorCode};
use gloo_net::http::{Method, RequestBuilder, Response};
use leptos::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;

/// A failed call, with the server's error body when there was one.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub body: Option<ErrorBody>,
}

impl ApiError {
    fn network() -> Self {
        ApiError { status: 0, body: None }
    }

    /// What the server answers for an id that is not one (a mistyped address): the page says
    /// "does not exist" without asking it.
    pub fn not_found() -> Self {
        ApiError {
            status: 404,
            body: None,
        }
    }

    /// Words a person understands, never a bare status code.
    pub fn message(&self) -> String {
        match (&self.body, self.status) {
            (_, 0) => "We can't reach Ferrodesk right now. Check your connection and try again.".to_owned(),
            (Some(body), _) if body.code == ErrorCode::ValidationFailed && !body.fields.is_empty() => {
                "Some fields need another look.".to_owned()
            }
            (Some(body), _) if body.code != ErrorCode::Internal => body.message.clone(),
            _ => "Something went wrong on our side. Please try again in a moment.".to_owned(),
        }
    }

    /// The server's message about one field of a form.
    pub fn field(&self, name: &str) -> Option<String> {
        let messages = self.body.as_ref()?.fields.get(name)?;
        Some(messages.join("; "))
    }
}

#[derive(Clone, Copy)]
pub struct Api {
    token: RwSignal<Option<String>>,
    /// Set when the session is gone for good, so the app can go to the sign-in page.
    signed_out: RwSignal<u32>,
}

impl Api {
    pub fn new() -> Self {
        Api {
            token: RwSignal::new(None),
            signed_out: RwSignal::new(0),
        }
    }

    pub fn set_token(&self, token: Option<String>) {
        self.token.set(token);
    }

    pub fn token(&self) -> Option<String> {
        self.token.get_untracked()
    }

    pub fn signed_out(&self) -> ReadSignal<u32> {
        self.signed_out.read_only()
    }

    /// The access token as a signal: the live connection re-authenticates when it changes.
    pub fn token_signal(&self) -> ReadSignal<Option<String>> {
        self.token.read_only()
    }

    /// The session is gone for good (revoked, or the refresh cookie refused): sign this tab out.
    pub fn end_session(&self) {
        self.token.set(None);
        self.signed_out.update(|count| *count += 1);
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        self.call(Method::GET, path, None::<&()>).await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ApiError> {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn patch<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ApiError> {
        self.call(Method::PATCH, path, Some(body)).await
    }

    async fn put<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ApiError> {
        self.call(Method::PUT, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> Result<(), ApiError> {
        self.call::<(), ()>(Method::DELETE, path, None).await
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, ApiError> {
        let first = self.send(method.clone(), path, body).await;
        match first {
            Err(ApiError { status: 401, .. }) if self.token.get_untracked().is_some() => {
                if self.refresh().await.is_ok() {
                    self.send(method, path, body).await
                } else {
                    self.end_session();
                    first
                }
            }
            other => other,
        }
    }

    async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, ApiError> {
        let mut request = RequestBuilder::new(path).method(method);
        if let Some(token) = self.token.get_untracked() {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => request.json(body).map_err(|_| ApiError::network())?,
            None => request.build().map_err(|_| ApiError::network())?,
        };
        let response = request.send().await.map_err(|_| ApiError::network())?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if (200..300).contains(&status) {
            let text = if text.is_empty() { "null" } else { text.as_str() };
            serde_json::from_str(text).map_err(|_| ApiError { status, body: None })
        } else {
            Err(ApiError {
                status,
                body: serde_json::from_str(&text).ok(),
            })
        }
    }

    /// A call whose body or answer is bytes, not JSON (files): the same token and the same one
    /// refresh on a 401 as `call`; a 2xx answer comes back unread.
    async fn raw(&self, method: Method, path: &str, body: Option<&JsValue>) -> Result<Response, ApiError> {
        let first = self.send_raw(method.clone(), path, body).await;
        match first {
            Err(ApiError { status: 401, .. }) if self.token.get_untracked().is_some() => {
                if self.refresh().await.is_ok() {
                    self.send_raw(method, path, body).await
                } else {
                    self.end_session();
                    first
                }
            }
            other => other,
        }
    }

    async fn send_raw(&self, method: Method, path: &str, body: Option<&JsValue>) -> Result<Response, ApiError> {
        let mut request = RequestBuilder::new(path).method(method);
        if let Some(token) = self.token.get_untracked() {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => request
                .header("Content-Type", "application/octet-stream")
                .body(body.clone()),
            None => request.build(),
        }
        .map_err(|_| ApiError::network())?;
        let response = request.send().await.map_err(|_| ApiError::network())?;
        let status = response.status();
        if (200..300).contains(&status) {
            Ok(response)
        } else {
            let text = response.text().await.unwrap_or_default();
            Err(ApiError {
                status,
                body: serde_json::from_str(&text).ok(),
            })
        }
    }

    /// `POST /api/v1/auth/refresh`: trades the refresh cookie for a new access token (the session
    /// restored on reload, and the retry after a 401).
    pub async fn refresh(&self) -> Result<AuthResponse, ApiError> {
        let auth: AuthResponse = self.send(Method::POST, "/api/v1/auth/refresh", None::<&()>).await?;
        self.token.set(Some(auth.access_token.clone()));
        Ok(auth)
    }
}

pub fn use_api() -> Api {
    use_context::<Api>().unwrap_or_else(Api::new)
}

/// A query string from a serialisable struct (`?a=1&b=2`, or nothing).
fn query_string<Q: Serialize>(query: &Q) -> String {
    match serde_urlencoded::to_string(query) {
        Ok(encoded) if !encoded.is_empty() => format!("?{encoded}"),
        _ => String::new(),
    }
}
