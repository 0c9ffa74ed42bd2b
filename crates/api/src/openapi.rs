//! The OpenAPI document, generated from the handlers' annotations, served at `/api/openapi.json`
//! with Swagger UI at `/api/docs` (its assets are compiled in: no CDN).

use utoipa::openapi::header::Header;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    ai, api_keys, attachments, auth, billing, csat, macros, notifications, reports, sla, tickets, users, webhooks,
    widget, workspaces,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ferrodesk API",
        description = "The REST API of Ferrodesk, a multi-tenant helpdesk. Every error answers `{code, message}`; \
                       timestamps are RFC 3339 in UTC; an object of another workspace answers 404. Authenticated \
                       requests draw from a per-caller and a per-workspace token bucket: every answer carries \
                       `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`, and a spent bucket answers \
                       `429 rate_limited` with `Retry-After`.\n\n\
                       **Authentication.** People send the access token of their session (`POST /api/v1/signup` \
                       or `POST /api/v1/auth/login` answer it; it lives 15 minutes, `POST /api/v1/auth/refresh` \
                       renews it). Other tools send an API key that an owner created (`POST /api/v1/api-keys`, \
                       or Settings > API keys in the web app), shown once, with the scopes it was given. Both go \
                       in the header `Authorization: Bearer <token or fd_key>`, never in the query string; on \
                       this page, press Authorize and paste one. Each operation lists the schemes it accepts and, \
                       for keys, the scope it needs.",
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
        api_keys::handlers::create,
        api_keys::handlers::list,
        api_keys::handlers::revoke,
        billing::handlers::overview,
        billing::handlers::checkout,
        billing::handlers::portal,
        billing::handlers::webhook,
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
        workspaces::handlers::settings,
        workspaces::handlers::update_settings,
        tickets::handlers::bulk_update,
        tickets::handlers::merge,
        tickets::handlers::dismiss_duplicate,
        users::handlers::profile,
        users::handlers::set_note,
        macros::handlers::list,
        macros::handlers::create,
        macros::handlers::update,
        macros::handlers::delete,
        macros::handlers::render,
        csat::handlers::get,
        csat::handlers::answer,
        attachments::handlers::upload,
        attachments::handlers::download,
        attachments::handlers::download_signed,
        webhooks::handlers::create,
        webhooks::handlers::list,
        webhooks::handlers::get,
        webhooks::handlers::update,
        webhooks::handlers::delete,
        webhooks::handlers::rotate_secret,
        webhooks::handlers::deliveries,
        webhooks::handlers::retry,
        widget::handlers::settings,
        widget::handlers::update_settings,
        widget::handlers::rotate_secret,
        widget::handlers::config,
        widget::handlers::visitor,
        widget::handlers::start,
        widget::handlers::list,
        widget::handlers::get,
        widget::handlers::reply,
        widget::handlers::upload_attachment,
        widget::handlers::attachment,
        widget::handlers::identify,
        widget::handlers::answers,
        widget::handlers::helpful,
    ),
    components(schemas(
        ferrodesk_shared::events::ServerEvent,
        ferrodesk_shared::events::ClientEvent,
        ferrodesk_shared::events::CloseReason,
        // Named by the inbox's query parameters.
        ferrodesk_shared::tickets::InboxView,
        ferrodesk_shared::tickets::TicketSort,
        // What the visitor's socket sends.
        ferrodesk_shared::widget::VisitorFrame
    )),
    modifiers(&SecuritySchemes, &ErrorStatuses),
    tags(
        (name = "auth", description = "Sign-up, sign-in, sessions and invitations"),
        (name = "users", description = "The people of a workspace"),
        (name = "api-keys", description = "Keys for third parties: `Authorization: Bearer fd_...`, each with \
                                           scopes; every operation names the scope a key needs, and those \
                                           that name none refuse keys with 403"),
        (name = "workspaces", description = "The public face of a help centre, and the team's helpdesk settings"),
        (name = "billing", description = "The workspace's plan, its seats and its Stripe subscription (owners), and \
                                          Stripe's signed webhook"),
        (name = "notifications", description = "Your in-app notifications"),
        (name = "sla", description = "Service-level targets"),
        (name = "reports", description = "The supervisor dashboard"),
        (name = "tickets", description = "Tickets and their threads"),
        (name = "macros", description = "Canned replies: texts with placeholders and the fields they set"),
        (name = "attachments", description = "Files on messages: upload the bytes, then send the ids with a message"),
        (name = "csat", description = "Customer satisfaction: the rating page a solved ticket's mail links to \
                                       (no session: the link's token is the key)"),
        (name = "ai", description = "Categories, reply drafts and AI settings"),
        (name = "webhooks", description = "Outgoing webhooks: endpoints, signed deliveries and their log"),
        (name = "widget", description = "The embeddable widget: its settings (owner), and the public API its \
                                         iframe speaks for a visitor (`Authorization: Bearer fdv_...`), under \
                                         `/api/v1/widget/{slug}`; browsers may call it only from the workspace's \
                                         allowed origins"),
    )
)]
pub struct ApiDoc;

/// The two ways to call the API. Both travel as `Authorization: Bearer ...`; the token's shape tells
/// them apart (`fd_` starts an API key).
struct SecuritySchemes;

