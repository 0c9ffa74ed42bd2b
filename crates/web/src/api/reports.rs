//! Reports: the supervisors' dashboard.

use ferrodesk_shared::reports::{Overview, ReportQuery};

use super::{Api, ApiError, query_string};

#[derive(Clone, Copy)]
pub struct Reports(Api);

impl Api {
    pub fn reports(&self) -> Reports {
        Reports(*self)
    }
}

impl Reports {
    /// `GET /api/v1/reports/overview` (supervisors): every figure of the dashboard for a range of days.
    pub async fn overview(self, query: ReportQuery) -> Result<Overview, ApiError> {
        self.0
            .get(&format!("/api/v1/reports/overview{}", query_string(&query)))
            .await
    }
}
