//! AI on tickets, per workspace: categorising new tickets (and learning from people's corrections),
//! drafting replies from similar solved tickets or a workspace's chat-completions provider, and the
//! owner's settings. The models themselves live in `ferrodesk_ai`; this module owns storage,
//! isolation between workspaces, plan gating and scheduling.

mod bounded;
pub mod categorise;
pub mod crypto;
pub mod duplicates;
pub mod engine;
pub mod handlers;
pub mod learn;
pub mod provider;
pub mod repo;
pub mod suggest;

use actix_web::web;
use ferrodesk_shared::ai::{BUILTIN_CATEGORIES, CategoryDef};
use sea_orm::ConnectionTrait;

use crate::auth::WorkspaceScope;
use crate::db::entities::ai_settings;
use crate::error::{ApiError, ApiResult};
use crate::routes::resource;
use crate::workspaces::repo as workspaces_repo;

pub use engine::AiEngine;

/// The classifier's verdict on a new ticket.
#[derive(Clone, Debug, PartialEq)]
pub struct Categorised {
    pub category: String,
    pub confidence: f32,
    /// Sure enough to set the ticket's category; otherwise a human decides.
    pub assigned: bool,
}

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(resource("/ai/categories").get(handlers::categories))
        .service(
            resource("/ai/settings")
                .get(handlers::settings)
                .put(handlers::update_settings),
        )
        .service(resource("/tickets/{id}/suggest-reply").post(handlers::suggest_reply));
}

/// The first `max` characters of `text` (whole characters, never a split UTF-8 sequence).
pub(crate) fn clip(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// Built-in categories first, then the workspace's own.
pub fn categories_of(settings: &ai_settings::Model) -> ApiResult<Vec<CategoryDef>> {
    let custom: Vec<CategoryDef> = serde_json::from_str(&settings.custom_categories)
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("stored custom categories: {error}")))?;
    Ok(BUILTIN_CATEGORIES
        .iter()
        .map(|name| CategoryDef {
            name: (*name).to_owned(),
            description: ferrodesk_ai::classifier::builtin_description(name).to_owned(),
            builtin: true,
        })
        .chain(custom.into_iter().map(|category| CategoryDef {
            builtin: false,
            ..category
        }))
        .collect())
}

/// Whether the workspace may use AI at all: its plan's capability (the plans work decides it per
/// plan) and the owner's switch. Refusals say which.
pub async fn require_ai(conn: &impl ConnectionTrait, scope: &WorkspaceScope) -> ApiResult<ai_settings::Model> {
    let workspace = workspaces_repo::get(conn, scope).await?;
    if !crate::workspaces::limits(workspace.plan.into()).ai {
        return Err(ApiError::UpgradeRequired(
            "AI features (categories, reply drafts, answers in the widget) are part of the Pro plan.".to_owned(),
        ));
    }
    let settings = repo::settings(conn, scope).await?;
    if !settings.enabled {
        return Err(ApiError::forbidden(
            "AI is turned off for this workspace; its owner can turn it on.",
        ));
    }
    Ok(settings)
}
