//! The open ticket: header, thread (internal notes tinted and labelled), the reply box with its
//! reply/note switch, "Suggest reply" and "send and set status", and the properties column.

use chrono::{DateTime, Utc};
use ferrodesk_shared::ai::{CategorySource, SuggestedReply};
use ferrodesk_shared::events::ServerEvent;
use ferrodesk_shared::sla::{BreachAction, BreachKind, SlaBreach};
use ferrodesk_shared::tickets::{Message, NewMessage, Priority, Ticket, TicketDetail, TicketPatch, TicketStatus};
use ferrodesk_shared::users::{UserListQuery, UserSummary};
use ferrodesk_shared::{MessageId, Permission, TicketId, UserId};
use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;

use crate::api::{ApiError, use_api, use_submit};
use crate::components::ai::{CategoryField, DraftOrigin, first_placeholder, suggest_error, unfilled};
use crate::components::badges::{Avatar, StatusPill};
use crate::components::icons::LockIcon;
use crate::components::markdown::MessageText;
use crate::components::time::{Time, exact, now};
use crate::components::toast::use_toasts;
use crate::live::use_live;
use crate::pages::inbox::{InboxList, typing_in_a_field};
use crate::pages::shell::use_inbox_refresh;
use crate::session::use_session;

/// A message in the thread, possibly still on its way.
#[derive(Clone, Debug, PartialEq)]
struct ThreadItem {
    message: Message,
    state: Delivery,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Delivery {
    Sent,
    Sending,
    Failed,
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
            Entry::Message(item) => format!("m{}-{}", item.message.id, item.state as u8),
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

/// "Missed the first-response target;" and what was done about it, "auto-assigned".
fn breach_text(breach: &SlaBreach) -> (&'static str, &'static str) {
    let missed = match breach.kind {
        BreachKind::FirstResponse => "Missed the first-response target;",
        BreachKind::Resolution => "Missed the resolution target;",
    };
    let action = match breach.action {
        BreachAction::Assigned => "auto-assigned",
        BreachAction::Escalated => "escalated",
    };
    (missed, action)
}

#[component]
pub fn TicketPane() -> impl IntoView {
    let params = use_params_map();
    // Not an id at all (a mistyped address) reads like one that does not exist.
    let id = Memo::new(move |_| params.with(|params| params.get("id").and_then(|id| id.parse::<TicketId>().ok())));
    let api = use_api();
    let detail = LocalResource::new(move || {
        let id = id.get();
        async move {
            match id {
                Some(id) => api.tickets().get(id).await,
                None => Err(ApiError::not_found()),
            }
        }
    });
    view! {
        <section class="ticket-pane" aria-label="Ticket">
            {move || match detail.get() {
                None => view! { <div class="ticket-main"><div class="skeleton"></div><div class="skeleton"></div></div> }.into_any(),
                Some(Err(error)) => view! {
                    <div class="empty" style="grid-column: 1 / -1;">
                        <strong>{if error.status == 404 { "This ticket does not exist, or you cannot see it.".to_owned() } else { error.message() }}</strong>
                    </div>
                }.into_any(),
                Some(Ok(detail)) => view! { <TicketView detail=detail /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn TicketView(detail: TicketDetail) -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let session = use_session();
    let list = use_context::<InboxList>();
    let refresh = use_inbox_refresh();
    let ticket = RwSignal::new(detail.ticket.clone());
    let thread = RwSignal::new(
        detail
            .messages
            .into_iter()
            .map(|message| ThreadItem {
                message,
                state: Delivery::Sent,
            })
            .collect::<Vec<_>>(),
    );
    let ticket_id = detail.ticket.id;
    let breaches = RwSignal::new(detail.breaches.clone());

    // A missed target changes the ticket (assignee, priority) and adds a line to the timeline.
    let reload_breaches = move || {
        spawn_local(async move {
            if let Ok(fresh) = api.tickets().get(ticket_id).await {
                breaches.set(fresh.breaches);
            }
        });
    };

    // Live: someone else's reply or change appears here and is said in place, so nobody is
    // surprised by a thread that moved under them.
    let notice = RwSignal::new(None::<String>);
    // Changes of ours still on their way: their own live echo is not "someone else".
    let in_flight = RwSignal::new(0u32);
    let me = session.user().map(|user| user.id);
    use_live().subscribe(move |event| {
        let (changed, message) = match event {
            ServerEvent::MessageCreated {
                ticket: changed,
                message,
                ..
            } => (changed, Some(message)),
            ServerEvent::TicketUpdated { ticket: changed, .. } => (changed, None),
            _ => return,
        };
        if changed.id != ticket_id {
            return;
        }
        let before = ticket.get_untracked();
        if (before.sla.breached, before.sla.escalated) != (changed.sla.breached, changed.sla.escalated) {
            reload_breaches();
        }
        if let Some(list) = list {
            list.replace(changed);
        }
        ticket.set(changed.clone());
        match message {
            Some(message) => {
                // Our own message is already here (sent or still on its way).
                let known = thread.with_untracked(|items| {
                    items.iter().any(|item| {
                        item.message.id == message.id
                            || (item.state != Delivery::Sent
                                && item.message.author.id == message.author.id
                                && item.message.body == message.body)
                    })
                });
                if !known {
                    thread.update(|items| {
                        items.push(ThreadItem {
                            message: message.clone(),
                            state: Delivery::Sent,
                        })
                    });
                }
                if Some(message.author.id) != me {
                    let what = if message.internal { "added a note" } else { "replied" };
                    notice.set(Some(format!("{} {what} just now.", message.author.name)));
                }
            }
            None if before != *changed && in_flight.get_untracked() == 0 => {
                notice.set(Some("This ticket was just changed by someone else.".to_owned()))
            }
            None => {}
        }
    });

    // Saves one change of the properties column and shows the result everywhere.
    let save = move |patch: TicketPatch| {
        in_flight.update(|count| *count += 1);
        spawn_local(async move {
            let result = api.tickets().update(ticket_id, patch).await;
            in_flight.update(|count| *count = count.saturating_sub(1));
            match result {
                Ok(updated) => {
                    if let Some(list) = list {
                        list.replace(&updated);
                    }
                    ticket.set(updated);
                    refresh.0.update(|n| *n += 1);
                }
                Err(error) => {
                    toasts.error(error.message());
                    // Put the controls back to what the server holds.
                    ticket.update(|_| {});
                }
            }
        });
    };

    // The category changes at once and goes back if the server refuses. A person's choice is what
    // the workspace's classifier learns from.
    let set_category = move |category: Option<String>| {
        let before = ticket.with_untracked(|t| (t.category.clone(), t.category_source));
        // Choosing the AI's category again confirms it: that too is a label.
        if before.0 == category && before.1 != Some(CategorySource::Ai) {
            return;
        }
        ticket.update(|t| {
            t.category_source = category.as_ref().map(|_| CategorySource::Agent);
            t.category = category.clone();
        });
        in_flight.update(|count| *count += 1);
        spawn_local(async move {
            let result = api.tickets().set_category(ticket_id, category).await;
            in_flight.update(|count| *count = count.saturating_sub(1));
            match result {
                Ok(updated) => {
                    if let Some(list) = list {
                        list.replace(&updated);
                    }
                    ticket.set(updated);
                    refresh.0.update(|n| *n += 1);
                }
                Err(error) => {
                    toasts.error(format!("The category was not changed. {}", error.message()));
                    ticket.update(|t| (t.category, t.category_source) = before);
                }
            }
        });
    };

    // A sent message can change the ticket (the first reply opens a new one): show what the server holds.
    let reload_ticket = move || {
        spawn_local(async move {
            if let Ok(fresh) = api.tickets().get(ticket_id).await {
                if let Some(list) = list {
                    list.replace(&fresh.ticket);
                }
                ticket.set(fresh.ticket);
                breaches.set(fresh.breaches);
            }
            refresh.0.update(|n| *n += 1);
        });
    };

    let internal = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let after_send = RwSignal::new(String::new());
    let composer = NodeRef::<leptos::html::Textarea>::new();

    // "Suggest reply": a draft in the reply box for the agent to edit; it is never sent by itself.
    let suggestion = RwSignal::new(None::<SuggestedReply>);
    let replaced = RwSignal::new(None::<String>);
    // Its answer is dropped when the agent has moved to another ticket meanwhile.
    let suggesting = use_submit();
    let suggest = move || {
        if suggesting.pending_untracked() {
            return;
        }
        suggesting.dispatch_with(api.ai().suggest_reply(ticket_id), move |result| {
            match result {
                Ok(reply) => {
                    let before = draft.get_untracked();
                    internal.set(false);
                    replaced.set((!before.trim().is_empty() && before != reply.draft).then_some(before));
                    draft.set(reply.draft.clone());
                    // Straight to the first blank, selected, so typing fills it in.
                    if let Some(textarea) = composer.get_untracked() {
                        textarea.set_value(&reply.draft);
                        let _ = textarea.focus();
                        if let Some((start, end)) = first_placeholder(&reply.draft) {
                            let _ = textarea.set_selection_range(start, end);
                        }
                    }
                    suggestion.set(Some(reply));
                }
                Err(error) => toasts.error(suggest_error(&error)),
            }
        });
    };

    let send = move || {
        let body = draft.get_untracked();
        if body.trim().is_empty() {
            return;
        }
        let internal_note = internal.get_untracked();
        // A drafted reply with blanks left would reach the customer as "{{amount}}".
        let blanks = suggestion.with_untracked(|suggestion| {
            suggestion
                .as_ref()
                .map(|suggestion| unfilled(&suggestion.placeholders, &body))
                .unwrap_or_default()
        });
        if !internal_note && !blanks.is_empty() {
            toasts.error(format!("Fill in {} before sending.", blanks.join(", ")));
            return;
        }
        let then_status = after_send.get_untracked().parse::<TicketStatus>().ok();
        let Some(me) = session.user() else { return };
        let local_id = MessageId(uuid::Uuid::from_u64_pair(0, js_sys::Date::now() as u64));
        let optimistic = Message {
            id: local_id,
            ticket_id,
            author: UserSummary {
                id: me.id,
                name: me.name.clone(),
                email: me.email.clone(),
                role: me.role,
            },
            body: body.clone(),
            internal: internal_note,
            created_at: now(),
        };
        thread.update(|items| {
            items.push(ThreadItem {
                message: optimistic,
                state: Delivery::Sending,
            })
        });
        draft.set(String::new());
        after_send.set(String::new());
        suggestion.set(None);
        replaced.set(None);
        post_message(
            api,
            thread,
            local_id,
            ticket_id,
            NewMessage {
                body,
                internal: internal_note,
            },
            move |sent| {
                if sent {
                    if let Some(status) = then_status {
                        save(TicketPatch {
                            status: Some(status),
                            ..Default::default()
                        });
                    } else {
                        reload_ticket();
                    }
                }
            },
        );
    };

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
        };
        post_message(api, thread, local_id, ticket_id, request, |_| {});
    };

    // r: reply, n: internal note (when not already typing somewhere).
    let keys = window_event_listener(ev::keydown, move |event: ev::KeyboardEvent| {
        if event.ctrl_key() || event.meta_key() || event.alt_key() || typing_in_a_field() {
            return;
        }
        let note = match event.key().as_str() {
            "r" => false,
            "n" => true,
            _ => return,
        };
        event.prevent_default();
        internal.set(note);
        if let Some(textarea) = composer.get_untracked() {
            let _ = textarea.focus();
        }
    });
    on_cleanup(move || keys.remove());

    let can_note = move || {
        session
            .role()
            .is_some_and(|role| role.can(Permission::WriteInternalNote))
    };
    let me_id = move || session.user().map(|user| user.id);

    view! {
        <div class="ticket-main">
            <header class="ticket-head">
                <div class="row">
                    <span class="number">{move || format!("#{}", ticket.with(|t| t.number))}</span>
                    {move || view! { <StatusPill status=ticket.with(|t| t.status) /> }}
                </div>
                <h2 data-testid="ticket-subject">{move || ticket.with(|t| t.subject.clone())}</h2>
            </header>
            {move || notice.get().map(|text| view! {
                <div class="alert notice" role="status" data-testid="live-notice">
                    {text}
                    " "
                    <button class="button ghost small" on:click=move |_| notice.set(None)>"Dismiss"</button>
                </div>
            })}
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
            <form class="composer" class:internal=move || internal.get()
                on:submit=move |event: ev::SubmitEvent| { event.prevent_default(); send(); }>
                <div class="row composer-head">
                    <div class="tabs" role="tablist">
                        <button type="button" class="tab" role="tab" aria-selected=move || (!internal.get()).to_string()
                            on:click=move |_| internal.set(false)>"Reply"</button>
                        <Show when=can_note>
                            <button type="button" class="tab note" role="tab" aria-selected=move || internal.get().to_string()
                                on:click=move |_| internal.set(true)><LockIcon /> " Internal note"</button>
                        </Show>
                    </div>
                    <span class="spacer"></span>
                    <button type="button" class="button small suggest" data-testid="suggest-reply"
                        title="Draft a reply from similar solved tickets; you edit it before sending"
                        aria-busy=move || suggesting.pending().to_string()
                        disabled=move || suggesting.pending()
                        on:click=move |_| suggest()>
                        <span class="ai-mark" aria-hidden="true">"✦"</span>
                        {move || if suggesting.pending() { "Drafting…" } else { "Suggest reply" }}
                    </button>
                </div>
                <textarea class="textarea" node_ref=composer data-testid="composer" class:drafted=move || suggestion.with(Option::is_some)
                    aria-label=move || if internal.get() { "Internal note, only your team sees it" } else { "Reply to the customer" }
                    placeholder=move || if internal.get() { "Only your team sees notes." } else { "Write your reply… (Ctrl+Enter to send)" }
                    prop:value=move || draft.get()
                    on:input=move |event| draft.set(event_target_value(&event))
                    on:keydown=move |event: ev::KeyboardEvent| {
                        if event.key() == "Enter" && (event.ctrl_key() || event.meta_key()) {
                            event.prevent_default();
                            send();
                        }
                    }></textarea>
                {move || suggestion.get().map(|reply| view! {
                    <DraftOrigin suggestion=reply draft=draft replaced=replaced
                        dismiss=Callback::new(move |()| suggestion.set(None)) />
                })}
                <div class="row">
                    <span class="small muted">
                        {move || if internal.get() { "Visible to your team only." } else { "The customer will see this reply." }}
                    </span>
                    <span class="spacer"></span>
                    <select class="select" style="width: auto" aria-label="Then set status"
                        prop:value=move || after_send.get()
                        on:change=move |event| after_send.set(event_target_value(&event))>
                        <option value="">"Keep status"</option>
                        <option value="pending">"Then pending"</option>
                        <option value="solved">"Then solved"</option>
                    </select>
                    <button type="submit" class=move || if internal.get() { "button note" } else { "button primary" }
                        disabled=move || draft.with(|draft| draft.trim().is_empty())>
                        {move || if internal.get() { "Add note" } else { "Send reply" }}
                    </button>
                </div>
            </form>
        </div>
        <Properties ticket=ticket save=Callback::new(save) set_category=Callback::new(set_category) />
    }
}

fn post_message(
    api: crate::api::Api,
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
                        }
                    }
                    Err(_) => item.state = Delivery::Failed,
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
                        Delivery::Failed => ().into_any(),
                        Delivery::Sent => view! { <Time at=message.created_at /> }.into_any(),
                    }}
                </span>
            </div>
            <MessageText body=message.body />
            {(item.state == Delivery::Failed).then(|| view! {
                <div class="row failed">
                    "Not sent. "
                    <button class="button small" on:click=move |_| retry.run(id)>"Retry"</button>
                </div>
            })}
        </article>
    }
}

