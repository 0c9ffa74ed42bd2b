//! Plan & billing (owner): the plan and what it includes, the seats in use, and, when the server
//! takes payment, the subscription's state with Upgrade (Stripe Checkout) and Manage billing (the
//! Billing Portal). Coming back from Checkout, the page waits for Stripe's confirmation to land
//! (the plan changes on the webhook, not on the way back). Without Stripe the page shows the plan
//! and says the operator sets it, and nothing mentions payment.

use chrono::{DateTime, Utc};
use ferrodesk_shared::billing::{BillingOverview, SubscriptionStatus};
use ferrodesk_shared::workspaces::Plan;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{use_api, use_submit};
use crate::components::time::exact;
use crate::pages::shell::{OwnerOnly, Rail, StaffOnly};

/// How often, and how many times, the page asks again after Checkout until Pro shows.
const CONFIRM_EVERY: std::time::Duration = std::time::Duration::from_secs(2);
const CONFIRM_TRIES: u32 = 30;

#[component]
pub fn BillingScreen() -> impl IntoView {
    view! {
        <StaffOnly>
            <div class="workspace two">
                <Rail />
                <OwnerOnly page="Plan and billing settings">
                    <BillingPage />
                </OwnerOnly>
            </div>
        </StaffOnly>
    }
}

/// A day, as the owner reads it.
fn day(at: DateTime<Utc>) -> String {
    at.with_timezone(&chrono::Local).format("%-d %B %Y").to_string()
}

/// What the subscription's state means, in a sentence.
fn status_line(billing: &BillingOverview) -> Option<String> {
    let status = billing.status?;
    let until = billing.period_end.map(day);
    Some(match (status, until) {
        (SubscriptionStatus::Active | SubscriptionStatus::Trialing, Some(end)) if billing.cancel_at_period_end => {
            format!("Cancelled: Pro stays on until {end}.")
        }
        (SubscriptionStatus::Active, Some(end)) => format!("Paid. Renews on {end}."),
        (SubscriptionStatus::Trialing, Some(end)) => format!("Trial until {end}."),
        (SubscriptionStatus::Active | SubscriptionStatus::Trialing, None) => "Paid.".to_owned(),
        (SubscriptionStatus::PastDue | SubscriptionStatus::Unpaid, _) => "A payment failed.".to_owned(),
        (SubscriptionStatus::Canceled, _) => "The subscription was cancelled.".to_owned(),
        (SubscriptionStatus::Incomplete, _) => "The first payment is being confirmed.".to_owned(),
        (SubscriptionStatus::IncompleteExpired, _) => "The first payment did not go through.".to_owned(),
        (SubscriptionStatus::Paused, _) => "The subscription is paused.".to_owned(),
    })
}

/// Whether the workspace has a subscription to manage in the portal.
fn subscribed(billing: &BillingOverview) -> bool {
    matches!(
        billing.status,
        Some(
            SubscriptionStatus::Active
                | SubscriptionStatus::Trialing
                | SubscriptionStatus::PastDue
                | SubscriptionStatus::Unpaid
                | SubscriptionStatus::Paused
        )
    )
}

