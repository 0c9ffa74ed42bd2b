//! Webhooks (owner): the endpoints that receive ticket events, the events each one wants, its
//! signing secret (shown once, at creation and at rotation), and its delivery log with status,
//! latency and the answer, where a failed delivery can be sent again.

use ferrodesk_shared::WebhookId;
use ferrodesk_shared::webhooks::{
    DeliveryStatus, NewWebhook, Webhook, WebhookDelivery, WebhookDeliveryQuery, WebhookEvent, WebhookPatch,
};
use leptos::ev;
use leptos::prelude::*;

use crate::api::{use_api, use_submit};
use crate::components::time::Time;
use crate::components::toast::use_toasts;
use crate::pages::shell::{OwnerOnly, Rail, StaffOnly};

#[component]
pub fn WebhooksScreen() -> impl IntoView {
    view! {
        <StaffOnly>
            <div class="workspace two">
                <Rail />
                <OwnerOnly page="Webhooks">
                    <WebhooksPage />
                </OwnerOnly>
            </div>
        </StaffOnly>
    }
}

fn event_label(event: WebhookEvent) -> &'static str {
    match event {
        WebhookEvent::TicketCreated => "A ticket is created",
        WebhookEvent::TicketUpdated => "A ticket changes (status, priority, assignee, category, tags)",
        WebhookEvent::MessageCreated => "A reply is written",
    }
}

/// A secret to copy now: it is never shown again.
#[derive(Clone, Debug, PartialEq)]
struct ShownSecret {
    url: String,
    secret: String,
}

/// The page's shared state: the endpoints as the server last answered, the secret on show, and
/// the endpoint whose deliveries are open.
#[derive(Clone, Copy)]
struct Endpoints {
    list: RwSignal<Option<Vec<Webhook>>>,
    secret: RwSignal<Option<ShownSecret>>,
    open: RwSignal<Option<WebhookId>>,
}

impl Endpoints {
    fn replace(&self, webhook: Webhook) {
        self.list.update(|list| {
            if let Some(list) = list
                && let Some(slot) = list.iter_mut().find(|item| item.id == webhook.id)
            {
                *slot = webhook;
            }
        });
    }
}

#[component]
fn WebhooksPage() -> impl IntoView {
    let api = use_api();
    let state = Endpoints {
        list: RwSignal::new(None),
        secret: RwSignal::new(None),
        open: RwSignal::new(None),
    };
    let loading = use_submit();
    let load_error = loading.error();
    let reload = move || {
        loading.dispatch(api.webhooks().list(), move |list| state.list.set(Some(list.items)));
    };
    reload();

    view! {
        <main class="page webhooks" data-testid="webhooks">
            <div class="page-head"><h1>"Webhooks"</h1></div>
            <p class="muted intro">
                "Ferrodesk POSTs ticket events to your endpoints as they happen, as JSON signed the Standard Webhooks "
                "way (headers webhook-id, webhook-timestamp and webhook-signature). Failed deliveries are retried "
                "with growing waits; an endpoint that keeps failing for three days is switched off and you are told."
            </p>
            {move || load_error.get().map(|error| view! {
                <div class="alert error row" role="alert">
                    <span>{format!("We could not load the webhooks. {}", error.message())}</span>
                    <span class="spacer"></span>
                    <button class="button small" on:click=move |_| reload()>"Try again"</button>
                </div>
            })}
            {move || state.secret.get().map(|shown| view! {
                <div class="alert success stack secret-once" role="status" data-testid="webhook-secret">
                    <div>
                        <strong>"Copy the signing secret now: it is not shown again. "</strong>
                        {format!("Your receiver at {} verifies each request's signature with it.", shown.url)}
                    </div>
                    <div class="token-box" data-testid="webhook-secret-value">{shown.secret}</div>
                    <div>
                        <button class="button small" type="button" on:click=move |_| state.secret.set(None)>
                            "I have copied it"
                        </button>
                    </div>
                </div>
            })}
            <NewEndpoint state=state />
            <section class="stack endpoints" aria-labelledby="webhook-endpoints">
                <h2 id="webhook-endpoints">"Endpoints"</h2>
                {move || match state.list.get() {
                    None => view! { <p class="muted" aria-busy="true">"Loading…"</p> }.into_any(),
                    Some(list) if list.is_empty() => view! {
                        <div class="empty" data-testid="no-webhooks">
                            <strong>"No endpoints yet."</strong>
                            <p>"Add one above to have your other tools hear about tickets as they happen."</p>
                        </div>
                    }.into_any(),
                    Some(list) => list
                        .into_iter()
                        .map(|webhook| view! { <EndpointCard webhook=webhook state=state /> })
                        .collect_view()
                        .into_any(),
                }}
            </section>
            {move || state.open.get().map(|id| view! { <Deliveries id=id state=state /> })}
        </main>
    }
}

