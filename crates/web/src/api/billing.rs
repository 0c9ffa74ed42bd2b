//! Billing (owners): the workspace's plan and its seats.

use ferrodesk_shared::billing::BillingOverview;

use super::{Api, ApiError};

#[derive(Clone, Copy)]
pub struct Billing(Api);

impl Api {
    pub fn billing(&self) -> Billing {
        Billing(*self)
    }
}

impl Billing {
    /// `GET /api/v1/billing`: the plan, staff seats used and allowed, and whether AI is included.
    pub async fn overview(self) -> Result<BillingOverview, ApiError> {
        self.0.get("/api/v1/billing").await
    }
}
