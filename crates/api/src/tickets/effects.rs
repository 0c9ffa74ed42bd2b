//! What a ticket change tells others, written in the change's own transaction: events for the
//! WebSockets, notifications for the team, and mail for the customer. Built in two steps so the
//! workspace's lock (`workspaces::repo::allocate`, which numbers the events) is taken last: first
//! everything that needs a read (`Outbound` is gathered from the transition's effects), then one
//! `write` after the numbers are allocated. After the commit, `announce` wakes the hub and the mail
//! worker.

use chrono::{DateTime, Utc};
use ferrodesk_shared::Role;
use ferrodesk_shared::events::ServerEvent;
use ferrodesk_shared::notifications::NotificationKind;
use ferrodesk_shared::sla::BreachKind;
use ferrodesk_shared::tickets::{Message, Ticket, TicketStatus};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::auth::{Principal, WorkspaceScope};
use crate::csat;
use crate::db::entities::{notifications, workspaces};
use crate::error::ApiResult;
use crate::mail::{MailKind, OutgoingEmail, compose, outbox};
use crate::notifications::service::{self as notices, Notifying};
use crate::realtime::{self, EventDraft};
use crate::state::AppState;

use super::projection;
use super::state::{BreachOutcome, Effect, Transition};

/// A public event about `ticket`: the team gets the staff view, the requester their projection.
fn ticket_event(ticket: &Ticket, event: impl Fn(Ticket) -> ServerEvent) -> EventDraft {
    EventDraft::ticket(
        ticket.requester.id.0,
        ticket.id.0,
        event(ticket.clone()),
        event(projection::for_requester(ticket.clone())),
    )
}

/// `ticket.updated`, for the team and the ticket's requester.
pub fn updated_event(ticket: &Ticket) -> EventDraft {
    ticket_event(ticket, |ticket| ServerEvent::TicketUpdated { id: 0, ticket })
}

