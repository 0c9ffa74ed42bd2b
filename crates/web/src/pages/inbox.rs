//! The agent inbox: the rail, the ticket list (views, filters, search, sort, keyset paging as you
//! scroll) and the open ticket beside it. The URL holds the view, the filters and the open ticket,
//! so a reload or a shared link lands in the same place, and opening a ticket keeps the list.

use std::collections::HashSet;

use ferrodesk_shared::events::ServerEvent;
use ferrodesk_shared::tickets::{InboxView, Priority, Ticket, TicketListQuery, TicketPage, TicketSort, TicketStatus};
use ferrodesk_shared::{TicketId, UserId};
use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::components::Outlet;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};

use crate::api::{query_string, use_api};
use crate::components::badges::{Avatar, PriorityMarker, StatusPill};
use crate::components::time::Time;
use crate::live::use_live;
use crate::pages::shell::{Rail, StaffOnly, use_inbox_refresh};
use crate::session::use_session;

/// The list the inbox shows, shared with the ticket pane so a change there updates its row at once.
#[derive(Clone, Copy)]
pub struct InboxList {
    pub items: RwSignal<Vec<Ticket>>,
    /// Tickets that arrived live, highlighted once.
    pub fresh: RwSignal<HashSet<TicketId>>,
}

impl InboxList {
    pub fn replace(&self, ticket: &Ticket) {
        self.items.update(|items| {
            if let Some(row) = items.iter_mut().find(|row| row.id == ticket.id) {
                *row = ticket.clone();
            }
        });
    }
}

fn filters_from(query: &leptos_router::params::ParamsMap) -> TicketListQuery {
    TicketListQuery {
        view: query.get("view").and_then(|view| view.parse().ok()),
        status: query.get("status").and_then(|status| status.parse().ok()),
        priority: query.get("priority").and_then(|priority| priority.parse().ok()),
        q: query.get("q").filter(|q| !q.trim().is_empty()),
        sort: query.get("sort").and_then(|sort| match sort.as_str() {
            "created" => Some(TicketSort::Created),
            _ => None,
        }),
        limit: Some(30),
        ..TicketListQuery::default()
    }
}

#[component]
pub fn Inbox() -> impl IntoView {
    view! {
        <StaffOnly>
            <InboxFrame />
        </StaffOnly>
    }
}

