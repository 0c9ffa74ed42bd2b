//! The agent inbox: the rail, the ticket list (views, filters, search, sort, keyset paging as you
//! scroll) and the open ticket beside it. The URL holds the view, the filters and the open ticket,
//! so a reload or a shared link lands in the same place, and opening a ticket keeps the list.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ferrodesk_shared::events::ServerEvent;
use ferrodesk_shared::sla::TicketSla;
use ferrodesk_shared::tickets::{InboxView, Priority, Ticket, TicketListQuery, TicketSort, TicketStatus};
use ferrodesk_shared::{TicketId, UserId};
use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::components::Outlet;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};

use self::bulk::{BulkBar, RowCheckbox, SelectAll, Selection, use_selection};
use self::first_run::GetStarted;
use self::search::{NoMatch, SearchBox};
use crate::api::use_api;
use crate::components::badges::{self, Avatar, PriorityMarker, StatusPill};
use crate::components::shortcuts::ShortcutHelp;
use crate::components::time::{Time, now};
use crate::live::use_live;
use crate::pages::shell::{Rail, StaffOnly, use_inbox_refresh};
use crate::seen::{Seen, use_seen};
use crate::session::use_session;

mod bulk;
mod first_run;
mod search;

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
            "updated" => Some(TicketSort::Updated),
            "created" => Some(TicketSort::Created),
            "due" => Some(TicketSort::Due),
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
    Seen::provide();
    let selection = Selection::provide(list);
    let next_cursor = RwSignal::new(None::<String>);
    // A search's count of matches, from its first page.
    let total = RwSignal::new(None::<u64>);
    // The SLA badges count down: "due in 25 min" becomes "due in 24 min" without a reload.
    let clock = SlaClock(RwSignal::new(now()));
    provide_context(clock);
    if let Ok(ticking) = set_interval_with_handle(move || clock.0.set(now()), Duration::from_secs(30)) {
        on_cleanup(move || ticking.clear());
    }
    let loading = RwSignal::new(true);
    // A new first page is on its way (not the next page of the same list).
    let replacing = RwSignal::new(true);
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
        replacing.set(!append);
        spawn_local(async move {
            let result = api.tickets().list(request).await;
            if generation.get_value() != this {
                return;
            }
            match result {
                Ok(page) => {
                    failed.set(None);
                    next_cursor.set(page.next_cursor);
                    if !append {
                        total.set(page.total);
                    }
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
        let sort = query.sort.unwrap_or_default();
        if sort == TicketSort::Due {
            // Nearest target first, and only tickets that still have one: move the row to its place.
            let more_pages = next_cursor.with_untracked(Option::is_some);
            list.items.update(|items| {
                let known = items.iter().position(|row| row.id == ticket.id);
                if let Some(at) = known {
                    items.remove(at);
                }
                let Some(due) = ticket.sla.next_due_at.filter(|_| belongs) else {
                    return;
                };
                if known.is_none() && query.q.is_some() {
                    return;
                }
                match items
                    .iter()
                    .position(|row| row.sla.next_due_at.is_none_or(|other| other > due))
                {
                    Some(at) => items.insert(at, ticket.clone()),
                    // Past the loaded rows: a later page brings it, unless this is the last page.
                    None if !more_pages => items.push(ticket.clone()),
                    None => {}
                }
                if known.is_none() && created {
                    list.fresh.update(|fresh| {
                        fresh.insert(ticket.id);
                    });
                }
            });
            return;
        }
        let newest_first = sort == TicketSort::Updated;
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
    let searched = Memo::new(move |_| filters.with(|filters| filters.q.clone()));
    let search = {
        let set_param = set_param.clone();
        move |words: String| set_param("q", words)
    };
    let clear_search = {
        let search = search.clone();
        move || {
            search(String::new());
            if let Some(input) = search_input.get_untracked() {
                let _ = input.focus();
            }
        }
    };
    let search_summary = move || {
        let words = searched.get()?;
        let text = if loading.get() && replacing.get() {
            format!("Searching for “{words}”…")
        } else if failed.with(Option::is_some) {
            return None;
        } else {
            search::summary(
                list.items.with(Vec::len),
                next_cursor.with(Option::is_some),
                total.get(),
                &words,
            )
        };
        Some(view! { <p class="search-summary" role="status" data-testid="search-summary">{text}</p> })
    };
    // An owner's empty inbox, with no search or filter narrowing it, may show the first-run checklist.
    let unfiltered =
        move || filters.with(|filters| filters.q.is_none() && filters.status.is_none() && filters.priority.is_none());

    // Keyboard: j/k move, x selects, Enter opens, / searches, ? lists the shortcuts, Esc clears.
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
                "x" => {
                    if let Some(id) = focused
                        .get_untracked()
                        .and_then(|at| list.items.with_untracked(|items| items.get(at).map(|ticket| ticket.id)))
                    {
                        selection.toggle(id);
                    }
                }
                "?" => show_help.update(|shown| *shown = !*shown),
                "Escape" if show_help.get_untracked() => show_help.set(false),
                "Escape" => selection.clear(),
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
    // A search without a sort is by relevance; then "Last updated" is a choice of its own.
    let searching = move || filters.with(|filters| filters.q.is_some());
    let selecting = Memo::new(move |_| selection.any());

    view! {
        <div class="workspace">
            <Rail />
            <section class="list-pane" aria-label="Tickets">
                <div class="list-head">
                    <div class="row">
                        <SelectAll />
                        <h2>{title}</h2>
                        <span class="spacer"></span>
                        <a class="button small" href="/tickets/new">"New ticket"</a>
                    </div>
                    <SearchBox current=searched.into() search=search input=search_input />
                    // While rows are selected, the bar of bulk actions takes the filters' place.
                    <Show when=move || selecting.get()>
                        <BulkBar />
                    </Show>
                    <div class="filters" hidden=move || selecting.get()>
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
                            <option value="">{move || if searching() { "Best match" } else { "Last updated" }}</option>
                            {move || searching().then(|| view! { <option value="updated">"Last updated"</option> })}
                            <option value="created">"Newest first"</option>
                            <option value="due">"Due soonest"</option>
                        </select>
                    </div>
                    {search_summary}
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
                    {move || (!loading.get() && failed.get().is_none() && list.items.with(Vec::is_empty)).then(|| {
                        match searched.get() {
                            Some(words) => view! { <NoMatch words=words clear=clear_search.clone() /> }.into_any(),
                            None => view! {
                                <li class="empty">
                                    <strong>{move || empty_title(filters.get())}</strong>
                                    "New tickets appear here as soon as they arrive."
                                </li>
                                {unfiltered().then(|| view! { <GetStarted /> })}
                            }.into_any(),
                        }
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

/// The time the SLA badges measure against, ticking every 30 s.
#[derive(Clone, Copy)]
struct SlaClock(RwSignal<DateTime<Utc>>);

/// The row's SLA badge (coloured by the share of the target left), counting down with the clock.
#[component]
fn SlaBadge(sla: TicketSla, created_at: DateTime<Utc>) -> impl IntoView {
    let clock = use_context::<SlaClock>().unwrap_or_else(|| SlaClock(RwSignal::new(now())));
    view! { <badges::SlaBadge sla=sla created_at=created_at now=clock.0 /> }
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
    if filters.sort == Some(TicketSort::Due)
        && filters.q.is_none()
        && filters.status.is_none()
        && filters.priority.is_none()
    {
        return "No ticket in this view has an SLA target running.";
    }
    if filters.status.is_some() || filters.priority.is_some() {
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
        .is_some_and(|element| match element.tag_name().as_str() {
            "TEXTAREA" | "SELECT" => true,
            // A row's checkbox takes no typing: after a click on one, j, k, x and Esc still work.
            "INPUT" => !matches!(element.get_attribute("type").as_deref(), Some("checkbox" | "radio")),
            _ => false,
        })
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
    let selection = use_selection();
    let id = ticket.id;
    let seen = use_seen();
    // The open ticket is being read: never bold, even in the moment before its mark is written.
    let unread = Signal::derive({
        let ticket = ticket.clone();
        move || !open.get() && seen.is_unread(&ticket, now())
    });
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
        <li class="ticket-item">
            <RowCheckbox id=ticket.id number=ticket.number />
            <a class="ticket-row" node_ref=row class:selected=move || open.get() || focused.get() class:fresh=move || fresh.get() href=href
                class:checked=move || selection.contains(id)
                aria-current=move || open.get().then_some("true") data-testid="ticket-row"
                class:unread=move || unread.get() data-unread=move || unread.get().to_string()>
                <div class="line1">
                    <span class="unread-dot" aria-hidden="true"></span>
                    {move || unread.get().then(|| view! { <span class="sr-only">"Unread. "</span> })}
                    <span class="requester">{ticket.requester.name.clone()}</span>
                    <span class="time"><Time at=ticket.updated_at /></span>
                </div>
                <div class="subject">
                    <span class="faint">{format!("#{} ", ticket.number)}</span>
                    {ticket.subject.clone()}
                </div>
                <div class="line3">
                    <StatusPill status=ticket.status />
                    <PriorityMarker priority=ticket.priority />
                    {ticket.category.clone().map(|category| view! { <span class="tag">{category}</span> })}
                    <SlaBadge sla=ticket.sla.clone() created_at=ticket.created_at />
                    <span class="preview">{ticket.preview.clone().unwrap_or_default()}</span>
                    {assignee.map(|assignee| view! { <Avatar name=assignee.name /> })}
                </div>
            </a>
        </li>
    }
}

/// `element.scrollIntoView({ block: "nearest" })`: scrolls only as far as needed, and not at all when it is in view.
pub(crate) fn scroll_into_view_nearest(element: &web_sys::Element) {
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
