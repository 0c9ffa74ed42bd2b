//! One module per screen.

pub mod ai_settings;
pub mod api_keys;
pub mod auth;
pub mod billing;
pub mod dashboard;
pub mod inbox;
pub mod macros;
pub mod new_ticket;
pub mod notifications;
pub mod portal;
pub mod rate;
pub mod shell;
pub mod sla_settings;
pub mod team;
pub mod ticket;
pub mod webhooks;
pub mod widget_settings;
