//! Billing (owners): the workspace's plan, its seats and its subscription; Stripe's pages.

use ferrodesk_shared::billing::{BillingOverview, BillingRedirect};

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

    /// `POST /api/v1/billing/checkout`: Stripe's Checkout page for the Pro plan.
    pub async fn checkout(self) -> Result<BillingRedirect, ApiError> {
        self.0.post("/api/v1/billing/checkout", &()).await
    }

    /// `POST /api/v1/billing/portal`: Stripe's Billing Portal (card, invoices, cancelling).
    pub async fn portal(self) -> Result<BillingRedirect, ApiError> {
        self.0.post("/api/v1/billing/portal", &()).await
    }
}
