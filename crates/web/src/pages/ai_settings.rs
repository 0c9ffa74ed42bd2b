//! AI settings (owner): the switch, how sure the classifier must be to set a category, the
//! workspace's own categories, an optional chat-completions provider for drafts (its key is
//! write-only), and how far the classifier and the server's engine have got.

use ferrodesk_shared::ai::{
    AiSettings, AiSettingsUpdate, CategoryDef, ClassifierMethod, ClassifierStatus, EmbedderKind, EngineStatus,
    ProviderInput,
};
use leptos::ev;
use leptos::prelude::*;

use crate::api::{ApiError, use_api, use_submit};
use crate::components::ai::percent;
use crate::components::time::Time;
use crate::components::toast::use_toasts;
use crate::pages::shell::{OwnerOnly, Rail, StaffOnly};

/// The threshold's range on screen: below 0.3 nearly every guess would stick, above 0.95 hardly any.
const MIN_THRESHOLD: f32 = 0.3;
const MAX_THRESHOLD: f32 = 0.95;

#[component]
pub fn AiSettingsScreen() -> impl IntoView {
    view! {
        <StaffOnly>
            <div class="workspace two">
                <Rail />
                <OwnerOnly page="AI settings">
                    <AiSettingsPage />
                </OwnerOnly>
            </div>
        </StaffOnly>
    }
}

/// One of the workspace's own categories, as edited (`id` keys the row on screen only).
#[derive(Clone, Debug, PartialEq)]
struct CustomRow {
    id: u64,
    name: String,
    description: String,
}

/// The form: what the owner edits, turned into an `AiSettingsUpdate` on save.
#[derive(Clone, Copy)]
struct Form {
    enabled: RwSignal<bool>,
    min_confidence: RwSignal<f32>,
    custom: RwSignal<Vec<CustomRow>>,
    next_row: StoredValue<u64>,
    has_provider: RwSignal<bool>,
    base_url: RwSignal<String>,
    model: RwSignal<String>,
    /// Typed here only; blank keeps the stored key.
    api_key: RwSignal<String>,
    /// The owner asked to forget the stored key (a local server needs none).
    forget_key: RwSignal<bool>,
}

impl Form {
    fn new() -> Self {
        Form {
            enabled: RwSignal::new(false),
            min_confidence: RwSignal::new(0.7),
            custom: RwSignal::new(Vec::new()),
            next_row: StoredValue::new(0),
            has_provider: RwSignal::new(false),
            base_url: RwSignal::new(String::new()),
            model: RwSignal::new(String::new()),
            api_key: RwSignal::new(String::new()),
            forget_key: RwSignal::new(false),
        }
    }

    fn fill(&self, settings: &AiSettings) {
        self.enabled.set(settings.enabled);
        self.min_confidence.set(settings.min_confidence);
        let rows = settings
            .categories
            .iter()
            .filter(|category| !category.builtin)
            .map(|category| self.row(category.name.clone(), category.description.clone()))
            .collect();
        self.custom.set(rows);
        self.has_provider.set(settings.provider.is_some());
        let (base_url, model) = settings
            .provider
            .as_ref()
            .map(|provider| (provider.base_url.clone(), provider.model.clone()))
            .unwrap_or_default();
        self.base_url.set(base_url);
        self.model.set(model);
        self.api_key.set(String::new());
        self.forget_key.set(false);
    }

    fn row(&self, name: String, description: String) -> CustomRow {
        let id = self.next_row.get_value();
        self.next_row.set_value(id + 1);
        CustomRow { id, name, description }
    }

    fn add_row(&self) {
        let row = self.row(String::new(), String::new());
        self.custom.update(|rows| rows.push(row));
    }

    fn edit_row(&self, id: u64, edit: impl FnOnce(&mut CustomRow)) {
        self.custom.update(|rows| {
            if let Some(row) = rows.iter_mut().find(|row| row.id == id) {
                edit(row);
            }
        });
    }

