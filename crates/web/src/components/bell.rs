//! The notification bell: the unread count, live; a click opens the latest notifications, unread
//! ones marked, and "See all" leads to the notifications page.

use ferrodesk_shared::events::ServerEvent;
use ferrodesk_shared::notifications::{Notification, NotificationKind, NotificationQuery};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::api::use_api;
use crate::components::icons::BellIcon;
use crate::components::time::Time;
use crate::components::toast::use_toasts;
use crate::live::use_live;

/// How many the bell lists; the notifications page has them all.
const BELL_ITEMS: u32 = 10;

/// Read marks made in one place, for the other: the notifications page provides it, so its list
/// and the bell in its rail stay in step (each counts up when it changed the marks).
#[derive(Clone, Copy)]
pub struct ReadMarks {
    pub by_bell: RwSignal<u32>,
    pub by_page: RwSignal<u32>,
}

impl ReadMarks {
    pub fn new() -> Self {
        ReadMarks {
            by_bell: RwSignal::new(0),
            by_page: RwSignal::new(0),
        }
    }
}

impl Default for ReadMarks {
    fn default() -> Self {
        Self::new()
    }
}

/// Where a notification leads: its ticket, or the page of what it is about.
pub fn target(notification: &Notification) -> Option<String> {
    match (notification.ticket_id, notification.kind) {
        (Some(ticket), _) => Some(format!("/inbox/{ticket}?view=all")),
        (None, NotificationKind::WebhookDisabled) => Some("/settings/webhooks".to_owned()),
        (None, _) => None,
    }
}

#[component]
pub fn Bell() -> impl IntoView {
    let api = use_api();
    let live = use_live();
    let toasts = use_toasts();
    let marks = use_context::<ReadMarks>();
    // Kept in the arena so the click handler below stays `Copy`.
    let navigate = StoredValue::new_local(use_navigate());
    let unread = RwSignal::new(0u64);
    let open = RwSignal::new(false);
    let items = RwSignal::new(Vec::<Notification>::new());
    let button = NodeRef::<leptos::html::Button>::new();

    let reload = move || {
        spawn_local(async move {
            let query = NotificationQuery {
                limit: Some(BELL_ITEMS),
                cursor: None,
            };
            if let Ok(page) = api.notifications().list(query).await {
                let _ = unread.try_set(page.unread_count);
                let _ = items.try_set(page.items);
            }
        });
    };
    reload();
    live.subscribe(move |event| {
        if let ServerEvent::NotificationCreated { notification, .. } = event {
            unread.update(|count| *count += 1);
            items.update(|items| {
                items.insert(0, notification.clone());
                items.truncate(BELL_ITEMS as usize);
            });
            toasts.info(notification.title.clone());
        }
    });
    let resyncs = live.resyncs();
    Effect::new(move |previous: Option<u32>| {
        let now = resyncs.get();
        if previous.is_some_and(|previous| previous != now) {
            reload();
        }
        now
    });
    // The page marked some read: the count and the list here follow.
    if let Some(marks) = marks {
        Effect::new(move |previous: Option<u32>| {
            let now = marks.by_page.get();
            if previous.is_some_and(|previous| previous != now) {
                reload();
            }
            now
        });
    }
    let marked = move || {
        if let Some(marks) = marks {
            let _ = marks.by_bell.try_update(|n| *n += 1);
        }
    };

    let read_all = move |_| {
        spawn_local(async move {
            if let Ok(count) = api.notifications().read_all().await {
                let _ = unread.try_set(count.unread_count);
                marked();
                reload();
            }
        });
    };
    let follow = move |notification: Notification| {
        open.set(false);
        spawn_local(async move {
            if notification.read_at.is_none()
                && let Ok(count) = api.notifications().read(notification.id).await
            {
                let _ = unread.try_set(count.unread_count);
                marked();
            }
            if let Some(target) = target(&notification) {
                navigate.with_value(|navigate| navigate(&target, Default::default()));
            }
            reload();
        });
    };
    let close = move || {
        open.set(false);
        if let Some(button) = button.get_untracked() {
            let _ = button.focus();
        }
    };
    let label = move || match unread.get() {
        0 => "Notifications, none unread".to_owned(),
        count => format!("Notifications, {count} unread"),
    };

    view! {
        <div class="bell"
            on:keydown=move |event: leptos::ev::KeyboardEvent| {
                if event.key() == "Escape" && open.get_untracked() {
                    event.stop_propagation();
                    close();
                }
            }>
            <button class="button ghost small" aria-label=label title=label data-testid="bell" node_ref=button
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|open| *open = !*open)>
                <BellIcon />
                <Show when=move || { unread.get() != 0 }>
                    <span class="badge" data-testid="bell-count">{move || unread.get().to_string()}</span>
                </Show>
            </button>
            <Show when=move || open.get()>
                <div class="menu" role="menu" aria-label="Notifications" data-testid="bell-menu">
                    <div class="row menu-head">
                        <strong>"Notifications"</strong>
                        <span class="spacer"></span>
                        <button class="button ghost small" role="menuitem" disabled=move || unread.get() == 0
                            on:click=read_all>"Mark all read"</button>
                    </div>
                    {move || {
                        let list = items.get();
                        if list.is_empty() {
                            view! { <p class="muted small" style="padding: 12px">"Nothing yet. New tickets and replies show up here."</p> }.into_any()
                        } else {
                            list.into_iter().map(|notification| {
                                let unread_item = notification.read_at.is_none();
                                let target = notification.clone();
                                view! {
                                    <button class="menu-item notification-item" class:unread=unread_item role="menuitem"
                                        data-testid="bell-item"
                                        on:click=move |_| follow(target.clone())>
                                        <span class="notification-title">
                                            <span class="unread-dot" aria-hidden="true"></span>
                                            {notification.title.clone()}
                                        </span>
                                        <span class="small faint">
                                            <span class="sr-only">{if unread_item { "Unread, " } else { "Read, " }}</span>
                                            <Time at=notification.created_at />
                                        </span>
                                    </button>
                                }
                            }).collect_view().into_any()
                        }
                    }}
                    <a class="menu-foot" href="/notifications" role="menuitem" data-testid="bell-see-all"
                        on:click=move |_| open.set(false)>"See all"</a>
                </div>
            </Show>
        </div>
    }
}
