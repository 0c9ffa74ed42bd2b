//! HTTP for the widget: the owner's settings and secret, and the visitor's public API under
//! `/api/v1/widget/{slug}`.

use actix_web::http::header;
use actix_web::web::{self, Bytes, Json, Path, Query};
use actix_web::{HttpResponse, Responder};
use ferrodesk_shared::attachments::{Attachment, UploadQuery};
use ferrodesk_shared::widget::{
    AnswerQuery, Conversation, ConversationList, ConversationMessage, ConversationStarted, IdentifyRequest,
    NewConversation, NewVisitorMessage, SuggestedAnswers, Visitor, VisitorSession, WidgetConfig, WidgetSecret,
    WidgetSettings, WidgetSettingsUpdate,
};
use ferrodesk_shared::{AttachmentId, ErrorBody, TicketId};

use crate::auth::Owner;
use crate::error::ApiResult;
use crate::state::AppState;

use super::service;
use super::visitor::WidgetCall;

/// The workspace's widget settings (owner).
#[utoipa::path(get, path = "/api/v1/widget/settings", tag = "widget", operation_id = "getWidgetSettings",
    responses((status = 200, body = WidgetSettings), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("session" = [])))]
pub async fn settings(state: web::Data<AppState>, owner: Owner) -> ApiResult<Json<WidgetSettings>> {
    Ok(Json(service::settings(&state, &owner).await?))
}

/// Change the widget settings (owner): the fields sent change, the others keep their values.
#[utoipa::path(put, path = "/api/v1/widget/settings", tag = "widget", operation_id = "updateWidgetSettings",
    request_body = WidgetSettingsUpdate,
    responses((status = 200, body = WidgetSettings), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "A colour, label, greeting or origin that is not valid")),
    security(("session" = [])))]
pub async fn update_settings(
    state: web::Data<AppState>,
    owner: Owner,
    body: Json<WidgetSettingsUpdate>,
) -> ApiResult<Json<WidgetSettings>> {
    Ok(Json(service::update(&state, &owner, body.into_inner()).await?))
}

/// A new identity secret, shown this once (owner). The previous one stops working at once, and so
/// do the visitors it signed in.
#[utoipa::path(post, path = "/api/v1/widget/secret", tag = "widget", operation_id = "rotateWidgetSecret",
    responses((status = 200, body = WidgetSecret), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("session" = [])))]
pub async fn rotate_secret(state: web::Data<AppState>, owner: Owner) -> ApiResult<Json<WidgetSecret>> {
    Ok(Json(service::rotate_secret(&state, &owner).await?))
}

/// What the launcher shows (public). Called by the loader from the company's page: answered to an
/// allowed origin with `Access-Control-Allow-Origin`, refused to any other.
#[utoipa::path(get, path = "/api/v1/widget/{slug}/config", tag = "widget", operation_id = "getWidgetConfig",
    params(("slug" = String, Path, description = "The workspace's slug: the widget's public identifier")),
    responses((status = 200, body = WidgetConfig),
        (status = 401, body = ErrorBody, description = "A visitor token that is no longer valid"),
        (status = 403, body = ErrorBody, description = "`origin_not_allowed`: the page's origin is not allowed"),
        (status = 404, body = ErrorBody, description = "No such workspace, or its widget is off"),
        (status = 429, body = ErrorBody)),
    security((), ("visitor" = [])))]
pub async fn config(call: WidgetCall) -> ApiResult<HttpResponse> {
    let mut response = HttpResponse::Ok();
    if let Some(origin) = &call.cross_origin {
        response.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.as_str()));
    }
    response.insert_header((header::VARY, "Origin"));
    Ok(response.json(service::config(&call)))
}

/// Who the visitor is.
#[utoipa::path(get, path = "/api/v1/widget/{slug}/visitor", tag = "widget", operation_id = "getWidgetVisitor",
    params(("slug" = String, Path, description = "The workspace's slug")),
    responses((status = 200, body = Visitor), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "`origin_not_allowed`"), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody)),
    security(("visitor" = [])))]
pub async fn visitor(call: WidgetCall) -> ApiResult<Json<Visitor>> {
    Ok(Json(service::visitor_of(call.visiting()?)))
}

