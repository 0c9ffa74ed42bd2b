//! The thread: messages oldest first (internal notes tinted and labelled, a message on its way
//! marked, a failed one with "Retry", files under the text), and a system line where an SLA
//! target was missed, saying what was done (assigned to whom, or escalated).

use chrono::{DateTime, Utc};
use ferrodesk_shared::sla::{BreachAction, BreachKind, SlaBreach};
use ferrodesk_shared::tickets::{Message, NewMessage};
use ferrodesk_shared::{MacroId, MessageId, TicketId};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{Api, use_api};
use crate::components::attachments::{MessageAttachments, ids, message_refusal};
use crate::components::badges::Avatar;
use crate::components::icons::LockIcon;
use crate::components::markdown::MessageText;
use crate::components::time::{Time, exact};
use crate::session::use_session;

/// A message in the thread, possibly still on its way.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct ThreadItem {
    pub(super) message: Message,
    pub(super) state: Delivery,
    /// The macro a reply of ours was written from, sent again with it on "Retry".
    pub(super) macro_id: Option<MacroId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Delivery {
    Sent,
    Sending,
    /// With the server's reasons when it refused the message (a 4xx), which the agent has to
    /// read: "Retry" alone would be refused again.
    Failed(Option<String>),
}

impl Delivery {
    /// Part of a timeline key, so the message is drawn again when its state moves.
    fn tag(&self) -> u8 {
        match self {
            Delivery::Sent => 0,
            Delivery::Sending => 1,
            Delivery::Failed(_) => 2,
        }
    }
}

/// One line of the timeline: a message, or a system line about a missed SLA target.
#[derive(Clone, Debug, PartialEq)]
enum Entry {
    Message(ThreadItem),
    Breach(SlaBreach),
}

impl Entry {
    fn at(&self) -> DateTime<Utc> {
        match self {
            Entry::Message(item) => item.message.created_at,
            Entry::Breach(breach) => breach.at,
        }
    }

    fn key(&self) -> String {
        match self {
            Entry::Message(item) => format!("m{}-{}", item.message.id, item.state.tag()),
            Entry::Breach(breach) => format!("b{:?}-{}", breach.kind, breach.at.timestamp_millis()),
        }
    }
}

/// Messages and breaches in time order; a message on its way stays where it was put (at the end).
fn timeline(items: &[ThreadItem], breaches: &[SlaBreach]) -> Vec<Entry> {
    let mut entries: Vec<Entry> = items.iter().cloned().map(Entry::Message).collect();
    for breach in breaches {
        let at = entries
            .iter()
            .position(|entry| {
                matches!(entry, Entry::Message(item) if item.state == Delivery::Sent) && entry.at() > breach.at
            })
            .or_else(|| {
                entries
                    .iter()
                    .position(|entry| matches!(entry, Entry::Message(item) if item.state != Delivery::Sent))
            })
            .unwrap_or(entries.len());
        entries.insert(at, Entry::Breach(breach.clone()));
    }
    entries
}

/// "Missed the first-response target" and what was done about it, naming the agent an assignment
/// gave the ticket to (the breach's own record, whoever has the ticket now).
fn breach_text(breach: &SlaBreach) -> (&'static str, String) {
    let missed = match breach.kind {
        BreachKind::FirstResponse => "Missed the first-response target",
        BreachKind::Resolution => "Missed the resolution target",
    };
    let action = match (breach.action, &breach.assigned_to) {
        (BreachAction::Assigned, Some(agent)) => format!("Assigned to {}", agent.name),
        (BreachAction::Assigned, None) => "Assigned automatically".to_owned(),
        (BreachAction::Escalated, _) => "Escalated to the supervisors, priority raised".to_owned(),
    };
    (missed, action)
}

/// Messages and SLA lines in time order; a message that failed to send offers "Retry".
#[component]
pub(super) fn Thread(
    ticket_id: TicketId,
    thread: RwSignal<Vec<ThreadItem>>,
    breaches: RwSignal<Vec<SlaBreach>>,
) -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let retry = move |local_id: MessageId| {
        let Some(item) = thread.with_untracked(|items| items.iter().find(|item| item.message.id == local_id).cloned())
        else {
            return;
        };
        thread.update(|items| {
            if let Some(item) = items.iter_mut().find(|item| item.message.id == local_id) {
                item.state = Delivery::Sending;
            }
        });
        let request = NewMessage {
            body: item.message.body.clone(),
            internal: item.message.internal,
            macro_id: item.macro_id,
            // The files stay with the message they were put on.
            attachment_ids: ids(&item.message.attachments),
        };
        post_message(api, thread, local_id, ticket_id, request, |_| {});
    };
    let me_id = move || session.user().map(|user| user.id);
    view! {
        <div class="thread" data-testid="thread">
            <For each=move || thread.with(|items| breaches.with(|breaches| timeline(items, breaches))) key=Entry::key let:entry>
                {match entry {
                    Entry::Message(item) => view! {
                        <ThreadMessage item=item.clone() mine=me_id() == Some(item.message.author.id) retry=Callback::new(retry) />
                    }.into_any(),
                    Entry::Breach(breach) => view! { <BreachLine breach=breach /> }.into_any(),
                }}
            </For>
        </div>
    }
}

