//! A ticket opened by staff on a customer's behalf (a phone call, a chat, an email forwarded by hand).

use ferrodesk_shared::tickets::{NewTicket, Priority};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::{use_api, use_submit};
use crate::components::form::{FormError, TextField};
use crate::pages::shell::{Rail, StaffOnly, use_inbox_refresh};

#[component]
pub fn NewTicketPage() -> impl IntoView {
    view! {
        <StaffOnly>
            <div class="workspace two">
                <Rail />
                <NewTicketForm />
            </div>
        </StaffOnly>
    }
}

#[component]
fn NewTicketForm() -> impl IntoView {
    let api = use_api();
    let navigate = use_navigate();
    let refresh = use_inbox_refresh();
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let subject = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let priority = RwSignal::new(Priority::Normal);
    let submit = use_submit();
    let errors = submit.error();
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let request = NewTicket {
            subject: subject.get_untracked(),
            body: body.get_untracked(),
            priority: Some(priority.get_untracked()),
            requester_email: Some(email.get_untracked()),
            requester_name: Some(name.get_untracked()).filter(|name| !name.trim().is_empty()),
            attachment_ids: Vec::new(),
        };
        let navigate = navigate.clone();
        submit.dispatch(api.tickets().create(request), move |created| {
            refresh.0.update(|n| *n += 1);
            navigate(&format!("/inbox/{}?view=all", created.ticket.id), Default::default());
        });
    };
    let body_error = move || errors.get().and_then(|error| error.field("body"));
    view! {
        <main class="page">
            <div class="page-head"><h1>"New ticket"</h1></div>
            <p class="muted">"Open a ticket for a customer. If they are new, they become a customer of your workspace."</p>
            <form class="stack card" on:submit=on_submit novalidate>
                <FormError error=errors />
                <TextField label="Customer email" name="requester_email" value=email error=errors kind="email" autofocus=true />
                <TextField label="Customer name" name="requester_name" value=name error=errors hint="Optional." />
                <TextField label="Subject" name="subject" value=subject error=errors />
                <div class="field">
                    <label for="new-body">"What is the problem?"</label>
                    <textarea id="new-body" class="textarea" prop:value=move || body.get()
                        on:input=move |event| body.set(event_target_value(&event))></textarea>
                    {move || body_error().map(|message| view! { <span class="error">{message}</span> })}
                </div>
                <div class="field">
                    <label for="new-priority">"Priority"</label>
                    <select id="new-priority" class="select"
                        on:change=move |event| {
                            if let Ok(value) = event_target_value(&event).parse::<Priority>() {
                                priority.set(value);
                            }
                        }>
                        {Priority::ALL.into_iter().map(|value| view! {
                            <option value=value.as_str() selected=value == Priority::Normal>{value.as_str()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="row">
                    <span class="spacer"></span>
                    <a class="button" href="/inbox">"Cancel"</a>
                    <button class="button primary" type="submit" disabled=move || submit.pending()>
                        {move || if submit.pending() { "Creating…" } else { "Create ticket" }}
                    </button>
                </div>
            </form>
        </main>
    }
}
