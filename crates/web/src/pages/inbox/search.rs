//! Search as you type: the box sends its words to the URL a moment after typing stops (Enter at
//! once, Esc or × clears), the line that says how many tickets were found, and the state for a
//! search that finds nothing.

use std::time::Duration;

use ferrodesk_shared::tickets::SEARCH_COUNT_CAP;
use leptos::ev;
use leptos::prelude::*;

/// How long typing must pause before the list is asked again.
const DEBOUNCE: Duration = Duration::from_millis(250);

/// The search box. `current` is the search the URL holds; `search` puts new words there.
#[component]
pub(super) fn SearchBox(
    current: Signal<Option<String>>,
    search: impl Fn(String) + Clone + 'static,
    input: NodeRef<leptos::html::Input>,
) -> impl IntoView {
    let text = RwSignal::new(current.get_untracked().unwrap_or_default());
    let pending = StoredValue::new(None::<TimeoutHandle>);
    // Also run when the box goes away, when its stored handle may already be gone.
    let cancel = move || {
        if let Some(handle) = pending.try_get_value().flatten() {
            handle.clear();
        }
        pending.try_set_value(None);
    };
    on_cleanup(cancel);
    // The URL changed under the box (another view, back): show its search, unless typing is
    // under way, whose words are about to go there.
    Effect::new(move |_| {
        let current = current.get().unwrap_or_default();
        if pending.with_value(Option::is_none) && text.with_untracked(|text| text.trim() != current) {
            text.set(current);
        }
    });
    let send = {
        let search = search.clone();
        move || {
            cancel();
            let words = text.get_untracked().trim().to_owned();
            if current.get_untracked().unwrap_or_default() != words {
                search(words);
            }
        }
    };
    let on_input = {
        let send = send.clone();
        move |event: ev::Event| {
            text.set(event_target_value(&event));
            cancel();
            let send = send.clone();
            pending.set_value(
                set_timeout_with_handle(
                    move || {
                        pending.set_value(None);
                        send();
                    },
                    DEBOUNCE,
                )
                .ok(),
            );
        }
    };
    let clear = {
        let send = send.clone();
        move || {
            text.set(String::new());
            send();
        }
    };
    let on_submit = {
        let send = send.clone();
        move |event: ev::SubmitEvent| {
            event.prevent_default();
            send();
        }
    };
    let on_keydown = {
        let clear = clear.clone();
        move |event: ev::KeyboardEvent| {
            if event.key() != "Escape" {
                return;
            }
            event.prevent_default();
            // A second Esc (nothing left to clear) gives the list its keys back.
            if text.with_untracked(String::is_empty) {
                if let Some(input) = input.get_untracked() {
                    let _ = input.blur();
                }
            } else {
                clear();
            }
        }
    };
    view! {
        <form role="search" class="search-box" on:submit=on_submit>
            <input class="input" type="search" placeholder="Search subject and messages  ( / )"
                aria-label="Search tickets" node_ref=input autocomplete="off"
                prop:value=move || text.get()
                on:input=on_input on:keydown=on_keydown />
            <button type="button" class="search-clear" aria-label="Clear search" title="Clear search (Esc)"
                    hidden=move || text.with(String::is_empty)
                    on:click={
                        let clear = clear.clone();
                        move |_| {
                            clear();
                            if let Some(input) = input.get_untracked() {
                                let _ = input.focus();
                            }
                        }
                    }>
                    "×"
                </button>
        </form>
    }
}

/// "12 results for “refund”": the server's count of matches when it sent one ("1,000+" past its
/// cap), else the rows found so far with a `+` while more pages wait.
pub(super) fn summary(loaded: usize, more: bool, total: Option<u64>, words: &str) -> String {
    let (count, plus) = match total {
        Some(total) => (total, total >= SEARCH_COUNT_CAP),
        None => (loaded as u64, more),
    };
    let noun = if count == 1 && !plus { "result" } else { "results" };
    let plus = if plus { "+" } else { "" };
    format!("{}{plus} {noun} for “{words}”", thousands(count))
}

/// 1000 -> "1,000".
fn thousands(count: u64) -> String {
    let digits = count.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The list's state when a search finds nothing: not the empty inbox's words.
#[component]
pub(super) fn NoMatch(words: String, clear: impl Fn() + 'static) -> impl IntoView {
    view! {
        <li class="empty" data-testid="search-empty">
            <strong>{format!("No tickets match “{words}”")}</strong>
            "Try other words, or search in another view."
            <div class="empty-action">
                <button type="button" class="button small" on:click=move |_| clear()>"Clear search"</button>
            </div>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn the_summary_counts_what_it_knows() {
        assert_eq!(summary(1, false, Some(1), "refund"), "1 result for “refund”");
        assert_eq!(summary(4, false, Some(4), "refund"), "4 results for “refund”");
        assert_eq!(summary(30, true, Some(212), "refund"), "212 results for “refund”");
        assert_eq!(summary(30, true, Some(1_000), "refund"), "1,000+ results for “refund”");
        assert_eq!(summary(0, false, Some(0), "refund"), "0 results for “refund”");
        // An answer without a count: what is loaded, and a `+` while pages wait.
        assert_eq!(summary(30, true, None, "refund"), "30+ results for “refund”");
        assert_eq!(summary(1, false, None, "refund"), "1 result for “refund”");
    }
}
