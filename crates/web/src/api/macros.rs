//! Macros (canned replies): the workspace's list, a supervisor's changes to it, and one macro filled
//! in for a ticket (the reply that uses it goes through `tickets().reply` with `macro_id`).

use ferrodesk_shared::macros::{Macro, MacroInput, MacroList, RenderedMacro};
use ferrodesk_shared::{MacroId, TicketId};

use super::{Api, ApiError};

#[derive(Clone, Copy)]
pub struct Macros(Api);

impl Api {
    pub fn macros(&self) -> Macros {
        Macros(*self)
    }
}

impl Macros {
    /// `GET /api/v1/macros`: most used first.
    pub async fn list(self) -> Result<MacroList, ApiError> {
        self.0.get("/api/v1/macros").await
    }

    /// `POST /api/v1/macros` (supervisors and owners).
    pub async fn create(self, input: MacroInput) -> Result<Macro, ApiError> {
        self.0.post("/api/v1/macros", &input).await
    }

    /// `PUT /api/v1/macros/{id}`: the whole macro.
    pub async fn update(self, id: MacroId, input: MacroInput) -> Result<Macro, ApiError> {
        self.0.put(&format!("/api/v1/macros/{id}"), &input).await
    }

    /// `DELETE /api/v1/macros/{id}`.
    pub async fn delete(self, id: MacroId) -> Result<(), ApiError> {
        self.0.delete(&format!("/api/v1/macros/{id}")).await
    }

    /// `GET /api/v1/tickets/{id}/macros/{macro_id}`: the text with its placeholders filled in for
    /// this ticket. Nothing changes and nothing is counted until the reply is sent.
    pub async fn render(self, ticket: TicketId, id: MacroId) -> Result<RenderedMacro, ApiError> {
        self.0.get(&format!("/api/v1/tickets/{ticket}/macros/{id}")).await
    }
}
