//! The reply box's "Macros" popover: a search (focused on open) over the workspace's macros by
//! title and text, arrow keys to move, Enter or a click to apply, Esc to close. Applying is the
//! composer's business; this only says which macro was chosen.

use ferrodesk_shared::Permission;
use ferrodesk_shared::macros::Macro;
use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::{ApiError, use_api, use_submit};
use crate::components::macros::{ActionChips, actions, excerpt, matches};
use crate::pages::inbox::scroll_into_view_nearest;
use crate::session::use_session;

#[component]
pub(super) fn MacroPicker(open: RwSignal<bool>, pick: Callback<Macro>, busy: Signal<bool>) -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let query = RwSignal::new(String::new());
    let active = RwSignal::new(0usize);
    let macros = RwSignal::new(None::<Result<Vec<Macro>, ApiError>>);
    let loading = use_submit();
    // Each opening starts a fresh search over the list as it is now (a supervisor may have just added one).
    Effect::new(move |_| {
        if open.get() {
            query.set(String::new());
            active.set(0);
            loading.dispatch_with(api.macros().list(), move |result| {
                macros.set(Some(result.map(|list| list.items)));
            });
        }
    });
    let shown = Memo::new(move |_| {
        let query = query.get();
        macros.with(|macros| match macros {
            Some(Ok(list)) => list
                .iter()
                .filter(|item| matches(item, &query))
                .cloned()
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        })
    });

    let wrapper = NodeRef::<leptos::html::Div>::new();
    let button = NodeRef::<leptos::html::Button>::new();
    let search = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = search.get() {
            let _ = input.focus();
        }
    });
    // The highlighted option stays in view as the arrows move it.
    Effect::new(move |_| {
        let at = active.get();
        if open.get()
            && let Some(option) = document().get_element_by_id(&format!("macro-option-{at}"))
        {
            scroll_into_view_nearest(&option);
        }
    });

    let close = move || {
        open.set(false);
        if let Some(button) = button.get_untracked() {
            let _ = button.focus();
        }
    };
    let choose = move |at: usize| {
        if let Some(item) = shown.with_untracked(|shown| shown.get(at).cloned()) {
            open.set(false);
            pick.run(item);
        }
    };
    let on_key = move |event: ev::KeyboardEvent| {
        let count = shown.with_untracked(Vec::len);
        match event.key().as_str() {
            "ArrowDown" => {
                event.prevent_default();
                active.update(|at| *at = (*at + 1).min(count.saturating_sub(1)));
            }
            "ArrowUp" => {
                event.prevent_default();
                active.update(|at| *at = at.saturating_sub(1));
            }
            // Inside the reply form: Enter must choose, never send.
            "Enter" => {
                event.prevent_default();
                choose(active.get_untracked());
            }
            "Escape" => {
                event.prevent_default();
                event.stop_propagation();
                close();
            }
            _ => {}
        }
    };
    // Focus leaving the picker (a click elsewhere, Tab away) closes it.
    let on_focus_out = move |event: ev::FocusEvent| {
        let inside = event
            .related_target()
            .and_then(|target| target.dyn_into::<web_sys::Node>().ok())
            .zip(wrapper.get_untracked())
            .is_some_and(|(target, wrapper)| wrapper.contains(Some(&target)));
        if !inside {
            open.set(false);
        }
    };
    let manages = move || session.role().is_some_and(|role| role.can(Permission::ManageMacros));

    view! {
        <div class="macro-picker" node_ref=wrapper on:focusout=on_focus_out>
            <button type="button" class="button small" node_ref=button data-testid="macro-picker"
                title="Insert a macro (m)" aria-haspopup="listbox" aria-expanded=move || open.get().to_string()
                aria-busy=move || busy.get().to_string() disabled=move || busy.get()
                on:click=move |_| open.update(|open| *open = !*open)>
                {move || if busy.get() { "Inserting…" } else { "Macros" }}
            </button>
            <Show when=move || open.get()>
                <div class="macro-popover" tabindex="-1" role="dialog" aria-label="Insert a macro">
                    <input class="input" type="search" node_ref=search data-testid="macro-search"
                        placeholder="Search macros…" autocomplete="off"
                        role="combobox" aria-expanded="true" aria-controls="macro-options" aria-autocomplete="list"
                        aria-label="Search macros by title or text"
                        aria-activedescendant=move || (!shown.with(Vec::is_empty)).then(|| format!("macro-option-{}", active.get()))
                        prop:value=move || query.get()
                        on:input=move |event| { query.set(event_target_value(&event)); active.set(0); }
                        on:keydown=on_key />
                    {move || match macros.get() {
                        None => view! { <p class="small muted macro-popover-note" aria-busy="true">"Loading macros…"</p> }.into_any(),
                        Some(Err(error)) => view! {
                            <p class="small macro-popover-note error" role="alert">{format!("We could not load the macros. {}", error.message())}</p>
                        }.into_any(),
                        Some(Ok(list)) if list.is_empty() => view! {
                            <p class="small muted macro-popover-note">
                                "No macros yet. "
                                {move || if manages() {
                                    view! { <a href="/macros">"Write the first one"</a> }.into_any()
                                } else {
                                    "A supervisor can write them.".into_any()
                                }}
                            </p>
                        }.into_any(),
                        Some(Ok(_)) if shown.with(Vec::is_empty) => view! {
                            <p class="small muted macro-popover-note">{move || format!("No macro matches “{}”.", query.get().trim())}</p>
                        }.into_any(),
                        Some(Ok(_)) => ().into_any(),
                    }}
                    <ul class="macro-options" id="macro-options" role="listbox" aria-label="Macros">
                        {move || shown.get().into_iter().enumerate().map(|(at, item)| view! {
                            <li class="macro-option" role="option" id=format!("macro-option-{at}") data-testid="macro-option"
                                aria-selected=move || (active.get() == at).to_string()
                                // The search keeps the focus; a click only chooses.
                                on:mousedown=|event: ev::MouseEvent| event.prevent_default()
                                on:mousemove=move |_| if active.get_untracked() != at { active.set(at) }
                                on:click=move |_| choose(at)>
                                <span class="macro-option-title">{item.title.clone()}</span>
                                <span class="macro-option-excerpt">{excerpt(&item.body, 90)}</span>
                                {let changes = actions(item.set_status, item.set_priority, &item.add_tags);
                                    (!changes.is_empty()).then(|| view! { <ActionChips actions=changes /> })}
                            </li>
                        }).collect_view()}
                    </ul>
                    <div class="small faint macro-popover-note">
                        <span class="kbd">"↑"</span> <span class="kbd">"↓"</span> " to move, "
                        <span class="kbd">"Enter"</span> " to insert, " <span class="kbd">"Esc"</span> " to close"
                    </div>
                </div>
            </Show>
        </div>
    }
}
