//! What a ticket change tells others, written in the change's own transaction: events for the
//! WebSockets, notifications for the team, and mail for the customer. After the commit, `announce`
//! wakes the hub and the mail worker.

use chrono::{DateTime, Utc};
use ferrodesk_shared::Role;
use ferrodesk_shared::events::ServerEvent;
use ferrodesk_shared::notifications::NotificationKind;
use ferrodesk_shared::tickets::{Message, Ticket};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::auth::{self, Principal, WorkspaceScope};
use crate::error::ApiResult;
use crate::limits::quotas;
use crate::mail::{compose, outbox};
use crate::notifications::service::notify;
use crate::realtime::{self, EventDraft};
use crate::state::AppState;
use crate::users::repo as users_repo;
use crate::workspaces::repo as workspaces_repo;

use super::projection;

/// A public event about `ticket`: the team gets the staff view, the requester their projection.
fn ticket_event(ticket: &Ticket, event: impl Fn(Ticket) -> ServerEvent) -> EventDraft {
    EventDraft::ticket(
        ticket.requester.id.0,
        ticket.id.0,
        event(ticket.clone()),
        event(projection::for_requester(ticket.clone())),
    )
}

/// The customer's link into their request: a single-use, short-lived sign-in link. Opening it
/// proves the address (see `auth::links`).
async fn customer_link(
    conn: &impl ConnectionTrait,
    state: &AppState,
    scope: &WorkspaceScope,
    ticket: &Ticket,
    now: DateTime<Utc>,
) -> ApiResult<String> {
    let requester = users_repo::find(conn, scope, ticket.requester.id).await?;
    let to = format!("/requests/{}", ticket.id);
    let link = auth::links::issue(
        conn,
        &state.settings,
        scope,
        &requester,
        auth::links::Purpose::SignIn,
        &to,
        now,
    )
    .await?;
    Ok(link.url)
}

async fn mail_customer(
    conn: &impl ConnectionTrait,
    state: &AppState,
    scope: &WorkspaceScope,
    kind: &str,
    build: impl FnOnce(&compose::Sender<'_>, String) -> crate::mail::OutgoingEmail,
    ticket: &Ticket,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    // Staff who open a ticket for themselves need no receipt; only customers get mail.
    if ticket.requester.role != Role::Customer {
        return Ok(());
    }
    let workspace = workspaces_repo::get(conn, scope).await?;
    let sender = compose::Sender {
        workspace_name: &workspace.name,
        public_url: &state.settings.public_url,
        domain: state.mail.domain(),
    };
    let email = build(&sender, customer_link(conn, state, scope, ticket, now).await?);
    outbox::enqueue(conn, Some(scope.uuid()), kind, &email, now).await
}

pub async fn ticket_created(
    conn: &impl ConnectionTrait,
    state: &AppState,
    principal: &Principal,
    ticket: &Ticket,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let scope = principal.scope();
    let mut events = vec![ticket_event(ticket, |ticket| ServerEvent::TicketCreated {
        id: 0,
        ticket,
    })];
    let team: Vec<Uuid> = users_repo::staff_ids(conn, scope)
        .await?
        .into_iter()
        .filter(|user| *user != principal.id().0)
        .collect();
    let title = format!("New ticket #{}: {}", ticket.number, ticket.subject);
    events.extend(
        notify(
            conn,
            scope,
            team,
            NotificationKind::TicketCreated,
            Some(ticket.id.0),
            &title,
            now,
        )
        .await?,
    );
    realtime::log::record(conn, scope, events, now).await?;
    if !quotas::ticket_confirmation(conn, state, scope, &ticket.requester.email, now).await? {
        return Ok(());
    }
    let requester = ticket.requester.clone();
    mail_customer(
        conn,
        state,
        scope,
        "ticket_received",
        |sender, link| compose::ticket_received(sender, ticket, &requester, &link),
        ticket,
        now,
    )
    .await
}

/// `ticket.updated`, for the team and the ticket's requester.
pub fn updated_event(ticket: &Ticket) -> EventDraft {
    ticket_event(ticket, |ticket| ServerEvent::TicketUpdated { id: 0, ticket })
}

pub async fn ticket_updated(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    previous_assignee: Option<Uuid>,
    ticket: &Ticket,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let scope = principal.scope();
    let mut events = vec![updated_event(ticket)];
    let assignee = ticket.assignee.as_ref().map(|assignee| assignee.id.0);
    if let Some(assignee) =
        assignee.filter(|assignee| Some(*assignee) != previous_assignee && *assignee != principal.id().0)
    {
        let title = format!(
            "{} assigned you #{}: {}",
            principal.name(),
            ticket.number,
            ticket.subject
        );
        events.extend(
            notify(
                conn,
                scope,
                [assignee],
                NotificationKind::TicketAssigned,
                Some(ticket.id.0),
                &title,
                now,
            )
            .await?,
        );
    }
    realtime::log::record(conn, scope, events, now).await
}

pub async fn message_created(
    conn: &impl ConnectionTrait,
    state: &AppState,
    principal: &Principal,
    ticket: &Ticket,
    message: &Message,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let scope = principal.scope();
    let created = |ticket| ServerEvent::MessageCreated {
        id: 0,
        ticket,
        message: message.clone(),
    };
    // An internal note is the team's alone, in the event log as everywhere.
    let mut events = vec![if message.internal {
        EventDraft::staff(Some(ticket.id.0), created(ticket.clone()))
    } else {
        ticket_event(ticket, created)
    }];
    let from_customer = !principal.is_staff();
    if from_customer && let Some(assignee) = &ticket.assignee {
        let title = format!("{} replied on #{}: {}", principal.name(), ticket.number, ticket.subject);
        events.extend(
            notify(
                conn,
                scope,
                [assignee.id.0],
                NotificationKind::CustomerReplied,
                Some(ticket.id.0),
                &title,
                now,
            )
            .await?,
        );
    }
    realtime::log::record(conn, scope, events, now).await?;
    if principal.is_staff() && !message.internal {
        mail_customer(
            conn,
            state,
            scope,
            "agent_replied",
            |sender, link| compose::agent_replied(sender, ticket, message, &link),
            ticket,
            now,
        )
        .await?;
    }
    Ok(())
}

/// After the commit: push the new events and wake the mail worker.
pub fn announce(state: &AppState, scope: &WorkspaceScope) {
    state.realtime.wake(scope.uuid());
    state.mail.nudge();
}
