//! Which API-key scope each endpoint needs, declared in the extractor's type (`Agent<TicketsRead>`)
//! and checked in one place (`principal::admit`). An endpoint that declares none refuses keys, so a
//! new endpoint is closed to keys until someone decides which scope opens it.

use ferrodesk_shared::Permission;
use ferrodesk_shared::api_keys::ApiScope;

/// The scope a key needs for an endpoint; `None`: keys may not use it at all.
pub trait KeyAccess {
    const SCOPE: Option<ApiScope>;
}

/// People only (the default): sign-out, sessions, invitations, roles, settings, API keys themselves.
pub struct SessionOnly;
pub struct TicketsRead;
pub struct TicketsWrite;
pub struct UsersRead;
pub struct ReportsRead;
pub struct WebhooksManage;

impl KeyAccess for SessionOnly {
    const SCOPE: Option<ApiScope> = None;
}
impl KeyAccess for TicketsRead {
    const SCOPE: Option<ApiScope> = Some(ApiScope::TicketsRead);
}
impl KeyAccess for TicketsWrite {
    const SCOPE: Option<ApiScope> = Some(ApiScope::TicketsWrite);
}
impl KeyAccess for UsersRead {
    const SCOPE: Option<ApiScope> = Some(ApiScope::UsersRead);
}
impl KeyAccess for ReportsRead {
    const SCOPE: Option<ApiScope> = Some(ApiScope::ReportsRead);
}
impl KeyAccess for WebhooksManage {
    const SCOPE: Option<ApiScope> = Some(ApiScope::WebhooksManage);
}

/// The scope that grants a permission to a key, for rules checked inside services
/// (`Principal::require`); `None`: no key ever has it (inviting, roles, workspace settings).
pub fn for_permission(permission: Permission) -> Option<ApiScope> {
    match permission {
        Permission::ViewAllTickets => Some(ApiScope::TicketsRead),
        Permission::CreateTicket
        | Permission::CreateTicketForOthers
        | Permission::ReplyToOwnTicket
        | Permission::WriteInternalNote
        | Permission::EditTicketFields
        | Permission::AssignSelf
        | Permission::AssignAnyone => Some(ApiScope::TicketsWrite),
        Permission::ListUsers => Some(ApiScope::UsersRead),
        Permission::InviteAgent
        | Permission::ManageMacros
        | Permission::ConfigureHelpdesk
        | Permission::InviteSupervisor
        | Permission::ChangeRoles
        | Permission::ManageWorkspace => None,
    }
}

/// The 403 message naming what a key lacks.
pub fn missing(scope: ApiScope) -> String {
    format!("This API key lacks the `{scope}` scope.")
}

pub const KEYS_REFUSED: &str = "API keys cannot use this endpoint; it is for people signed in to Ferrodesk.";