/// A system line, not a message: centred, without an author, in the danger colour.
#[component]
fn BreachLine(breach: SlaBreach) -> impl IntoView {
    let (missed, action) = breach_text(&breach);
    view! {
        <div class="system-line breach" role="note" data-testid="breach"
            title=format!("The target was {}; noticed {}.", exact(breach.due_at), exact(breach.at))>
            <span class="system-text">
                <span class="system-mark" aria-hidden="true">"!"</span>
                {missed}
                " "
                // Kept whole: a line break inside "auto-assigned" reads badly.
                <span class="nowrap">{action}</span>
                <span class="system-time">" · " <Time at=breach.at /></span>
            </span>
        </div>
    }
}

#[component]
fn Properties(
    ticket: RwSignal<Ticket>,
    save: Callback<TicketPatch>,
    set_category: Callback<Option<String>>,
) -> impl IntoView {
    let save = move |patch: TicketPatch| save.run(patch);
    let api = use_api();
    let session = use_session();
    let staff = LocalResource::new(move || async move {
        api.users()
            .list(UserListQuery::default())
            .await
            .map(|list| {
                list.items
                    .into_iter()
                    .filter(|user| user.role.is_staff())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    let can_assign_anyone = move || session.role().is_some_and(|role| role.can(Permission::AssignAnyone));
    let me = move || session.user().map(|user| user.id);
    let tags_text = RwSignal::new(ticket.with_untracked(|t| t.tags.join(", ")));
    Effect::new(move |_| {
        tags_text.set(ticket.with(|t| t.tags.join(", ")));
    });
    let save_tags = move || {
        let tags: Vec<String> = tags_text
            .get_untracked()
            .split(',')
            .map(|tag| tag.trim().to_owned())
            .filter(|tag| !tag.is_empty())
            .collect();
        if ticket.with_untracked(|t| t.tags != tags) {
            save(TicketPatch {
                tags: Some(tags),
                ..Default::default()
            });
        }
    };
    view! {
        <aside class="properties" aria-label="Ticket properties">
            <div class="field">
                <label for="prop-status">"Status"</label>
                <select id="prop-status" class="select" data-testid="status-select"
                    prop:value=move || ticket.with(|t| t.status.as_str())
                    on:change=move |event| {
                        if let Ok(status) = event_target_value(&event).parse::<TicketStatus>() {
                            save(TicketPatch { status: Some(status), ..Default::default() });
                        }
                    }>
                    {move || {
                        let current = ticket.with(|t| t.status);
                        TicketStatus::ALL
                            .into_iter()
                            .filter(move |status| current.can_become(*status))
                            .map(|status| view! { <option value=status.as_str() selected=status == current>{status.as_str()}</option> })
                            .collect_view()
                    }}
                </select>
            </div>
            <div class="field">
                <label for="prop-priority">"Priority"</label>
                <select id="prop-priority" class="select"
                    prop:value=move || ticket.with(|t| t.priority.as_str())
                    on:change=move |event| {
                        if let Ok(priority) = event_target_value(&event).parse::<Priority>() {
                            save(TicketPatch { priority: Some(priority), ..Default::default() });
                        }
                    }>
                    {Priority::ALL.into_iter().map(|priority| view! {
                        <option value=priority.as_str() selected=move || ticket.with(|t| t.priority == priority)>{priority.as_str()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="prop-assignee">"Assignee"</label>
                <select id="prop-assignee" class="select"
                    prop:value=move || ticket.with(|t| t.assignee.as_ref().map(|a| a.id.to_string()).unwrap_or_default())
                    on:change=move |event| {
                        let value = event_target_value(&event);
                        let assignee = value.parse::<UserId>().ok();
                        save(TicketPatch { assignee_id: Some(assignee), ..Default::default() });
                    }>
                    <option value="">"Unassigned"</option>
                    {move || {
                        let current = ticket.with(|t| t.assignee.as_ref().map(|a| a.id));
                        staff.get().unwrap_or_default().into_iter()
                            .filter(|user| can_assign_anyone() || Some(user.id) == me() || Some(user.id) == current)
                            .map(|user| view! {
                                <option value=user.id.to_string() selected=Some(user.id) == current>
                                    {if Some(user.id) == me() { format!("{} (me)", user.name) } else { user.name.clone() }}
                                </option>
                            })
                            .collect_view()
                    }}
                </select>
                {move || (ticket.with(|t| t.assignee.is_none()) && me().is_some()).then(|| view! {
                    <button class="button small" on:click=move |_| save(TicketPatch { assignee_id: Some(me()), ..Default::default() })>
                        "Take it"
                    </button>
                })}
            </div>
            <CategoryField ticket=ticket set_category=set_category />
            <div class="field">
                <label for="prop-tags">"Tags"</label>
                <input id="prop-tags" class="input" placeholder="vip, refund"
                    prop:value=move || tags_text.get()
                    on:input=move |event| tags_text.set(event_target_value(&event))
                    on:change=move |_| save_tags() />
                <span class="hint">"Separate tags with commas."</span>
            </div>
            <div class="stack">
                <h3>"Requester"</h3>
                {move || ticket.with(|t| {
                    let requester = t.requester.clone();
                    view! {
                        <div class="row">
                            <Avatar name=requester.name.clone() large=true />
                            <div>
                                <div data-testid="requester-name">{requester.name.clone()}</div>
                                <div class="small muted">{requester.email.clone()}</div>
                            </div>
                        </div>
                    }
                })}
            </div>
            <div class="stack small muted">
                <div>"Created " {move || view! { <Time at=ticket.with(|t| t.created_at) /> }}</div>
                {move || ticket.with(|t| t.first_response_at).map(|at| view! { <div>"First reply " <Time at=at /></div> })}
                {move || ticket.with(|t| t.solved_at).map(|at| view! { <div>"Solved " <Time at=at /></div> })}
            </div>
        </aside>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrodesk_shared::Role;

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
            },
            state,
        }
    }

    #[test]
    fn breaches_fall_between_messages_in_time_order() {
        let breach = SlaBreach {
            kind: BreachKind::FirstResponse,
            due_at: DateTime::from_timestamp(1_800_000_000 + 60 * 60, 0).unwrap_or_default(),
            action: BreachAction::Assigned,
            at: DateTime::from_timestamp(1_800_000_000 + 61 * 60, 0).unwrap_or_default(),
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
            ("Missed the first-response target;", "auto-assigned")
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