/// A visitor writes in: a new conversation (a ticket). Without a visitor token, `name` and `email`
/// are required and the answer carries a new token. With an `Idempotency-Key`, a retry of the same
/// message by the same address returns the first attempt's conversation (to the retrying visitor).
#[utoipa::path(post, path = "/api/v1/widget/{slug}/conversations", tag = "widget", operation_id = "startConversation",
    params(("slug" = String, Path, description = "The workspace's slug"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and message return the same conversation")),
    request_body = NewConversation,
    responses((status = 201, body = ConversationStarted),
        (status = 401, body = ErrorBody, description = "A dead visitor token, or `identity_required`"),
        (status = 403, body = ErrorBody, description = "`origin_not_allowed`"), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody, description = "The visitor's, the address's or the workspace's daily limit")),
    security((), ("visitor" = [])))]
pub async fn start(
    state: web::Data<AppState>,
    call: WidgetCall,
    request: actix_web::HttpRequest,
    body: Json<NewConversation>,
) -> ApiResult<impl Responder> {
    let key = request
        .headers()
        .get(crate::tickets::handlers::IDEMPOTENCY_KEY)
        .map(|value| value.to_str().unwrap_or("\u{0}").to_owned());
    let started = service::start(&state, &call, body.into_inner(), key.as_deref()).await?;
    Ok((Json(started), actix_web::http::StatusCode::CREATED))
}

/// The visitor's conversations, most recent first.
#[utoipa::path(get, path = "/api/v1/widget/{slug}/conversations", tag = "widget", operation_id = "listConversations",
    params(("slug" = String, Path, description = "The workspace's slug")),
    responses((status = 200, body = ConversationList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "`origin_not_allowed`"), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody)),
    security(("visitor" = [])))]
pub async fn list(state: web::Data<AppState>, call: WidgetCall) -> ApiResult<Json<ConversationList>> {
    Ok(Json(service::list(&state, &call).await?))
}

/// One of the visitor's conversations.
#[utoipa::path(get, path = "/api/v1/widget/{slug}/conversations/{id}", tag = "widget", operation_id = "getConversation",
    params(("slug" = String, Path, description = "The workspace's slug"), ("id" = TicketId, Path, description = "The conversation")),
    responses((status = 200, body = Conversation), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "`origin_not_allowed`"),
        (status = 404, body = ErrorBody, description = "Not this visitor's conversation"), (status = 429, body = ErrorBody)),
    security(("visitor" = [])))]
pub async fn get(
    state: web::Data<AppState>,
    call: WidgetCall,
    path: Path<(String, TicketId)>,
) -> ApiResult<Json<Conversation>> {
    let (_, id) = path.into_inner();
    Ok(Json(service::get(&state, &call, id).await?))
}

/// The visitor replies in one of its conversations.
#[utoipa::path(post, path = "/api/v1/widget/{slug}/conversations/{id}/messages", tag = "widget", operation_id = "replyToConversation",
    params(("slug" = String, Path, description = "The workspace's slug"), ("id" = TicketId, Path, description = "The conversation")),
    request_body = NewVisitorMessage,
    responses((status = 201, body = ConversationMessage), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "`origin_not_allowed`"),
        (status = 404, body = ErrorBody, description = "Not this visitor's conversation"),
        (status = 409, body = ErrorBody, description = "The conversation is closed"),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("visitor" = [])))]
pub async fn reply(
    state: web::Data<AppState>,
    call: WidgetCall,
    path: Path<(String, TicketId)>,
    body: Json<NewVisitorMessage>,
) -> ApiResult<impl Responder> {
    let (_, id) = path.into_inner();
    let message = service::reply(&state, &call, id, body.into_inner()).await?;
    Ok((Json(message), actix_web::http::StatusCode::CREATED))
}

/// Upload a file for the visitor's next message (the raw bytes as the body), then send its `id`
/// in `attachment_ids`. Same rules as the team's uploads: type read from the bytes, 10 MiB, a
/// count per hour.
#[utoipa::path(post, path = "/api/v1/widget/{slug}/attachments", tag = "widget", operation_id = "uploadVisitorAttachment",
    params(("slug" = String, Path, description = "The workspace's slug"), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes"),
    responses((status = 201, body = Attachment), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "`origin_not_allowed`"), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody, description = "Larger than the limit (10 MiB unless configured)"),
        (status = 415, body = ErrorBody, description = "Not an image, PDF, zip archive or plain text, by its bytes"),
        (status = 429, body = ErrorBody), (status = 503, body = ErrorBody, description = "The file store cannot be reached")),
    security(("visitor" = [])))]
