//! API keys (owner): create one with its scopes and an optional expiry, copy it once (it is never
//! shown again), see when each was last used, and revoke one after confirming.

use chrono::Duration;
use ferrodesk_shared::ApiKeyId;
use ferrodesk_shared::api_keys::{ApiKey, ApiKeyCreated, ApiScope, NewApiKey};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{use_api, use_submit};
use crate::components::clipboard::copy_to_clipboard;
use crate::components::form::{FormError, TextField};
use crate::components::time::{Time, now};
use crate::components::toast::use_toasts;
use crate::pages::shell::{OwnerOnly, Rail, StaffOnly};

#[component]
pub fn ApiKeysScreen() -> impl IntoView {
    view! {
        <StaffOnly>
            <div class="workspace two">
                <Rail />
                <OwnerOnly page="API keys">
                    <ApiKeysPage />
                </OwnerOnly>
            </div>
        </StaffOnly>
    }
}

/// How long a new key lives, as offered on screen.
const LIFETIMES: [(&str, &str, Option<i64>); 4] = [
    ("never", "Until revoked", None),
    ("30", "30 days", Some(30)),
    ("90", "90 days", Some(90)),
    ("365", "1 year", Some(365)),
];

#[component]
fn ApiKeysPage() -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let reload = RwSignal::new(0u32);
    let keys = LocalResource::new(move || {
        reload.track();
        async move { api.api_keys().list().await }
    });

    let name = RwSignal::new(String::new());
    let scopes = RwSignal::new(vec![ApiScope::TicketsRead]);
    let lifetime = RwSignal::new(None::<i64>);
    let creating = use_submit();
    let errors = creating.error();
    let created = RwSignal::new(None::<ApiKeyCreated>);
    let create = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let request = NewApiKey {
            name: name.get_untracked(),
            scopes: scopes.get_untracked(),
            expires_at: lifetime.get_untracked().map(|days| now() + Duration::days(days)),
        };
        creating.dispatch(api.api_keys().create(request), move |key| {
            name.set(String::new());
            created.set(Some(key));
            reload.update(|n| *n += 1);
        });
    };
    let toggle = move |scope: ApiScope, on: bool| {
        scopes.update(|chosen| {
            chosen.retain(|other| *other != scope);
            if on {
                chosen.push(scope);
            }
        });
    };
    let scopes_error = move || errors.get().and_then(|error| error.field("scopes"));

    // The key whose revoke button was pressed once; the second press, on "Revoke for good", acts.
    let confirming = RwSignal::new(None::<ApiKeyId>);
    let revoke = move |key: ApiKey| {
        spawn_local(async move {
            match api.api_keys().revoke(key.id).await {
                Ok(()) => toasts.info(format!("“{}” is revoked: it stops working at once.", key.name)),
                Err(failure) => toasts.error(failure.message()),
            }
            confirming.set(None);
            reload.update(|n| *n += 1);
        });
    };

    view! {
        <main class="page">
            <div class="page-head"><h1>"API keys"</h1></div>
            <p class="muted">
                "Keys let your other tools (a shop's back office, a CRM, an automation) use Ferrodesk's API. "
                "Each key acts as an integration named after it, with only the scopes you give it; "
                "send it as " <code>"Authorization: Bearer fd_…"</code> ", never in a URL."
            </p>
            <section class="card stack">
                <h2>"Create a key"</h2>
                <form class="stack" on:submit=create novalidate>
                    <TextField label="Name" name="name" value=name error=errors
                        hint="Shown as the author of what the key writes, e.g. “Shop back office”." />
                    <fieldset class="field" aria-describedby="scopes-error">
                        <legend>"Scopes"</legend>
                        {ApiScope::ALL.into_iter().map(|scope| view! {
                            <label class="row">
                                <input type="checkbox" data-testid=format!("scope-{}", scope.as_str())
                                    prop:checked=move || scopes.with(|chosen| chosen.contains(&scope))
                                    on:change=move |event| toggle(scope, event_target_checked(&event)) />
                                <code>{scope.as_str()}</code>
                                <span class="muted small">{scope.description()}</span>
                            </label>
                        }).collect_view()}
                        {move || scopes_error().map(|message| view! {
                            <span class="error" id="scopes-error" role="alert">{message}</span>
                        })}
                    </fieldset>
                    <div class="field">
                        <label for="key-lifetime">"Expires"</label>
                        <select id="key-lifetime" class="select" style="width: auto"
                            on:change=move |event| {
                                let chosen = event_target_value(&event);
                                lifetime.set(LIFETIMES.iter().find(|(value, _, _)| *value == chosen).and_then(|(_, _, days)| *days));
                            }>
                            {LIFETIMES.into_iter().map(|(value, label, days)| view! {
                                <option value=value selected=days.is_none()>{label}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div>
                        <button class="button primary" type="submit" disabled=move || creating.pending()>
                            {move || if creating.pending() { "Creating…" } else { "Create key" }}
                        </button>
                    </div>
                </form>
                <FormError error=errors />
                {move || created.get().map(|key| {
                    let secret = key.key.clone();
                    view! {
                        <div class="alert success stack" role="status">
                            <div>
                                <strong>{format!("“{}” is ready. Copy the key now: you will not see it again.", key.name)}</strong>
                            </div>
                            <div class="token-box" data-testid="new-api-key">{key.key.clone()}</div>
                            <div class="row">
                                <button class="button small" type="button" on:click=move |_| {
                                    if copy_to_clipboard(&secret) {
                                        toasts.info("Key copied.");
                                    } else {
                                        toasts.error("Your browser would not copy it here: select the key and copy it yourself.");
                                    }
                                }>"Copy key"</button>
                                <button class="button ghost small" type="button" on:click=move |_| created.set(None)>
                                    "I have stored it"
                                </button>
                            </div>
                        </div>
                    }
                })}
            </section>

            <section class="stack" style="margin-top: 24px;">
                <h2>"Keys"</h2>
                {move || keys.get().map(|result| match result {
                    Err(failure) => view! { <div class="alert error">{failure.message()}</div> }.into_any(),
                    Ok(list) if list.items.is_empty() => view! {
                        <p class="muted" data-testid="no-api-keys">"No key yet. Create one above for each tool that needs the API."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <table class="table" data-testid="api-keys">
                            <thead><tr>
                                <th>"Name"</th><th>"Key"</th><th>"Scopes"</th><th>"Created"</th>
                                <th>"Last used"</th><th>"Expires"</th><th></th>
                            </tr></thead>
                            <tbody>
                                {list.items.into_iter().map(|key| {
                                    let id = key.id;
                                    let expired = key.expires_at.is_some_and(|at| at <= now());
                                    let for_revoke = key.clone();
                                    view! {
                                        <tr data-testid="api-key-row">
                                            <td>{key.name.clone()}</td>
                                            <td><code>{format!("{}…", key.prefix)}</code></td>
                                            <td class="small">{key.scopes.iter().map(|scope| scope.as_str()).collect::<Vec<_>>().join(", ")}</td>
                                            <td class="muted small">
                                                <Time at=key.created_at />
                                                {key.created_by.map(|by| format!(" by {}", by.name))}
                                            </td>
                                            <td class="muted small">
                                                {match key.last_used_at {
                                                    Some(at) => view! { <Time at=at /> }.into_any(),
                                                    None => view! { <span>"Never"</span> }.into_any(),
                                                }}
                                            </td>
                                            <td class="muted small">
                                                {match key.expires_at {
                                                    Some(at) if expired => view! { <span class="error">"Expired "<Time at=at /></span> }.into_any(),
                                                    Some(at) => view! { <Time at=at /> }.into_any(),
                                                    None => view! { <span>"Never"</span> }.into_any(),
                                                }}
                                            </td>
                                            <td>
                                                {move || if confirming.get() == Some(id) {
                                                    let for_revoke = for_revoke.clone();
                                                    view! {
                                                        <div class="row" role="group" aria-label="Confirm revoking">
                                                            <span class="small">"Tools using it stop working at once."</span>
                                                            <button class="button small danger" type="button"
                                                                on:click=move |_| revoke(for_revoke.clone())>"Revoke for good"</button>
                                                            <button class="button ghost small" type="button"
                                                                on:click=move |_| confirming.set(None)>"Cancel"</button>
                                                        </div>
                                                    }.into_any()
                                                } else {
                                                    view! {
                                                        <button class="button small" type="button"
                                                            on:click=move |_| confirming.set(Some(id))>"Revoke"</button>
                                                    }.into_any()
                                                }}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </section>
        </main>
    }
}
