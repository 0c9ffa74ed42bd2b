//! Typed ids: a `TicketId` can never be passed where a `UserId` is expected.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// A workspace: one company's helpdesk.
    WorkspaceId
);
id_type!(
    /// A user of one workspace (customer, agent, supervisor or owner).
    UserId
);
id_type!(
    /// A ticket. Humans use its per-workspace `number`; the API uses this id.
    TicketId
);
id_type!(
    /// One message of a ticket's thread: a public reply or an internal note.
    MessageId
);
id_type!(
    /// A pending invitation to join a workspace.
    InvitationId
);
id_type!(
    /// One in-app notification of one user.
    NotificationId
);
id_type!(
    /// An API key of a workspace (its secret is never stored, only a hash).
    ApiKeyId
);
id_type!(
    /// An outgoing webhook endpoint of a workspace.
    WebhookId
);
id_type!(
    /// One event's delivery to one webhook endpoint (its attempts share it, and its `webhook-id`).
    WebhookDeliveryId
);
id_type!(
    /// A macro (canned reply) of a workspace.
    MacroId
);
id_type!(
    /// A file uploaded to a workspace, then carried by a message.
    AttachmentId
);