    fn read(&self) -> AiSettingsUpdate {
        let key = self.api_key.get().trim().to_owned();
        AiSettingsUpdate {
            enabled: self.enabled.get(),
            min_confidence: self.min_confidence.get(),
            custom_categories: self.custom.with(|rows| {
                rows.iter()
                    // A row left entirely blank is not a category.
                    .filter(|row| !(row.name.trim().is_empty() && row.description.trim().is_empty()))
                    .map(|row| CategoryDef {
                        name: row.name.trim().to_lowercase(),
                        description: row.description.trim().to_owned(),
                        builtin: false,
                    })
                    .collect()
            }),
            provider: self.has_provider.get().then(|| ProviderInput {
                base_url: self.base_url.get().trim().to_owned(),
                model: self.model.get().trim().to_owned(),
                api_key: if !key.is_empty() {
                    Some(key)
                } else if self.forget_key.get() {
                    Some(String::new())
                } else {
                    None
                },
            }),
        }
    }
}

/// What the server holds, in the shape of the form (to tell unsaved changes apart).
fn as_update(settings: &AiSettings) -> AiSettingsUpdate {
    AiSettingsUpdate {
        enabled: settings.enabled,
        min_confidence: settings.min_confidence,
        custom_categories: settings
            .categories
            .iter()
            .filter(|category| !category.builtin)
            .cloned()
            .collect(),
        provider: settings.provider.as_ref().map(|provider| ProviderInput {
            base_url: provider.base_url.clone(),
            model: provider.model.clone(),
            api_key: None,
        }),
    }
}

/// The fields shown next to their inputs; anything else the server names goes in the form's message.
const SHOWN_FIELDS: [&str; 6] = [
    "enabled",
    "min_confidence",
    "custom_categories",
    "provider.base_url",
    "provider.model",
    "provider.api_key",
];

fn form_problem(error: &ApiError) -> String {
    let others: Vec<String> = error
        .body
        .as_ref()
        .map(|body| {
            body.fields
                .iter()
                .filter(|(name, _)| !SHOWN_FIELDS.contains(&name.as_str()))
                .map(|(name, messages)| format!("{name}: {}", messages.join("; ")))
                .collect()
        })
        .unwrap_or_default();
    if others.is_empty() {
        error.message()
    } else {
        format!("{} {}", error.message(), others.join(". "))
    }
}

fn method_text(method: ClassifierMethod) -> (&'static str, &'static str) {
    match method {
        ClassifierMethod::ZeroShot => (
            "Zero-shot",
            "No categories set by your team yet: new tickets are compared with the categories' descriptions.",
        ),
        ClassifierMethod::Centroid => (
            "Nearest category",
            "A few categories set by your team: new tickets go to the category whose tickets they resemble most.",
        ),
        ClassifierMethod::Logistic => (
            "Trained on your tickets",
            "Enough categories set by your team to train a classifier on them (logistic regression).",
        ),
        ClassifierMethod::Prior => (
            "Ready from day one",
            "No categories set by your team yet: the built-in ones come from what public support requests taught \
             the model, your own from their descriptions. Each category your team sets teaches it your tickets.",
        ),
    }
}

