//! What a workspace's plan includes and how much of it is in use (the owner's billing screen).

use serde::{Deserialize, Serialize};

use crate::workspaces::Plan;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BillingOverview {
    pub plan: Plan,
    /// Owners, supervisors and agents (customers and API keys take no seat).
    pub seats_used: u32,
    pub seats_allowed: u32,
    /// More staff than the plan allows (after a downgrade): everyone keeps working, nobody new joins.
    pub over_limit: bool,
    /// Categories, reply drafts and the widget's answers.
    pub ai_included: bool,
}
