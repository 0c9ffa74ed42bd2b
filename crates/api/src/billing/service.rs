//! The owner's doors to Stripe: Checkout to subscribe and the Billing Portal to manage. The Stripe
//! customer is created and stored on the workspace before the first Checkout, so every event is
//! matched to a workspace by a customer id this server wrote, never by what an event says.

use ferrodesk_shared::billing::{BillingRedirect, SubscriptionStatus};
use ferrodesk_stripe::Checkout;

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::workspaces::repo as workspaces_repo;

use super::{StripeBilling, repo};

/// Where Stripe's pages send the owner back to (the web app's billing screen).
fn billing_page(state: &AppState, outcome: Option<&str>) -> String {
    match outcome {
        Some(outcome) => format!("{}/billing?checkout={outcome}", state.settings.public_url),
        None => format!("{}/billing", state.settings.public_url),
    }
}

/// What an owner is told when Stripe cannot be asked; the billing screen itself still works.
fn unavailable(error: ferrodesk_stripe::Error) -> ApiError {
    if error.is_transient() {
        tracing::warn!(%error, "Stripe is unavailable");
        ApiError::Unavailable(
            "Stripe cannot be reached right now: nothing was charged. Try again in a minute.".to_owned(),
        )
    } else {
        // A refused request is this server's mistake (a wrong price id or key): the operator's to fix.
        ApiError::Internal(anyhow::anyhow!(error))
    }
}

/// A Checkout Session for the Pro plan. A workspace already paying is sent to the portal instead.
pub async fn checkout(state: &AppState, owner: &Principal) -> ApiResult<BillingRedirect> {
    let stripe = state.billing.stripe()?;
    let workspace = workspaces_repo::get(&state.db, owner.scope()).await?;
    let paying = workspace
        .billing_status
        .as_deref()
        .and_then(SubscriptionStatus::parse)
        .is_some_and(|status| {
            matches!(
                status,
                SubscriptionStatus::Active
                    | SubscriptionStatus::Trialing
                    | SubscriptionStatus::PastDue
                    | SubscriptionStatus::Unpaid
            )
        });
    if paying {
        return Err(ApiError::conflict(
            "This workspace already has a subscription: manage it (card, invoices, cancelling) in the billing portal.",
        ));
    }
    let customer = customer_of(state, stripe, owner, &workspace).await?;
    let reference = workspace.id.to_string();
    let success = billing_page(state, Some("success"));
    let cancel = billing_page(state, Some("cancelled"));
    // One key per attempt: a retry of this call within Stripe's 24 h gets the same session.
    let key = format!("ferrodesk-checkout-{}", uuid::Uuid::now_v7());
    let session = stripe
        .client
        .checkout(Checkout {
            customer: &customer,
            price: &stripe.price_pro,
            reference: &reference,
            success_url: &success,
            cancel_url: &cancel,
            idempotency_key: &key,
        })
        .await
        .map_err(unavailable)?;
    tracing::info!(workspace = %workspace.id, session = %session.id, "checkout started");
    Ok(BillingRedirect { url: session.url })
}

/// A Billing Portal session (cards, invoices, cancelling) for a workspace that has a customer.
pub async fn portal(state: &AppState, owner: &Principal) -> ApiResult<BillingRedirect> {
    let stripe = state.billing.stripe()?;
    let workspace = workspaces_repo::get(&state.db, owner.scope()).await?;
    let Some(customer) = workspace.stripe_customer_id else {
        return Err(ApiError::conflict(
            "There is nothing to manage yet: upgrade to Pro first.",
        ));
    };
    let session = stripe
        .client
        .portal(
            &customer,
            &billing_page(state, None),
            &format!("ferrodesk-portal-{}", uuid::Uuid::now_v7()),
        )
        .await
        .map_err(unavailable)?;
    Ok(BillingRedirect { url: session.url })
}

/// The workspace's Stripe customer, created and stored first if it has none. The idempotency key
/// is the workspace's, so two owners clicking at once get one customer.
async fn customer_of(
    state: &AppState,
    stripe: &StripeBilling,
    owner: &Principal,
    workspace: &crate::db::entities::workspaces::Model,
) -> ApiResult<String> {
    if let Some(customer) = &workspace.stripe_customer_id {
        return Ok(customer.clone());
    }
    let created = stripe
        .client
        .create_customer(
            &workspace.name,
            owner.email(),
            &workspace.id.to_string(),
            &format!("ferrodesk-customer-{}", workspace.id),
        )
        .await
        .map_err(unavailable)?;
    repo::keep_customer(&state.db, owner.scope(), &created).await
}
