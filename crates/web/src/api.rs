//! The one typed client of the REST API. Every call sends the access token; a 401 triggers one
//! silent refresh through the httpOnly cookie and a retry, and signs out if that fails too.

use ferrodesk_shared::ai::{AiSettings, AiSettingsUpdate, CategoryList, SuggestedReply};
use ferrodesk_shared::auth::AuthResponse;
use ferrodesk_shared::tickets::{Ticket, TicketPatch};
use ferrodesk_shared::{ErrorBody, ErrorCode, TicketId};
use gloo_net::http::{Method, RequestBuilder};
use leptos::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

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

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        self.call(Method::GET, path, None::<&()>).await
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ApiError> {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn patch<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ApiError> {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn put<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ApiError> {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Result<(), ApiError> {
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

    /// Trades the refresh cookie for a new access token.
    pub async fn refresh(&self) -> Result<AuthResponse, ApiError> {
        let auth: AuthResponse = self.send(Method::POST, "/api/v1/auth/refresh", None::<&()>).await?;
        self.token.set(Some(auth.access_token.clone()));
        Ok(auth)
    }
}

/// AI: the categories an agent may pick, the owner's settings, and reply drafts.
impl Api {
    /// `GET /api/v1/ai/categories` (staff): the built-in categories, then the workspace's own.
    pub async fn ai_categories(&self) -> Result<CategoryList, ApiError> {
        self.get("/api/v1/ai/categories").await
    }

    /// `GET /api/v1/ai/settings` (owner).
    pub async fn ai_settings(&self) -> Result<AiSettings, ApiError> {
        self.get("/api/v1/ai/settings").await
    }

    /// `PUT /api/v1/ai/settings` (owner): the whole settings, replaced; 422 names the fields.
    pub async fn save_ai_settings(&self, update: &AiSettingsUpdate) -> Result<AiSettings, ApiError> {
        self.put("/api/v1/ai/settings", update).await
    }

    /// `POST /api/v1/tickets/{id}/suggest-reply` (staff): a draft for the agent to edit, never sent.
    pub async fn suggest_reply(&self, ticket: TicketId) -> Result<SuggestedReply, ApiError> {
        self.post(&format!("/api/v1/tickets/{ticket}/suggest-reply"), &()).await
    }

    /// Sets (or clears) a ticket's category: a person's choice, which the classifier learns from.
    pub async fn set_ticket_category(&self, ticket: TicketId, category: Option<String>) -> Result<Ticket, ApiError> {
        let patch = TicketPatch {
            category: Some(category),
            ..Default::default()
        };
        self.patch(&format!("/api/v1/tickets/{ticket}"), &patch).await
    }
}

pub fn use_api() -> Api {
    use_context::<Api>().unwrap_or_else(Api::new)
}

/// A query string from a serialisable struct (`?a=1&b=2`, or nothing).
pub fn query_string<Q: Serialize>(query: &Q) -> String {
    match serde_urlencoded::to_string(query) {
        Ok(encoded) if !encoded.is_empty() => format!("?{encoded}"),
        _ => String::new(),
    }
}