#[component]
fn BillingPage() -> impl IntoView {
    let api = use_api();
    let query = use_query_map();
    let back_from = move || query.with_untracked(|query| query.get("checkout"));
    let billing = RwSignal::new(None::<BillingOverview>);
    let loading = use_submit();
    let load_error = loading.error();
    let tries = StoredValue::new(0u32);
    // Load, and after a paid Checkout ask again until Stripe's confirmation has made the plan Pro.
    let load = move || {
        fn again(load: impl Fn() + 'static) {
            set_timeout(load, CONFIRM_EVERY);
        }
        fn step(
            api: crate::api::Api,
            billing: RwSignal<Option<BillingOverview>>,
            loading: crate::api::Submit,
            tries: StoredValue<u32>,
            waiting: bool,
        ) {
            loading.dispatch(api.billing().overview(), move |overview| {
                let pending = waiting && overview.plan != Plan::Pro;
                billing.set(Some(overview));
                if pending && tries.get_value() < CONFIRM_TRIES {
                    tries.update_value(|tries| *tries += 1);
                    again(move || step(api, billing, loading, tries, waiting));
                }
            });
        }
        step(api, billing, loading, tries, back_from().as_deref() == Some("success"));
    };
    load();

    let going = use_submit();
    let go_error = going.error();
    let upgrade = move |_| {
        going.dispatch(api.billing().checkout(), |redirect| {
            let _ = window().location().assign(&redirect.url);
        });
    };
    let manage = move |_| {
        going.dispatch(api.billing().portal(), |redirect| {
            let _ = window().location().assign(&redirect.url);
        });
    };

    let notice = move || {
        let current = billing.get();
        match back_from().as_deref() {
            Some("success") => Some(if current.as_ref().is_some_and(|billing| billing.plan == Plan::Pro) {
                view! { <div class="alert info" role="status" data-testid="checkout-notice">
                    "Thank you! Your workspace is on Pro: AI and 25 staff seats are on."
                </div> }
                .into_any()
            } else {
                view! { <div class="alert info" role="status" data-testid="checkout-notice">
                    "Thank you! Pro turns on as soon as Stripe confirms the payment, usually within seconds."
                </div> }
                .into_any()
            }),
            Some("cancelled") => Some(
                view! { <div class="alert info" role="status" data-testid="checkout-notice">
                    "Checkout was cancelled: nothing was charged."
                </div> }
                .into_any(),
            ),
            _ => None,
        }
    };

    view! {
        <main class="page billing" data-testid="billing">
            <div class="page-head"><h1>{move || {
                if billing.get().is_some_and(|billing| billing.billing_enabled) { "Plan & billing" } else { "Plan" }
            }}</h1></div>
            {notice}
            {move || load_error.get().map(|error| view! {
                <div class="alert error row" role="alert">
                    <span>{format!("We could not load the plan. {}", error.message())}</span>
                    <span class="spacer"></span>
                    <button class="button small" on:click=move |_| load()>"Try again"</button>
                </div>
            })}
            {move || billing.get().map(|billing| view! { <Banners billing /> })}
            {move || billing.get().map(|current| {
                let enabled = current.billing_enabled;
                let paying = subscribed(&current);
                let status = status_line(&current);
                view! {
                    <section class="card stack" aria-labelledby="plan-name">
                        <h2 id="plan-name" data-testid="plan-name">{format!("{} plan", current.plan.display_name())}</h2>
                        {status.map(|status| view! { <p data-testid="billing-status">{status}</p> })}
                        <ul class="plain">
                            <li data-testid="plan-seats">{format!(
                                "{} of {} staff seats used (customers take none)",
                                current.seats_used, current.seats_allowed
                            )}</li>
                            <li data-testid="plan-ai">{if current.ai_included {
                                "AI included: categories, reply drafts and answers in the widget"
                            } else {
                                "No AI: categories, reply drafts and the widget's answers come with Pro"
                            }}</li>
                        </ul>
                        {move || go_error.get().map(|error| view! {
                            <div class="alert error" role="alert">{error.message()}</div>
                        })}
                        {if !enabled {
                            view! { <p class="muted" data-testid="operator-plan">
                                "Whoever runs Ferrodesk for you sets this workspace's plan."
                            </p> }
                            .into_any()
                        } else if paying {
                            view! {
                                <div class="row">
                                    <button class="button" data-testid="manage-billing" on:click=manage
                                        disabled=move || going.pending()>"Manage billing"</button>
                                    <span class="muted small">"Card, invoices and cancelling, on Stripe."</span>
                                </div>
                            }
                            .into_any()
                        } else {
                            view! {
                                <div class="row">
                                    <button class="button primary" data-testid="upgrade" on:click=upgrade
                                        disabled=move || going.pending()>
                                        {move || if going.pending() { "Opening Stripe…" } else { "Upgrade to Pro" }}
                                    </button>
                                    <span class="muted small">"$29 a month for the workspace, paid on Stripe."</span>
                                </div>
                            }
                            .into_any()
                        }}
                    </section>
                    <section class="card stack" aria-labelledby="plans-compared">
                        <h2 id="plans-compared">"What each plan includes"</h2>
                        <table class="table compact">
                            <thead><tr><th></th><th>"Free"</th><th>"Pro"</th></tr></thead>
                            <tbody>
                                <tr><td>"Staff seats (owners, supervisors, agents)"</td><td>"2"</td><td>"25"</td></tr>
                                <tr><td>"AI: categories, reply drafts, widget answers"</td><td>"No"</td><td>"Yes"</td></tr>
                                <tr><td>"API requests"</td><td>"A tenth of Pro's rate"</td><td>"The full rate"</td></tr>
                                <tr><td>"Customers, tickets, help centre, widget, SLAs"</td><td>"Unlimited"</td><td>"Unlimited"</td></tr>
                            </tbody>
                        </table>
                    </section>
                }
            })}
        </main>
    }
}

/// What the owner must know now: a failed payment's grace period, a plan ending, too many seats.
#[component]
pub fn Banners(billing: BillingOverview) -> impl IntoView {
    let grace = billing.grace_until.filter(|_| {
        matches!(
            billing.status,
            Some(SubscriptionStatus::PastDue | SubscriptionStatus::Unpaid)
        )
    });
    let ending = billing
        .period_end
        .filter(|_| billing.cancel_at_period_end && billing.plan == Plan::Pro);
    view! {
        {grace.map(|until| view! {
            <div class="alert error" role="alert" data-testid="billing-banner">
                {if until > crate::components::time::now() {
                    format!(
                        "A payment failed. Pro stays on until {} ({}); then the workspace moves to Free unless \
                         the payment goes through. Update the card in Manage billing.",
                        day(until), exact(until)
                    )
                } else {
                    "A payment failed and the grace period is over: the workspace is on Free until it is paid. \
                     Update the card in Manage billing."
                        .to_owned()
                }}
            </div>
        })}
        {ending.map(|end| view! {
            <div class="alert info" data-testid="billing-banner">
                {format!("Pro ends on {}. To keep it, resume the subscription in Manage billing.", day(end))}
            </div>
        })}
        {billing.over_limit.then(|| view! {
            <div class="alert info" data-testid="billing-banner">
                {format!(
                    "{} people take staff seats and the {} plan includes {}. Everyone keeps working; nobody new \
                     can join until the team fits the plan.",
                    billing.seats_used, billing.plan.display_name(), billing.seats_allowed
                )}
            </div>
        })}
    }
}
