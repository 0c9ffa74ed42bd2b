//! The router and the app-wide providers (API client, session, toasts, theme).

use ferrodesk_shared::Role;
use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::api::Api;
use crate::components::toast::{ToastHost, Toasts};
use crate::live::provide_live;
use crate::pages::ai_settings::AiSettingsScreen;
use crate::pages::api_keys::ApiKeysScreen;
use crate::pages::auth::{AcceptInvitation, LinkSignIn, Register, SignIn, SignUp};
use crate::pages::billing::BillingScreen;
use crate::pages::dashboard::Dashboard;
use crate::pages::inbox::{Inbox, NoTicketOpen};
use crate::pages::macros::MacrosScreen;
use crate::pages::new_ticket::NewTicketPage;
use crate::pages::notifications::NotificationsScreen;
use crate::pages::portal::{NewRequest, RequestView, Requests};
use crate::pages::rate::RatePage;
use crate::pages::sla_settings::SlaSettings;
use crate::pages::team::Team;
use crate::pages::ticket::TicketPane;
use crate::pages::webhooks::WebhooksScreen;
use crate::pages::widget_settings::WidgetSettingsScreen;
use crate::session::{Session, use_session};

#[component]
pub fn App() -> impl IntoView {
    let api = Api::new();
    provide_context(api);
    let session = Session::new(api);
    provide_context(session);
    provide_context(Toasts::new());
    provide_live(api, session);
    apply_saved_theme();

    view! {
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=Home />
                <Route path=path!("/signin") view=SignIn />
                <Route path=path!("/signup") view=SignUp />
                <Route path=path!("/join/:slug") view=Register />
                <Route path=path!("/invite/:token") view=AcceptInvitation />
                <Route path=path!("/link") view=LinkSignIn />
                <Route path=path!("/rate/:token") view=RatePage />
                <ParentRoute path=path!("/inbox") view=Inbox>
                    <Route path=path!("") view=NoTicketOpen />
                    <Route path=path!(":id") view=TicketPane />
                </ParentRoute>
                <Route path=path!("/tickets/new") view=NewTicketPage />
                <Route path=path!("/team") view=Team />
                <Route path=path!("/notifications") view=NotificationsScreen />
                <Route path=path!("/billing") view=BillingScreen />
                <Route path=path!("/dashboard") view=Dashboard />
                <Route path=path!("/macros") view=MacrosScreen />
                <Route path=path!("/settings/sla") view=SlaSettings />
                <Route path=path!("/settings/ai") view=AiSettingsScreen />
                <Route path=path!("/settings/api-keys") view=ApiKeysScreen />
                <Route path=path!("/settings/webhooks") view=WebhooksScreen />
                <Route path=path!("/settings/widget") view=WidgetSettingsScreen />
                <Route path=path!("/requests") view=Requests />
                <Route path=path!("/requests/new") view=NewRequest />
                <Route path=path!("/requests/:id") view=RequestView />
            </Routes>
        </Router>
        <ToastHost />
    }
}

/// `/` sends each person where they work: agents to their own open tickets, supervisors and owners
/// (who watch the whole queue and are rarely assigned) to all open tickets, customers to their
/// requests.
#[component]
fn Home() -> impl IntoView {
    let session = use_session();
    move || {
        if !session.ready() {
            return view! { <div class="auth-page"><p class="muted">"Loading…"</p></div> }.into_any();
        }
        match session.role() {
            None => view! { <Redirect path="/signin" /> }.into_any(),
            Some(Role::Customer) => view! { <Redirect path="/requests" /> }.into_any(),
            Some(Role::Agent) => view! { <Redirect path="/inbox?view=mine" /> }.into_any(),
            Some(Role::Supervisor | Role::Owner) => view! { <Redirect path="/inbox?view=open" /> }.into_any(),
        }
    }
}

#[component]
fn NotFound() -> impl IntoView {
    view! {
        <div class="auth-page">
            <div class="auth-card">
                <h1>"Page not found"</h1>
                <p class="muted">"This page does not exist, or you cannot see it."</p>
                <a class="button primary" href="/">"Go to my start page"</a>
            </div>
        </div>
    }
}

const THEME_KEY: &str = "ferrodesk-theme";

fn apply_saved_theme() {
    let saved = window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|storage| storage.get_item(THEME_KEY).ok().flatten());
    if let (Some(theme), Some(root)) = (saved, document().document_element()) {
        let _ = root.set_attribute("data-theme", &theme);
    }
}

/// Switches between light and dark, remembering the choice in this browser.
pub fn toggle_theme() {
    let Some(root) = document().document_element() else {
        return;
    };
    let current = root.get_attribute("data-theme");
    let prefers_dark = window()
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()
        .is_some_and(|query| query.matches());
    let dark_now = match current.as_deref() {
        Some("dark") => true,
        Some("light") => false,
        _ => prefers_dark,
    };
    let next = if dark_now { "light" } else { "dark" };
    let _ = root.set_attribute("data-theme", next);
    if let Some(storage) = window().local_storage().ok().flatten() {
        let _ = storage.set_item(THEME_KEY, next);
    }
}
