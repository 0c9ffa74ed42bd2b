//! The customer's side: their requests, one request's conversation with a reply box, and a new
//! request (files can go with either). Plain and friendly, in one column, with none of the team's vocabulary.

use ferrodesk_shared::events::ServerEvent;
use ferrodesk_shared::tickets::{NewMessage, NewTicket, TicketListQuery, TicketStatus};
use ferrodesk_shared::{Role, TicketId};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api::{ApiError, use_api, use_submit};
use crate::components::attachments::{
    AttachButton, AttachmentChips, AttachmentDraft, MessageAttachments, ids, sentence,
};
use crate::components::confirm::ConfirmEmailBanner;
use crate::components::form::{FormError, TextField};
use crate::components::markdown::MessageText;
use crate::components::time::Time;
use crate::components::toast::use_toasts;
use crate::live::use_live;
use crate::session::use_session;

/// What a customer reads instead of the team's status names.
fn customer_status(status: TicketStatus) -> (&'static str, &'static str) {
    match status {
        TicketStatus::New | TicketStatus::Open => ("Open", "status-open"),
        TicketStatus::Pending => ("Awaiting your reply", "status-pending"),
        TicketStatus::Solved => ("Solved", "status-solved"),
        TicketStatus::Closed => ("Closed", "status-closed"),
    }
}

#[component]
fn CustomerOnly(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    move || {
        if !session.ready() {
            return view! { <div class="portal"><p class="muted">"Loading…"</p></div> }.into_any();
        }
        match session.role() {
            None => view! { <Redirect path="/signin" /> }.into_any(),
            Some(Role::Customer) => children().into_any(),
            Some(_) => view! { <Redirect path="/inbox" /> }.into_any(),
        }
    }
}

#[component]
fn PortalFrame(children: Children) -> impl IntoView {
    let session = use_session();
    view! {
        <div class="portal">
            <header class="portal-head">
                <span class="brand-mark" aria-hidden="true">"F"</span>
                <a href="/requests" style="color: inherit; text-decoration: none;">
                    <strong>{move || session.workspace().map(|workspace| format!("{} support", workspace.name))}</strong>
                </a>
                <span class="spacer"></span>
                <span class="muted small">{move || session.user().map(|user| user.email)}</span>
                <button class="button ghost small" on:click=move |_| session.sign_out()>"Sign out"</button>
            </header>
            <ConfirmEmailBanner />
            {children()}
        </div>
    }
}

#[component]
pub fn Requests() -> impl IntoView {
    view! { <CustomerOnly><PortalFrame><RequestList /></PortalFrame></CustomerOnly> }
}

