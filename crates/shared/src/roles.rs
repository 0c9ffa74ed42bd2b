//! Roles are ordered (`Customer < Agent < Supervisor < Owner`) and every permission is decided by one
//! exhaustive match, shared by the server (which enforces it) and the web app (which hides what you cannot do).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Agent,
    Supervisor,
    Owner,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Customer, Role::Agent, Role::Supervisor, Role::Owner];

    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Owner => "owner",
        }
    }

    /// Staff are everyone who answers tickets: agents and up.
    pub fn is_staff(&self) -> bool {
        *self >= Role::Agent
    }

    pub fn can(&self, permission: Permission) -> bool {
        *self >= permission.minimum_role()
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownValue(s.to_owned()))
    }
}

/// What a user may do. The server checks these; the SPA uses them to show only what works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    CreateTicket,
    /// Open a ticket on a customer's behalf, choosing its requester and priority.
    CreateTicketForOthers,
    ReplyToOwnTicket,
    ViewAllTickets,
    WriteInternalNote,
    EditTicketFields,
    AssignSelf,
    AssignAnyone,
    /// Keep the workspace's macros (canned replies); agents use them.
    ManageMacros,
    /// Change how the helpdesk behaves for the team (assignment on reply).
    ConfigureHelpdesk,
    ListUsers,
    InviteAgent,
    InviteSupervisor,
    ChangeRoles,
    ManageWorkspace,
}

impl Permission {
    pub fn minimum_role(&self) -> Role {
        match self {
            Permission::CreateTicket | Permission::ReplyToOwnTicket => Role::Customer,
            Permission::ViewAllTickets
            | Permission::CreateTicketForOthers
            | Permission::WriteInternalNote
            | Permission::EditTicketFields
            | Permission::AssignSelf
            | Permission::ListUsers => Role::Agent,
            Permission::AssignAnyone
            | Permission::ManageMacros
            | Permission::ConfigureHelpdesk
            | Permission::InviteAgent => Role::Supervisor,
            Permission::InviteSupervisor | Permission::ChangeRoles | Permission::ManageWorkspace => Role::Owner,
        }
    }
}

/// A string that names none of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue(pub String);

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown value `{}`", self.0)
    }
}

impl std::error::Error for UnknownValue {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_from_customer_to_owner() {
        assert!(Role::Customer < Role::Agent);
        assert!(Role::Agent < Role::Supervisor);
        assert!(Role::Supervisor < Role::Owner);
    }

    #[test]
    fn permissions_follow_the_spec() {
        assert!(Role::Customer.can(Permission::CreateTicket));
        assert!(!Role::Customer.can(Permission::ViewAllTickets));
        assert!(Role::Agent.can(Permission::WriteInternalNote));
        assert!(!Role::Agent.can(Permission::AssignAnyone));
        assert!(Role::Supervisor.can(Permission::InviteAgent));
        assert!(Role::Supervisor.can(Permission::ManageMacros));
        assert!(!Role::Agent.can(Permission::ManageMacros));
        assert!(!Role::Supervisor.can(Permission::InviteSupervisor));
        assert!(!Role::Supervisor.can(Permission::ChangeRoles));
        assert!(Role::Owner.can(Permission::ChangeRoles));
    }

    #[test]
    fn role_round_trips_through_its_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("admin".parse::<Role>().is_err());
    }
}
