//! SLA policies: the response and resolution targets per priority.

use ferrodesk_shared::sla::SlaPolicies;

use super::{Api, ApiError};

#[derive(Clone, Copy)]
pub struct Sla(Api);

impl Api {
    pub fn sla(&self) -> Sla {
        Sla(*self)
    }
}

impl Sla {
    /// `GET /api/v1/sla/policies` (staff).
    pub async fn policies(self) -> Result<SlaPolicies, ApiError> {
        self.0.get("/api/v1/sla/policies").await
    }

    /// `PUT /api/v1/sla/policies` (supervisors): all four targets at once.
    pub async fn save_policies(self, policies: SlaPolicies) -> Result<SlaPolicies, ApiError> {
        self.0.put("/api/v1/sla/policies", &policies).await
    }
}