#[component]
fn InboxFrame() -> impl IntoView {
    let api = use_api();
    let refresh = use_inbox_refresh();
    let query = use_query_map();
    let location = use_location();
    let navigate = use_navigate();
    let filters = Memo::new(move |_| query.with(filters_from));
    let list = InboxList {
        items: RwSignal::new(Vec::new()),
        fresh: RwSignal::new(HashSet::new()),
    };
    provide_context(list);
    let next_cursor = RwSignal::new(None::<String>);
    let loading = RwSignal::new(true);
    let failed = RwSignal::new(None::<String>);
    // Responses of an older query are dropped when a newer one was sent.
    let generation = StoredValue::new(0u64);

    let load = move |append: bool| {
        let mut request = filters.get_untracked();
        if append {
            match next_cursor.get_untracked() {
                Some(cursor) => request.cursor = Some(cursor),
                None => return,
            }
        }
        let this = generation.get_value() + u64::from(!append);
        generation.set_value(this);
        loading.set(true);
        spawn_local(async move {
            let result = api
                .get::<TicketPage>(&format!("/api/v1/tickets{}", query_string(&request)))
                .await;
            if generation.get_value() != this {
                return;
            }
            match result {
                Ok(page) => {
                    failed.set(None);
                    next_cursor.set(page.next_cursor);
                    if append {
                        list.items.update(|items| items.extend(page.items));
                    } else {
                        list.items.set(page.items);
                    }
                }
                Err(error) => failed.set(Some(error.message())),
            }
            loading.set(false);
        });
    };
    Effect::new(move |_| {
        filters.track();
        refresh.0.track();
        load(false);
    });

    // Live: new tickets slide in with a highlight, changed ones update in place, and a resync
    // (too long offline to replay) reloads the list.
    let live = use_live();
    let me = use_session().user().map(|user| user.id);
    live.subscribe(move |event| {
        let (ticket, created) = match event {
            ServerEvent::TicketCreated { ticket, .. } => (ticket, true),
            ServerEvent::TicketUpdated { ticket, .. } | ServerEvent::MessageCreated { ticket, .. } => (ticket, false),
            _ => return,
        };
        let query = filters.get_untracked();
        let belongs = fits(&query, ticket, me);
        let newest_first = query.sort.unwrap_or_default() == TicketSort::Updated;
        list.items
            .update(|items| match items.iter().position(|row| row.id == ticket.id) {
                Some(at) if !belongs => {
                    items.remove(at);
                }
                Some(at) if newest_first => {
                    items.remove(at);
                    items.insert(0, ticket.clone());
                }
                Some(at) => items[at] = ticket.clone(),
                None if belongs && query.q.is_none() && (created || newest_first) => {
                    items.insert(0, ticket.clone());
                    list.fresh.update(|fresh| {
                        fresh.insert(ticket.id);
                    });
                }
                None => {}
            });
    });
    let resyncs = live.resyncs();
    Effect::new(move |previous: Option<u32>| {
        let now = resyncs.get();
        if previous.is_some_and(|previous| previous != now) {
            load(false);
        }
        now
    });

    let open_id = move || {
        location
            .pathname
            .get()
            .strip_prefix("/inbox/")
            .map(str::to_owned)
            .filter(|id| !id.is_empty())
    };
    let search_params = move || location.search.get();
    let href_for = move |ticket: &Ticket| {
        let search = search_params();
        if search.is_empty() {
            format!("/inbox/{}", ticket.id)
        } else {
            format!("/inbox/{}?{}", ticket.id, search.trim_start_matches('?'))
        }
    };

    // Changing a filter rewrites the URL (which reloads the list through `filters`).
    let set_param = {
        let navigate = navigate.clone();
        move |key: &'static str, value: String| {
            let mut params: Vec<(String, String)> = query.with_untracked(|query| {
                query
                    .into_iter()
                    .filter(|(name, _)| name.as_ref() != key)
                    .map(|(name, value)| (name.to_string(), value.to_string()))
                    .collect()
            });
            if !value.is_empty() {
                params.push((key.to_owned(), value));
            }
            let search = serde_urlencoded::to_string(&params).unwrap_or_default();
            let path = location.pathname.get_untracked();
            navigate(
                &format!("{path}?{search}"),
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    };

    let search_input = NodeRef::<leptos::html::Input>::new();
    let search_text = RwSignal::new(query.with_untracked(|query| query.get("q").unwrap_or_default()));
    let on_search = {
        let set_param = set_param.clone();
        move |event: ev::SubmitEvent| {
            event.prevent_default();
            set_param("q", search_text.get_untracked().trim().to_owned());
        }
    };

    // Keyboard: j/k move, Enter opens, / searches, ? lists the shortcuts.
    let focused = RwSignal::new(None::<usize>);
    let show_help = RwSignal::new(false);
    let key_handle = {
        let navigate = navigate.clone();
        window_event_listener(ev::keydown, move |event: ev::KeyboardEvent| {
            if event.ctrl_key() || event.meta_key() || event.alt_key() || typing_in_a_field() {
                return;
            }
            let count = list.items.with_untracked(Vec::len);
            match event.key().as_str() {
                "j" if count > 0 => focused.update(|at| *at = Some(at.map_or(0, |at| (at + 1).min(count - 1)))),
                "k" if count > 0 => focused.update(|at| *at = Some(at.map_or(0, |at| at.saturating_sub(1)))),
                "Enter" => {
                    if let Some(ticket) = focused
                        .get_untracked()
                        .and_then(|at| list.items.with_untracked(|items| items.get(at).cloned()))
                    {
                        // Otherwise a focused link or button (the view just clicked) takes the Enter too.
                        event.prevent_default();
                        navigate(&href_for(&ticket), Default::default());
                    }
                }
                "/" => {
                    event.prevent_default();
                    if let Some(input) = search_input.get_untracked() {
                        let _ = input.focus();
                    }
                }
                "?" => show_help.update(|shown| *shown = !*shown),
                "Escape" => show_help.set(false),
                _ => {}
            }
        })
    };
    on_cleanup(move || key_handle.remove());

    let on_scroll = move |event: ev::Event| {
        let target: web_sys::Element = event_target(&event);
        let near_end = target.scroll_top() + target.client_height() > target.scroll_height() - 300;
        if near_end && !loading.get_untracked() && next_cursor.with_untracked(Option::is_some) {
            load(true);
        }
    };

    let title = move || filters.with(|filters| filters.view.unwrap_or_default().label());
    let status_param = move || query.with(|query| query.get("status").unwrap_or_default());
    let priority_param = move || query.with(|query| query.get("priority").unwrap_or_default());
    let sort_param = move || query.with(|query| query.get("sort").unwrap_or_default());
    let set_status = set_param.clone();
    let set_priority = set_param.clone();
    let set_sort = set_param;

    view! {
        <div class="workspace">
            <Rail />
            <section class="list-pane" aria-label="Tickets">
                <div class="list-head">
                    <div class="row">
                        <h2>{title}</h2>
                        <span class="spacer"></span>
                        <a class="button small" href="/tickets/new">"New ticket"</a>
                    </div>
                    <form role="search" on:submit=on_search>
                        <input class="input" type="search" placeholder="Search subject and messages  ( / )"
                            aria-label="Search tickets" node_ref=search_input
                            prop:value=move || search_text.get()
                            on:input=move |event| search_text.set(event_target_value(&event)) />
                    </form>
                    <div class="filters">
                        <select class="select" aria-label="Status" prop:value=status_param
                            on:change=move |event| set_status("status", event_target_value(&event))>
                            <option value="">"Any status"</option>
                            {TicketStatus::ALL.into_iter().map(|status| view! { <option value=status.as_str()>{status.as_str()}</option> }).collect_view()}
                        </select>
                        <select class="select" aria-label="Priority" prop:value=priority_param
                            on:change=move |event| set_priority("priority", event_target_value(&event))>
                            <option value="">"Any priority"</option>
                            {Priority::ALL.into_iter().rev().map(|priority| view! { <option value=priority.as_str()>{priority.as_str()}</option> }).collect_view()}
                        </select>
                        <select class="select" aria-label="Sort" prop:value=sort_param
                            on:change=move |event| set_sort("sort", event_target_value(&event))>
                            <option value="">"Last updated"</option>
                            <option value="created">"Newest first"</option>
                        </select>
                    </div>
                </div>
                <ul class="ticket-list" on:scroll=on_scroll data-testid="ticket-list">
                    {move || failed.get().map(|message| view! { <li class="alert error">{message}</li> })}
                    <For each=move || list.items.get().into_iter().enumerate() key=|(_, ticket)| (ticket.id, ticket.updated_at) let:entry>
                        <TicketRow
                            ticket=entry.1.clone()
                            href=Signal::derive({ let ticket = entry.1.clone(); move || href_for(&ticket) })
                            open=Signal::derive({ let id = entry.1.id.to_string(); move || open_id().as_deref() == Some(id.as_str()) })
                            fresh=Signal::derive({ let id = entry.1.id; move || list.fresh.with(|fresh| fresh.contains(&id)) })
                            focused=Signal::derive({
                                // By id: a reused row (same key, new position) must not keep its old index.
                                let id = entry.1.id;
                                move || focused.get().and_then(|at| list.items.with(|items| items.get(at).map(|t| t.id))) == Some(id)
                            })
                        />
                    </For>
                    {move || (loading.get() && list.items.with(Vec::is_empty)).then(|| view! {
                        <li class="skeleton"></li><li class="skeleton"></li><li class="skeleton"></li>
                    })}
                    {move || (!loading.get() && failed.get().is_none() && list.items.with(Vec::is_empty)).then(|| view! {
                        <li class="empty">
                            <strong>{move || empty_title(filters.get())}</strong>
                            "New tickets appear here as soon as they arrive."
                        </li>
                    })}
                    {move || next_cursor.get().map(|_| view! {
                        <li class="list-foot">
                            <button class="button small" on:click=move |_| load(true) disabled=move || loading.get()>"Load more"</button>
                        </li>
                    })}
                </ul>
            </section>
            <Outlet />
        </div>
        <Show when=move || show_help.get()>
            <ShortcutHelp close=move || show_help.set(false) />
        </Show>
    }
}

/// Whether a ticket belongs in the list the filters describe (a search is left to the server).
fn fits(filters: &TicketListQuery, ticket: &Ticket, me: Option<UserId>) -> bool {
    let view = filters.view.unwrap_or_default();
    let statuses = view.statuses();
    let assignee = ticket.assignee.as_ref().map(|assignee| assignee.id);
    (statuses.is_empty() || statuses.contains(&ticket.status))
        && filters.status.is_none_or(|status| status == ticket.status)
        && filters.priority.is_none_or(|priority| priority == ticket.priority)
        && match view {
            InboxView::Mine => assignee.is_some() && assignee == me,
            InboxView::Unassigned => assignee.is_none(),
            InboxView::Open | InboxView::Pending | InboxView::Solved | InboxView::All => true,
        }
}

fn empty_title(filters: TicketListQuery) -> &'static str {
    if filters.q.is_some() || filters.status.is_some() || filters.priority.is_some() {
        return "No tickets match these filters.";
    }
    match filters.view.unwrap_or_default() {
        InboxView::Mine => "Nothing assigned to you is waiting.",
        InboxView::Unassigned => "Every ticket has an owner.",
        InboxView::Open => "No open tickets.",
        InboxView::Pending => "No ticket is waiting on a customer.",
        InboxView::Solved => "No solved tickets yet.",
        InboxView::All => "No tickets yet.",
    }
}

