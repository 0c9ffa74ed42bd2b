//! The Ferrodesk API contract. Every type that crosses the wire lives here, so the server and the web
//! app compile the same definitions and can never disagree about a field name.

pub mod ai;
pub mod api_keys;
pub mod attachments;
pub mod auth;
pub mod billing;
pub mod csat;
pub mod error;
pub mod events;
pub mod ids;
pub mod macros;
pub mod notifications;
pub mod patch;
pub mod reports;
pub mod roles;
pub mod sla;
pub mod tickets;
pub mod users;
pub mod webhooks;
pub mod widget;
pub mod workspaces;

pub use error::{ErrorBody, ErrorCode};
pub use ids::{
    ApiKeyId, AttachmentId, InvitationId, MacroId, MessageId, NotificationId, TicketId, UserId, WebhookDeliveryId,
    WebhookId, WorkspaceId,
};
pub use roles::{Permission, Role};