/// Sends one message of the thread and marks it sent (with what the server holds) or failed.
pub(super) fn post_message(
    api: Api,
    thread: RwSignal<Vec<ThreadItem>>,
    local_id: MessageId,
    ticket_id: TicketId,
    request: NewMessage,
    done: impl FnOnce(bool) + 'static,
) {
    spawn_local(async move {
        let result = api.tickets().reply(ticket_id, request).await;
        let sent = result.is_ok();
        thread.update(|items| {
            if let Some(item) = items.iter_mut().find(|item| item.message.id == local_id) {
                match result {
                    Ok(message) => {
                        *item = ThreadItem {
                            message,
                            state: Delivery::Sent,
                            macro_id: None,
                        }
                    }
                    Err(error) => item.state = Delivery::Failed(message_refusal(&error)),
                }
            }
        });
        done(sent);
    });
}

#[component]
fn ThreadMessage(item: ThreadItem, mine: bool, retry: Callback<MessageId>) -> impl IntoView {
    let message = item.message;
    let id = message.id;
    let attachments = message.attachments.clone();
    let failed = match &item.state {
        Delivery::Failed(refusal) => Some(refusal.clone()),
        _ => None,
    };
    let class = match (message.internal, mine) {
        (true, _) => "message internal",
        (false, true) => "message mine",
        (false, false) => "message",
    };
    view! {
        <article class=class class:pending-send=item.state == Delivery::Sending
            data-testid=if message.internal { "note" } else { "reply" }>
            <div class="meta">
                <Avatar name=message.author.name.clone() />
                <span class="author">{message.author.name.clone()}</span>
                {message.internal.then(|| view! { <span class="lock"><LockIcon /> " Internal note"</span> })}
                <span class="spacer"></span>
                <span class="small faint">
                    {match item.state {
                        Delivery::Sending => "Sending…".into_any(),
                        Delivery::Failed(_) => ().into_any(),
                        Delivery::Sent => view! { <Time at=message.created_at /> }.into_any(),
                    }}
                </span>
            </div>
            <MessageText body=message.body />
            <MessageAttachments attachments=attachments />
            {failed.map(|refusal| view! {
                <div class="row failed" role="alert" data-testid="not-sent">
                    <span>"Not sent. " {refusal}</span>
                    <button class="button small" on:click=move |_| retry.run(id)>"Retry"</button>
                </div>
            })}
        </article>
    }
}

/// A system line, not a message: centred, without an author, in the danger colour.
#[component]
fn BreachLine(breach: SlaBreach) -> impl IntoView {
    let title = format!("The target was {}; noticed {}.", exact(breach.due_at), exact(breach.at));
    let at = breach.at;
    let (missed, action) = breach_text(&breach);
    view! {
        <div class="system-line breach" role="note" data-testid="breach" title=title>
            <span class="system-text">
                <span class="system-mark" aria-hidden="true">"!"</span>
                {missed}
                " · "
                // Kept whole: a line break inside a name reads badly.
                <span class="nowrap">{action}</span>
                <span class="system-time">" · " <Time at=at /></span>
            </span>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrodesk_shared::Role;
    use ferrodesk_shared::UserId;
    use ferrodesk_shared::users::UserSummary;

    fn message(minute: i64, state: Delivery) -> ThreadItem {
        let at = DateTime::from_timestamp(1_800_000_000 + minute * 60, 0).unwrap_or_default();
        ThreadItem {
            message: Message {
                id: MessageId(uuid::Uuid::from_u64_pair(0, minute as u64)),
                ticket_id: TicketId(uuid::Uuid::nil()),
                author: UserSummary {
                    id: UserId(uuid::Uuid::nil()),
                    name: "Emma".into(),
                    email: "emma@example.com".into(),
                    role: Role::Customer,
                },
                body: "hi".into(),
                internal: false,
                created_at: at,
                attachments: Vec::new(),
            },
            state,
            macro_id: None,
        }
    }

    #[test]
    fn breaches_fall_between_messages_in_time_order() {
        let breach = SlaBreach {
            kind: BreachKind::FirstResponse,
            due_at: DateTime::from_timestamp(1_800_000_000 + 60 * 60, 0).unwrap_or_default(),
            action: BreachAction::Assigned,
            at: DateTime::from_timestamp(1_800_000_000 + 61 * 60, 0).unwrap_or_default(),
            assigned_to: Some(UserSummary {
                id: UserId(uuid::Uuid::nil()),
                name: "Priya Shah".to_owned(),
                email: "priya@acme.example".to_owned(),
                role: Role::Agent,
            }),
        };
        let items = [
            message(0, Delivery::Sent),
            message(90, Delivery::Sent),
            message(200, Delivery::Sending),
        ];
        let order: Vec<bool> = timeline(&items, std::slice::from_ref(&breach))
            .iter()
            .map(|entry| matches!(entry, Entry::Breach(_)))
            .collect();
        assert_eq!(order, [false, true, false, false]);
        assert_eq!(
            breach_text(&breach),
            ("Missed the first-response target", "Assigned to Priya Shah".to_owned())
        );
        let nameless = SlaBreach {
            assigned_to: None,
            ..breach.clone()
        };
        assert_eq!(breach_text(&nameless).1, "Assigned automatically");
        let escalated = SlaBreach {
            kind: BreachKind::Resolution,
            action: BreachAction::Escalated,
            ..breach.clone()
        };
        assert_eq!(
            breach_text(&escalated),
            (
                "Missed the resolution target",
                "Escalated to the supervisors, priority raised".to_owned()
            )
        );
        // After every sent message, but before one still on its way.
        let items = [message(0, Delivery::Sent), message(1, Delivery::Sending)];
        let order: Vec<bool> = timeline(&items, &[breach])
            .iter()
            .map(|entry| matches!(entry, Entry::Breach(_)))
            .collect();
        assert_eq!(order, [false, true, false]);
    }
}