#[component]
fn NewEndpoint(state: Endpoints) -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let url = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let events = RwSignal::new(WebhookEvent::ALL.to_vec());
    let include_internal = RwSignal::new(false);
    let saving = use_submit();
    let error = saving.error();
    let field = move |name: &'static str| move || error.get().and_then(|error| error.field(name));
    let url_error = field("url");
    let events_error = field("events");
    let description_error = field("description");
    let on_submit = move |event: ev::SubmitEvent| {
        event.prevent_default();
        if saving.pending_untracked() {
            return;
        }
        let text = description.get().trim().to_owned();
        let body = NewWebhook {
            url: url.get().trim().to_owned(),
            events: events.get(),
            description: (!text.is_empty()).then_some(text),
            include_internal: include_internal.get(),
        };
        saving.dispatch(api.webhooks().create(body), move |created| {
            state.secret.set(Some(ShownSecret {
                url: created.webhook.url.clone(),
                secret: created.secret,
            }));
            state
                .list
                .update(|list| list.get_or_insert_with(Vec::new).push(created.webhook));
            url.set(String::new());
            description.set(String::new());
            toasts.info("Endpoint added. Events start arriving with the next change.");
        });
    };
    view! {
        <form class="card stack webhook-form" on:submit=on_submit novalidate aria-labelledby="new-webhook">
            <h2 id="new-webhook">"Add an endpoint"</h2>
            <div class="field">
                <label for="webhook-url">"URL"</label>
                <input id="webhook-url" class="input" type="url" placeholder="https://example.com/hooks/ferrodesk"
                    data-testid="webhook-url"
                    aria-invalid=move || url_error().is_some().to_string()
                    prop:value=move || url.get() on:input=move |event| url.set(event_target_value(&event)) />
                <span class="hint">"https, reachable from the internet. Redirects are not followed."</span>
                {move || url_error().map(|message| view! { <span class="error" role="alert">{message}</span> })}
            </div>
            <div class="field">
                <label for="webhook-description">"Description (optional)"</label>
                <input id="webhook-description" class="input" maxlength="200" placeholder="CRM sync"
                    aria-invalid=move || description_error().is_some().to_string()
                    prop:value=move || description.get() on:input=move |event| description.set(event_target_value(&event)) />
                {move || description_error().map(|message| view! { <span class="error" role="alert">{message}</span> })}
            </div>
            <fieldset class="field events">
                <legend>"Send these events"</legend>
                <EventChecks selected=Signal::derive(move || events.get()) on_toggle=Callback::new(move |(event, on): (WebhookEvent, bool)| {
                    events.update(|events| toggle(events, event, on));
                }) />
                {move || events_error().map(|message| view! { <span class="error" role="alert">{message}</span> })}
            </fieldset>
            <label class="check">
                <input type="checkbox" prop:checked=move || include_internal.get()
                    on:change=move |event| include_internal.set(event_target_checked(&event)) />
                <span>
                    <strong>"Include internal notes"</strong>
                    <span class="hint block">"Off, your endpoint only hears what the customer could see."</span>
                </span>
            </label>
            {move || error.get().filter(|error| error.body.as_ref().is_none_or(|body| body.fields.is_empty())).map(|error| view! {
                <div class="alert error" role="alert">{error.message()}</div>
            })}
            <div class="row">
                <button class="button primary" type="submit" data-testid="add-webhook" disabled=move || saving.pending()>
                    {move || if saving.pending() { "Adding…" } else { "Add endpoint" }}
                </button>
            </div>
        </form>
    }
}

