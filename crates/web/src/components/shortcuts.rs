//! The keyboard: the shortcuts dialog (`?`), keeping Tab inside a dialog and giving the focus back
//! when it closes, the two-key go-to shortcuts (`g` then a view) and the wait for a second key.

use std::cell::Cell;
use std::time::Duration;

use ferrodesk_shared::tickets::InboxView;
use leptos::ev;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use wasm_bindgen::JsCast;

use crate::pages::inbox::typing_in_a_field;
use crate::pages::shell::is_supervisor;
use crate::session::use_session;

/// How long the second key of a pair (`g o`, `s p`) is waited for.
pub const SECOND_KEY: Duration = Duration::from_millis(1500);

thread_local! {
    /// The first key of a pair just pressed (`g`, `s`), and when: the next key belongs to it, not
    /// to the page's single-key shortcuts (`g a` is "all tickets", not "assign to me").
    static LEADER: Cell<Option<(char, f64)>> = const { Cell::new(None) };
}

/// Starts a pair: the next key press (within [`SECOND_KEY`]) is its second key.
pub fn lead_with(key: char) {
    LEADER.with(|leader| leader.set(Some((key, js_sys::Date::now()))));
}

/// The first key of a pair still waiting for its second one.
fn waiting_leader() -> Option<char> {
    LEADER
        .with(Cell::get)
        .filter(|(_, at)| js_sys::Date::now() - at < SECOND_KEY.as_millis() as f64)
        .map(|(key, _)| key)
}

/// The pair `key` started, if it is waiting: it is taken, so only one listener handles the
/// second key.
pub fn take_leader(key: char) -> bool {
    let waiting = waiting_leader() == Some(key);
    if waiting {
        LEADER.with(|leader| leader.set(None));
    }
    waiting
}

/// Whether a key press is a plain one meant for the page: no modifier (Shift aside), nobody typing
/// in a field, no dialog open (a dialog has its own keys), not taken by another shortcut, and not
/// the second key of a pair.
pub fn page_key(event: &ev::KeyboardEvent) -> bool {
    !(event.ctrl_key()
        || event.meta_key()
        || event.alt_key()
        || event.default_prevented()
        || typing_in_a_field()
        || dialog_open()
        || waiting_leader().is_some())
}

pub fn dialog_open() -> bool {
    document().query_selector("[role=dialog]").ok().flatten().is_some()
}

/// The controls inside `container` that Tab can reach, in order.
fn focusables(container: &web_sys::Element) -> Vec<web_sys::HtmlElement> {
    const REACHABLE: &str = "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), \
                             textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";
    // `querySelectorAll` through JS: its NodeList is an iterable an Array can be made from.
    let found = js_sys::Reflect::get(container, &"querySelectorAll".into())
        .ok()
        .and_then(|select| select.dyn_into::<js_sys::Function>().ok())
        .and_then(|select| select.call1(container, &REACHABLE.into()).ok());
    let Some(found) = found else {
        return Vec::new();
    };
    js_sys::Array::from(&found)
        .iter()
        .filter_map(|node| node.dyn_into::<web_sys::HtmlElement>().ok())
        // Not drawn (display: none, or inside something hidden): not reachable either.
        .filter(|element| element.offset_parent().is_some())
        .collect()
}

/// Keeps Tab and Shift+Tab inside `container`: past the last control comes the first again.
pub fn trap_tab(event: &ev::KeyboardEvent, container: &web_sys::Element) {
    if event.key() != "Tab" {
        return;
    }
    let controls = focusables(container);
    let (Some(first), Some(last)) = (controls.first(), controls.last()) else {
        event.prevent_default();
        return;
    };
    let active = document().active_element();
    let inside = active.as_ref().is_some_and(|active| container.contains(Some(active)));
    let at = |element: &web_sys::HtmlElement| {
        active
            .as_ref()
            .is_some_and(|active| active == element.as_ref() as &web_sys::Element)
    };
    if event.shift_key() && (!inside || at(first) || active.as_ref() == Some(container)) {
        event.prevent_default();
        let _ = last.focus();
    } else if !event.shift_key() && (!inside || at(last)) {
        event.prevent_default();
        let _ = first.focus();
    }
}

/// The element that had the focus before a dialog opened, to give it back when it closes.
pub fn focused_element() -> Option<web_sys::HtmlElement> {
    document()
        .active_element()
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
}

/// `g` then a key: to an inbox view, or the dashboard.
fn go_to(key: &str, supervisor: bool) -> Option<String> {
    let view = match key {
        "i" => InboxView::Mine,
        "o" => InboxView::Open,
        "u" => InboxView::Unassigned,
        "p" => InboxView::Pending,
        "s" => InboxView::Solved,
        "a" => InboxView::All,
        "d" if supervisor => return Some("/dashboard".to_owned()),
        _ => return None,
    };
    Some(format!("/inbox?view={}", view.as_str()))
}