pub fn typing_in_a_field() -> bool {
    document()
        .active_element()
        .map(|element| matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
        .unwrap_or(false)
}

#[component]
fn TicketRow(
    ticket: Ticket,
    href: Signal<String>,
    open: Signal<bool>,
    focused: Signal<bool>,
    fresh: Signal<bool>,
) -> impl IntoView {
    let assignee = ticket.assignee.clone();
    // j/k move past the visible rows: keep the focused one on screen.
    let row = NodeRef::<leptos::html::A>::new();
    Effect::new(move |_| {
        if focused.get()
            && let Some(row) = row.get()
        {
            scroll_into_view_nearest(&row);
        }
    });
    view! {
        <li>
            <a class="ticket-row" node_ref=row class:selected=move || open.get() || focused.get() class:fresh=move || fresh.get() href=href
                aria-current=move || open.get().then_some("true") data-testid="ticket-row">
                <div class="line1">
                    <span class="requester">{ticket.requester.name.clone()}</span>
                    <span class="time"><Time at=ticket.updated_at /></span>
                </div>
                <div class="subject">
                    <span class="faint">{format!("#{} ", ticket.number)}</span>
                    {ticket.subject.clone()}
                </div>
                <div class="small muted subject">{ticket.preview.clone().unwrap_or_default()}</div>
                <div class="line3">
                    <StatusPill status=ticket.status />
                    <PriorityMarker priority=ticket.priority />
                    {ticket.category.clone().map(|category| view! { <span class="tag">{category}</span> })}
                    <span class="spacer"></span>
                    {assignee.map(|assignee| view! { <Avatar name=assignee.name /> })}
                </div>
            </a>
        </li>
    }
}

/// `element.scrollIntoView({ block: "nearest" })`: scrolls only as far as needed, and not at all when it is in view.
fn scroll_into_view_nearest(element: &web_sys::Element) {
    use wasm_bindgen::JsCast;
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"block".into(), &"nearest".into());
    if let Ok(scroll) = js_sys::Reflect::get(element, &"scrollIntoView".into())
        && let Ok(scroll) = scroll.dyn_into::<js_sys::Function>()
    {
        let _ = scroll.call1(element, &options);
    }
}

