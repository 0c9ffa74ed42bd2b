//! Tickets and their threads.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{MessageId, TicketId, UserId};
use crate::roles::UnknownValue;
use crate::users::UserSummary;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    New,
    Open,
    Pending,
    Solved,
    Closed,
}

impl TicketStatus {
    pub const ALL: [TicketStatus; 5] = [
        TicketStatus::New,
        TicketStatus::Open,
        TicketStatus::Pending,
        TicketStatus::Solved,
        TicketStatus::Closed,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            TicketStatus::New => "new",
            TicketStatus::Open => "open",
            TicketStatus::Pending => "pending",
            TicketStatus::Solved => "solved",
            TicketStatus::Closed => "closed",
        }
    }

    /// The status changes staff may make. `new` is only ever a starting point and `closed` is final:
    /// a closed ticket is an archived conversation, and a customer who writes again starts a new one.
    pub fn can_become(&self, next: TicketStatus) -> bool {
        use TicketStatus::*;
        match (self, next) {
            (from, to) if *from == to => true,
            (New, Open | Pending | Solved) => true,
            (Open, Pending | Solved) => true,
            (Pending, Open | Solved) => true,
            (Solved, Open | Closed) => true,
            (New | Open | Pending | Solved | Closed, _) => false,
        }
    }

    /// Whether the ticket still needs work from the team.
    pub fn is_active(&self) -> bool {
        matches!(self, TicketStatus::New | TicketStatus::Open | TicketStatus::Pending)
    }
}

impl std::str::FromStr for TicketStatus {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TicketStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownValue(s.to_owned()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::Low, Priority::Normal, Priority::High, Priority::Urgent];

    pub fn as_str(&self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }
}

impl std::str::FromStr for Priority {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Priority::ALL
            .into_iter()
            .find(|priority| priority.as_str() == s)
            .ok_or_else(|| UnknownValue(s.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ticket {
    pub id: TicketId,
    /// Per-workspace, starting at 1: `#1042`.
    pub number: i64,
    pub subject: String,
    pub status: TicketStatus,
    pub priority: Priority,
    pub category: Option<String>,
    /// Who set `category`; none while it is unset.
    #[serde(default)]
    pub category_source: Option<crate::ai::CategorySource>,
    /// The classifier's view on arrival (staff only; none for customers and before AI ran).
    #[serde(default)]
    pub ai_category: Option<crate::ai::CategoryGuess>,
    pub tags: Vec<String>,
    pub requester: UserSummary,
    pub assignee: Option<UserSummary>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When staff first answered publicly.
    pub first_response_at: Option<DateTime<Utc>>,
    pub solved_at: Option<DateTime<Utc>>,
    /// The start of the latest public message, for list rows.
    pub preview: Option<String>,
    #[serde(default)]
    pub sla: crate::sla::TicketSla,
}

/// A ticket with its thread, oldest message first. Customers never receive internal notes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketDetail {
    #[serde(flatten)]
    pub ticket: Ticket,
    pub messages: Vec<Message>,
    /// Missed targets, for the timeline (staff only; empty for customers).
    #[serde(default)]
    pub breaches: Vec<crate::sla::SlaBreach>,
    /// The customer's satisfaction rating once given (staff only; none for customers).
    #[serde(default)]
    pub rating: Option<crate::csat::TicketRating>,
    /// An older ticket of the same requester that this one reads very like, while that one is still
    /// open (staff only; none for customers). "Not a duplicate" or a merge clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub possible_duplicate: Option<PossibleDuplicate>,
}

/// The open ticket a new one may repeat: `DELETE /api/v1/tickets/{id}/possible-duplicate` says it
/// does not, `POST /api/v1/tickets/{id}/merge` with `into: ticket_id` merges it there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PossibleDuplicate {
    pub ticket_id: TicketId,
    pub number: i64,
    pub subject: String,
    /// How alike the two read, as the cosine similarity of their embeddings (0..=1).
    pub similarity: f32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    pub id: MessageId,
    pub ticket_id: TicketId,
    pub author: UserSummary,
    /// Plain text with a safe Markdown subset; never HTML.
    pub body: String,
    /// An internal note: visible to staff only.
    pub internal: bool,
    pub created_at: DateTime<Utc>,
    /// The files sent with it.
    #[serde(default)]
    pub attachments: Vec<crate::attachments::Attachment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    pub subject: String,
    /// The first message of the thread.
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// Staff only: the customer this ticket is for. They become a customer of the workspace if new.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester_name: Option<String>,
    /// Files uploaded first (`POST /api/v1/attachments`) by the caller and not sent yet, carried
    /// by the first message; at most `attachments::MAX_PER_MESSAGE`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachment_ids: Vec<crate::AttachmentId>,
}

/// A change to a ticket's fields; a missing field is left alone, `null` clears `assignee_id` or `category`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TicketPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TicketStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(default, with = "crate::patch", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<UserId>))]
    pub assignee_id: Option<Option<UserId>>,
    #[serde(default, with = "crate::patch", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub category: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

/// `POST /api/v1/tickets/{id}/merge`: merge this ticket into `into` (the same requester's). Its
/// messages move there with their authors and times, and it is closed with a note naming `into`.
/// Final: a merge is not undone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    pub into: TicketId,
    /// Tell the customer, in a public reply on `into` (mailed like any reply).
    #[serde(default)]
    pub notify_customer: bool,
}

/// What a merge did: the ticket merged away (closed) and the one it went into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MergeResult {
    pub merged: Ticket,
    pub into: Ticket,
    /// How many messages moved.
    pub moved_messages: u64,
}

