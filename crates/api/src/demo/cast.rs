//! The demo's people. Everyone shares one password; staff use the company's domain, customers
//! `example.*` addresses, so no real mailbox is ever involved.

use ferrodesk_shared::Role;
use ferrodesk_shared::auth::{AcceptInvitationRequest, InvitationRequest, RegisterRequest, SignupRequest};

use crate::auth::Principal;
use crate::auth::principal::authenticate;
use crate::auth::service::{self as auth_service, SignedIn};
use crate::state::AppState;

use super::script::Who;

pub const SLUG: &str = "demo";
pub const WORKSPACE_NAME: &str = "Northwind Support";
pub const PASSWORD: &str = "ferrodesk-demo";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Person {
    pub name: &'static str,
    pub email: &'static str,
}

const fn person(name: &'static str, email: &'static str) -> Person {
    Person { name, email }
}

pub const OWNER: Person = person("Olivia Bennett", "olivia@northwind.example");
pub const SUPERVISOR: Person = person("Marcus Reid", "marcus@northwind.example");
pub const AGENTS: [Person; 3] = [
    person("Priya Shah", "priya@northwind.example"),
    person("Tomás Alvarez", "tomas@northwind.example"),
    person("Hannah Kim", "hannah@northwind.example"),
];
pub const CUSTOMERS: [Person; 10] = [
    person("Emma Larsen", "emma.larsen@example.com"),
    person("James O'Connor", "james.oconnor@example.org"),
    person("Sofia Rossi", "sofia.rossi@example.net"),
    person("Liam Chen", "liam.chen@example.com"),
    person("Aisha Mensah", "aisha.mensah@example.org"),
    person("Noah Fischer", "noah.fischer@example.net"),
    person("Chloe Martin", "chloe.martin@example.com"),
    person("Daniel Novak", "daniel.novak@example.org"),
    person("Grace Whitfield", "grace.whitfield@example.net"),
    person("Mateo García", "mateo.garcia@example.com"),
];

/// A member signed in for the seeding, and the refresh token to end that session afterwards.
pub struct Account {
    pub principal: Principal,
    refresh_token: String,
}

pub struct Cast {
    pub owner: Account,
    pub supervisor: Account,
    pub agents: Vec<Account>,
    pub customers: Vec<Account>,
}

impl Cast {
    /// Creates the workspace and its people the way real ones arrive: the owner signs up, invites
    /// the supervisor, who invites the agents; customers register in the help centre.
    pub async fn enrol(state: &AppState) -> anyhow::Result<Cast> {
        let owner = signed_in(
            state,
            auth_service::signup(
                state,
                SignupRequest {
                    workspace_name: WORKSPACE_NAME.to_owned(),
                    workspace_slug: SLUG.to_owned(),
                    name: OWNER.name.to_owned(),
                    email: OWNER.email.to_owned(),
                    password: PASSWORD.to_owned(),
                },
            )
            .await?,
        )
        .await?;
        // A lived-in workspace's owner confirmed the address long ago (the mail went to an .eml file).
        crate::users::repo::mark_email_verified(
            &state.db,
            owner.principal.scope(),
            owner.principal.id(),
            crate::clock::now(),
        )
        .await?;
        // The demo shows everything a paying team gets: its team is larger than Free's seats, and
        // it drafts replies and categorises with the model.
        crate::workspaces::repo::set_plan(
            &state.db,
            owner.principal.scope(),
            ferrodesk_shared::workspaces::Plan::Pro,
            crate::clock::now(),
        )
        .await?;
        let supervisor = join(state, &owner.principal, SUPERVISOR, Role::Supervisor).await?;
        let mut agents = Vec::with_capacity(AGENTS.len());
        for agent in AGENTS {
            agents.push(join(state, &supervisor.principal, agent, Role::Agent).await?);
        }
        let mut customers = Vec::with_capacity(CUSTOMERS.len());
        for customer in CUSTOMERS {
            let request = RegisterRequest {
                workspace_slug: SLUG.to_owned(),
                name: customer.name.to_owned(),
                email: customer.email.to_owned(),
                password: PASSWORD.to_owned(),
            };
            // A real customer confirms the address from the email; the demo opens that link itself.
            let registration = auth_service::register(state, request).await?;
            let token = registration
                .confirmation_token
                .ok_or_else(|| anyhow::anyhow!("the demo customer {} already existed", customer.email))?;
            customers.push(signed_in(state, crate::auth::links::sign_in(state, &token).await?).await?);
        }
        Ok(Cast {
            owner,
            supervisor,
            agents,
            customers,
        })
    }

    /// The member acting as `who`; `requester` is the customer of the ticket at hand, when they have an account.
    pub fn member<'a>(&'a self, who: Who, requester: Option<&'a Principal>) -> anyhow::Result<&'a Principal> {
        match who {
            Who::Owner => Ok(&self.owner.principal),
            Who::Supervisor => Ok(&self.supervisor.principal),
            Who::Agent(index) => self
                .agents
                .get(index)
                .map(|agent| &agent.principal)
                .ok_or_else(|| anyhow::anyhow!("the demo has no agent {index}")),
            Who::Requester => requester.ok_or_else(|| anyhow::anyhow!("this ticket's requester has no account")),
        }
    }

    pub fn customer(&self, index: usize) -> anyhow::Result<&Principal> {
        self.customers
            .get(index)
            .map(|customer| &customer.principal)
            .ok_or_else(|| anyhow::anyhow!("the demo has no customer {index}"))
    }

    /// Ends the sessions the seeding opened, so none is left alive for 30 days.
    pub async fn sign_out(self, state: &AppState) -> anyhow::Result<()> {
        let members = [self.owner, self.supervisor]
            .into_iter()
            .chain(self.agents)
            .chain(self.customers);
        for member in members {
            auth_service::logout(state, Some(&member.refresh_token), Some(&member.principal)).await?;
        }
        Ok(())
    }
}

async fn join(state: &AppState, inviter: &Principal, person: Person, role: Role) -> anyhow::Result<Account> {
    let invitation = InvitationRequest {
        email: person.email.to_owned(),
        role,
    };
    let created = auth_service::invite(state, inviter, invitation).await?;
    let accept = AcceptInvitationRequest {
        token: created.token,
        name: person.name.to_owned(),
        password: PASSWORD.to_owned(),
    };
    signed_in(state, auth_service::accept_invitation(state, accept).await?).await
}

async fn signed_in(state: &AppState, signed_in: SignedIn) -> anyhow::Result<Account> {
    Ok(Account {
        principal: authenticate(state, &signed_in.response.access_token).await?,
        refresh_token: signed_in.refresh_token,
    })
}
