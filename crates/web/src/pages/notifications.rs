//! Every notification of the signed-in person, unread first, a page at a time, with the bell's read
//! controls: opening one marks it read, or mark one or all read without opening them.

use ferrodesk_shared::NotificationId;
use ferrodesk_shared::events::ServerEvent;
use ferrodesk_shared::notifications::{Notification, NotificationKind, NotificationQuery};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::api::{use_api, use_submit};
use crate::components::bell::{ReadMarks, target};
use crate::components::time::{Time, now};
use crate::live::use_live;
use crate::pages::shell::{Rail, StaffOnly};

/// A page of the list: the server's default, twice what the bell shows.
const PAGE: u32 = 20;

#[component]
pub fn NotificationsScreen() -> impl IntoView {
    // Shared with the bell in the rail, so a mark made in one shows in the other.
    provide_context(ReadMarks::new());
    view! {
        <StaffOnly>
            <div class="workspace two">
                <Rail />
                <NotificationsPage />
            </div>
        </StaffOnly>
    }
}

#[component]
fn NotificationsPage() -> impl IntoView {
    let api = use_api();
    let live = use_live();
    let marks = use_context::<ReadMarks>().unwrap_or_default();
    let navigate = StoredValue::new_local(use_navigate());
    let items = RwSignal::new(Vec::<Notification>::new());
    let next = RwSignal::new(None::<String>);
    let unread = RwSignal::new(0u64);
    let loaded = RwSignal::new(false);
    // The latest load wins: "Mark all read" starts over while an older page may still be coming.
    let loading = use_submit();
    let error = loading.error();

    let load = move |from_start: bool| {
        let cursor = if from_start { None } else { next.get_untracked() };
        let query = NotificationQuery {
            limit: Some(PAGE),
            cursor,
        };
        loading.dispatch(api.notifications().list(query), move |page| {
            unread.set(page.unread_count);
            next.set(page.next_cursor);
            loaded.set(true);
            items.update(|items| {
                if from_start {
                    items.clear();
                }
                // A mark made since the last page moves an item to the read ones, which a later
                // page lists again: it is shown once, where it already is.
                for notification in page.items {
                    if !items.iter().any(|item| item.id == notification.id) {
                        items.push(notification);
                    }
                }
            });
        });
    };
    load(true);
    // The bell marked some read: start over from the server's order.
    Effect::new(move |previous: Option<u32>| {
        let now = marks.by_bell.get();
        if previous.is_some_and(|previous| previous != now) {
            load(true);
        }
        now
    });
    live.subscribe(move |event| {
        if let ServerEvent::NotificationCreated { notification, .. } = event {
            unread.update(|count| *count += 1);
            items.update(|items| items.insert(0, notification.clone()));
        }
    });
    let resyncs = live.resyncs();
    Effect::new(move |previous: Option<u32>| {
        let now = resyncs.get();
        if previous.is_some_and(|previous| previous != now) {
            load(true);
        }
        now
    });

    let read_one = move |id: NotificationId| async move {
        if let Ok(count) = api.notifications().read(id).await {
            let _ = unread.try_set(count.unread_count);
            let _ = items.try_update(|items| {
                for item in items.iter_mut().filter(|item| item.id == id && item.read_at.is_none()) {
                    item.read_at = Some(now());
                }
            });
            let _ = marks.by_page.try_update(|n| *n += 1);
        }
    };
    let mark_read = move |id: NotificationId| spawn_local(read_one(id));
    let open = move |notification: Notification, target: String| {
        spawn_local(async move {
            if notification.read_at.is_none() {
                read_one(notification.id).await;
            }
            navigate.with_value(|navigate| navigate(&target, Default::default()));
        });
    };
    let read_all = move |_| {
        spawn_local(async move {
            if api.notifications().read_all().await.is_ok() {
                let _ = marks.by_page.try_update(|n| *n += 1);
                if unread.try_set(0).is_none() {
                    load(true);
                }
            }
        });
    };

    view! {
        <main class="page notifications-page">
            <div class="page-head">
                <h1>"Notifications"</h1>
                <span class="muted" data-testid="unread-summary">
                    {move || match unread.get() {
                        0 => "All read".to_owned(),
                        1 => "1 unread".to_owned(),
                        count => format!("{count} unread"),
                    }}
                </span>
                <span class="spacer"></span>
                <button class="button" type="button" disabled=move || unread.get() == 0 on:click=read_all>
                    "Mark all read"
                </button>
            </div>
            {move || error.get().map(|error| view! {
                <div class="alert error row" role="alert">
                    <span>{error.message()}</span>
                    <span class="spacer"></span>
                    <button class="button small" type="button" on:click=move |_| load(!loaded.get_untracked())>"Try again"</button>
                </div>
            })}
            {move || {
                if !loaded.get() {
                    return view! { <p class="muted">"Loading notifications…"</p> }.into_any();
                }
                if items.with(Vec::is_empty) {
                    return view! {
                        <p class="muted" data-testid="notifications-empty">
                            "No notifications yet. New tickets, tickets assigned to you and customers' replies show up here."
                        </p>
                    }
                    .into_any();
                }
                view! {
                    <ul class="notification-list" data-testid="notification-list">
                        <For each=move || items.get() key=|item| (item.id, item.read_at.is_some()) let:notification>
                            <NotificationRow notification mark_read open />
                        </For>
                    </ul>
                }
                .into_any()
            }}
            {move || next.get().map(|_| view! {
                <div class="notification-more">
                    <button class="button" type="button" data-testid="notifications-more"
                        disabled=move || loading.pending() on:click=move |_| load(false)>
                        {move || if loading.pending() { "Loading…" } else { "Show older" }}
                    </button>
                </div>
            })}
        </main>
    }
}

#[component]
fn NotificationRow(
    notification: Notification,
    mark_read: impl Fn(NotificationId) + Copy + 'static,
    open: impl Fn(Notification, String) + Copy + 'static,
) -> impl IntoView {
    let unread = notification.read_at.is_none();
    let id = notification.id;
    let title = notification.title.clone();
    let heading = match target(&notification) {
        Some(href) => {
            let (chosen, to) = (notification.clone(), href.clone());
            view! {
                <a class="notification-title" href=href
                    on:click=move |event| {
                        // Marked read first, so the page it opens already counts it read.
                        event.prevent_default();
                        open(chosen.clone(), to.clone());
                    }>
                    {title}
                </a>
            }
            .into_any()
        }
        None => view! { <span class="notification-title">{title}</span> }.into_any(),
    };
    view! {
        <li class="notification" class:unread=unread data-testid="notification">
            <span class="unread-dot" aria-hidden="true"></span>
            <div class="notification-body">
                {heading}
                <div class="small muted">
                    <span class="sr-only">{if unread { "Unread, " } else { "Read, " }}</span>
                    {kind_label(notification.kind)}
                    " · "
                    <Time at=notification.created_at />
                </div>
            </div>
            {unread.then(|| view! {
                <button class="button ghost small" type="button" on:click=move |_| mark_read(id)>"Mark read"</button>
            })}
        </li>
    }
}

fn kind_label(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::TicketCreated => "New ticket",
        NotificationKind::TicketAssigned => "Assigned to you",
        NotificationKind::CustomerReplied => "Customer replied",
        NotificationKind::TicketEscalated => "Escalated",
        NotificationKind::WebhookDisabled => "Webhook switched off",
    }
}
