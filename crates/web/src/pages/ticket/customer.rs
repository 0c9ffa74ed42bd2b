//! The customer panel under the requester: since when they write, their tickets per status, their
//! other recent tickets, and the team's note about them (never shown to the customer). It also
//! holds "Merge into…", whose choices are those same recent tickets.

use ferrodesk_shared::tickets::{Ticket, TicketStatus};
use ferrodesk_shared::users::{PersonNote, PersonProfile, RequesterCounts};
use ferrodesk_shared::{TicketId, UserId};
use leptos::prelude::*;
use leptos_router::hooks::use_location;

use super::merge::MergeDialog;
use crate::api::{ApiError, use_api, use_submit};
use crate::components::badges::StatusPill;
use crate::components::time::Time;

/// "3 open · 1 pending · 12 solved" (closed only when there are some).
fn counts_line(counts: &RequesterCounts) -> String {
    let mut parts = vec![
        format!("{} open", counts.open),
        format!("{} pending", counts.pending),
        format!("{} solved", counts.solved),
    ];
    if counts.closed > 0 {
        parts.push(format!("{} closed", counts.closed));
    }
    parts.join(" · ")
}

/// The address of another ticket, keeping the inbox's view and filters.
pub(super) fn ticket_href(search: &str, ticket: &Ticket) -> String {
    ticket_id_href(search, ticket.id)
}

/// The address of the ticket `id`, keeping the inbox's view and filters.
pub(super) fn ticket_id_href(search: &str, id: TicketId) -> String {
    let search = search.trim_start_matches('?');
    if search.is_empty() {
        format!("/inbox/{id}")
    } else {
        format!("/inbox/{id}?{search}")
    }
}