fn toggle(events: &mut Vec<WebhookEvent>, event: WebhookEvent, on: bool) {
    events.retain(|kept| *kept != event);
    if on {
        events.push(event);
        events.sort();
    }
}

/// One checkbox per event, with the event's wire name beside what it means.
#[component]
fn EventChecks(selected: Signal<Vec<WebhookEvent>>, on_toggle: Callback<(WebhookEvent, bool)>) -> impl IntoView {
    WebhookEvent::ALL
        .into_iter()
        .map(|event| {
            view! {
                <label class="check">
                    <input type="checkbox" data-testid=format!("event-{}", event.as_str())
                        prop:checked=move || selected.get().contains(&event)
                        on:change=move |change| on_toggle.run((event, event_target_checked(&change))) />
                    <span>
                        <code>{event.as_str()}</code>
                        <span class="hint block">{event_label(event)}</span>
                    </span>
                </label>
            }
        })
        .collect_view()
}

#[component]
fn EndpointCard(webhook: Webhook, state: Endpoints) -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let id = webhook.id;
    let saving = use_submit();
    let patch = move |patch: WebhookPatch, done: &'static str| {
        saving.dispatch_with(api.webhooks().update(id, patch), move |result| match result {
            Ok(webhook) => {
                state.replace(webhook);
                toasts.info(done);
            }
            Err(error) => toasts.error(error.field("events").unwrap_or_else(|| error.message())),
        });
    };
    let events = webhook.events.clone();
    let on_toggle = Callback::new(move |(event, on): (WebhookEvent, bool)| {
        let mut events = events.clone();
        toggle(&mut events, event, on);
        patch(
            WebhookPatch {
                events: Some(events),
                ..WebhookPatch::default()
            },
            "Events saved.",
        );
    });
    let enabled = webhook.enabled;
    let switch = move |_| {
        patch(
            WebhookPatch {
                enabled: Some(!enabled),
                ..WebhookPatch::default()
            },
            if enabled {
                "Endpoint switched off."
            } else {
                "Endpoint switched on."
            },
        );
    };
    let internal = webhook.include_internal;
    let set_internal = move |event: ev::Event| {
        patch(
            WebhookPatch {
                include_internal: Some(event_target_checked(&event)),
                ..WebhookPatch::default()
            },
            if internal {
                "Internal notes are no longer sent."
            } else {
                "Internal notes are sent too."
            },
        );
    };
    let url = webhook.url.clone();
    let rotate = move |_| {
        let sure = window()
            .confirm_with_message("Make a new signing secret? The old one stops working at once.")
            .unwrap_or(false);
        if !sure {
            return;
        }
        let url = url.clone();
        saving.dispatch_with(api.webhooks().rotate_secret(id), move |result| match result {
            Ok(rotated) => {
                state.secret.set(Some(ShownSecret {
                    url,
                    secret: rotated.secret,
                }));
                state.replace(rotated.webhook);
            }
            Err(error) => toasts.error(error.message()),
        });
    };
    let delete = move |_| {
        let sure = window()
            .confirm_with_message("Delete this endpoint and its delivery log? Nothing more is sent to it.")
            .unwrap_or(false);
        if !sure {
            return;
        }
        saving.dispatch_with(api.webhooks().delete(id), move |result| match result {
            Ok(()) => {
                state.list.update(|list| {
                    if let Some(list) = list {
                        list.retain(|item| item.id != id);
                    }
                });
                if state.open.get_untracked() == Some(id) {
                    state.open.set(None);
                }
                toasts.info("Endpoint deleted.");
            }
            Err(error) => toasts.error(error.message()),
        });
    };
    let (pill, label) = match (webhook.enabled, webhook.failing_since) {
        (false, _) => ("status-closed", "Off"),
        (true, Some(_)) => ("status-pending", "Failing"),
        (true, None) => ("status-solved", "Active"),
    };
    let selected = Signal::derive({
        let events = webhook.events.clone();
        move || events.clone()
    });
    view! {
        <article class="card stack endpoint" data-testid="webhook-endpoint">
            <div class="row">
                <span class=format!("pill {pill}")>{label}</span>
                <strong class="endpoint-url">{webhook.url.clone()}</strong>
                <span class="spacer"></span>
                <button class="button small" type="button" data-testid="show-deliveries"
                    aria-pressed=move || (state.open.get() == Some(id)).to_string()
                    on:click=move |_| state.open.set(Some(id))>"Deliveries"</button>
            </div>
            {webhook.description.clone().map(|description| view! { <p class="muted">{description}</p> })}
            {webhook.disabled_reason.clone().filter(|_| !webhook.enabled).map(|reason| view! {
                <p class="alert info">{reason}</p>
            })}
            {webhook.failing_since.filter(|_| webhook.enabled).map(|since| view! {
                <p class="small failing">"Every delivery has failed since " <Time at=since /> "."</p>
            })}
            <fieldset class="events" disabled=move || saving.pending()>
                <legend class="small muted">"Events"</legend>
                <EventChecks selected=selected on_toggle=on_toggle />
                <label class="check">
                    <input type="checkbox" prop:checked=internal on:change=set_internal />
                    <span><strong>"Include internal notes"</strong></span>
                </label>
            </fieldset>
            <div class="row">
                <button class="button small" type="button" data-testid="toggle-webhook" disabled=move || saving.pending()
                    on:click=switch>{if enabled { "Switch off" } else { "Switch on" }}</button>
                <button class="button small" type="button" data-testid="rotate-secret" disabled=move || saving.pending()
                    on:click=rotate>"New signing secret"</button>
                <span class="spacer"></span>
                <span class="small muted">"Added " <Time at=webhook.created_at /></span>
                <button class="button small danger" type="button" disabled=move || saving.pending()
                    on:click=delete>"Delete"</button>
            </div>
        </article>
    }
}

