//! Widget settings (owner): the switch, how the launcher looks (colour, text, greeting, position)
//! with a live preview, answers from solved tickets while visitors type, the origins allowed to
//! embed it, identity verification (the secret is shown once, when made), and the snippet to paste.

use ferrodesk_shared::widget::{WidgetPosition, WidgetSettings, WidgetSettingsUpdate};
use leptos::ev;
use leptos::prelude::*;

use crate::api::{ApiError, use_api, use_submit};
use crate::components::clipboard::copy_to_clipboard;
use crate::components::form::TextField;
use crate::components::toast::use_toasts;
use crate::pages::shell::{OwnerOnly, Rail, StaffOnly};
use crate::session::use_session;

#[component]
pub fn WidgetSettingsScreen() -> impl IntoView {
    view! {
        <StaffOnly>
            <div class="workspace two">
                <Rail />
                <OwnerOnly page="Widget settings">
                    <WidgetSettingsPage />
                </OwnerOnly>
            </div>
        </StaffOnly>
    }
}

/// The preview's colour while the typed one is not a colour yet.
const FALLBACK_COLOUR: &str = "#3451d1";
/// The server's limits, counted on screen as the owner types.
const MAX_LABEL: usize = 40;
const MAX_GREETING: usize = 200;

const POSITIONS: [(WidgetPosition, &str); 2] = [
    (WidgetPosition::BottomRight, "Bottom right"),
    (WidgetPosition::BottomLeft, "Bottom left"),
];

/// The form: what the owner edits; `changes` turns it into an update of the changed fields only.
#[derive(Clone, Copy)]
struct Form {
    enabled: RwSignal<bool>,
    colour: RwSignal<String>,
    label: RwSignal<String>,
    greeting: RwSignal<String>,
    position: RwSignal<WidgetPosition>,
    /// One origin per line, as typed.
    origins: RwSignal<String>,
    identity_required: RwSignal<bool>,
    suggest_answers: RwSignal<bool>,
}

impl Form {
    fn new() -> Self {
        Form {
            enabled: RwSignal::new(false),
            colour: RwSignal::new(FALLBACK_COLOUR.to_owned()),
            label: RwSignal::new(String::new()),
            greeting: RwSignal::new(String::new()),
            position: RwSignal::new(WidgetPosition::BottomRight),
            origins: RwSignal::new(String::new()),
            identity_required: RwSignal::new(false),
            suggest_answers: RwSignal::new(false),
        }
    }

    fn fill(&self, settings: &WidgetSettings) {
        self.enabled.set(settings.enabled);
        self.colour.set(settings.colour.clone());
        self.label.set(settings.label.clone());
        self.greeting.set(settings.greeting.clone());
        self.position.set(settings.position);
        self.origins.set(settings.allowed_origins.join("\n"));
        self.identity_required.set(settings.identity_required);
        self.suggest_answers.set(settings.suggest_answers);
    }

    /// Only what differs from what the server holds (text compared as the server stores it: trimmed).
    fn changes(&self, saved: &WidgetSettings) -> WidgetSettingsUpdate {
        fn differs<T: PartialEq>(now: T, saved: &T) -> Option<T> {
            (now != *saved).then_some(now)
        }
        let colour = self.colour.get().trim().to_owned();
        WidgetSettingsUpdate {
            enabled: differs(self.enabled.get(), &saved.enabled),
            colour: (!colour.eq_ignore_ascii_case(&saved.colour)).then_some(colour),
            label: differs(self.label.get().trim().to_owned(), &saved.label),
            greeting: differs(self.greeting.get().trim().to_owned(), &saved.greeting),
            position: differs(self.position.get(), &saved.position),
            allowed_origins: differs(origin_lines(&self.origins.get()), &saved.allowed_origins),
            identity_required: differs(self.identity_required.get(), &saved.identity_required),
            suggest_answers: differs(self.suggest_answers.get(), &saved.suggest_answers),
        }
    }
}

/// The textarea's origins: one per line, blank lines left out.
fn origin_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(ToOwned::to_owned)
        .collect()
}

