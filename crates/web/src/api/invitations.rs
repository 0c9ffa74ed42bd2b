//! Invitations: how agents and supervisors join a workspace (sent by supervisors and owners,
//! previewed and accepted by the person invited).

use ferrodesk_shared::InvitationId;
use ferrodesk_shared::auth::{
    AcceptInvitationRequest, AuthResponse, InvitationCreated, InvitationList, InvitationLookup, InvitationPreview,
    InvitationRequest,
};

use super::{Api, ApiError};

#[derive(Clone, Copy)]
pub struct Invitations(Api);

impl Api {
    pub fn invitations(&self) -> Invitations {
        Invitations(*self)
    }
}

impl Invitations {
    /// `GET /api/v1/invitations`: the ones still waiting.
    pub async fn list(self) -> Result<InvitationList, ApiError> {
        self.0.get("/api/v1/invitations").await
    }

    /// `POST /api/v1/invitations`: the answer holds the link's token, shown once.
    pub async fn create(self, request: InvitationRequest) -> Result<InvitationCreated, ApiError> {
        self.0.post("/api/v1/invitations", &request).await
    }

    /// `DELETE /api/v1/invitations/{id}`: withdraws one; its link stops working.
    pub async fn revoke(self, id: InvitationId) -> Result<(), ApiError> {
        self.0.delete(&format!("/api/v1/invitations/{id}")).await
    }

    /// `POST /api/v1/invitations/lookup`: what an invitation link offers, before accepting it.
    pub async fn preview(self, lookup: InvitationLookup) -> Result<InvitationPreview, ApiError> {
        self.0.post("/api/v1/invitations/lookup", &lookup).await
    }

    /// `POST /api/v1/invitations/accept`: the new member's account, signed in.
    pub async fn accept(self, request: AcceptInvitationRequest) -> Result<AuthResponse, ApiError> {
        self.0.post("/api/v1/invitations/accept", &request).await
    }
}
