//! A labelled form field that shows the server's message for it next to the input.

use leptos::prelude::*;

use crate::api::ApiError;

#[component]
pub fn TextField(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    error: Signal<Option<ApiError>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    let id = format!("field-{name}");
    let message = move || error.get().and_then(|error| error.field(name));
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                class="input"
                id=id
                name=name
                type=kind
                autocomplete=autocomplete.unwrap_or("off")
                autofocus=autofocus
                aria-invalid=move || if message().is_some() { "true" } else { "false" }
                prop:value=move || value.get()
                on:input=move |event| value.set(event_target_value(&event))
            />
            {hint.map(|hint| view! { <span class="hint">{hint}</span> })}
            {move || message().map(|message| view! { <span class="error" role="alert">{message}</span> })}
        </div>
    }
}

/// The form-level error: what went wrong, in words.
#[component]
pub fn FormError(error: Signal<Option<ApiError>>) -> impl IntoView {
    move || {
        error
            .get()
            .map(|error| view! { <div class="alert error" role="alert">{error.message()}</div> })
    }
}