/// `#rrggbb` (lower-case) when `text` is one, as the server accepts it.
fn valid_colour(text: &str) -> Option<String> {
    let text = text.trim();
    let hex = text.strip_prefix('#')?;
    (hex.len() == 6 && hex.bytes().all(|byte| byte.is_ascii_hexdigit())).then(|| text.to_ascii_lowercase())
}

/// The launcher's text colour on `colour`: white or near-black, whichever contrasts more (WCAG
/// relative luminance), as the widget's loader picks it.
fn ink(colour: &str) -> &'static str {
    let channel = |at: usize| {
        let value = colour
            .get(at..at + 2)
            .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            .map_or(0.0, |value| f64::from(value) / 255.0);
        if value <= 0.03928 {
            value / 12.92
        } else {
            ((value + 0.055) / 1.055).powf(2.4)
        }
    };
    let luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    if 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.0555 {
        "#fff"
    } else {
        "#111"
    }
}

/// The fields shown next to their inputs; anything else the server names goes in the form's message.
const SHOWN_FIELDS: [&str; 8] = [
    "enabled",
    "colour",
    "label",
    "greeting",
    "position",
    "allowed_origins",
    "identity_required",
    "suggest_answers",
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
    let mut message = error.message();
    if !others.is_empty() {
        message = format!("{message} {}.", others.join(". "));
    }
    if (400..500).contains(&error.status) {
        message.push_str(" Nothing was saved: the form shows the stored settings again.");
    }
    message
}

