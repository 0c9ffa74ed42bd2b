//! The banner an unproven user sees until they open the confirmation link we emailed them.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::use_api;
use crate::session::use_session;

#[component]
pub fn ConfirmEmailBanner() -> impl IntoView {
    let session = use_session();
    let api = use_api();
    let sent = RwSignal::new(false);
    let resend = move |_| {
        spawn_local(async move {
            if api.auth().resend_confirmation().await.is_ok() {
                sent.set(true);
            }
        });
    };
    move || {
        session.user().filter(|user| !user.email_verified).map(|user| {
            view! {
                <div class="alert info confirm-banner" role="status" data-testid="confirm-email">
                    <span>{format!("Confirm your email address: we sent a link to {}.", user.email)}</span>
                    {move || if sent.get() {
                        view! { <span class="small">" A new link is on its way."</span> }.into_any()
                    } else {
                        view! { <button class="button ghost small" type="button" on:click=resend>"Resend"</button> }
                            .into_any()
                    }}
                </div>
            }
        })
    }
}