/// `g i` my open, `g o` all open, `g u` unassigned, `g p` pending, `g s` solved, `g a` all,
/// `g d` the dashboard (supervisors): on every staff page.
pub fn use_go_to_keys() {
    let navigate = use_navigate();
    let session = use_session();
    let keys = window_event_listener(ev::keydown, move |event: ev::KeyboardEvent| {
        if event.ctrl_key() || event.meta_key() || event.alt_key() || typing_in_a_field() || dialog_open() {
            return;
        }
        let key = event.key();
        if take_leader('g') {
            // Whatever the second key, it is not also a single-key shortcut.
            event.prevent_default();
            if let Some(path) = go_to(&key, is_supervisor(session.role())) {
                navigate(&path, Default::default());
            }
        } else if key == "g" && page_key(&event) {
            event.prevent_default();
            lead_with('g');
        }
    });
    on_cleanup(move || keys.remove());
}

/// The list of shortcuts. Opening it moves the focus in, Tab stays inside, Esc or "Close" closes it
/// and the focus goes back where it was.
#[component]
pub fn ShortcutHelp(close: impl Fn() + Copy + 'static) -> impl IntoView {
    let session = use_session();
    let supervisor = is_supervisor(session.role());
    let dialog = NodeRef::<leptos::html::Div>::new();
    let before = StoredValue::new_local(focused_element());
    Effect::new(move |_| {
        if let Some(dialog) = dialog.get() {
            let _ = dialog.focus();
        }
    });
    let close = move || {
        close();
        if let Some(element) = before.try_update_value(Option::take).flatten() {
            let _ = element.focus();
        }
    };
    let group = |title: &'static str, keys: Vec<(&'static str, &'static str)>| {
        view! {
            <h3 class="shortcuts-group">{title}</h3>
            <div class="shortcuts">
                {keys.into_iter().map(|(keys, what)| view! { <span class="kbd">{keys}</span><span>{what}</span> }).collect_view()}
            </div>
        }
    };
    let mut go = vec![
        ("g  i", "My open"),
        ("g  o", "All open"),
        ("g  u", "Unassigned"),
        ("g  p", "Pending"),
        ("g  s", "Solved"),
        ("g  a", "All tickets"),
    ];
    if supervisor {
        go.push(("g  d", "Dashboard"));
    }
    view! {
        <div class="dialog-backdrop" on:click=move |_| close()>
            <div class="dialog shortcuts-dialog" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title" tabindex="-1"
                node_ref=dialog
                on:click=|event| event.stop_propagation()
                on:keydown=move |event: ev::KeyboardEvent| {
                    if event.key() == "Escape" || event.key() == "?" {
                        event.prevent_default();
                        event.stop_propagation();
                        close();
                    } else if let Some(dialog) = dialog.get_untracked() {
                        trap_tab(&event, &dialog);
                    }
                }>
                <h2 id="shortcuts-title">"Keyboard shortcuts"</h2>
                <div class="shortcuts-columns">
                    <div>
                        {group("The list", vec![
                            ("j / k", "Next / previous ticket"),
                            ("Enter", "Open the ticket"),
                            ("x", "Select the ticket, or unselect it (shift+click selects a range)"),
                            ("Esc", "Clear the selection"),
                            ("/", "Search"),
                        ])}
                        {group("Go to", go)}
                    </div>
                    <div>
                        {group("The open ticket", vec![
                            ("r", "Reply to the customer"),
                            ("n", "Write an internal note"),
                            ("m", "Insert a macro (canned reply)"),
                            ("a", "Assign the ticket to me"),
                            ("s  o", "Status: open"),
                            ("s  p", "Status: pending"),
                            ("s  s", "Status: solved"),
                            ("p", "Properties (status, assignee, tags…)"),
                        ])}
                        {group("In the reply box", vec![
                            ("Ctrl / ⌘ + Enter", "Send"),
                            ("Ctrl / ⌘ + Shift + Enter", "Send, then open the next ticket"),
                            ("Esc", "Leave the reply box (the draft stays)"),
                        ])}
                        {group("Anywhere", vec![
                            ("?", "Show this list"),
                            ("Esc", "Close a dialog"),
                        ])}
                    </div>
                </div>
                <div class="row" style="margin-top: 16px;">
                    <span class="spacer"></span>
                    <button class="button" on:click=move |_| close()>"Close"</button>
                </div>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_to_keys_name_the_views() {
        assert_eq!(go_to("i", false).as_deref(), Some("/inbox?view=mine"));
        assert_eq!(go_to("o", false).as_deref(), Some("/inbox?view=open"));
        assert_eq!(go_to("u", false).as_deref(), Some("/inbox?view=unassigned"));
        assert_eq!(go_to("d", true).as_deref(), Some("/dashboard"));
        // Agents have no dashboard; an unknown key goes nowhere.
        assert_eq!(go_to("d", false), None);
        assert_eq!(go_to("z", true), None);
    }
}