/// The loader tag for this server and workspace.
fn snippet(origin: &str, slug: &str) -> String {
    format!(r#"<script src="{origin}/widget.js" data-workspace="{slug}" async></script>"#)
}

/// How the company's server signs a visitor in (Node.js, the most common case; any JWT library does).
fn signing_example(slug: &str) -> String {
    let claims = [
        (format!("aud: \"{slug}\","), "// this workspace"),
        ("email: user.email,".to_owned(), ""),
        ("name: user.name,".to_owned(), "// optional"),
        (
            "external_id: String(user.id),".to_owned(),
            "// optional: your id for them",
        ),
        ("iat: now,".to_owned(), ""),
        ("exp: now + 600,".to_owned(), "// at most 10 minutes after iat"),
    ];
    let width = claims.iter().map(|(claim, _)| claim.chars().count()).max().unwrap_or(0) + 1;
    let claims = claims
        .iter()
        .map(|(claim, note)| {
            if note.is_empty() {
                format!("    {claim}")
            } else {
                format!("    {claim:<width$}{note}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    format!(
        r#"// On your server, for each page load of a signed-in customer (Node.js, "jsonwebtoken"):
import jwt from "jsonwebtoken";

const now = Math.floor(Date.now() / 1000);
const token = jwt.sign(
  {{
{claims}
  }},
  process.env.FERRODESK_WIDGET_SECRET,
  {{ algorithm: "HS256" }},
);"#
    )
}

/// What the company's page does with the token.
const IDENTIFY_EXAMPLE: &str = r#"<script>
  // Before the widget's script tag: queues calls until the widget has loaded.
  window.Ferrodesk = window.Ferrodesk || function () { (Ferrodesk.q = Ferrodesk.q || []).push(arguments); };
  Ferrodesk("identify", "TOKEN_FROM_YOUR_SERVER");
</script>
<!-- Once it has loaded: Ferrodesk.identify(token), and Ferrodesk.logout() when they sign out. -->"#;

#[component]
fn WidgetSettingsPage() -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let session = use_session();
    let form = Form::new();
    let saved = RwSignal::new(None::<WidgetSettings>);
    let loading = use_submit();
    let load_error = loading.error();
    let reload = move || {
        loading.dispatch(api.widget().settings(), move |settings| {
            form.fill(&settings);
            saved.set(Some(settings));
        });
    };
    reload();

    let changed = move || {
        saved.with(|saved| {
            saved
                .as_ref()
                .is_some_and(|saved| form.changes(saved) != WidgetSettingsUpdate::default())
        })
    };
    let saving = use_submit();
    // Kept here rather than in `saving`: a refused save also reloads the stored settings. The
    // refused change is kept too, to say which value the server refused.
    let error = RwSignal::new(None::<ApiError>);
    let rejected = RwSignal::new(None::<WidgetSettingsUpdate>);
    let on_submit = move |event: ev::SubmitEvent| {
        event.prevent_default();
        if saving.pending_untracked() {
            return;
        }
        let Some(update) = saved.with_untracked(|saved| saved.as_ref().map(|saved| form.changes(saved))) else {
            return;
        };
        if update == WidgetSettingsUpdate::default() {
            toasts.info("Nothing has changed since the last save.");
            return;
        }
        error.set(None);
        rejected.set(None);
        let sent = update.clone();
        saving.dispatch_with(api.widget().save_settings(update), move |result| match result {
            Ok(settings) => {
                form.fill(&settings);
                saved.set(Some(settings));
                toasts.info("Widget settings saved.");
            }
            Err(failure) => {
                // The server refused the change: show what it holds, with its reasons.
                if (400..500).contains(&failure.status) {
                    reload();
                    rejected.set(Some(sent));
                }
                error.set(Some(failure));
            }
        });
    };

    let slug = move || session.workspace().map(|workspace| workspace.slug).unwrap_or_default();
    let workspace_name = move || session.workspace().map(|workspace| workspace.name).unwrap_or_default();
    let loaded = move || saved.with(Option::is_some);

    view! {
        <main class="page widget-settings" data-testid="widget-settings">
            <div class="page-head"><h1>"Widget"</h1></div>
            <p class="muted intro">
                "A chat launcher for your own site: visitors write in without leaving the page, see answers your "
                "team gave to similar questions, and follow their conversation there. Each conversation is a "
                "ticket in your inbox."
            </p>
            {move || load_error.get().map(|error| view! {
                <div class="alert error row" role="alert">
                    <span>{format!("We could not load the widget settings. {}", error.message())}</span>
                    <span class="spacer"></span>
                    <button class="button small" type="button" on:click=move |_| reload()>"Try again"</button>
                </div>
            })}
            <Show when=loaded fallback=move || view! {
                <div aria-busy="true" aria-label="Loading the widget settings">
                    {load_error.with(Option::is_none).then(|| view! {
                        <div class="skeleton widget-skeleton"></div>
                        <div class="skeleton widget-skeleton short"></div>
                    })}
                </div>
            }>
                <form class="widget-form" on:submit=on_submit novalidate>
                    <Appearance form=form error=error rejected=rejected workspace_name=Signal::derive(workspace_name) />
                    <Origins form=form error=error />
                    <Identity form=form saved=saved error=error slug=Signal::derive(slug) />
                    {move || error.get().map(|error| view! {
                        <div class="alert error" role="alert" data-testid="widget-settings-error">{form_problem(&error)}</div>
                    })}
                    <div class="row">
                        <button class="button primary" type="submit" data-testid="save-widget"
                            disabled=move || saving.pending()>
                            {move || if saving.pending() { "Saving…" } else { "Save widget settings" }}
                        </button>
                        <span class="spacer"></span>
                        {move || changed().then(|| view! { <span class="small muted" data-testid="unsaved">"Unsaved changes"</span> })}
                    </div>
                </form>
                <Install saved=saved slug=Signal::derive(slug) />
            </Show>
        </main>
    }
}

/// The server's message for one field, from the last refused save.
fn field_error(error: RwSignal<Option<ApiError>>, name: &'static str) -> impl Fn() -> Option<String> + Copy {
    move || error.with(|error| error.as_ref().and_then(|error| error.field(name)))
}

#[component]
fn FieldError(message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message
            .get()
            .map(|message| view! { <span class="error" role="alert">{message}</span> })
    }
}

#[component]
fn Appearance(
    form: Form,
    error: RwSignal<Option<ApiError>>,
    rejected: RwSignal<Option<WidgetSettingsUpdate>>,
    workspace_name: Signal<String>,
) -> impl IntoView {
    let enabled_error = field_error(error, "enabled");
    // The field shows the stored colour again: name the one that was refused.
    let colour_error = move || {
        let message = field_error(error, "colour")()?;
        let refused = rejected.with(|rejected| rejected.as_ref().and_then(|rejected| rejected.colour.clone()));
        Some(match refused.filter(|value| !value.is_empty()) {
            Some(value) => format!("“{value}” was not saved: it {message}"),
            None => message,
        })
    };
    let greeting_error = field_error(error, "greeting");
    let position_error = field_error(error, "position");
    let suggest_error = field_error(error, "suggest_answers");
    // The picker needs a colour; while the typed one is not, it shows the fallback.
    let shown_colour = move || valid_colour(&form.colour.get()).unwrap_or_else(|| FALLBACK_COLOUR.to_owned());
    let label_count = move || form.label.with(|label| label.trim().chars().count());
    let greeting_count = move || form.greeting.with(|greeting| greeting.trim().chars().count());
    view! {
        <section class="card widget-look" aria-labelledby="widget-look">
            <div class="stack widget-fields">
                <h2 id="widget-look">"Launcher"</h2>
                <label class="check">
                    <input type="checkbox" role="switch" class="switch-input" data-testid="widget-enabled"
                        prop:checked=move || form.enabled.get()
                        on:change=move |event| form.enabled.set(event_target_checked(&event)) />
                    <span>
                        <strong>"Show the widget on your site"</strong>
                        <span class="hint block">
                            {move || if form.enabled.get() {
                                "On: the snippet below draws the launcher on the allowed origins."
                            } else {
                                "Off: the snippet draws nothing, and visitors cannot write in."
                            }}
                        </span>
                    </span>
                </label>
                <FieldError message=Signal::derive(enabled_error) />
                <div class="field">
                    <label for="widget-colour">"Colour"</label>
                    <div class="row colour-field">
                        <input type="color" class="colour-picker" aria-label="Pick the colour" data-testid="widget-colour-picker"
                            prop:value=shown_colour
                            on:input=move |event| form.colour.set(event_target_value(&event)) />
                        <input id="widget-colour" class="input mono" maxlength="7" placeholder="#3451d1" spellcheck="false"
                            autocomplete="off" data-testid="widget-colour"
                            aria-describedby="widget-colour-hint"
                            aria-invalid=move || colour_error().is_some().to_string()
                            prop:value=move || form.colour.get()
                            on:input=move |event| form.colour.set(event_target_value(&event)) />
                    </div>
                    <span class="hint" id="widget-colour-hint">
                        "The launcher and the panel's header. Their text is white or black, whichever reads better on it."
                    </span>
                    <FieldError message=Signal::derive(colour_error) />
                </div>
                <TextField label="Launcher text" name="label" value=form.label error=error.into()
                    hint="1 to 40 characters, e.g. “Help” or “Chat with us”." />
                {move || (label_count() > MAX_LABEL).then(|| view! {
                    <span class="small over" role="status">{format!("{} characters: at most {MAX_LABEL}.", label_count())}</span>
                })}
                <div class="field">
                    <label for="widget-greeting">"Greeting"</label>
                    <textarea id="widget-greeting" class="textarea short" rows="2" data-testid="widget-greeting"
                        aria-describedby="widget-greeting-hint"
                        aria-invalid=move || greeting_error().is_some().to_string()
                        prop:value=move || form.greeting.get()
                        on:input=move |event| form.greeting.set(event_target_value(&event))></textarea>
                    <span class="hint row" id="widget-greeting-hint">
                        <span>"The first words a visitor reads when they open it."</span>
                        <span class="spacer"></span>
                        <span class:over=move || { greeting_count() > MAX_GREETING }>
                            {move || format!("{}/{MAX_GREETING}", greeting_count())}
                        </span>
                    </span>
                    <FieldError message=Signal::derive(greeting_error) />
                </div>
                <fieldset class="field">
                    <legend>"Position"</legend>
                    <div class="row positions">
                        {POSITIONS.into_iter().map(|(position, text)| view! {
                            <label class="check">
                                <input type="radio" name="widget-position" value=position.as_str()
                                    data-testid=format!("widget-position-{}", position.as_str())
                                    prop:checked=move || form.position.get() == position
                                    on:change=move |_| form.position.set(position) />
                                <span>{text}</span>
                            </label>
                        }).collect_view()}
                    </div>
                    <FieldError message=Signal::derive(position_error) />
                </fieldset>
                <label class="check">
                    <input type="checkbox" data-testid="widget-suggest-answers"
                        prop:checked=move || form.suggest_answers.get()
                        on:change=move |event| form.suggest_answers.set(event_target_checked(&event)) />
                    <span>
                        <strong>"Answers from solved tickets while visitors type"</strong>
                        <span class="hint block">
                            "Your team's replies to similar solved questions, with the other customer's details "
                            "masked. A visitor who says one answered their question counts as deflected on the dashboard."
                        </span>
                    </span>
                </label>
                <FieldError message=Signal::derive(suggest_error) />
            </div>
            <Preview form=form workspace_name=workspace_name />
        </section>
    }
}

/// A static mock of the launcher and the open panel, redrawn as the owner edits.
#[component]
fn Preview(form: Form, workspace_name: Signal<String>) -> impl IntoView {
    let colour = move || valid_colour(&form.colour.get()).unwrap_or_else(|| FALLBACK_COLOUR.to_owned());
    let text = move || ink(&colour());
    let left = move || form.position.get() == WidgetPosition::BottomLeft;
    let label = move || {
        let label = form.label.get().trim().to_owned();
        if label.is_empty() { "Help".to_owned() } else { label }
    };
    let greeting = move || form.greeting.get().trim().to_owned();
    let caption = move || {
        let side = if left() { "bottom left" } else { "bottom right" };
        if form.enabled.get() {
            format!("Preview, {side}")
        } else {
            format!("Preview, {side} · off: visitors see nothing")
        }
    };
    view! {
        <figure class="widget-preview-box" data-testid="widget-preview">
            <figcaption class="small muted">{caption}</figcaption>
            <div class="widget-preview" class:left=left class:off=move || !form.enabled.get() aria-hidden="true">
                <div class="preview-page">
                    <span class="preview-line wide"></span>
                    <span class="preview-line"></span>
                    <span class="preview-line short"></span>
                </div>
                <div class="preview-panel">
                    <div class="preview-head" style:background=colour style:color=text>
                        <span class="preview-title">{move || workspace_name.get()}</span>
                        <span class="preview-close">"×"</span>
                    </div>
                    <div class="preview-body">
                        {move || {
                            let greeting = greeting();
                            if greeting.is_empty() {
                                view! { <p class="preview-greeting faint">"No greeting: the form comes first."</p> }.into_any()
                            } else {
                                view! { <p class="preview-greeting" data-testid="preview-greeting">{greeting}</p> }.into_any()
                            }
                        }}
                        <div class="preview-input">"Your message…"</div>
                        <div class="preview-send" style:background=colour style:color=text>"Send"</div>
                    </div>
                </div>
                <div class="preview-launcher" data-testid="preview-launcher" style:background=colour style:color=text>
                    <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">
                        <path fill="currentColor" d="M4 3h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z" />
                    </svg>
                    <span class="preview-label">{label}</span>
                </div>
            </div>
        </figure>
    }
}

#[component]
fn Origins(form: Form, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let origins_error = field_error(error, "allowed_origins");
    view! {
        <section class="card stack" aria-labelledby="widget-origins-title">
            <h2 id="widget-origins-title">"Where it may appear"</h2>
            <div class="field">
                <label for="widget-origins">"Allowed origins, one per line"</label>
                <textarea id="widget-origins" class="textarea mono" rows="4" spellcheck="false" autocomplete="off"
                    placeholder="https://shop.example" data-testid="widget-origins"
                    aria-describedby="widget-origins-hint"
                    aria-invalid=move || origins_error().is_some().to_string()
                    prop:value=move || form.origins.get()
                    on:input=move |event| form.origins.set(event_target_value(&event))></textarea>
                <span class="hint" id="widget-origins-hint">
                    "Exact origins such as https://shop.example or http://localhost:8000 — no paths, no wildcards"
                </span>
                <FieldError message=Signal::derive(origins_error) />
                {move || form.origins.with(|text| origin_lines(text).is_empty()).then(|| view! {
                    <span class="hint">"None listed: no site can show the widget yet."</span>
                })}
            </div>
        </section>
    }
}

#[component]
fn Identity(
    form: Form,
    saved: RwSignal<Option<WidgetSettings>>,
    error: RwSignal<Option<ApiError>>,
    slug: Signal<String>,
) -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let required_error = field_error(error, "identity_required");
    let has_secret = move || saved.with(|saved| saved.as_ref().is_some_and(|saved| saved.has_secret));
    let shown = RwSignal::new(None::<String>);
    let rotating = use_submit();
    let rotate = move |_| {
        if rotating.pending_untracked() {
            return;
        }
        let existing = saved.with_untracked(|saved| saved.as_ref().is_some_and(|saved| saved.has_secret));
        if existing {
            let sure = window()
                .confirm_with_message(
                    "Rotate the identity secret? The current one stops working at once: visitors signed in with it \
                     are signed out, and your server must sign new tokens with the new secret.",
                )
                .unwrap_or(false);
            if !sure {
                return;
            }
        }
        rotating.dispatch_with(api.widget().rotate_secret(), move |result| match result {
            Ok(made) => {
                saved.update(|saved| {
                    if let Some(saved) = saved {
                        saved.has_secret = true;
                    }
                });
                shown.set(Some(made.secret));
                toasts.info(if existing {
                    "New identity secret made. The old one no longer works."
                } else {
                    "Identity secret made."
                });
            }
            Err(failure) => toasts.error(failure.message()),
        });
    };
    let copy_secret = move |_| {
        let copied = shown.with_untracked(|secret| secret.as_deref().is_some_and(copy_to_clipboard));
        if copied {
            toasts.info("Secret copied.");
        } else {
            toasts.error("Your browser would not copy it here: select the secret and copy it yourself.");
        }
    };
    let select_all = move |event: ev::FocusEvent| {
        event_target::<web_sys::HtmlInputElement>(&event).select();
    };
    view! {
        <section class="card stack" aria-labelledby="widget-identity">
            <h2 id="widget-identity">"Identity verification"</h2>
            <p class="hint">
                "Your server vouches for who a visitor is with a short-lived token signed with this workspace's secret. "
                "A signed-in visitor sees that customer's earlier requests too; anonymous visitors only see what they wrote."
            </p>
            <label class="check">
                <input type="checkbox" data-testid="widget-identity-required"
                    prop:checked=move || form.identity_required.get()
                    on:change=move |event| form.identity_required.set(event_target_checked(&event)) />
                <span>
                    <strong>"Require identity"</strong>
                    <span class="hint block">"Only visitors your site has signed in can write in; others are asked to sign in there."</span>
                </span>
            </label>
            <FieldError message=Signal::derive(required_error) />
            {move || (form.identity_required.get() && !has_secret()).then(|| view! {
                <p class="alert info" role="status">"Create a secret first: without one, no visitor can be signed in, so nobody could write in."</p>
            })}
            <div class="row">
                <button class="button small" type="button" data-testid="widget-secret-button"
                    disabled=move || rotating.pending() on:click=rotate>
                    {move || match (rotating.pending(), has_secret()) {
                        (true, _) => "Making a secret…",
                        (false, true) => "Rotate secret",
                        (false, false) => "Create secret",
                    }}
                </button>
                <span class="small muted" data-testid="widget-secret-state">
                    {move || if has_secret() {
                        "A secret exists. It is never shown again; rotate it if it may have leaked."
                    } else {
                        "No secret yet."
                    }}
                </span>
            </div>
            {move || shown.get().map(|secret| view! {
                <div class="alert success stack secret-once" role="status" data-testid="widget-secret">
                    <div>
                        <strong>"Copy the secret now: it won't be shown again. "</strong>
                        "Keep it on your server (an environment variable), never in a page or an app."
                    </div>
                    <div class="row">
                        <input class="input mono" readonly aria-label="New identity secret" data-testid="widget-secret-value"
                            prop:value=secret on:focus=select_all />
                        <button class="button small" type="button" on:click=copy_secret>"Copy"</button>
                    </div>
                    <div>
                        <button class="button ghost small" type="button" on:click=move |_| shown.set(None)>"I have stored it"</button>
                    </div>
                </div>
            })}
            <details class="identity-example">
                <summary>"How to sign a visitor in"</summary>
                <p class="hint">
                    "An HS256 JWT with " <code>"aud"</code> " = your workspace (" <code>{slug}</code> "), "
                    <code>"email"</code> ", optionally " <code>"name"</code> " and " <code>"external_id"</code> ", "
                    <code>"iat"</code> " and " <code>"exp"</code> " at most 10 minutes after it. Sign a new one for each page load."
                </p>
                <pre class="code-block" data-testid="widget-signing-example"><code>{move || signing_example(&slug.get())}</code></pre>
                <p class="hint">"Then, on the page:"</p>
                <pre class="code-block"><code>{IDENTIFY_EXAMPLE}</code></pre>
            </details>
        </section>
    }
}

/// The tag to paste, with what still stands in its way.
#[component]
fn Install(saved: RwSignal<Option<WidgetSettings>>, slug: Signal<String>) -> impl IntoView {
    let toasts = use_toasts();
    let origin = window().location().origin().unwrap_or_default();
    let code = Signal::derive(move || snippet(&origin, &slug.get()));
    let copy = move |_| {
        if copy_to_clipboard(&code.get_untracked()) {
            toasts.info("Snippet copied.");
        } else {
            toasts.error("Your browser would not copy it here: select the snippet and copy it yourself.");
        }
    };
    let warnings = move || {
        saved.with(|saved| {
            let Some(saved) = saved else { return Vec::new() };
            let mut warnings = Vec::new();
            if !saved.enabled {
                warnings.push("The widget is off: the snippet draws nothing until you switch it on and save.");
            }
            if saved.allowed_origins.is_empty() {
                warnings.push(
                    "No origin is allowed yet: list your site's origin above, or the widget will not load there.",
                );
            }
            warnings
        })
    };
    view! {
        <section class="card stack install" aria-labelledby="widget-install">
            <h2 id="widget-install">"Add it to your site"</h2>
            <p class="hint">"Paste this before the closing " <code>"</body>"</code> " tag of every page that should show the launcher."</p>
            <pre class="code-block" data-testid="widget-snippet"><code>{move || code.get()}</code></pre>
            <div class="row">
                <button class="button small" type="button" data-testid="copy-snippet" on:click=copy>"Copy snippet"</button>
            </div>
            {move || warnings().into_iter().map(|warning| view! {
                <p class="alert info" data-testid="install-warning">{warning}</p>
            }).collect_view()}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_colours_and_picks_readable_ink() {
        assert_eq!(valid_colour(" #2F6FDE "), Some("#2f6fde".to_owned()));
        assert_eq!(valid_colour("2f6fde"), None);
        assert_eq!(valid_colour("#2f6fd"), None);
        assert_eq!(ink("#000000"), "#fff");
        assert_eq!(ink("#ffffff"), "#111");
        assert_eq!(ink("#3451d1"), "#fff");
        assert_eq!(ink("#ffd400"), "#111");
    }

    #[test]
    fn origins_are_one_per_line() {
        assert_eq!(
            origin_lines(" https://a.example \n\n http://localhost:8000\n"),
            vec!["https://a.example".to_owned(), "http://localhost:8000".to_owned()]
        );
        assert!(origin_lines("  \n").is_empty());
    }
}
