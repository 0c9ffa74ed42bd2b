//! The staff frame: the left rail (workspace, inbox views with counts, pages, the user menu) and
//! the guard that keeps customers and signed-out visitors out of staff pages.

use ferrodesk_shared::events::ServerEvent;
use ferrodesk_shared::tickets::InboxView;
use ferrodesk_shared::{Permission, Role};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_location, use_query_map};

use crate::api::use_api;
use crate::app::toggle_theme;
use crate::components::badges::Avatar;
use crate::components::bell::Bell;
use crate::components::confirm::ConfirmEmailBanner;
use crate::live::use_live;
use crate::session::use_session;

/// Bumped whenever tickets change, so counts and lists refetch.
#[derive(Clone, Copy)]
pub struct InboxRefresh(pub RwSignal<u32>);

pub fn use_inbox_refresh() -> InboxRefresh {
    match use_context::<InboxRefresh>() {
        Some(refresh) => refresh,
        None => {
            let refresh = InboxRefresh(RwSignal::new(0));
            provide_context(refresh);
            refresh
        }
    }
}

/// Renders `children` for staff; sends everyone else where they belong.
#[component]
pub fn StaffOnly(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    move || {
        if !session.ready() {
            return view! { <div class="auth-page"><p class="muted">"Loading…"</p></div> }.into_any();
        }
        match session.role() {
            None => view! { <Redirect path="/signin" /> }.into_any(),
            Some(Role::Customer) => view! { <Redirect path="/requests" /> }.into_any(),
            Some(_) => children().into_any(),
        }
    }
}

/// Whether this role runs the team: the dashboard and the SLA settings are theirs.
pub fn is_supervisor(role: Option<Role>) -> bool {
    role.is_some_and(|role| role >= Role::Supervisor)
}

/// Renders `children` for supervisors and owners; tells agents, kindly, whom to ask.
#[component]
pub fn SupervisorOnly(page: &'static str, children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    move || {
        if is_supervisor(session.role()) {
            children().into_any()
        } else {
            view! {
                <main class="page">
                    <div class="empty" data-testid="supervisors-only">
                        <strong>{format!("{page} is for supervisors and owners.")}</strong>
                        <p>"Ask a supervisor if you need something from it."</p>
                        <a class="button" href="/inbox?view=mine">"Back to my tickets"</a>
                    </div>
                </main>
            }
            .into_any()
        }
    }
}

/// Whether this role may change the workspace itself (its AI settings, for one).
pub fn is_owner(role: Option<Role>) -> bool {
    role.is_some_and(|role| role.can(Permission::ManageWorkspace))
}

/// Renders `children` for owners; tells everyone else, kindly, whom to ask.
#[component]
pub fn OwnerOnly(page: &'static str, children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    move || {
        if is_owner(session.role()) {
            children().into_any()
        } else {
            view! {
                <main class="page">
                    <div class="empty" data-testid="owners-only">
                        <strong>{format!("{page} are for the workspace's owner.")}</strong>
                        <p>"Ask the owner if something should change."</p>
                        <a class="button" href="/inbox?view=mine">"Back to my tickets"</a>
                    </div>
                </main>
            }
            .into_any()
        }
    }
}

