//! The OpenAPI document, generated from the handlers' annotations, served at `/api/openapi.json`
//! with Swagger UI at `/api/docs` (its assets are compiled in: no CDN).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::{ai, auth, notifications, reports, sla, tickets, users, workspaces};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ferrodesk API",
        description = "The REST API of Ferrodesk, a multi-tenant helpdesk. Every error answers `{code, message}`; \
                       timestamps are RFC 3339 in UTC; an object of another workspace answers 404.",
        license(name = "AGPL-3.0-only"),
    ),
    paths(
        auth::handlers::signup,
        auth::handlers::register,
        auth::handlers::login,
        auth::handlers::refresh,
        auth::handlers::link,
        auth::handlers::request_link,
        auth::handlers::renew_link,
        auth::handlers::resend_confirmation,
        auth::handlers::logout,
        auth::handlers::me,
        auth::handlers::invite,
        auth::handlers::list_invitations,
        auth::handlers::revoke_invitation,
        auth::handlers::preview_invitation,
        auth::handlers::accept_invitation,
        users::handlers::list,
        users::handlers::update,
        tickets::handlers::create,
        tickets::handlers::list,
        tickets::handlers::counts,
        tickets::handlers::get,
        tickets::handlers::update,
        tickets::handlers::reply,
        workspaces::handlers::public,
        notifications::handlers::list,
        notifications::handlers::unread_count,
        notifications::handlers::read,
        notifications::handlers::read_all,
        sla::handlers::policies,
        sla::handlers::update_policies,
        reports::handlers::overview,
        ai::handlers::categories,
        ai::handlers::settings,
        ai::handlers::update_settings,
        ai::handlers::suggest_reply,
    ),
    components(schemas(
        ferrodesk_shared::events::ServerEvent,
        ferrodesk_shared::events::ClientEvent,
        ferrodesk_shared::events::CloseReason,
        // Named by the inbox's query parameters.
        ferrodesk_shared::tickets::InboxView,
        ferrodesk_shared::tickets::TicketSort
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign-up, sign-in, sessions and invitations"),
        (name = "users", description = "The people of a workspace"),
        (name = "workspaces", description = "The public face of a help centre"),
        (name = "notifications", description = "Your in-app notifications"),
        (name = "sla", description = "Service-level targets"),
        (name = "reports", description = "The supervisor dashboard"),
        (name = "tickets", description = "Tickets and their threads"),
        (name = "ai", description = "Categories, reply drafts and AI settings"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The committed `openapi/openapi.json` is exactly this text; a test fails when it is stale.
pub fn document_json() -> String {
    let mut json = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"));
    json.push('\n');
    json
}

pub fn docs() -> SwaggerUi {
    SwaggerUi::new("/api/docs/{_:.*}").url("/api/openapi.json", ApiDoc::openapi())
}
