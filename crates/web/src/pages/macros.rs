//! Macros (supervisors and owners): replies the team writes once, with `{{placeholders}}` filled in
//! per ticket and what sending one sets on the ticket (status, priority, tags). Agents apply them
//! from the reply box; this page keeps the list, most used first.

use ferrodesk_shared::MacroId;
use ferrodesk_shared::macros::{Macro, MacroInput, PLACEHOLDERS};
use ferrodesk_shared::tickets::{Priority, TicketStatus};
use leptos::ev;
use leptos::prelude::*;

use crate::api::{ApiError, use_api, use_submit};
use crate::components::macros::{ActionChips, actions, capitalised, excerpt, insert_at, parse_tags, usage};
use crate::components::time::Time;
use crate::components::toast::use_toasts;
use crate::pages::shell::{Rail, StaffOnly, SupervisorOnly};

#[component]
pub fn MacrosScreen() -> impl IntoView {
    view! {
        <StaffOnly>
            <div class="workspace two">
                <Rail />
                <SupervisorOnly page="Macros">
                    <MacrosPage />
                </SupervisorOnly>
            </div>
        </StaffOnly>
    }
}

/// The statuses a reply may leave a ticket in (`new` is only a start, `closed` only follows solved).
const STATUSES: [TicketStatus; 3] = [TicketStatus::Open, TicketStatus::Pending, TicketStatus::Solved];

/// What the form is open for.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Editing {
    New,
    Existing(MacroId),
}

