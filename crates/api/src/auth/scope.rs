//! `WorkspaceScope`: proof that a query runs for one workspace on behalf of someone allowed in it.

use ferrodesk_shared::WorkspaceId;
use uuid::Uuid;

/// Built only by `auth` (from a verified token, or at sign-up and sign-in) and by the scheduler for
/// its own jobs. Every tenant query takes one, and inserts take the workspace id from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkspaceScope {
    workspace_id: WorkspaceId,
}

impl WorkspaceScope {
    pub(in crate::auth) fn new(workspace_id: WorkspaceId) -> Self {
        Self { workspace_id }
    }

    /// For the scheduler's own jobs, which act for a workspace without a user (SLA breaches).
    pub(crate) fn for_scheduled_job(workspace_id: WorkspaceId) -> Self {
        Self { workspace_id }
    }

    /// For the widget's public endpoints: the workspace its public identifier (the slug in the
    /// path) names. What a visitor may reach inside it is decided by `widget::visitor`: its own
    /// conversations, or an identified customer's requests.
    pub(crate) fn for_widget(workspace_id: WorkspaceId) -> Self {
        Self { workspace_id }
    }

    /// For the operator's commands on the server's own machine (`ferrodesk plan set`), which name
    /// a workspace by its slug; billing's webhook will act through the same door.
    pub(crate) fn for_operator(workspace_id: WorkspaceId) -> Self {
        Self { workspace_id }
    }

    /// For a satisfaction survey's link, whose unguessable token names one ticket of one workspace
    /// (`csat::`): the page reads that ticket's number and subject, nothing else.
    pub(crate) fn for_survey_link(workspace_id: WorkspaceId) -> Self {
        Self { workspace_id }
    }

    /// For a file's signed link from a customer's mail (`attachments::links`): the signature names
    /// one file, and this scope reads that file's message and bytes.
    pub(crate) fn for_signed_link(workspace_id: WorkspaceId) -> Self {
        Self { workspace_id }
    }

    pub fn id(&self) -> WorkspaceId {
        self.workspace_id
    }

    pub fn uuid(&self) -> Uuid {
        self.workspace_id.0
    }
}
