//! The open ticket: header, the live notice, and the state the three parts share. The parts are
//! `duplicate` (the "possible duplicate of #N" banner above the thread), `thread` (messages and SLA lines), `composer` (the reply box with its reply/note switch,
//! "Suggest reply", the `macro_picker` and "send and set status") and `properties` (the column of
//! controls, a drawer on smaller screens, with the `customer` panel and its `merge` dialog). Keys:
//! `a` assigns the ticket to me, `s` then `o` / `p` / `s` sets the status, `p` opens the properties.

mod composer;
mod customer;
mod duplicate;
mod macro_picker;
mod merge;
mod properties;
mod thread;

use std::time::Duration;

use ferrodesk_shared::TicketId;
use ferrodesk_shared::ai::CategorySource;
use ferrodesk_shared::events::ServerEvent;
use ferrodesk_shared::tickets::{TicketDetail, TicketPatch, TicketStatus};
use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;

use self::composer::Composer;
use self::duplicate::DuplicateBanner;
use self::properties::{NARROW, Properties};
use self::thread::{Delivery, Thread, ThreadItem};
use crate::api::{ApiError, use_api};
use crate::components::badges::StatusPill;
use crate::components::shortcuts::{SECOND_KEY, dialog_open, focused_element, lead_with, page_key, take_leader};
use crate::components::time::now;
use crate::components::toast::use_toasts;
use crate::live::use_live;
use crate::pages::inbox::{InboxList, typing_in_a_field};
use crate::pages::shell::use_inbox_refresh;
use crate::session::use_session;

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
    crate::seen::track_open(ticket);
    let thread = RwSignal::new(
        detail
            .messages
            .into_iter()
            .map(|message| ThreadItem {
                message,
                state: Delivery::Sent,
                macro_id: None,
            })
            .collect::<Vec<_>>(),
    );
    let ticket_id = detail.ticket.id;
    let breaches = RwSignal::new(detail.breaches.clone());
    let duplicate = RwSignal::new(detail.possible_duplicate.clone());

    // A missed target changes the ticket (assignee, priority) and adds a line to the timeline.
    let reload_breaches = move || {
        spawn_local(async move {
            if let Ok(fresh) = api.tickets().get(ticket_id).await {
                breaches.set(fresh.breaches);
            }
        });
    };

    // A possible duplicate is found when the ticket is categorised, whose `ticket.updated` carries
    // the AI's guess but not the detail: read it then.
    let reload_duplicate = move || {
        spawn_local(async move {
            if let Ok(fresh) = api.tickets().get(ticket_id).await {
                duplicate.set(fresh.possible_duplicate);
            }
        });
    };

    // Live: someone else's reply or change appears here and is said in place, so nobody is
    // surprised by a thread that moved under them.
    let notice = RwSignal::new(None::<String>);
    // Changes of ours still on their way: their own live echo is not "someone else".
    let in_flight = RwSignal::new(0u32);
    let me = session.user().map(|user| user.id);
    let staff = session.role().is_some_and(|role| role.is_staff());
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
        // The ticket it may repeat was solved, closed or merged away: nothing left to merge into.
        if duplicate.with_untracked(|found| found.as_ref().is_some_and(|found| found.ticket_id == changed.id))
            && !changed.status.is_active()
        {
            duplicate.set(None);
        }
        if changed.id != ticket_id {
            return;
        }
        let before = ticket.get_untracked();
        if before.ai_category.is_none() && changed.ai_category.is_some() && staff {
            reload_duplicate();
        }
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
                            macro_id: None,
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

    // Saves one change of the properties column (or the status chosen in the composer, or `a`) and
    // shows the result everywhere; `done` is said in a toast once the server took it.
    let apply = move |patch: TicketPatch, done: Option<&'static str>| {
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
                    if let Some(done) = done {
                        toasts.info(done);
                    }
                }
                Err(error) => {
                    toasts.error(error.message());
                    // Put the controls back to what the server holds.
                    ticket.update(|_| {});
                }
            }
        });
    };
    let save = Callback::new(move |patch: TicketPatch| apply(patch, None));

    // The properties: a column from 1100 px up, a drawer below (opened from the header or with `p`).
    let narrow = narrow_screen();
    let properties_open = RwSignal::new(false);
    let opened_from = StoredValue::new_local(None::<web_sys::HtmlElement>);
    let properties_button = NodeRef::<leptos::html::Button>::new();
    let open_properties = move || {
        opened_from.set_value(focused_element());
        properties_open.set(true);
        // Into the drawer (or the column): the first control.
        request_animation_frame(move || {
            if let Some(status) = document().get_element_by_id("prop-status")
                && let Ok(status) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(status)
            {
                let _ = status.focus();
            }
        });
    };
    // Closed (Esc, ×, a click beside it): the focus goes back where it was.
    Effect::new(move |was_open: Option<bool>| {
        let open = properties_open.get();
        if was_open == Some(true) && !open {
            let back = opened_from
                .try_update_value(Option::take)
                .flatten()
                .filter(|element| element.is_connected())
                .or_else(|| properties_button.get_untracked().map(|button| button.into()));
            if let Some(element) = back {
                let _ = element.focus();
            }
        }
        open
    });
    // The SLA targets count down.
    let clock = RwSignal::new(now());
    if let Ok(ticking) = set_interval_with_handle(move || clock.set(now()), Duration::from_secs(30)) {
        on_cleanup(move || ticking.clear());
    }

    // `s` then `o` / `p` / `s`: while the second key is awaited the header says which.
    let status_keys = RwSignal::new(false);
    let set_status = move |status: TicketStatus| {
        let current = ticket.with_untracked(|t| t.status);
        if current == status {
            toasts.info(format!("Already {}", status.as_str()));
        } else if !current.can_become(status) {
            toasts.error(format!(
                "A {} ticket cannot become {}.",
                current.as_str(),
                status.as_str()
            ));
        } else {
            let done = match status {
                TicketStatus::Open => "Status: open",
                TicketStatus::Pending => "Status: pending",
                TicketStatus::Solved => "Status: solved",
                TicketStatus::New | TicketStatus::Closed => "Status changed",
            };
            apply(
                TicketPatch {
                    status: Some(status),
                    ..Default::default()
                },
                Some(done),
            );
        }
    };

    // a: assign the ticket to me; s: status; p: properties (when not typing somewhere, and no
    // dialog is open).
    let keys = window_event_listener(ev::keydown, move |event: ev::KeyboardEvent| {
        let key = event.key();
        if key == "Shift" {
            return;
        }
        if !typing_in_a_field() && !dialog_open() && take_leader('s') {
            event.prevent_default();
            status_keys.set(false);
            let status = match key.as_str() {
                "o" => Some(TicketStatus::Open),
                "p" => Some(TicketStatus::Pending),
                "s" => Some(TicketStatus::Solved),
                _ => None,
            };
            if let Some(status) = status {
                set_status(status);
            }
            return;
        }
        if !staff || !page_key(&event) {
            return;
        }
        match key.as_str() {
            "a" => {
                let Some(me) = me else { return };
                event.prevent_default();
                if ticket.with_untracked(|t| t.assignee.as_ref().map(|a| a.id)) == Some(me) {
                    toasts.info("Already assigned to you");
                    return;
                }
                let patch = TicketPatch {
                    assignee_id: Some(Some(me)),
                    ..Default::default()
                };
                apply(patch, Some("Assigned to you"));
            }
            "s" => {
                event.prevent_default();
                lead_with('s');
                status_keys.set(true);
                set_timeout(move || status_keys.set(false), SECOND_KEY);
            }
            "p" => {
                event.prevent_default();
                open_properties();
            }
            _ => {}
        }
    });
    on_cleanup(move || keys.remove());

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
    view! {
        <div class="ticket-main">
            <header class="ticket-head">
                <div class="row">
                    <span class="number">{move || format!("#{}", ticket.with(|t| t.number))}</span>
                    {move || view! { <StatusPill status=ticket.with(|t| t.status) /> }}
                    {move || status_keys.get().then(|| view! {
                        <span class="key-hint" role="status" data-testid="status-keys">
                            "Status: " <span class="kbd">"o"</span> " open · " <span class="kbd">"p"</span> " pending · "
                            <span class="kbd">"s"</span> " solved"
                        </span>
                    })}
                    <span class="spacer"></span>
                    <button type="button" class="button small properties-toggle" node_ref=properties_button
                        data-testid="properties-open" title="Status, priority, assignee, tags (p)"
                        aria-controls="ticket-properties" aria-expanded=move || properties_open.get().to_string()
                        on:click=move |_| open_properties()>
                        "Properties"
                    </button>
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
            <DuplicateBanner ticket=ticket duplicate=duplicate />
            <Thread ticket_id=ticket_id thread=thread breaches=breaches />
            <Composer ticket_id=ticket_id thread=thread save=save reload_ticket=Callback::new(move |()| reload_ticket()) />
        </div>
        <Properties ticket=ticket save=save set_category=Callback::new(set_category)
            open=properties_open narrow=narrow now=clock />
    }
}

/// Whether the screen is below 1100 px (the properties are a drawer there), following resizes.
fn narrow_screen() -> Signal<bool> {
    let query = window().match_media(NARROW).ok().flatten();
    let narrow = RwSignal::new(query.as_ref().is_some_and(|query| query.matches()));
    if query.is_some() {
        let resized = window_event_listener(ev::resize, move |_| {
            let now = window()
                .match_media(NARROW)
                .ok()
                .flatten()
                .is_some_and(|query| query.matches());
            if narrow.get_untracked() != now {
                narrow.set(now);
            }
        });
        on_cleanup(move || resized.remove());
    }
    narrow.into()
}
