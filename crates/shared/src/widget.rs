//! The embeddable widget: a workspace's widget settings (owner), the public configuration the loader
//! reads, and the visitor's side (conversations, replies, identity) that the widget's iframe speaks.
//!
//! A visitor is a browser the widget gave a token (`fdv_...`, kept by the iframe). An anonymous visitor
//! sees only the conversations it started; a visitor signed in with a company-signed identity token
//! sees that customer's requests. Conversations are tickets, seen through the customer's projection.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{MessageId, TicketId};
use crate::tickets::TicketStatus;

/// Where the launcher sits on the company's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WidgetPosition {
    BottomRight,
    BottomLeft,
}

impl WidgetPosition {
    pub fn as_str(&self) -> &'static str {
        match self {
            WidgetPosition::BottomRight => "bottom_right",
            WidgetPosition::BottomLeft => "bottom_left",
        }
    }
}

/// `GET /api/v1/widget/settings` (owner): how the widget looks and who may embed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WidgetSettings {
    /// Off: the loader shows nothing and the visitor API answers 404.
    pub enabled: bool,
    /// The launcher's colour, `#rrggbb`.
    pub colour: String,
    /// The launcher's text (1 to 40 characters).
    pub label: String,
    /// The first words a visitor reads (at most 200 characters).
    pub greeting: String,
    pub position: WidgetPosition,
    /// The origins (`scheme://host[:port]`, exactly) whose pages may embed the widget. None: nowhere.
    pub allowed_origins: Vec<String>,
    /// Visitors must be signed in with an identity token from the company's server
    /// (`Ferrodesk.identify(token)`); anonymous visitors cannot write in.
    pub identity_required: bool,
    /// Whether an identity secret exists (it is shown once, when made; see `POST /widget/secret`).
    pub has_secret: bool,
    /// Answers from solved tickets while the visitor types.
    pub suggest_answers: bool,
}

/// `PUT /api/v1/widget/settings` (owner): a field left out keeps its value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WidgetSettingsUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<WidgetPosition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_origins: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggest_answers: Option<bool>,
}

/// `POST /api/v1/widget/secret` (owner): a new identity secret, shown this once. The old one stops
/// working at once, and so do the visitors it signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WidgetSecret {
    /// `fdw_` and 64 hex digits; the company's server signs identity tokens (HS256) with it.
    pub secret: String,
}

/// `GET /api/v1/widget/{slug}/config` (public, for the loader and the iframe): what the launcher and
/// the first screen show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WidgetConfig {
    /// The company's name, as its workspace is called.
    pub workspace_name: String,
    pub colour: String,
    pub label: String,
    pub greeting: String,
    pub position: WidgetPosition,
    pub identity_required: bool,
    pub suggest_answers: bool,
}

/// `POST /api/v1/widget/{slug}/conversations`: a visitor writes in. With a visitor token, the
/// conversation is that visitor's (a signed-in visitor's name and email come from their identity and
/// these are ignored); without one, a new anonymous visitor is made and its token returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewConversation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The visitor's first message (1 to 20,000 characters); its first line becomes the subject.
    pub message: String,
    /// Files the visitor uploaded first (`POST /api/v1/widget/{slug}/attachments`, which needs a
    /// visitor token: a returning visitor's) and has not sent yet; at most 5.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachment_ids: Vec<crate::AttachmentId>,
}

/// A visitor's browser session with the widget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitorSession {
    /// `fdv_...`: send as `Authorization: Bearer <token>` on the visitor's later calls.
    pub token: String,
    pub visitor: Visitor,
}

/// `GET /api/v1/widget/{slug}/visitor`: who the widget's visitor is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Visitor {
    pub name: String,
    pub email: String,
    /// Signed in by the company's identity token: sees this customer's earlier requests too.
    pub identified: bool,
}

/// The answer to `POST /api/v1/widget/{slug}/conversations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationStarted {
    /// Present when this call made a new visitor: keep the token for the visitor's later calls.
    pub session: Option<VisitorSession>,
    pub conversation: Conversation,
}

/// One message of a conversation, as the visitor sees it (internal notes never appear).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationMessage {
    pub id: MessageId,
    /// The visitor's own messages are `false`; the team's replies `true`.
    pub from_team: bool,
    pub author_name: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    /// Its files: read them at `GET /api/v1/widget/{slug}/attachments/{id}` with the visitor token.
    #[serde(default)]
    pub attachments: Vec<crate::attachments::Attachment>,
}

/// A conversation in the visitor's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationSummary {
    pub id: TicketId,
    /// The ticket's number, `#37` in mail and in the help centre.
    pub number: i64,
    pub subject: String,
    pub status: TicketStatus,
    /// The latest message, shortened.
    pub preview: String,
    pub updated_at: DateTime<Utc>,
}

/// `GET /api/v1/widget/{slug}/conversations`: the visitor's conversations, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationList {
    pub items: Vec<ConversationSummary>,
}

/// `GET /api/v1/widget/{slug}/conversations/{id}`: one conversation and its messages, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conversation {
    pub id: TicketId,
    pub number: i64,
    pub subject: String,
    pub status: TicketStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub messages: Vec<ConversationMessage>,
}

/// `POST /api/v1/widget/{slug}/conversations/{id}/messages`: the visitor replies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewVisitorMessage {
    pub body: String,
    /// Files the visitor uploaded first (`POST /api/v1/widget/{slug}/attachments`) and has not
    /// sent yet; at most 5.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachment_ids: Vec<crate::AttachmentId>,
}

/// `POST /api/v1/widget/{slug}/identify`: the company's server signed this visitor in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IdentifyRequest {
    /// An HS256 JWT signed with the workspace's widget secret: `aud` = the workspace's slug, `exp` at
    /// most 10 minutes after `iat`, `email`, and optionally `name` and `external_id`.
    pub token: String,
}

/// What the visitor's socket (`/api/v1/widget/{slug}/ws`) sends after its first message,
/// `{"type": "auth", "token": "fdv_..."}`: the team's replies and status changes on the visitor's
/// conversations, through the customer's projection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VisitorFrame {
    /// The token was accepted; frames follow as things happen.
    Ready,
    /// A new message on one of the visitor's conversations (the visitor's own included).
    Message {
        conversation_id: TicketId,
        message: ConversationMessage,
    },
    /// A conversation's status or subject changed.
    Conversation { conversation: ConversationSummary },
}

/// What a visitor's socket accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VisitorCommand {
    Auth { token: String },
}

/// `POST /api/v1/widget/{slug}/answers`: what the visitor has typed so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AnswerQuery {
    /// 12 to 2,000 characters.
    pub text: String,
}

/// An answer the team gave to a similar question that is solved: only the team's words, with the
/// other customer's facts (names, numbers, amounts, dates, references) masked as `[...]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuggestedAnswer {
    /// Names the answer for `POST .../answers/{id}/helpful`.
    pub id: TicketId,
    /// The question it answered, in a few words (masked like the body).
    pub title: String,
    pub body: String,
}

/// Up to three answers, best first; none when nothing solved is similar enough (or AI is off).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuggestedAnswers {
    pub items: Vec<SuggestedAnswer>,
}
