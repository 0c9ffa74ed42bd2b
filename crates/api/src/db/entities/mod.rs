//! sea-orm entities, one per table. Enum columns are typed: stored as their snake_case names, read
//! and written as `db::stored` twins of the contract's enums, or as the feature's own enum.

pub mod ai_settings;
pub mod api_keys;
pub mod attachments;
pub mod categorise_queue;
pub mod csat_surveys;
pub mod events;
pub mod idempotency_keys;
pub mod invitations;
pub mod limit_hits;
pub mod macros;
pub mod messages;
pub mod notifications;
pub mod outbox;
pub mod outbox_attempts;
pub mod person_notes;
pub mod refresh_tokens;
pub mod sessions;
pub mod sign_in_links;
pub mod sla_breaches;
pub mod sla_policies;
pub mod stripe_events;
pub mod ticket_duplicates;
pub mod ticket_embeddings;
pub mod tickets;
pub mod users;
pub mod webhook_deliveries;
pub mod webhook_endpoints;
pub mod widget_conversations;
pub mod widget_deflections;
pub mod widget_settings;
pub mod widget_visitors;
pub mod workspaces;
