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
    /// The words to show at the field instead of the server's own message for it (a page that
    /// turns the server's terse reasons into sentences, or checks a field before sending).
    #[prop(optional, into)]
    field_error: Option<Signal<Option<String>>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let hint_id = format!("field-{name}-hint");
    let error_id = format!("field-{name}-error");
    let message = move || match field_error {
        Some(field_error) => field_error.get(),
        None => error.get().and_then(|error| error.field(name)),
    };
    // Screen readers read the hint and the error with the field, not only where they sit.
    let described_by = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || {
            let ids: Vec<&str> = [
                hint.is_some().then_some(hint_id.as_str()),
                message().is_some().then_some(error_id.as_str()),
            ]
            .into_iter()
            .flatten()
            .collect();
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
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
                aria-describedby=described_by
                prop:value=move || value.get()
                on:input=move |event| value.set(event_target_value(&event))
            />
            {hint.map(|hint| view! { <span class="hint" id=hint_id>{hint}</span> })}
            {move || message().map(|message| view! {
                <span class="error" id=error_id.clone() role="alert">{message}</span>
            })}
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