#[component]
pub fn NoTicketOpen() -> impl IntoView {
    view! {
        <section class="ticket-pane" aria-label="Ticket">
            <div class="empty" style="grid-column: 1 / -1; align-self: center;">
                <strong>"Pick a ticket to read it here."</strong>
                "Tip: press " <span class="kbd">"j"</span> " and " <span class="kbd">"k"</span>
                " to move, " <span class="kbd">"Enter"</span> " to open, " <span class="kbd">"?"</span> " for all shortcuts."
            </div>
        </section>
    }
}

#[component]
fn ShortcutHelp(close: impl Fn() + Copy + 'static) -> impl IntoView {
    view! {
        <div class="dialog-backdrop" on:click=move |_| close()>
            <div class="dialog" role="dialog" aria-label="Keyboard shortcuts" on:click=|event| event.stop_propagation()>
                <h2>"Keyboard shortcuts"</h2>
                <div class="shortcuts">
                    <span class="kbd">"j / k"</span><span>"Next / previous ticket"</span>
                    <span class="kbd">"Enter"</span><span>"Open the ticket"</span>
                    <span class="kbd">"r"</span><span>"Reply to the customer"</span>
                    <span class="kbd">"n"</span><span>"Write an internal note"</span>
                    <span class="kbd">"Ctrl / ⌘ + Enter"</span><span>"Send"</span>
                    <span class="kbd">"/"</span><span>"Search"</span>
                    <span class="kbd">"?"</span><span>"Show this list"</span>
                </div>
                <div class="row" style="margin-top: 16px;">
                    <span class="spacer"></span>
                    <button class="button" on:click=move |_| close()>"Close"</button>
                </div>
            </div>
        </div>
    }
}