#[component]
fn RequestList() -> impl IntoView {
    let api = use_api();
    let reload = RwSignal::new(0u32);
    let page = LocalResource::new(move || {
        reload.track();
        let query = TicketListQuery {
            limit: Some(100),
            ..Default::default()
        };
        async move { api.tickets().list(query).await }
    });
    // Our answers and status changes show up without a reload.
    use_live().subscribe(move |event| {
        if event.event_id().is_some() {
            reload.update(|n| *n += 1);
        }
    });
    view! {
        <div class="page-head">
            <h1>"Your requests"</h1>
            <span class="spacer"></span>
            <a class="button primary" href="/requests/new">"New request"</a>
        </div>
        {move || match page.get() {
            None => view! { <div class="skeleton"></div> }.into_any(),
            Some(Err(error)) => view! { <div class="alert error">{error.message()}</div> }.into_any(),
            Some(Ok(page)) if page.items.is_empty() => view! {
                <div class="empty card">
                    <strong>"You have not asked us anything yet."</strong>
                    "When you send a request, you can follow our answers here."
                </div>
            }.into_any(),
            Some(Ok(page)) => view! {
                <ul class="request-list" data-testid="request-list">
                    {page.items.into_iter().map(|ticket| {
                        let (label, class) = customer_status(ticket.status);
                        view! {
                            <li>
                                <a href=format!("/requests/{}", ticket.id)>
                                    <span class=format!("pill {class}")>{label}</span>
                                    <span style="flex: 1">{ticket.subject}</span>
                                    <span class="small faint"><Time at=ticket.updated_at /></span>
                                </a>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any(),
        }}
    }
}

#[component]
pub fn NewRequest() -> impl IntoView {
    view! { <CustomerOnly><PortalFrame><NewRequestForm /></PortalFrame></CustomerOnly> }
}

#[component]
fn NewRequestForm() -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let subject = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let files = AttachmentDraft::new();
    let submit = use_submit();
    let errors = submit.error();
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if files.uploading_untracked() {
            return;
        }
        let request = NewTicket {
            subject: subject.get_untracked(),
            body: body.get_untracked(),
            priority: None,
            requester_email: None,
            requester_name: None,
            attachment_ids: ids(&files.uploaded()),
        };
        let navigate = navigate.clone();
        submit.dispatch(api.tickets().create(request), move |created| {
            // Said in words, with the number a customer quotes when they write again.
            toasts.info(format!(
                "We have your request #{}. We will answer here and by email.",
                created.ticket.number
            ));
            navigate(&format!("/requests/{}", created.ticket.id), Default::default())
        });
    };
    let body_error = move || errors.get().and_then(|error| error.field("body"));
    let files_error = move || errors.get().and_then(|error| error.field("attachment_ids"));
    view! {
        <h1>"How can we help?"</h1>
        // Files dropped anywhere on the form are attached (not opened by the browser in place of the app).
        <form class="stack" style="margin-top: 16px" on:submit=on_submit novalidate
            on:dragover=move |event: leptos::ev::DragEvent| event.prevent_default()
            on:drop=move |event| files.dropped(api, &event)>
            <FormError error=errors />
            <TextField label="Subject" name="subject" value=subject error=errors autofocus=true
                hint="A few words, like “Card declined at checkout”." />
            <div class="field">
                <label for="request-body">"Tell us more"</label>
                <textarea id="request-body" class="textarea" prop:value=move || body.get()
                    on:input=move |event| body.set(event_target_value(&event))
                    on:paste=move |event| files.pasted(api, &event)></textarea>
                {move || body_error().map(|message| view! { <span class="error">{message}</span> })}
            </div>
            <AttachmentChips draft=files />
            {move || files_error().map(|message| view! { <span class="error" role="alert">{sentence(&message)}</span> })}
            <div class="row">
                <AttachButton draft=files />
                <span class="spacer"></span>
                <a class="button" href="/requests">"Cancel"</a>
                <button class="button primary" type="submit" disabled=move || submit.pending() || files.uploading()>
                    {move || if submit.pending() { "Sending…" } else { "Send request" }}
                </button>
            </div>
        </form>
    }
}

#[component]
pub fn RequestView() -> impl IntoView {
    view! { <CustomerOnly><PortalFrame><Conversation /></PortalFrame></CustomerOnly> }
}

#[component]
fn Conversation() -> impl IntoView {
    let params = use_params_map();
    // Not an id at all (a mistyped address) reads like one that does not exist.
    let id = Memo::new(move |_| params.with(|params| params.get("id").and_then(|id| id.parse::<TicketId>().ok())));
    let api = use_api();
    let reload = RwSignal::new(0u32);
    let detail = LocalResource::new(move || {
        reload.track();
        let id = id.get();
        async move {
            match id {
                Some(id) => api.tickets().get(id).await,
                None => Err(ApiError::not_found()),
            }
        }
    });
    use_live().subscribe(move |event| {
        let concerns_this = match event {
            ServerEvent::MessageCreated { ticket, .. } | ServerEvent::TicketUpdated { ticket, .. } => {
                Some(ticket.id) == id.get_untracked()
            }
            _ => false,
        };
        if concerns_this {
            reload.update(|n| *n += 1);
        }
    });
    let draft = RwSignal::new(String::new());
    let files = AttachmentDraft::new();
    let sending = use_submit();
    let send = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let body = draft.get_untracked();
        // The form shows only once the request has loaded, so the id is there.
        let Some(id) = id.get_untracked() else { return };
        if body.trim().is_empty() || files.uploading_untracked() {
            return;
        }
        let request = NewMessage {
            body,
            internal: false,
            macro_id: None,
            attachment_ids: ids(&files.uploaded()),
        };
        sending.dispatch(api.tickets().reply(id, request), move |_| {
            draft.set(String::new());
            files.clear();
            reload.update(|n| *n += 1);
        });
    };
    let errors = sending.error();
    view! {
        <p><a href="/requests">"← All your requests"</a></p>
        {move || match detail.get() {
            None => view! { <div class="skeleton"></div> }.into_any(),
            Some(Err(failure)) => view! {
                <div class="empty card"><strong>{if failure.status == 404 { "We could not find this request.".to_owned() } else { failure.message() }}</strong></div>
            }.into_any(),
            Some(Ok(detail)) => {
                let (label, class) = customer_status(detail.ticket.status);
                let closed = detail.ticket.status == TicketStatus::Closed;
                view! {
                    <div class="row" style="margin: 8px 0 16px">
                        <h1 style="flex: 1" data-testid="request-subject">{detail.ticket.subject.clone()}</h1>
                        <span class=format!("pill {class}") data-testid="request-status">{label}</span>
                    </div>
                    <div class="thread" style="padding: 0" data-testid="thread">
                        {detail.messages.into_iter().map(|message| view! {
                            <article class="message" class:mine=!message.author.role.is_staff() data-testid="reply">
                                <div class="meta">
                                    <span class="author">{message.author.name.clone()}</span>
                                    {message.author.role.is_staff().then(|| view! { <span class="tag">"Support team"</span> })}
                                    <span class="spacer"></span>
                                    <span class="small faint"><Time at=message.created_at /></span>
                                </div>
                                <MessageText body=message.body />
                                <MessageAttachments attachments=message.attachments />
                            </article>
                        }).collect_view()}
                    </div>
                    {if closed {
                        view! { <p class="muted" style="margin-top: 16px">"This request is closed. Send a new request if you need more help."</p> }.into_any()
                    } else {
                        view! {
                            <form class="stack" style="margin-top: 16px" on:submit=send
                                on:dragover=move |event: leptos::ev::DragEvent| event.prevent_default()
                                on:drop=move |event| files.dropped(api, &event)>
                                <FormError error=errors />
                                <label for="customer-reply" class="sr-only">"Your reply"</label>
                                <textarea id="customer-reply" class="textarea" placeholder="Write a reply…" data-testid="composer"
                                    prop:value=move || draft.get()
                                    on:input=move |event| draft.set(event_target_value(&event))
                                    on:paste=move |event| files.pasted(api, &event)></textarea>
                                {move || errors.get().and_then(|error| error.field("body")).map(|message| view! {
                                    <span class="error" role="alert">{sentence(&message)}</span>
                                })}
                                <AttachmentChips draft=files />
                                {move || errors.get().and_then(|error| error.field("attachment_ids")).map(|message| view! {
                                    <span class="error" role="alert">{sentence(&message)}</span>
                                })}
                                <div class="row">
                                    <AttachButton draft=files />
                                    <span class="spacer"></span>
                                    <button class="button primary" type="submit" disabled=move || sending.pending() || files.uploading()>
                                        {move || if sending.pending() { "Sending…" } else { "Send reply" }}
                                    </button>
                                </div>
                            </form>
                        }.into_any()
                    }}
                }.into_any()
            }
        }}
    }
}