/// A mail to the customer, composed once the workspace row (its name) is in hand.
type Compose = Box<dyn FnOnce(&compose::Sender<'_>) -> OutgoingEmail + Send>;

/// Everything a change will write besides the ticket itself.
#[derive(Default)]
pub struct Outbound {
    events: Vec<EventDraft>,
    notifications: Vec<notifications::Model>,
    mail: Vec<(MailKind, Compose)>,
    /// Tickets just solved for a customer: each is offered a satisfaction survey, if it never had
    /// one and the workspace has them on (decided in `write`, which has the workspace row).
    surveys: Vec<Ticket>,
}

impl Outbound {
    /// How many event numbers `write` needs.
    pub fn event_count(&self) -> i64 {
        self.events.len() as i64
    }

    /// Whether `write` will queue mail (so the mail worker is worth waking).
    pub fn has_mail(&self) -> bool {
        !self.mail.is_empty() || !self.surveys.is_empty()
    }

    fn event(&mut self, event: EventDraft) {
        self.events.push(event);
    }

    fn notify(&mut self, notifying: Notifying) {
        self.notifications.extend(notifying.rows);
        self.events.extend(notifying.events);
    }

    /// Adds `other`'s writes after these (several changes written together).
    pub fn absorb(&mut self, other: Outbound) {
        self.events.extend(other.events);
        self.notifications.extend(other.notifications);
        self.mail.extend(other.mail);
        self.surveys.extend(other.surveys);
    }
}

/// Writes what `outbound` gathered: the notifications, the events (numbered from `first_event`, as
/// `workspaces::repo::allocate` handed them out) and the mail.
pub async fn write(
    conn: &impl ConnectionTrait,
    state: &AppState,
    scope: &WorkspaceScope,
    workspace: &workspaces::Model,
    outbound: Outbound,
    first_event: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    notices::store(conn, outbound.notifications).await?;
    realtime::log::record_numbered(conn, scope, outbound.events, first_event, now).await?;
    let sender = compose::Sender {
        workspace_name: &workspace.name,
        public_url: &state.settings.public_url,
        domain: state.mail.domain(),
    };
    let mut mails: Vec<_> = outbound
        .mail
        .into_iter()
        .map(|(kind, compose)| (kind, compose(&sender)))
        .collect();
    if workspace.csat_enabled && !outbound.surveys.is_empty() {
        let offers = outbound
            .surveys
            .iter()
            .map(|ticket| csat::repo::Offer {
                ticket_id: ticket.id.0,
                requester_id: ticket.requester.id.0,
                agent_id: ticket.assignee.as_ref().map(|assignee| assignee.id.0),
            })
            .collect();
        for (ticket_id, token) in csat::repo::offer(conn, scope, offers, now).await? {
            if let Some(ticket) = outbound.surveys.iter().find(|ticket| ticket.id.0 == ticket_id) {
                let link = format!("{}/rate/{token}", state.settings.public_url.trim_end_matches('/'));
                mails.push((
                    MailKind::SatisfactionSurvey,
                    compose::satisfaction_survey(&sender, ticket, &link),
                ));
            }
        }
    }
    outbox::enqueue_many(conn, Some(scope.uuid()), mails, now).await
}

/// A new ticket: `ticket.created`, a notification for each of `team`, and the customer's receipt
/// when `receipt_link` is given (the requester is a customer and within their quota).
pub fn ticket_created(
    scope: &WorkspaceScope,
    ticket: &Ticket,
    team: Vec<Uuid>,
    receipt_link: Option<String>,
    now: DateTime<Utc>,
) -> ApiResult<Outbound> {
    let mut outbound = Outbound::default();
    outbound.event(ticket_event(ticket, |ticket| ServerEvent::TicketCreated {
        id: 0,
        ticket,
    }));
    let title = format!("New ticket #{}: {}", ticket.number, ticket.subject);
    outbound.notify(notices::prepare(
        scope,
        team,
        NotificationKind::TicketCreated,
        Some(ticket.id.0),
        &title,
        now,
    )?);
    if let Some(link) = receipt_link {
        let ticket = ticket.clone();
        outbound.mail.push((
            MailKind::TicketReceived,
            Box::new(move |sender| compose::ticket_received(sender, &ticket, &ticket.requester, &link)),
        ));
    }
    Ok(outbound)
}

/// A person changed the ticket's fields: `ticket.updated`, and a notification for a new assignee
/// who is not the one who assigned it.
pub fn ticket_updated(
    principal: &Principal,
    transition: &Transition,
    ticket: &Ticket,
    now: DateTime<Utc>,
) -> ApiResult<Outbound> {
    let mut outbound = Outbound::default();
    outbound.event(updated_event(ticket));
    let solved = transition.has(|effect| {
        matches!(
            effect,
            Effect::StatusChanged {
                to: TicketStatus::Solved,
                ..
            }
        )
    });
    if solved && ticket.requester.role == Role::Customer {
        outbound.surveys.push(ticket.clone());
    }
    if let Some((_, Some(assignee))) = transition.assigned()
        && assignee != principal.id().0
    {
        let title = format!(
            "{} assigned you #{}: {}",
            principal.name(),
            ticket.number,
            ticket.subject
        );
        outbound.notify(notices::prepare(
            principal.scope(),
            [assignee],
            NotificationKind::TicketAssigned,
            Some(ticket.id.0),
            &title,
            now,
        )?);
    }
    Ok(outbound)
}

/// The links a public reply's mail carries: the request's page (signing the customer in) and one
/// per file, in the message's order.
pub struct ReplyLinks {
    pub page: String,
    pub files: Vec<String>,
}

/// A message: `message.created` (the team's alone for an internal note), a notification for the
/// assignee when the customer wrote, and mail to the customer when staff answered in public
/// (`reply_links` are the customer's then).
pub fn message_created(
    principal: &Principal,
    ticket: &Ticket,
    message: &Message,
    reply_links: Option<ReplyLinks>,
    now: DateTime<Utc>,
) -> ApiResult<Outbound> {
    let mut outbound = Outbound::default();
    let created = |ticket| ServerEvent::MessageCreated {
        id: 0,
        ticket,
        message: message.clone(),
    };
    outbound.event(if message.internal {
        EventDraft::staff(Some(ticket.id.0), created(ticket.clone()))
    } else {
        ticket_event(ticket, created)
    });
    if message.author.role == Role::Customer
        && let Some(assignee) = &ticket.assignee
    {
        let title = format!("{} replied on #{}: {}", principal.name(), ticket.number, ticket.subject);
        outbound.notify(notices::prepare(
            principal.scope(),
            [assignee.id.0],
            NotificationKind::CustomerReplied,
            Some(ticket.id.0),
            &title,
            now,
        )?);
    }
    if let Some(links) = reply_links {
        let ticket = ticket.clone();
        let message = message.clone();
        outbound.mail.push((
            MailKind::AgentReplied,
            Box::new(move |sender| compose::agent_replied(sender, &ticket, &message, &links.page, &links.files)),
        ));
    }
    Ok(outbound)
}

/// Whether a public staff reply on this ticket mails the customer.
pub fn mails_customer(ticket: &Ticket, message: &Message) -> bool {
    ticket.requester.role == Role::Customer && message.author.role.is_staff() && !message.internal
}

/// A missed target: `ticket.updated`, and a notification for the agent it went to, or for the
/// supervisors when it was escalated.
pub fn breached(
    scope: &WorkspaceScope,
    transition: &Transition,
    ticket: &Ticket,
    supervisors: Vec<Uuid>,
    now: DateTime<Utc>,
) -> ApiResult<Outbound> {
    let mut outbound = Outbound::default();
    outbound.event(updated_event(ticket));
    for effect in &transition.effects {
        let Effect::Breached { kind, action } = effect else {
            continue;
        };
        let what = match kind {
            BreachKind::FirstResponse => "first-response",
            BreachKind::Resolution => "resolution",
        };
        let (recipients, kind, title) = match action {
            BreachOutcome::AssignedTo(agent) => (
                vec![*agent],
                NotificationKind::TicketAssigned,
                format!("#{} was assigned to you: it missed its {what} target", ticket.number),
            ),
            BreachOutcome::EscalatedTo(priority) => (
                supervisors.clone(),
                NotificationKind::TicketEscalated,
                format!(
                    "#{} missed its {what} target and was escalated to {}: {}",
                    ticket.number,
                    priority.as_str(),
                    ticket.subject
                ),
            ),
        };
        outbound.notify(notices::prepare(
            scope,
            recipients,
            kind,
            Some(ticket.id.0),
            &title,
            now,
        )?);
    }
    Ok(outbound)
}

/// Only the classifier's verdicts: a `ticket.updated` for each ticket.
pub fn categorised(tickets: &[Ticket]) -> Outbound {
    let mut outbound = Outbound::default();
    for ticket in tickets {
        outbound.event(updated_event(ticket));
    }
    outbound
}

/// After the commit: push the new events, and wake the workers with new work (each wake of an
/// idle worker is a claim that finds nothing: at 500 replies/s, 1,000 such statements a second).
pub fn announce(state: &AppState, scope: &WorkspaceScope, wrote: Wrote) {
    state.realtime.wake(scope.uuid());
    if wrote.mail {
        state.mail.nudge();
    }
    if wrote.tickets {
        state.ai.nudge();
    }
}

/// What a committed transaction queued for the workers (`announce`).
#[derive(Debug, Clone, Copy)]
pub struct Wrote {
    /// Mail in the outbox.
    pub mail: bool,
    /// New tickets in the categorisation queue.
    pub tickets: bool,
}
