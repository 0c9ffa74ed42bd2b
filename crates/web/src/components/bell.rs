//! The notification bell: the unread count, live; a click opens the latest notifications.

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

#[component]
pub fn Bell() -> impl IntoView {
    let api = use_api();
    let live = use_live();
    let toasts = use_toasts();
    // Kept in the arena so the click handler below stays `Copy`.
    let navigate = StoredValue::new_local(use_navigate());
    let unread = RwSignal::new(0u64);
    let open = RwSignal::new(false);
    let items = RwSignal::new(Vec::<Notification>::new());

    let reload = move || {
        spawn_local(async move {
            let query = NotificationQuery {
                limit: Some(10),
                cursor: None,
            };
            if let Ok(page) = api.notifications().list(query).await {
                unread.set(page.unread_count);
                items.set(page.items);
            }
        });
    };
    reload();
    live.subscribe(move |event| {
        if let ServerEvent::NotificationCreated { notification, .. } = event {
            unread.update(|count| *count += 1);
            items.update(|items| {
                items.insert(0, notification.clone());
                items.truncate(10);
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

    let read_all = move |_| {
        spawn_local(async move {
            if let Ok(count) = api.notifications().read_all().await {
                unread.set(count.unread_count);
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
                unread.set(count.unread_count);
            }
            if let Some(ticket) = notification.ticket_id {
                navigate.with_value(|navigate| navigate(&format!("/inbox/{ticket}?view=all"), Default::default()));
            } else if notification.kind == NotificationKind::WebhookDisabled {
                navigate.with_value(|navigate| navigate("/settings/webhooks", Default::default()));
            }
            reload();
        });
    };
    let label = move || match unread.get() {
        0 => "Notifications, none unread".to_owned(),
        count => format!("Notifications, {count} unread"),
    };

    view! {
        <div class="bell">
            <button class="button ghost small" aria-label=label title=label data-testid="bell"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|open| *open = !*open)>
                <BellIcon />
                <Show when=move || { unread.get() != 0 }>
                    <span class="badge" data-testid="bell-count">{move || unread.get().to_string()}</span>
                </Show>
            </button>
            <Show when=move || open.get()>
                <div class="menu" role="menu" aria-label="Notifications">
                    <div class="row menu-head">
                        <strong>"Notifications"</strong>
                        <span class="spacer"></span>
                        <button class="button ghost small" on:click=read_all>"Mark all read"</button>
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
                                    <button class="menu-item" class:unread=unread_item role="menuitem"
                                        on:click=move |_| follow(target.clone())>
                                        <span>{notification.title.clone()}</span>
                                        <span class="small faint"><Time at=notification.created_at /></span>
                                    </button>
                                }
                            }).collect_view().into_any()
                        }
                    }}
                </div>
            </Show>
        </div>
    }
}