fn status_pill(status: DeliveryStatus) -> (&'static str, &'static str) {
    match status {
        DeliveryStatus::Pending => ("status-pending", "Pending"),
        DeliveryStatus::Delivered => ("status-solved", "Delivered"),
        DeliveryStatus::Failed => ("status-open", "Failed"),
    }
}

#[component]
fn Deliveries(id: WebhookId, state: Endpoints) -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let rows = RwSignal::new(None::<Vec<WebhookDelivery>>);
    let next = RwSignal::new(None::<i64>);
    let loading = use_submit();
    let load_error = loading.error();
    let load = move |before: Option<i64>| {
        let query = WebhookDeliveryQuery {
            limit: Some(50),
            before,
        };
        loading.dispatch(api.webhooks().deliveries(id, query), move |page| {
            next.set(page.next_cursor);
            rows.update(|rows| match (before, rows) {
                (Some(_), Some(rows)) => rows.extend(page.items),
                (_, rows) => *rows = Some(page.items),
            });
        });
    };
    load(None);
    let retrying = use_submit();
    let retry = move |delivery: WebhookDelivery| {
        retrying.dispatch_with(api.webhooks().retry(id, delivery.id), move |result| match result {
            Ok(updated) => {
                rows.update(|rows| {
                    if let Some(row) = rows.iter_mut().flatten().find(|row| row.id == updated.id) {
                        *row = updated;
                    }
                });
                toasts.info("Sending it again now.");
            }
            Err(error) => toasts.error(error.message()),
        });
    };
    let url = move || {
        state
            .list
            .with(|list| {
                list.iter()
                    .flatten()
                    .find(|item| item.id == id)
                    .map(|item| item.url.clone())
            })
            .unwrap_or_default()
    };
    view! {
        <section class="card stack deliveries" aria-labelledby="webhook-deliveries" data-testid="webhook-deliveries">
            <div class="row">
                <h2 id="webhook-deliveries">"Deliveries to " <span class="endpoint-url">{url}</span></h2>
                <span class="spacer"></span>
                <button class="button small" type="button" on:click=move |_| load(None)>"Refresh"</button>
                <button class="button ghost small" type="button" on:click=move |_| state.open.set(None)>"Close"</button>
            </div>
            {move || load_error.get().map(|error| view! {
                <div class="alert error" role="alert">{format!("We could not load the deliveries. {}", error.message())}</div>
            })}
            {move || match rows.get() {
                None => view! { <p class="muted" aria-busy="true">"Loading…"</p> }.into_any(),
                Some(list) if list.is_empty() => view! {
                    <div class="empty">
                        <strong>"Nothing sent yet."</strong>
                        <p>"Deliveries appear here as tickets are created, changed and answered."</p>
                    </div>
                }.into_any(),
                Some(list) => view! {
                    <table class="table compact deliveries-table">
                        <thead>
                            <tr>
                                <th scope="col">"Event"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col" class="num">"Attempts"</th>
                                <th scope="col">"Answer"</th>
                                <th scope="col" class="num">"Latency"</th>
                                <th scope="col">"Last try"</th>
                                <th scope="col"><span class="sr-only">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            {list.into_iter().map(|delivery| {
                                let (pill, label) = status_pill(delivery.status);
                                let answer = match (delivery.response_status, &delivery.error) {
                                    (Some(code), _) => format!("HTTP {code}"),
                                    (None, Some(_)) => "No answer".to_owned(),
                                    (None, None) => "Not tried yet".to_owned(),
                                };
                                let detail = [delivery.error.clone(), delivery.response_body.clone()]
                                    .into_iter()
                                    .flatten()
                                    .collect::<Vec<_>>()
                                    .join("\n\n");
                                let for_retry = delivery.clone();
                                view! {
                                    <tr data-testid="webhook-delivery">
                                        <td><code>{delivery.event.as_str()}</code> <span class="small muted">{format!(" #{}", delivery.event_id)}</span></td>
                                        <td>
                                            <span class=format!("pill {pill}")>{label}</span>
                                            {delivery.next_attempt_at.map(|at| view! { <span class="small muted block">"next " <Time at=at /></span> })}
                                        </td>
                                        <td class="num">{delivery.attempts}</td>
                                        <td class="answer">
                                            {if detail.is_empty() {
                                                view! { <span>{answer}</span> }.into_any()
                                            } else {
                                                view! {
                                                    <details>
                                                        <summary>{answer}</summary>
                                                        <pre class="answer-body">{detail}</pre>
                                                    </details>
                                                }.into_any()
                                            }}
                                        </td>
                                        <td class="num">{delivery.latency_ms.map(|ms| format!("{ms} ms")).unwrap_or_default()}</td>
                                        <td>{delivery.last_attempt_at.map(|at| view! { <Time at=at /> })}</td>
                                        <td>
                                            <button class="button ghost small" type="button" data-testid="retry-delivery"
                                                disabled=move || retrying.pending()
                                                on:click=move |_| retry(for_retry.clone())>
                                                {if delivery.status == DeliveryStatus::Delivered { "Send again" } else { "Retry now" }}
                                            </button>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
            {move || next.get().map(|before| view! {
                <div><button class="button small" type="button" on:click=move |_| load(Some(before))>"Older deliveries"</button></div>
            })}
        </section>
    }
}
