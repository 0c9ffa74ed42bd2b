//! Customer satisfaction: the rating page a solved ticket's mail links to (no session needed).

use ferrodesk_shared::csat::{Survey, SurveyAnswer};

use super::{Api, ApiError};

#[derive(Clone, Copy)]
pub struct Csat(Api);

impl Api {
    pub fn csat(&self) -> Csat {
        Csat(*self)
    }
}

impl Csat {
    /// `GET /api/v1/csat/{token}`: the ticket the link rates, and the rating once given.
    pub async fn survey(self, token: &str) -> Result<Survey, ApiError> {
        self.0.get(&format!("/api/v1/csat/{token}")).await
    }

    /// `POST /api/v1/csat/{token}`: the rating, or the comment that follows it.
    pub async fn answer(self, token: &str, answer: SurveyAnswer) -> Result<Survey, ApiError> {
        self.0.post(&format!("/api/v1/csat/{token}"), &answer).await
    }
}
