//! The embeddable widget: customers on the company's own site. The owner's settings (look, allowed
//! origins, identity verification and its secret), the loader and iframe a page embeds (`frame`),
//! and the visitor's public API under `/api/v1/widget/{slug}` (`visitor` decides who calls;
//! `service` does it through the tickets service, as the visitor's customer).

pub mod answers;
pub mod domain;
pub mod frame;
pub mod handlers;
pub mod repo;
pub mod service;
pub mod socket;
pub mod visitor;

use actix_web::web;
use ferrodesk_shared::WorkspaceId;

use crate::auth::WorkspaceScope;
use crate::db::entities::{widget_settings, workspaces};
use crate::error::ApiResult;
use crate::routes::resource;
use crate::state::AppState;
use crate::workspaces::repo as workspaces_repo;

/// A workspace whose widget is on, as its public identifier (the slug) names it.
pub struct Enabled {
    pub workspace: workspaces::Model,
    pub scope: WorkspaceScope,
    pub settings: widget_settings::Model,
}

/// The workspace `slug` names with its widget settings; `None` when there is no such workspace or
/// its widget is off (both look the same from outside).
pub async fn enabled(state: &AppState, slug: &str) -> ApiResult<Option<Enabled>> {
    let Some(workspace) = workspaces_repo::find_by_slug(&state.db, slug).await? else {
        return Ok(None);
    };
    let scope = WorkspaceScope::for_widget(WorkspaceId(workspace.id));
    let settings = repo::settings(&state.db, &scope).await?;
    Ok(settings.enabled.then_some(Enabled {
        workspace,
        scope,
        settings,
    }))
}

/// The exact origins that may embed the widget (stored as a JSON array; unreadable is none).
pub fn allowed_origins(settings: &widget_settings::Model) -> Vec<String> {
    serde_json::from_str(&settings.allowed_origins).unwrap_or_default()
}

/// Under `/api/v1`.
pub fn routes(config: &mut web::ServiceConfig, attachments: &crate::config::AttachmentSettings) {
    config
        .service(
            resource("/widget/settings")
                .get(handlers::settings)
                .put(handlers::update_settings),
        )
        .service(resource("/widget/secret").post(handlers::rotate_secret))
        .service(resource("/widget/{slug}/config").get(handlers::config))
        .service(resource("/widget/{slug}/visitor").get(handlers::visitor))
        .service(
            resource("/widget/{slug}/conversations")
                .get(handlers::list)
                .post(handlers::start),
        )
        .service(resource("/widget/{slug}/conversations/{id}").get(handlers::get))
        .service(resource("/widget/{slug}/conversations/{id}/messages").post(handlers::reply))
        .service(
            resource("/widget/{slug}/attachments")
                .app_data(web::PayloadConfig::new(attachments.max_bytes + 1))
                .post(handlers::upload_attachment),
        )
        .service(resource("/widget/{slug}/attachments/{id}").get(handlers::attachment))
        .service(resource("/widget/{slug}/identify").post(handlers::identify))
        .service(resource("/widget/{slug}/answers").post(handlers::answers))
        .service(resource("/widget/{slug}/answers/{id}/helpful").post(handlers::helpful))
        .service(resource("/widget/{slug}/ws").get(socket::connect));
}

/// Outside `/api`: the loader, the iframe document and its assets.
pub fn pages(config: &mut web::ServiceConfig) {
    config
        .route("/widget.js", web::get().to(frame::loader))
        .route("/widget/assets/{file}", web::get().to(frame::asset))
        .route("/widget/{slug}", web::get().to(frame::document));
}