pub const SESSION_SCHEME: &str = "session";
pub const API_KEY_SCHEME: &str = "api_key";
pub const VISITOR_SCHEME: &str = "visitor";

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SESSION_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The access token of a signed-in person (`POST /api/v1/auth/login`, `/api/v1/signup`): \
                         it lives 15 minutes and `POST /api/v1/auth/refresh` renews it.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            API_KEY_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("fd_<key>")
                    .description(Some(
                        "An API key of one workspace, sent as `Authorization: Bearer fd_...` (never in the \
                         query string). An operation that accepts keys names the scopes the key needs.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            VISITOR_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("fdv_<token>")
                    .description(Some(
                        "A widget visitor's token, answered by `POST /api/v1/widget/{slug}/conversations` (the \
                         visitor's first message) or `POST /api/v1/widget/{slug}/identify`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// What every operation can answer besides its own statuses, derived from its shape so no
/// handler can forget one: a body can be malformed (400), too slow (408), too large (413) or not
/// JSON (415); a query string can be malformed (400); a path id that is not an id is 404; an
/// authenticated call can lack or have a dead token (401), be refused to a role or a key (403)
/// and spends the rate-limit buckets (the `RateLimit-*` fields on every answer, 429 with
/// `Retry-After`); any call can meet a busy database (503 with `Retry-After`) or a bug (500).
/// Every error answers `ErrorBody`.
struct ErrorStatuses;

impl Modify for ErrorStatuses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                complete(operation);
            }
        }
    }
}

fn complete(operation: &mut Operation) {
    // Credentials are required when there is a requirement and none of them is the empty `{}`
    // (which makes them optional: sign-out takes a token if there is one, and never refuses).
    let requirements = operation.security.as_deref().unwrap_or_default();
    let secured = !requirements.is_empty()
        && requirements
            .iter()
            .all(|requirement| serde_json::to_value(requirement).is_ok_and(|value| value != serde_json::json!({})));
    let has_body = operation.request_body.is_some();
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let has_query = parameters
        .iter()
        .any(|parameter| parameter.parameter_in == ParameterIn::Query);
    let has_path = parameters
        .iter()
        .any(|parameter| parameter.parameter_in == ParameterIn::Path);
    let mut statuses = vec![500, 503];
    if has_body || has_query {
        statuses.push(400);
    }
    if has_body {
        statuses.extend([408, 413, 415]);
    }
    if has_path {
        statuses.push(404);
    }
    if secured {
        // 403: a person below the operation's role, or an API key without its scope (or any key,
        // where the operation is for people only).
        statuses.extend([401, 403, 429]);
    }
    let responses = &mut operation.responses.responses;
    for status in statuses {
        responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(Response::new(error_description(status))));
    }
    for (status, response) in responses.iter_mut() {
        let RefOr::T(response) = response else { continue };
        let status: u16 = status.parse().unwrap_or_default();
        if response.description.is_empty() {
            response.description = error_description(status).to_owned();
        }
        if status >= 400 && response.content.is_empty() {
            response.content.insert(
                "application/json".to_owned(),
                Content::new(Some(Ref::from_schema_name("ErrorBody"))),
            );
        }
        if secured {
            for (name, description) in RATE_LIMIT_HEADERS {
                response.headers.insert(name.to_owned(), integer_header(description));
            }
        }
        if matches!(status, 429 | 503) {
            response.headers.insert(
                "Retry-After".to_owned(),
                integer_header("Seconds to wait before trying again."),
            );
        }
    }
}

const RATE_LIMIT_HEADERS: [(&str, &str); 3] = [
    (
        "RateLimit-Limit",
        "The size of the bucket this request drew from (the caller's or the workspace's, whichever is closer to empty).",
    ),
    ("RateLimit-Remaining", "Requests left in that bucket now."),
    ("RateLimit-Reset", "Seconds until that bucket is full again."),
];

fn integer_header(description: &str) -> Header {
    let mut header = Header::new(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0)));
    header.description = Some(description.to_owned());
    header
}

/// The words for a status that its operation did not describe.
fn error_description(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "Done; no body",
        400 => "`bad_request`: the body or query string is not valid JSON of the documented shape",
        401 => "`unauthenticated`: no token, or an expired or revoked one",
        402 => "`upgrade_required`: the workspace's plan does not include this",
        403 => "`forbidden`: your role (or your key's scopes) does not allow this",
        404 => "`not_found`: it does not exist, or belongs to another workspace",
        408 => "`request_timeout`: the body did not arrive in time",
        409 => "`conflict`: it conflicts with the current state; `plan_limit`: the plan allows no more (see `limit`)",
        410 => "`link_expired`: already used or too old",
        413 => "`payload_too_large`: the body is over the size limit",
        415 => "`unsupported_media_type`: send the body as application/json",
        422 => "`validation_failed`: some fields are not valid (see `fields`)",
        429 => "`rate_limited`: too many requests; see Retry-After",
        500 => "`internal`: something went wrong on our side",
        503 => "`service_unavailable`: the database or a worker pool is busy; see Retry-After",
        _ => "See `code`",
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