/// The most tickets one bulk update changes.
pub const MAX_BULK_TICKETS: usize = 100;

/// `POST /api/v1/tickets/bulk-update`: one change for several tickets (at most `MAX_BULK_TICKETS`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulkTicketUpdate {
    pub ids: Vec<TicketId>,
    pub patch: TicketPatch,
}

/// What a bulk update did: each ticket is updated or failed, with the answer it would have had
/// alone (not found, not allowed, not a valid status change).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkTicketResult {
    pub updated: Vec<Ticket>,
    pub failed: Vec<BulkFailure>,
}

/// One ticket a bulk update left as it was, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkFailure {
    pub id: TicketId,
    pub error: crate::ErrorBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    pub body: String,
    /// Staff only: an internal note the customer never sees.
    #[serde(default)]
    pub internal: bool,
    /// Staff only: the macro this reply was written from. Its status, priority and tags are set
    /// in the same change as the reply, and its use is counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub macro_id: Option<crate::MacroId>,
    /// Files uploaded first (`POST /api/v1/attachments`) by the sender and not sent yet; at most
    /// `attachments::MAX_PER_MESSAGE`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachment_ids: Vec<crate::AttachmentId>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TicketSort {
    /// Most recently updated first.
    #[default]
    Updated,
    /// Most recently created first.
    Created,
    /// The nearest SLA target first; tickets without one last.
    Due,
}

/// The inbox's saved views. `mine`, `unassigned` and `open` hold tickets that still need an answer
/// (`new` or `open`); `pending` waits on the customer; `solved` is done; `all` is everything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InboxView {
    Mine,
    Unassigned,
    Open,
    Pending,
    Solved,
    #[default]
    All,
}

impl InboxView {
    pub const ALL: [InboxView; 6] = [
        InboxView::Mine,
        InboxView::Unassigned,
        InboxView::Open,
        InboxView::Pending,
        InboxView::Solved,
        InboxView::All,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            InboxView::Mine => "mine",
            InboxView::Unassigned => "unassigned",
            InboxView::Open => "open",
            InboxView::Pending => "pending",
            InboxView::Solved => "solved",
            InboxView::All => "all",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            InboxView::Mine => "My open",
            InboxView::Unassigned => "Unassigned",
            InboxView::Open => "All open",
            InboxView::Pending => "Pending",
            InboxView::Solved => "Solved",
            InboxView::All => "All tickets",
        }
    }

    /// The statuses the view holds; empty means any.
    pub fn statuses(&self) -> &'static [TicketStatus] {
        match self {
            InboxView::Mine | InboxView::Unassigned | InboxView::Open => &[TicketStatus::New, TicketStatus::Open],
            InboxView::Pending => &[TicketStatus::Pending],
            InboxView::Solved => &[TicketStatus::Solved],
            InboxView::All => &[],
        }
    }
}

impl std::str::FromStr for InboxView {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        InboxView::ALL
            .into_iter()
            .find(|view| view.as_str() == s)
            .ok_or_else(|| UnknownValue(s.to_owned()))
    }
}

/// How many tickets each view holds, for the inbox's left rail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InboxCounts {
    pub mine: u64,
    pub unassigned: u64,
    pub open: u64,
    pub pending: u64,
    pub solved: u64,
}

/// Query of `GET /api/v1/tickets`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct TicketListQuery {
    /// A saved view; the other filters narrow it further (an explicit `assignee` replaces the view's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<InboxView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TicketStatus>,
    /// `me`, `none`, or a user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Words to find across the subject and the messages the caller may see (internal notes for
    /// staff only): every word, the last one also as the start of a word ("refu" finds "refund").
    /// Only letters and digits count; anything else separates words. At most 16 words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Missing: the most recently updated first, or, with `q`, the most relevant first among the
    /// newest 1,000 matches (the server's setting); with a sort, a search lists every match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<TicketSort>,
    /// 1 to 100, 25 when missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketPage {
    pub items: Vec<Ticket>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// A search's first page (`q`, no `cursor`): how many tickets match, counted up to
    /// [`SEARCH_COUNT_CAP`] (which then means "at least"). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

/// The most matches a search counts: past it the count reads "1,000+".
pub const SEARCH_COUNT_CAP: u64 = 1_000;

#[cfg(test)]
mod tests {
    use super::TicketStatus::*;
    use super::*;

    #[test]
    fn status_transitions_follow_the_lifecycle() {
        let allowed = [
            (New, Open),
            (New, Pending),
            (New, Solved),
            (Open, Pending),
            (Open, Solved),
            (Pending, Open),
            (Pending, Solved),
            (Solved, Open),
            (Solved, Closed),
        ];
        for from in TicketStatus::ALL {
            for to in TicketStatus::ALL {
                let expected = from == to || allowed.contains(&(from, to));
                assert_eq!(from.can_become(to), expected, "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn patch_tells_missing_from_null() {
        let missing: TicketPatch = serde_json::from_str("{}").unwrap_or_default();
        assert_eq!(missing.assignee_id, None);
        let cleared: TicketPatch = serde_json::from_str(r#"{"assignee_id":null}"#).unwrap_or_default();
        assert_eq!(cleared.assignee_id, Some(None));
        let round_trip = serde_json::to_string(&cleared).unwrap_or_default();
        assert_eq!(round_trip, r#"{"assignee_id":null}"#);
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<NewMessage>(r#"{"body":"hi","admin":true}"#).is_err());
    }
}
