//! HTTP for `/tickets`.

use actix_web::web::{self, Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use ferrodesk_shared::tickets::{
    BulkTicketResult, BulkTicketUpdate, InboxCounts, MergeRequest, MergeResult, Message, NewMessage, NewTicket, Ticket,
    TicketDetail, TicketListQuery, TicketPage, TicketPatch,
};
use ferrodesk_shared::{ErrorBody, TicketId};

use crate::auth::scopes::{TicketsRead, TicketsWrite};
use crate::auth::{Agent, Member};
use crate::error::ApiResult;
use crate::state::AppState;

use super::service;

pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// Create a ticket. Customers write their own; staff write for a requester (created as a customer if new).
/// With an `Idempotency-Key`, a retry returns the first ticket instead of making a second.
///
/// API keys: needs `tickets:write` (the key's integration is the first message's author).
#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", operation_id = "createTicket", request_body = NewTicket,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key returns the same ticket")),
    responses((status = 201, body = TicketDetail), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "A request with this Idempotency-Key is still in progress")),
    security(("session" = []), ("api_key" = ["tickets:write"])))]
pub async fn create(
    state: web::Data<AppState>,
    member: Member<TicketsWrite>,
    request: HttpRequest,
    body: Json<NewTicket>,
) -> ApiResult<HttpResponse> {
    let key = request
        .headers()
        .get(IDEMPOTENCY_KEY)
        .map(|value| value.to_str().unwrap_or("\u{0}").to_owned());
    let created = service::create(&state, &member, body.into_inner(), key.as_deref()).await?;
    let mut response = HttpResponse::Created();
    if created.replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(response.json(created.detail))
}

/// The inbox: newest first, filtered, one page at a time. Customers see only their own tickets.
///
/// API keys: needs `tickets:read`.
#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", operation_id = "listTickets", params(TicketListQuery),
    responses((status = 200, body = TicketPage), (status = 422, body = ErrorBody)),
    security(("session" = []), ("api_key" = ["tickets:read"])))]
pub async fn list(
    state: web::Data<AppState>,
    member: Member<TicketsRead>,
    query: Query<TicketListQuery>,
) -> ApiResult<Json<TicketPage>> {
    Ok(Json(service::list(&state, &member, query.into_inner()).await?))
}

/// How many tickets each inbox view holds (staff).
///
/// API keys: needs `tickets:read`.
#[utoipa::path(get, path = "/api/v1/tickets/counts", tag = "tickets", operation_id = "countTickets",
    responses((status = 200, body = InboxCounts), (status = 403, body = ErrorBody)),
    security(("session" = []), ("api_key" = ["tickets:read"])))]
pub async fn counts(state: web::Data<AppState>, agent: Agent<TicketsRead>) -> ApiResult<Json<InboxCounts>> {
    Ok(Json(service::counts(&state, &agent).await?))
}

/// A ticket with its thread. Customers never receive internal notes.
///
/// API keys: needs `tickets:read`.
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets", operation_id = "getTicket",
    params(("id" = TicketId, Path, description = "The ticket")),
    responses((status = 200, body = TicketDetail), (status = 404, body = ErrorBody)),
    security(("session" = []), ("api_key" = ["tickets:read"])))]
pub async fn get(
    state: web::Data<AppState>,
    member: Member<TicketsRead>,
    id: Path<TicketId>,
) -> ApiResult<Json<TicketDetail>> {
    Ok(Json(service::get(&state, &member, id.into_inner()).await?))
}

/// Merge this ticket into another of the same requester (staff): its messages move there with
/// their authors and times, it is closed with a note naming the other, and, when asked, the
/// customer is told in a public reply. Final.
///
/// API keys: needs `tickets:write`.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/merge", tag = "tickets", operation_id = "mergeTicket",
    request_body = MergeRequest,
    params(("id" = TicketId, Path, description = "The ticket merged away")),
    responses((status = 200, body = MergeResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "One of the tickets is closed"),
        (status = 422, body = ErrorBody, description = "Into itself, into another requester's ticket, or into no ticket")),
    security(("session" = []), ("api_key" = ["tickets:write"])))]
pub async fn merge(
    state: web::Data<AppState>,
    member: Member<TicketsWrite>,
    id: Path<TicketId>,
    body: Json<MergeRequest>,
) -> ApiResult<Json<MergeResult>> {
    Ok(Json(
        service::merge(&state, &member, id.into_inner(), body.into_inner()).await?,
    ))
}

/// "Not a duplicate" (staff): forget the ticket's `possible_duplicate`. Answers 204 whether or not
/// it had one. A person's judgement in the web app, so API keys are refused.
#[utoipa::path(delete, path = "/api/v1/tickets/{id}/possible-duplicate", tag = "tickets",
    operation_id = "dismissPossibleDuplicate",
    params(("id" = TicketId, Path, description = "The ticket that is not a duplicate")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("session" = [])))]
pub async fn dismiss_duplicate(
    state: web::Data<AppState>,
    agent: Agent,
    id: Path<TicketId>,
) -> ApiResult<HttpResponse> {
    service::dismiss_duplicate(&state, &agent, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The same change to several tickets (staff): each ticket is updated as `updateTicket` would
/// update it alone, and each one refused is listed with its reason while the others go ahead.
///
/// API keys: needs `tickets:write`.
#[utoipa::path(post, path = "/api/v1/tickets/bulk-update", tag = "tickets", operation_id = "bulkUpdateTickets",
    request_body = BulkTicketUpdate,
    responses((status = 200, body = BulkTicketResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "No tickets, more than 100, or a field that is not valid")),
    security(("session" = []), ("api_key" = ["tickets:write"])))]
pub async fn bulk_update(
    state: web::Data<AppState>,
    member: Member<TicketsWrite>,
    body: Json<BulkTicketUpdate>,
) -> ApiResult<Json<BulkTicketResult>> {
    Ok(Json(service::bulk_update(&state, &member, body.into_inner()).await?))
}

/// Change status, priority, assignee, category or tags (staff). `null` clears assignee or category.
///
/// API keys: needs `tickets:write`.
#[utoipa::path(patch, path = "/api/v1/tickets/{id}", tag = "tickets", operation_id = "updateTicket", request_body = TicketPatch,
    params(("id" = TicketId, Path, description = "The ticket")),
    responses((status = 200, body = Ticket), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Not a valid status change"), (status = 422, body = ErrorBody)),
    security(("session" = []), ("api_key" = ["tickets:write"])))]
pub async fn update(
    state: web::Data<AppState>,
    member: Member<TicketsWrite>,
    id: Path<TicketId>,
    body: Json<TicketPatch>,
) -> ApiResult<Json<Ticket>> {
    Ok(Json(
        service::update(&state, &member, id.into_inner(), body.into_inner()).await?,
    ))
}

/// Reply publicly, or (staff) add an internal note. A customer's reply reopens a solved ticket.
///
/// API keys: needs `tickets:write` (the reply is authored by the key's integration, by its name).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/messages", tag = "tickets", operation_id = "replyToTicket", request_body = NewMessage,
    params(("id" = TicketId, Path, description = "The ticket")),
    responses((status = 201, body = Message), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The ticket is closed"), (status = 422, body = ErrorBody)),
    security(("session" = []), ("api_key" = ["tickets:write"])))]
pub async fn reply(
    state: web::Data<AppState>,
    member: Member<TicketsWrite>,
    id: Path<TicketId>,
    body: Json<NewMessage>,
) -> ApiResult<HttpResponse> {
    let message = service::reply(&state, &member, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Created().json(message))
}