#[component]
pub(super) fn CustomerPanel(ticket: RwSignal<Ticket>) -> impl IntoView {
    let api = use_api();
    let location = use_location();
    let requester = Memo::new(move |_| ticket.with(|t| t.requester.id));
    // Read again when the ticket's status moves, so the counts stay true.
    let status = Memo::new(move |_| ticket.with(|t| t.status));
    let profile = RwSignal::new(None::<Result<PersonProfile, ApiError>>);
    let loading = use_submit();
    let reload = move || {
        let id = requester.get_untracked();
        loading.dispatch_with(api.users().profile(id), move |result| profile.set(Some(result)));
    };
    Effect::new(move |_| {
        requester.track();
        status.track();
        reload();
    });
    let current = ticket.with_untracked(|t| t.id);
    let others = move || {
        profile.with(|profile| match profile {
            Some(Ok(profile)) => profile
                .recent_tickets
                .iter()
                .filter(|other| other.id != current)
                .cloned()
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        })
    };
    // The note keeps its own state (an edit in progress survives a reload of the counts).
    let loaded = Memo::new(move |_| profile.with(|profile| matches!(profile, Some(Ok(_)))));
    let merge_open = RwSignal::new(false);
    let merge_choices = Signal::derive(move || {
        others()
            .into_iter()
            .filter(|other| other.status != TicketStatus::Closed)
            .collect::<Vec<_>>()
    });
    let can_merge = move || ticket.with(|t| t.status != TicketStatus::Closed) && !merge_choices.with(Vec::is_empty);

    view! {
        <div class="stack customer-panel" data-testid="customer-panel">
            {move || profile.with(|profile| match profile {
                None => view! { <div class="skeleton"></div> }.into_any(),
                Some(Err(error)) => view! {
                    <div class="small muted">{format!("We could not load this customer's history. {}", error.message())}</div>
                }.into_any(),
                Some(Ok(profile)) => {
                    let since = profile.first_ticket_at;
                    let counts = counts_line(&profile.tickets);
                    view! {
                        <div class="small muted">
                            {since.map(|at| view! { <div>"Customer since " <Time at=at /></div> })}
                            <div data-testid="customer-counts">{counts}</div>
                        </div>
                    }.into_any()
                }
            })}
            {move || {
                let others = others();
                (!others.is_empty()).then(|| view! {
                    <ul class="customer-tickets" aria-label="Their other recent tickets">
                        {others.into_iter().map(|other| {
                            let href = location.search.with(|search| ticket_href(search, &other));
                            view! {
                                <li data-testid="customer-ticket">
                                    <a href=href>
                                        <span class="number">{format!("#{}", other.number)}</span>
                                        <span class="subject">{other.subject.clone()}</span>
                                    </a>
                                    <StatusPill status=other.status />
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })
            }}
            {move || can_merge().then(|| view! {
                <button class="button small" type="button" data-testid="merge-open"
                    title="Move this ticket's messages into another of this customer's tickets"
                    on:click=move |_| merge_open.set(true)>"Merge into…"</button>
            })}
            {move || {
                loaded.get().then(|| {
                    let note = profile.with_untracked(|profile| match profile {
                        Some(Ok(profile)) => profile.note.clone(),
                        _ => None,
                    });
                    view! { <CustomerNote person=requester.get_untracked() initial=note /> }
                })
            }}
            <Show when=move || merge_open.get()>
                <MergeDialog ticket=ticket choices=merge_choices close=Callback::new(move |()| merge_open.set(false)) />
            </Show>
        </div>
    }
}

/// The team's note about a person: text with Edit, or a textarea with Save and Cancel. Saving an
/// empty note deletes it.
#[component]
fn CustomerNote(person: UserId, initial: Option<PersonNote>) -> impl IntoView {
    let api = use_api();
    let note = RwSignal::new(initial);
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let saving = use_submit();
    let error = saving.error();
    let textarea = NodeRef::<leptos::html::Textarea>::new();
    let edit = move |_| {
        draft.set(note.with_untracked(|note| note.as_ref().map(|note| note.body.clone()).unwrap_or_default()));
        saving.clear();
        editing.set(true);
    };
    Effect::new(move |_| {
        if let Some(textarea) = textarea.get() {
            let _ = textarea.focus();
        }
    });
    let save = move || {
        if saving.pending_untracked() {
            return;
        }
        let body = draft.get_untracked().trim().to_owned();
        saving.dispatch(api.users().set_note(person, body), move |saved| {
            note.set(saved);
            editing.set(false);
        });
    };
    view! {
        <div class="customer-note" data-testid="customer-note">
            <div class="row">
                <h3>"Note"</h3>
                <span class="spacer"></span>
                {move || (!editing.get()).then(|| view! {
                    <button class="button ghost small" type="button" on:click=edit>
                        {move || if note.with(Option::is_some) { "Edit" } else { "Add a note" }}
                    </button>
                })}
            </div>
            {move || if editing.get() {
                view! {
                    <form class="stack" on:submit=move |event: leptos::ev::SubmitEvent| { event.prevent_default(); save(); }>
                        <textarea class="textarea short" node_ref=textarea aria-label="Note about this customer"
                            placeholder="Prefers email; on the Pro plan since March"
                            prop:value=move || draft.get()
                            on:input=move |event| draft.set(event_target_value(&event))
                            on:keydown=move |event: leptos::ev::KeyboardEvent| {
                                if event.key() == "Escape" {
                                    event.stop_propagation();
                                    editing.set(false);
                                } else if event.key() == "Enter" && (event.ctrl_key() || event.meta_key()) {
                                    event.prevent_default();
                                    save();
                                }
                            }></textarea>
                        {move || error.get().map(|error| view! { <div class="alert error small" role="alert">{error.message()}</div> })}
                        <div class="row">
                            <button class="button primary small" type="submit" disabled=move || saving.pending()>
                                {move || if saving.pending() { "Saving…" } else { "Save" }}
                            </button>
                            <button class="button ghost small" type="button" on:click=move |_| editing.set(false)>"Cancel"</button>
                        </div>
                    </form>
                }.into_any()
            } else {
                match note.get() {
                    Some(note) => view! {
                        <div class="note-body">{note.body.clone()}</div>
                        <div class="small muted">
                            {note.updated_by.map(|by| format!("{}, ", by.name))}
                            <Time at=note.updated_at />
                        </div>
                    }.into_any(),
                    None => view! { <div class="small muted">"No note yet."</div> }.into_any(),
                }
            }}
            <span class="hint small muted">"Only your team sees this."</span>
        </div>
    }
}
