//! Tickets: the inbox's pages and counts, one ticket with its thread, and the changes to it.

use ferrodesk_shared::TicketId;
use ferrodesk_shared::tickets::{
    BulkTicketResult, BulkTicketUpdate, InboxCounts, MergeRequest, MergeResult, Message, NewMessage, NewTicket, Ticket,
    TicketDetail, TicketListQuery, TicketPage, TicketPatch,
};

use super::{Api, ApiError, query_string};

#[derive(Clone, Copy)]
pub struct Tickets(Api);

impl Api {
    pub fn tickets(&self) -> Tickets {
        Tickets(*self)
    }
}

impl Tickets {
    /// `GET /api/v1/tickets`: one page of the inbox (or of a customer's own requests).
    pub async fn list(self, query: TicketListQuery) -> Result<TicketPage, ApiError> {
        self.0.get(&format!("/api/v1/tickets{}", query_string(&query))).await
    }

    /// `GET /api/v1/tickets/counts` (staff): the rail's numbers per view.
    pub async fn counts(self) -> Result<InboxCounts, ApiError> {
        self.0.get("/api/v1/tickets/counts").await
    }

    /// `POST /api/v1/tickets`: by staff for a requester, or by a customer for themselves.
    pub async fn create(self, ticket: NewTicket) -> Result<TicketDetail, ApiError> {
        self.0.post("/api/v1/tickets", &ticket).await
    }

    /// `GET /api/v1/tickets/{id}`: the ticket, its thread (as the caller may see it) and its breaches.
    pub async fn get(self, id: TicketId) -> Result<TicketDetail, ApiError> {
        self.0.get(&format!("/api/v1/tickets/{id}")).await
    }

    /// `PATCH /api/v1/tickets/{id}` (staff): status, priority, assignee, category or tags.
    pub async fn update(self, id: TicketId, patch: TicketPatch) -> Result<Ticket, ApiError> {
        self.0.patch(&format!("/api/v1/tickets/{id}"), &patch).await
    }

    /// `POST /api/v1/tickets/bulk-update` (staff): one patch for up to `MAX_BULK_TICKETS` tickets,
    /// each changed as alone; the refused ones come back in `failed` with the server's reason.
    pub async fn bulk_update(self, update: BulkTicketUpdate) -> Result<BulkTicketResult, ApiError> {
        self.0.post("/api/v1/tickets/bulk-update", &update).await
    }

    /// Sets (or clears) a ticket's category: a person's choice, which the classifier learns from.
    pub async fn set_category(self, id: TicketId, category: Option<String>) -> Result<Ticket, ApiError> {
        let patch = TicketPatch {
            category: Some(category),
            ..Default::default()
        };
        self.update(id, patch).await
    }

    /// `POST /api/v1/tickets/{id}/merge` (staff): moves its messages into another ticket of the same
    /// requester and closes it.
    pub async fn merge(self, id: TicketId, request: MergeRequest) -> Result<MergeResult, ApiError> {
        self.0.post(&format!("/api/v1/tickets/{id}/merge"), &request).await
    }

    /// `DELETE /api/v1/tickets/{id}/possible-duplicate` (staff): "Not a duplicate", the ticket's
    /// `possible_duplicate` is forgotten.
    pub async fn dismiss_duplicate(self, id: TicketId) -> Result<(), ApiError> {
        self.0.delete(&format!("/api/v1/tickets/{id}/possible-duplicate")).await
    }

    /// `POST /api/v1/tickets/{id}/messages`: a public reply, or an internal note (staff).
    pub async fn reply(self, id: TicketId, message: NewMessage) -> Result<Message, ApiError> {
        self.0.post(&format!("/api/v1/tickets/{id}/messages"), &message).await
    }
}