#[component]
fn MacrosPage() -> impl IntoView {
    let api = use_api();
    let list = RwSignal::new(None::<Vec<Macro>>);
    let loading = use_submit();
    let load_error = loading.error();
    let reload = move || loading.dispatch(api.macros().list(), move |found| list.set(Some(found.items)));
    reload();
    let editing = RwSignal::new(None::<Editing>);
    let has_macros = move || list.with(|list| list.as_ref().is_some_and(|list| !list.is_empty()));

    view! {
        <main class="page macros" data-testid="macros">
            <div class="page-head">
                <h1>"Macros"</h1>
                <span class="spacer"></span>
                {move || (has_macros() && editing.get().is_none()).then(|| view! {
                    <button class="button primary" type="button" data-testid="macro-new"
                        on:click=move |_| editing.set(Some(Editing::New))>"New macro"</button>
                })}
            </div>
            <p class="muted intro">
                "A macro is a reply your team writes once and sends many times. Placeholders such as "
                <code>"{{customer.first_name}}"</code>
                " are filled in for each ticket, and sending it can also set the ticket's status, priority and tags. "
                "Agents apply one from the reply box with the Macros button or the " <span class="kbd">"m"</span> " key."
            </p>
            {move || load_error.get().map(|error| view! {
                <div class="alert error row" role="alert">
                    <span>{format!("We could not load the macros. {}", error.message())}</span>
                    <span class="spacer"></span>
                    <button class="button small" type="button" on:click=move |_| reload()>"Try again"</button>
                </div>
            })}
            {move || editing.get().map(|mode| {
                let initial = match mode {
                    Editing::New => None,
                    Editing::Existing(id) => list.with_untracked(|list| {
                        list.iter().flatten().find(|item| item.id == id).cloned()
                    }),
                };
                view! {
                    <MacroForm initial=initial
                        saved=Callback::new(move |()| { editing.set(None); reload(); })
                        cancel=Callback::new(move |()| editing.set(None)) />
                }
            })}
            <section class="macro-list" aria-label="Macros">
                {move || match list.get() {
                    None if load_error.get().is_none() => view! {
                        <div class="skeleton" aria-busy="true"></div>
                    }.into_any(),
                    None => ().into_any(),
                    Some(items) if items.is_empty() => view! {
                        <div class="empty" data-testid="no-macros">
                            <strong>"No macros yet."</strong>
                            <p>
                                "Write the answers your team gives again and again once, with the customer's name "
                                "filled in, and let a reply also solve or tag the ticket."
                            </p>
                            {move || editing.get().is_none().then(|| view! {
                                <button class="button primary" type="button" data-testid="macro-new"
                                    on:click=move |_| editing.set(Some(Editing::New))>"New macro"</button>
                            })}
                        </div>
                    }.into_any(),
                    Some(items) => view! {
                        <table class="table macros-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Macro"</th>
                                    <th scope="col">"On send"</th>
                                    <th scope="col">"Used"</th>
                                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                {items.into_iter().map(|item| view! {
                                    <MacroRow item=item
                                        edit=Callback::new(move |id| editing.set(Some(Editing::Existing(id))))
                                        deleted=Callback::new(move |id: MacroId| {
                                            list.update(|list| if let Some(list) = list { list.retain(|item| item.id != id) });
                                            if editing.get_untracked() == Some(Editing::Existing(id)) {
                                                editing.set(None);
                                            }
                                        }) />
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }}
            </section>
        </main>
    }
}

#[component]
fn MacroRow(item: Macro, edit: Callback<MacroId>, deleted: Callback<MacroId>) -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let id = item.id;
    let confirming = RwSignal::new(false);
    let deleting = use_submit();
    let title = item.title.clone();
    let delete = move |_| {
        let title = title.clone();
        deleting.dispatch_with(api.macros().delete(id), move |result| match result {
            Ok(()) => {
                toasts.info(format!("“{title}” is deleted."));
                deleted.run(id);
            }
            Err(error) => {
                confirming.set(false);
                toasts.error(format!("The macro was not deleted. {}", error.message()));
            }
        });
    };
    view! {
        <tr data-testid="macro-row">
            <td class="macro-cell">
                <strong class="macro-name">{item.title.clone()}</strong>
                <span class="macro-excerpt" title=item.body.clone()>{excerpt(&item.body, 120)}</span>
            </td>
            <td><ActionChips actions=actions(item.set_status, item.set_priority, &item.add_tags) /></td>
            <td class="nowrap" data-testid="macro-usage">
                {usage(item.usage_count)}
                {item.last_used_at.map(|at| view! { <span class="small muted block">"last " <Time at=at /></span> })}
            </td>
            <td class="actions">
                {move || if confirming.get() {
                    view! {
                        <div class="row" role="group" aria-label="Confirm deleting">
                            <span class="small">"Delete it for everyone?"</span>
                            <button class="button small danger" type="button" data-testid="macro-delete-confirm"
                                disabled=move || deleting.pending() on:click=delete.clone()>
                                {move || if deleting.pending() { "Deleting…" } else { "Delete for good" }}
                            </button>
                            <button class="button ghost small" type="button"
                                on:click=move |_| confirming.set(false)>"Cancel"</button>
                        </div>
                    }.into_any()
                } else {
                    view! {
                        <div class="row">
                            <button class="button small" type="button" data-testid="macro-edit"
                                on:click=move |_| edit.run(id)>"Edit"</button>
                            <button class="button ghost small" type="button" data-testid="macro-delete"
                                on:click=move |_| confirming.set(true)>"Delete"</button>
                        </div>
                    }.into_any()
                }}
            </td>
        </tr>
    }
}

/// The server's message for one field (a taken title is a 409 naming `title`).
fn field_error(error: &ApiError, name: &str) -> Option<String> {
    error.field(name)
}

/// The fields the form shows the server's messages beside.
const FIELDS: [&str; 5] = ["title", "body", "set_status", "set_priority", "add_tags"];

/// What the form's fields do not already say (a failure of no field, or of a field it does not
/// have), for above the buttons.
fn unplaced(error: &ApiError) -> Option<String> {
    match &error.body {
        Some(body) if !body.fields.is_empty() => {
            let others: Vec<String> = body
                .fields
                .iter()
                .filter(|(name, _)| !FIELDS.contains(&name.as_str()))
                .flat_map(|(_, messages)| messages.iter().cloned())
                .collect();
            (!others.is_empty()).then(|| others.join("; "))
        }
        _ => Some(error.message()),
    }
}

/// New or existing: title, text with the placeholders to insert, and what sending it sets.
#[component]
fn MacroForm(initial: Option<Macro>, saved: Callback<()>, cancel: Callback<()>) -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let id = initial.as_ref().map(|item| item.id);
    let title = RwSignal::new(initial.as_ref().map(|item| item.title.clone()).unwrap_or_default());
    let body = RwSignal::new(initial.as_ref().map(|item| item.body.clone()).unwrap_or_default());
    let status = RwSignal::new(initial.as_ref().and_then(|item| item.set_status));
    let priority = RwSignal::new(initial.as_ref().and_then(|item| item.set_priority));
    let tags = RwSignal::new(
        initial
            .as_ref()
            .map(|item| item.add_tags.join(", "))
            .unwrap_or_default(),
    );
    // A status set through the API that the select does not offer is still shown, and kept.
    let statuses: Vec<TicketStatus> = STATUSES
        .into_iter()
        .chain(status.get_untracked().filter(|status| !STATUSES.contains(status)))
        .collect();

    let saving = use_submit();
    let error = saving.error();
    let message = move |name: &'static str| move || error.get().and_then(|error| field_error(&error, name));
    let (title_error, body_error, tags_error) = (message("title"), message("body"), message("add_tags"));
    let status_error = message("set_status");
    let priority_error = message("set_priority");

    let title_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = title_input.get() {
            let _ = input.focus();
        }
    });

    // The placeholders go in where the caret was, or at the end before the text was touched.
    let textarea = NodeRef::<leptos::html::Textarea>::new();
    let touched = RwSignal::new(false);
    let insert = move |name: &str| {
        let token = format!("{{{{{name}}}}}");
        let text = body.get_untracked();
        let end = text.encode_utf16().count() as u32;
        let selection = textarea
            .get_untracked()
            .filter(|_| touched.get_untracked())
            .map(|area| {
                let start = area.selection_start().ok().flatten().unwrap_or(end);
                (start, area.selection_end().ok().flatten().unwrap_or(start))
            });
        let (start, stop) = selection.unwrap_or((end, end));
        let (next, caret) = insert_at(&text, start, stop, &token);
        body.set(next.clone());
        if let Some(area) = textarea.get_untracked() {
            area.set_value(&next);
            let _ = area.focus();
            let _ = area.set_selection_range(caret, caret);
            touched.set(true);
        }
    };

    let on_submit = move |event: ev::SubmitEvent| {
        event.prevent_default();
        if saving.pending_untracked() {
            return;
        }
        let input = MacroInput {
            title: title.get_untracked().trim().to_owned(),
            body: body.get_untracked(),
            set_status: status.get_untracked(),
            set_priority: priority.get_untracked(),
            add_tags: parse_tags(&tags.get_untracked()),
        };
        let done = move |item: Macro| {
            toasts.info(format!("“{}” is saved.", item.title));
            saved.run(());
        };
        match id {
            Some(id) => saving.dispatch(api.macros().update(id, input), done),
            None => saving.dispatch(api.macros().create(input), done),
        }
    };

    let heading = if id.is_some() { "Edit macro" } else { "New macro" };
    let invalid = |message: Option<String>| message.is_some().to_string();
    view! {
        <form class="card stack macro-form" on:submit=on_submit novalidate aria-labelledby="macro-form-title">
            <h2 id="macro-form-title">{heading}</h2>
            <div class="field">
                <label for="macro-title">"Title"</label>
                <input id="macro-title" class="input" node_ref=title_input data-testid="macro-title"
                    placeholder="Refund issued"
                    aria-invalid=move || invalid(title_error())
                    prop:value=move || title.get() on:input=move |event| title.set(event_target_value(&event)) />
                <span class="hint">"What agents search for in the reply box."</span>
                {move || title_error().map(|message| view! { <span class="error" role="alert">{message}</span> })}
            </div>
            <div class="macro-body-row">
                <div class="field">
                    <label for="macro-body">"Text"</label>
                    <textarea id="macro-body" class="textarea" node_ref=textarea data-testid="macro-body" rows="8"
                        placeholder="Hi {{customer.first_name}}, …"
                        aria-invalid=move || invalid(body_error())
                        aria-describedby="macro-placeholders"
                        prop:value=move || body.get()
                        on:focus=move |_| touched.set(true)
                        on:input=move |event| body.set(event_target_value(&event))></textarea>
                    <span class="hint">"Markdown works as in replies. The agent can still edit it before sending."</span>
                    {move || body_error().map(|message| view! {
                        <span class="error" role="alert" data-testid="macro-body-error">{message}</span>
                    })}
                </div>
                <div class="placeholders" id="macro-placeholders">
                    <span class="small muted">"Placeholders (click to insert)"</span>
                    <ul class="plain">
                        {PLACEHOLDERS.iter().map(|(name, description)| view! {
                            <li>
                                <button type="button" class="button ghost small placeholder" title=*description
                                    aria-label=format!("Insert {description}")
                                    on:click=move |_| insert(name)>
                                    <code>{format!("{{{{{name}}}}}")}</code>
                                </button>
                                <span class="small muted">{*description}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                </div>
            </div>
            <div class="row wrap macro-actions">
                <div class="field">
                    <label for="macro-status">"Set status"</label>
                    <select id="macro-status" class="select" data-testid="macro-status"
                        aria-invalid=move || invalid(status_error())
                        prop:value=move || status.get().map(|status| status.as_str()).unwrap_or_default()
                        on:change=move |event| status.set(event_target_value(&event).parse().ok())>
                        <option value="">"Don't change"</option>
                        {statuses.into_iter().map(|choice| view! {
                            <option value=choice.as_str() selected=move || status.get() == Some(choice)>
                                {capitalised(choice.as_str())}
                            </option>
                        }).collect_view()}
                    </select>
                    {move || status_error().map(|message| view! { <span class="error" role="alert">{message}</span> })}
                </div>
                <div class="field">
                    <label for="macro-priority">"Set priority"</label>
                    <select id="macro-priority" class="select" data-testid="macro-priority"
                        aria-invalid=move || invalid(priority_error())
                        prop:value=move || priority.get().map(|priority| priority.as_str()).unwrap_or_default()
                        on:change=move |event| priority.set(event_target_value(&event).parse::<Priority>().ok())>
                        <option value="">"Don't change"</option>
                        {Priority::ALL.into_iter().map(|choice| view! {
                            <option value=choice.as_str() selected=move || priority.get() == Some(choice)>
                                {capitalised(choice.as_str())}
                            </option>
                        }).collect_view()}
                    </select>
                    {move || priority_error().map(|message| view! { <span class="error" role="alert">{message}</span> })}
                </div>
                <div class="field tags-field">
                    <label for="macro-tags">"Add tags"</label>
                    <input id="macro-tags" class="input" data-testid="macro-tags" placeholder="refund, vip"
                        aria-invalid=move || invalid(tags_error())
                        prop:value=move || tags.get() on:input=move |event| tags.set(event_target_value(&event)) />
                    <span class="hint">"Separate tags with commas. The ticket keeps the tags it has."</span>
                    {move || {
                        let chosen = parse_tags(&tags.get());
                        (!chosen.is_empty()).then(|| view! {
                            <span class="chips">
                                {chosen.into_iter().map(|tag| view! { <span class="tag">{format!("+{tag}")}</span> }).collect_view()}
                            </span>
                        })
                    }}
                    {move || tags_error().map(|message| view! { <span class="error" role="alert">{message}</span> })}
                </div>
            </div>
            {move || error.get().as_ref().and_then(unplaced).map(|message| view! {
                <div class="alert error" role="alert">{message}</div>
            })}
            <div class="row">
                <button class="button primary" type="submit" data-testid="macro-save" disabled=move || saving.pending()>
                    {move || if saving.pending() { "Saving…" } else { "Save macro" }}
                </button>
                <button class="button ghost" type="button" on:click=move |_| cancel.run(())>"Cancel"</button>
            </div>
        </form>
    }
}