#[component]
fn AiSettingsPage() -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let form = Form::new();
    let saved = RwSignal::new(None::<AiSettings>);
    let loading = use_submit();
    let load_error = loading.error();
    let reload = move || {
        loading.dispatch(api.ai().settings(), move |settings| {
            form.fill(&settings);
            saved.set(Some(settings));
        });
    };
    reload();

    // Whether the plan includes AI (the page is for owners, who may read the plan).
    let ai_included =
        LocalResource::new(
            move || async move { api.billing().overview().await.ok().map(|billing| billing.ai_included) },
        );
    let changed = move || saved.with(|saved| saved.as_ref().is_some_and(|saved| as_update(saved) != form.read()));
    let saving = use_submit();
    let error = saving.error();
    let field = move |name: &'static str| move || error.get().and_then(|error| error.field(name));
    let on_submit = move |event: ev::SubmitEvent| {
        event.prevent_default();
        saving.dispatch(api.ai().save_settings(form.read()), move |settings| {
            form.fill(&settings);
            saved.set(Some(settings));
            toasts.info("AI settings saved.");
        });
    };
    let builtins = move || {
        saved.with(|saved| {
            saved
                .as_ref()
                .map(|saved| {
                    saved
                        .categories
                        .iter()
                        .filter(|category| category.builtin)
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    let has_key = move || {
        saved.with(|saved| {
            saved
                .as_ref()
                .and_then(|saved| saved.provider.as_ref())
                .is_some_and(|provider| provider.has_api_key)
        })
    };
    let base_url_error = field("provider.base_url");
    let model_error = field("provider.model");
    let key_error = field("provider.api_key");
    let categories_error = field("custom_categories");
    let threshold_error = field("min_confidence");
    let enabled_error = field("enabled");

    view! {
        <main class="page ai-settings" data-testid="ai-settings">
            <div class="page-head"><h1>"AI settings"</h1></div>
            <p class="muted intro">
                "The AI sorts new tickets into categories and drafts replies for your agents to edit. It runs on "
                "this server; nothing leaves it unless you connect a provider below. Every category your team sets "
                "or corrects teaches it your workspace's ways."
            </p>
            {move || ai_included.get().flatten().filter(|included| !included).map(|_| view! {
                // A plan without AI: what Pro adds, and the way there.
                <div class="alert info row" data-testid="upgrade-prompt">
                    <span>"Categories, reply drafts and the widget's answers come with the Pro plan. The settings \
                           below take effect once the workspace is on it."</span>
                    <span class="spacer"></span>
                    <a class="button small primary" href="/billing">"See plans"</a>
                </div>
            })}
            {move || load_error.get().map(|error| view! {
                <div class="alert error row" role="alert">
                    <span>{format!("We could not load the AI settings. {}", error.message())}</span>
                    <span class="spacer"></span>
                    <button class="button small" on:click=move |_| reload()>"Try again"</button>
                </div>
            })}
            <form class="ai-form" on:submit=on_submit novalidate aria-busy=move || saved.with(Option::is_none).to_string()>
                <section class="card stack" aria-labelledby="ai-general">
                    <h2 id="ai-general">"Categories and drafts"</h2>
                    <label class="check">
                        <input type="checkbox" data-testid="ai-enabled"
                            prop:checked=move || form.enabled.get()
                            on:change=move |event| form.enabled.set(event_target_checked(&event)) />
                        <span>
                            <strong>"Use AI in this workspace"</strong>
                            <span class="hint block">"Categorise new tickets and offer \"Suggest reply\" to agents."</span>
                        </span>
                    </label>
                    {move || enabled_error().map(|message| view! { <span class="error" role="alert">{message}</span> })}
                    <div class="field">
                        <label for="ai-threshold">"Confidence needed to set a category"</label>
                        <div class="row">
                            <input id="ai-threshold" class="range" type="range"
                                min=MIN_THRESHOLD.to_string() max=MAX_THRESHOLD.to_string() step="0.05"
                                aria-describedby="ai-threshold-hint"
                                aria-valuetext=move || percent(form.min_confidence.get())
                                aria-invalid=move || threshold_error().is_some().to_string()
                                prop:value=move || form.min_confidence.get().to_string()
                                on:input=move |event| {
                                    if let Ok(value) = event_target_value(&event).parse::<f32>() {
                                        form.min_confidence.set(value);
                                    }
                                } />
                            <output for="ai-threshold" class="range-value" data-testid="ai-threshold-value">
                                {move || percent(form.min_confidence.get())}
                            </output>
                        </div>
                        <span class="hint" id="ai-threshold-hint">
                            "Below this, a new ticket's category is left for a person, with the AI's guess shown as a hint. "
                            "Higher means fewer but surer categories."
                        </span>
                        {move || threshold_error().map(|message| view! { <span class="error" role="alert">{message}</span> })}
                    </div>
                </section>

                <section class="card stack" aria-labelledby="ai-categories">
                    <h2 id="ai-categories">"Categories"</h2>
                    <p class="hint">
                        "Every workspace has the built-in ones. Add your own with a few words on what their tickets are "
                        "about: the AI compares new tickets with these words until your team has labelled enough tickets."
                    </p>
                    <table class="table compact categories-table">
                        <thead>
                            <tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"What its tickets are about"</th>
                                <th scope="col"><span class="sr-only">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            {move || builtins().into_iter().map(|category| view! {
                                <tr class="builtin" data-testid="builtin-category">
                                    <td><code>{category.name.clone()}</code></td>
                                    <td class="muted">{category.description.clone()}</td>
                                    <td><span class="tag">"Built in"</span></td>
                                </tr>
                            }).collect_view()}
                            <For each=move || form.custom.get() key=|row| row.id let:row>
                                {
                                    let id = row.id;
                                    let value = move |pick: fn(&CustomRow) -> String| {
                                        form.custom.with(|rows| rows.iter().find(|row| row.id == id).map(pick).unwrap_or_default())
                                    };
                                    let label = move || {
                                        let name = value(|row| row.name.clone());
                                        if name.trim().is_empty() { "the new category".to_owned() } else { name }
                                    };
                                    view! {
                                        <tr data-testid="custom-category">
                                            <td>
                                                <input class="input" placeholder="refunds" maxlength="40"
                                                    aria-label="Category name"
                                                    aria-invalid=move || categories_error().is_some().to_string()
                                                    prop:value=move || value(|row| row.name.clone())
                                                    on:input=move |event| {
                                                        let text = event_target_value(&event);
                                                        form.edit_row(id, |row| row.name = text);
                                                    } />
                                            </td>
                                            <td>
                                                <input class="input" placeholder="Refund requests and their status" maxlength="200"
                                                    aria-label="Category description"
                                                    aria-invalid=move || categories_error().is_some().to_string()
                                                    prop:value=move || value(|row| row.description.clone())
                                                    on:input=move |event| {
                                                        let text = event_target_value(&event);
                                                        form.edit_row(id, |row| row.description = text);
                                                    } />
                                            </td>
                                            <td>
                                                <button type="button" class="button ghost small"
                                                    aria-label=move || format!("Remove {}", label())
                                                    on:click=move |_| form.custom.update(|rows| rows.retain(|row| row.id != id))>
                                                    "Remove"
                                                </button>
                                            </td>
                                        </tr>
                                    }
                                }
                            </For>
                        </tbody>
                    </table>
                    {move || categories_error().map(|message| view! {
                        <span class="error" role="alert" data-testid="categories-error">{message}</span>
                    })}
                    <div class="row">
                        <button type="button" class="button small" on:click=move |_| form.add_row()>"Add category"</button>
                        <span class="hint">"Names: lower-case letters, digits, - and _."</span>
                    </div>
                </section>

                <section class="card stack" aria-labelledby="ai-provider">
                    <h2 id="ai-provider">"Reply drafts"</h2>
                    <Show when=move || form.has_provider.get() fallback=move || view! {
                        <p class="hint">
                            "Drafts are written here, offline, from your team's replies to similar solved tickets. "
                            "To have a language model write them instead, connect an OpenAI-compatible provider "
                            "(OpenAI, Ollama, vLLM, a llama.cpp server)."
                        </p>
                        <div>
                            <button type="button" class="button small" data-testid="add-provider"
                                on:click=move |_| form.has_provider.set(true)>"Connect a provider"</button>
                        </div>
                    }>
                        <p class="hint">
                            "Drafts come from this provider, grounded in similar solved tickets. If it fails, agents "
                            "get the offline draft and are told why."
                        </p>
                        <div class="field">
                            <label for="ai-base-url">"Base URL"</label>
                            <input id="ai-base-url" class="input" type="url" placeholder="https://api.openai.com/v1"
                                aria-invalid=move || base_url_error().is_some().to_string()
                                prop:value=move || form.base_url.get()
                                on:input=move |event| form.base_url.set(event_target_value(&event)) />
                            <span class="hint">"Up to the version, e.g. /v1; /chat/completions is added."</span>
                            {move || base_url_error().map(|message| view! { <span class="error" role="alert">{message}</span> })}
                        </div>
                        <div class="field">
                            <label for="ai-model">"Model"</label>
                            <input id="ai-model" class="input" placeholder="gpt-4o-mini"
                                aria-invalid=move || model_error().is_some().to_string()
                                prop:value=move || form.model.get()
                                on:input=move |event| form.model.set(event_target_value(&event)) />
                            {move || model_error().map(|message| view! { <span class="error" role="alert">{message}</span> })}
                        </div>
                        <div class="field">
                            <label for="ai-api-key">"API key"</label>
                            <input id="ai-api-key" class="input" type="password" autocomplete="off"
                                placeholder=move || if has_key() && !form.forget_key.get() { "Leave blank to keep the stored key" } else { "None (local servers need none)" }
                                aria-describedby="ai-api-key-hint"
                                aria-invalid=move || key_error().is_some().to_string()
                                prop:value=move || form.api_key.get()
                                on:input=move |event| form.api_key.set(event_target_value(&event)) />
                            <span class="hint row" id="ai-api-key-hint" data-testid="api-key-state">
                                {move || match (has_key(), form.forget_key.get()) {
                                    (true, false) => view! {
                                        <span>"A key is stored. It is never shown again; type a new one to replace it."</span>
                                        <button type="button" class="button ghost small" on:click=move |_| form.forget_key.set(true)>
                                            "Forget the key"
                                        </button>
                                    }.into_any(),
                                    (true, true) => view! {
                                        <span>"The stored key will be forgotten when you save."</span>
                                        <button type="button" class="button ghost small" on:click=move |_| form.forget_key.set(false)>
                                            "Keep it"
                                        </button>
                                    }.into_any(),
                                    (false, _) => view! { <span>"No key stored. It is kept encrypted and never shown again."</span> }.into_any(),
                                }}
                            </span>
                            {move || key_error().map(|message| view! { <span class="error" role="alert">{message}</span> })}
                        </div>
                        <div>
                            <button type="button" class="button small danger" data-testid="remove-provider"
                                on:click=move |_| {
                                    form.has_provider.set(false);
                                    form.api_key.set(String::new());
                                }>"Remove provider"</button>
                        </div>
                    </Show>
                </section>

                {move || error.get().map(|error| view! {
                    <div class="alert error" role="alert" data-testid="ai-settings-error">{form_problem(&error)}</div>
                })}
                <div class="row">
                    <button class="button primary" type="submit" disabled=move || saving.pending() || saved.with(Option::is_none)>
                        {move || if saving.pending() { "Saving…" } else { "Save AI settings" }}
                    </button>
                    <span class="spacer"></span>
                    {move || changed().then(|| view! { <span class="small muted" data-testid="unsaved">"Unsaved changes"</span> })}
                </div>
            </form>

            {move || saved.get().map(|saved| view! {
                <section class="card stack ai-status" aria-labelledby="ai-status">
                    <h2 id="ai-status">"How it is doing"</h2>
                    <ClassifierView status=saved.classifier.clone() />
                    <EngineView status=saved.engine.clone() />
                </section>
            })}
        </main>
    }
}

#[component]
fn ClassifierView(status: ClassifierStatus) -> impl IntoView {
    let (method, explained) = method_text(status.method);
    let labels = match status.labels {
        1 => "1 ticket".to_owned(),
        count => format!("{count} tickets"),
    };
    view! {
        <dl class="facts" data-testid="classifier-status">
            <dt>"Classifier"</dt>
            <dd><strong>{method}</strong> <span class="hint block">{explained}</span></dd>
            <dt>"Learnt from"</dt>
            <dd>{labels} " categorised by your team"</dd>
            <dt>"Trained"</dt>
            <dd>{match status.trained_at {
                Some(at) => view! { <Time at=at /> }.into_any(),
                None => "Not yet".into_any(),
            }}</dd>
        </dl>
    }
}

#[component]
fn EngineView(status: EngineStatus) -> impl IntoView {
    let kind = match status.kind {
        EmbedderKind::Model => "Sentence model, on this server",
        EmbedderKind::Fallback => "Word-based fallback",
    };
    view! {
        <dl class="facts" data-testid="engine-status">
            <dt>"Engine"</dt>
            <dd><strong>{kind}</strong> <span class="muted">{format!(" ({})", status.embedder)}</span></dd>
            {status.notice.map(|notice| view! {
                <dt>"Note"</dt>
                <dd class="engine-notice">{notice}</dd>
            })}
        </dl>
    }
}