#[component]
pub fn Rail() -> impl IntoView {
    // `g` then a view's key, on every page with the rail.
    crate::components::shortcuts::use_go_to_keys();
    let session = use_session();
    let api = use_api();
    let refresh = use_inbox_refresh();
    let live = use_live();
    // Ticket events change the counts; refetch them (the list updates itself from the events).
    let changes = RwSignal::new(0u32);
    live.subscribe(move |event| {
        if matches!(
            event,
            ServerEvent::TicketCreated { .. } | ServerEvent::TicketUpdated { .. } | ServerEvent::MessageCreated { .. }
        ) {
            changes.update(|count| *count += 1);
        }
    });
    let counts = LocalResource::new(move || {
        refresh.0.track();
        changes.track();
        live.resyncs().track();
        async move { api.tickets().counts().await.ok() }
    });
    let location = use_location();
    let query = use_query_map();
    let current_view = move || {
        location.pathname.get().starts_with("/inbox").then(|| {
            query.with(|query| {
                query
                    .get("view")
                    .and_then(|view| view.parse::<InboxView>().ok())
                    .unwrap_or_default()
            })
        })
    };
    let count_of = move |view: InboxView| {
        counts.get().flatten().map(|counts| match view {
            InboxView::Mine => counts.mine,
            InboxView::Unassigned => counts.unassigned,
            InboxView::Open => counts.open,
            InboxView::Pending => counts.pending,
            InboxView::Solved => counts.solved,
            InboxView::All => 0,
        })
    };
    let views = [
        InboxView::Mine,
        InboxView::Unassigned,
        InboxView::Open,
        InboxView::Pending,
        InboxView::Solved,
        InboxView::All,
    ];
    let can_manage_team = move || session.role().is_some_and(|role| role.can(Permission::InviteAgent));
    let supervises = move || is_supervisor(session.role());
    let manages_macros = move || session.role().is_some_and(|role| role.can(Permission::ManageMacros));
    let owns = move || is_owner(session.role());
    let here = move |path: &'static str| (location.pathname.get() == path).then_some("page");
    // The owner's billing state, for a warning in the rail while a payment has failed or the team
    // is over its seats (the billing page says more).
    let billing = LocalResource::new(move || {
        let owner = is_owner(session.role());
        async move {
            if owner {
                api.billing().overview().await.ok()
            } else {
                None
            }
        }
    });
    // Without Stripe on the server nothing mentions payment.
    let plan_label = move || {
        if billing.get().flatten().is_some_and(|billing| billing.billing_enabled) {
            "Plan & billing"
        } else {
            "Plan"
        }
    };
    let billing_alert = move || {
        billing.get().flatten().and_then(|billing| {
            let failed = matches!(
                billing.status,
                Some(
                    ferrodesk_shared::billing::SubscriptionStatus::PastDue
                        | ferrodesk_shared::billing::SubscriptionStatus::Unpaid
                )
            );
            if failed {
                Some("Payment failed")
            } else if billing.over_limit {
                Some("Over the plan's seats")
            } else {
                None
            }
        })
    };
    let user = move || session.user();
    view! {
        <aside class="rail" aria-label="Navigation">
            <div class="rail-head">
                <span class="brand-mark" aria-hidden="true">"F"</span>
                <span class="label">{move || session.workspace().map(|workspace| workspace.name)}</span>
            </div>
            <ConfirmEmailBanner />
            <nav>
                <div class="section">"Inbox"</div>
                {views
                    .into_iter()
                    .map(|view| {
                        let href = format!("/inbox?view={}", view.as_str());
                        view! {
                            <a
                                class="view"
                                class:active=move || current_view() == Some(view)
                                href=href
                                aria-current=move || (current_view() == Some(view)).then_some("page")
                                title=view.label()
                            >
                                <span class="label">{view.label()}</span>
                                <span class="count">
                                    {move || count_of(view).filter(|_| view != InboxView::All).map(|count| count.to_string())}
                                </span>
                            </a>
                        }
                    })
                    .collect_view()}
                <div class="section">"Work"</div>
                <a class="view" href="/tickets/new" title="New ticket" aria-current=move || here("/tickets/new")>
                    <span class="label">"New ticket"</span>
                </a>
                <Show when=supervises>
                    <a class="view" href="/dashboard" title="Dashboard" aria-current=move || here("/dashboard")>
                        <span class="label">"Dashboard"</span>
                    </a>
                </Show>
                <Show when=can_manage_team>
                    <a class="view" href="/team" title="Team" aria-current=move || here("/team")>
                        <span class="label">"Team"</span>
                    </a>
                </Show>
                <Show when=manages_macros>
                    <a class="view" href="/macros" title="Macros" aria-current=move || here("/macros")>
                        <span class="label">"Macros"</span>
                    </a>
                </Show>
                <Show when=supervises>
                    <a class="view" href="/settings/sla" title="SLA settings" aria-current=move || here("/settings/sla")>
                        <span class="label">"SLA settings"</span>
                    </a>
                </Show>
                <Show when=owns>
                    <a class="view" href="/settings/ai" title="AI settings" aria-current=move || here("/settings/ai")>
                        <span class="label">"AI settings"</span>
                    </a>
                    <a class="view" href="/settings/webhooks" title="Webhooks" aria-current=move || here("/settings/webhooks")>
                        <span class="label">"Webhooks"</span>
                    </a>
                    <a class="view" href="/settings/widget" title="Widget" aria-current=move || here("/settings/widget")>
                        <span class="label">"Widget"</span>
                    </a>
                </Show>
                <Show when=owns>
                    <a class="view" href="/settings/api-keys" title="API keys" aria-current=move || here("/settings/api-keys")>
                        <span class="label">"API keys"</span>
                    </a>
                    <a class="view" href="/billing" title=plan_label aria-current=move || here("/billing")>
                        <span class="label">{plan_label}</span>
                    </a>
                    {move || billing_alert().map(|alert| view! {
                        <a class="view warn" href="/billing" title=alert data-testid="billing-alert">
                            <span class="label">{alert}</span>
                        </a>
                    })}
                </Show>
            </nav>
            <div class="rail-foot">
                {move || user().map(|user| view! { <Avatar name=user.name.clone() /> })}
                <div class="who">
                    <div>{move || user().map(|user| user.name)}</div>
                    <div class="small muted">{move || user().map(|user| user.role.as_str())}</div>
                </div>
                <Bell />
                <span class="live-dot" class:on=move || live.connected()
                    title=move || if live.connected() { "Live: updates arrive as they happen" } else { "Reconnecting…" }
                    aria-label=move || if live.connected() { "Live" } else { "Reconnecting" } data-testid="live-dot"></span>
                <button class="button ghost small" title="Switch light and dark" aria-label="Switch light and dark theme"
                    on:click=move |_| toggle_theme()>"◐"</button>
                <button class="button ghost small" on:click=move |_| session.sign_out()>"Sign out"</button>
            </div>
        </aside>
    }
}
