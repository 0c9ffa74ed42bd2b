//! Toasts for background results ("Reply sent", "Could not save"), gone after a few seconds.

use std::time::Duration;

use leptos::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Toast {
    id: u64,
    text: String,
    error: bool,
}

#[derive(Clone, Copy)]
pub struct Toasts {
    items: RwSignal<Vec<Toast>>,
    next: StoredValue<u64>,
}

impl Toasts {
    pub fn new() -> Self {
        Toasts {
            items: RwSignal::new(Vec::new()),
            next: StoredValue::new(0),
        }
    }

    pub fn info(&self, text: impl Into<String>) {
        self.push(text.into(), false);
    }

    pub fn error(&self, text: impl Into<String>) {
        self.push(text.into(), true);
    }

    fn push(&self, text: String, error: bool) {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        self.items.update(|items| items.push(Toast { id, text, error }));
        let items = self.items;
        set_timeout(
            move || items.update(|items| items.retain(|toast| toast.id != id)),
            Duration::from_secs(if error { 6 } else { 3 }),
        );
    }
}

pub fn use_toasts() -> Toasts {
    use_context::<Toasts>().unwrap_or_else(Toasts::new)
}

#[component]
pub fn ToastHost() -> impl IntoView {
    let toasts = use_toasts();
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || toasts.items.get() key=|toast| toast.id let:toast>
                <div class=if toast.error { "toast error" } else { "toast" }>{toast.text}</div>
            </For>
        </div>
    }
}