pub async fn upload_attachment(
    state: web::Data<AppState>,
    call: WidgetCall,
    query: Query<UploadQuery>,
    body: Bytes,
) -> ApiResult<HttpResponse> {
    let principal = call.visiting()?.principal(call.scope);
    let attachment = crate::attachments::service::upload(&state, &principal, &query.filename, body).await?;
    Ok(HttpResponse::Created().json(attachment))
}

/// A file of one of the visitor's conversations (or its own unsent upload).
#[utoipa::path(get, path = "/api/v1/widget/{slug}/attachments/{id}", tag = "widget", operation_id = "getVisitorAttachment",
    params(("slug" = String, Path, description = "The workspace's slug"), ("id" = AttachmentId, Path, description = "The attachment")),
    responses((status = 200, description = "The file, with its type and a Content-Disposition",
            content_type = "application/octet-stream", body = Vec<u8>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "`origin_not_allowed`"),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "The file store cannot be reached")),
    security(("visitor" = [])))]
pub async fn attachment(
    state: web::Data<AppState>,
    call: WidgetCall,
    path: Path<(String, AttachmentId)>,
) -> ApiResult<HttpResponse> {
    let (_, id) = path.into_inner();
    let (attachment, bytes) = service::attachment(&state, &call, id.0).await?;
    Ok(crate::attachments::handlers::file_response(&attachment, bytes))
}

/// Signs the visitor in with an identity token from the company's server (HS256 with the widget
/// secret, `aud` = the slug, at most 10 minutes long): a new visitor token for that customer.
#[utoipa::path(post, path = "/api/v1/widget/{slug}/identify", tag = "widget", operation_id = "identifyVisitor",
    params(("slug" = String, Path, description = "The workspace's slug")),
    request_body = IdentifyRequest,
    responses((status = 200, body = VisitorSession),
        (status = 401, body = ErrorBody, description = "`identity_rejected`: forged, expired, for another workspace, or no secret yet"),
        (status = 403, body = ErrorBody, description = "`origin_not_allowed`"), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody)),
    security((), ("visitor" = [])))]
pub async fn identify(
    state: web::Data<AppState>,
    call: WidgetCall,
    body: Json<IdentifyRequest>,
) -> ApiResult<Json<VisitorSession>> {
    Ok(Json(service::identify(&state, &call, &body.token).await?))
}

/// Answers from the team's solved tickets for what the visitor is typing (up to three; none when
/// nothing is similar enough or the workspace has no AI). Other customers' details are masked.
#[utoipa::path(post, path = "/api/v1/widget/{slug}/answers", tag = "widget", operation_id = "suggestAnswers",
    params(("slug" = String, Path, description = "The workspace's slug")),
    request_body = AnswerQuery,
    responses((status = 200, body = SuggestedAnswers), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "`origin_not_allowed`"), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "Fewer than 12 or more than 2,000 characters"),
        (status = 429, body = ErrorBody)),
    security((), ("visitor" = [])))]
pub async fn answers(
    state: web::Data<AppState>,
    call: WidgetCall,
    body: Json<AnswerQuery>,
) -> ApiResult<Json<SuggestedAnswers>> {
    Ok(Json(super::answers::suggest(&state, &call, &body.text).await?))
}

/// "This answered my question": counted as a question answered without a ticket.
#[utoipa::path(post, path = "/api/v1/widget/{slug}/answers/{id}/helpful", tag = "widget", operation_id = "markAnswerHelpful",
    params(("slug" = String, Path, description = "The workspace's slug"), ("id" = TicketId, Path, description = "The answer's id")),
    responses((status = 204, description = "Counted"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "`origin_not_allowed`"),
        (status = 404, body = ErrorBody, description = "No such answer"), (status = 429, body = ErrorBody)),
    security((), ("visitor" = [])))]
pub async fn helpful(
    state: web::Data<AppState>,
    call: WidgetCall,
    path: Path<(String, TicketId)>,
) -> ApiResult<HttpResponse> {
    let (_, id) = path.into_inner();
    super::answers::helpful(&state, &call, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
