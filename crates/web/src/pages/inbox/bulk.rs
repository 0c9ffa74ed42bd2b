//! Bulk actions in the inbox: which rows are selected (their checkboxes, `x`, shift+click for a range,
//! "select all on this page") and the bar that changes the selected tickets with one request each
//! action, keeping selected only the ones the server refused.

use std::collections::{HashMap, HashSet};

use ferrodesk_shared::tickets::{BulkTicketUpdate, MAX_BULK_TICKETS, Priority, TicketPatch, TicketStatus};
use ferrodesk_shared::{Permission, TicketId, UserId};
use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::InboxList;
use crate::api::use_api;
use crate::components::icons::{
    CaretIcon, CloseIcon, FlagIcon, StatusIcon, TagIcon, UserMinusIcon, UserPlusIcon, UsersIcon,
};
use crate::components::toast::use_toasts;
use crate::pages::shell::use_inbox_refresh;
use crate::session::use_session;

/// The selected rows, shared by the list, its header, the bar and the keyboard.
#[derive(Clone, Copy)]
pub(super) struct Selection {
    ids: RwSignal<HashSet<TicketId>>,
    /// Where a shift+click range starts: the row last checked or unchecked on its own.
    anchor: StoredValue<Option<TicketId>>,
    /// A bulk request is on its way (the bar's controls wait for it).
    busy: RwSignal<bool>,
}

impl Selection {
    fn new() -> Self {
        Selection {
            ids: RwSignal::new(HashSet::new()),
            anchor: StoredValue::new(None),
            busy: RwSignal::new(false),
        }
    }

    /// The inbox's selection, which only ever holds rows of the list: one that leaves it (another
    /// view, a filter, a live change) is no longer selected.
    pub(super) fn provide(list: InboxList) -> Self {
        let selection = Selection::new();
        provide_context(selection);
        Effect::new(move |_| {
            let present: HashSet<TicketId> = list.items.with(|items| items.iter().map(|ticket| ticket.id).collect());
            if selection.ids.with_untracked(|ids| !ids.is_subset(&present)) {
                selection.ids.update(|ids| ids.retain(|id| present.contains(id)));
            }
        });
        selection
    }

    pub(super) fn contains(&self, id: TicketId) -> bool {
        self.ids.with(|ids| ids.contains(&id))
    }

    pub(super) fn any(&self) -> bool {
        self.ids.with(|ids| !ids.is_empty())
    }

    pub(super) fn clear(&self) {
        if self.ids.with_untracked(|ids| !ids.is_empty()) {
            self.ids.update(HashSet::clear);
        }
        self.anchor.set_value(None);
    }

    /// `x` on the focused row.
    pub(super) fn toggle(&self, id: TicketId) {
        self.ids.update(|ids| {
            if !ids.remove(&id) {
                ids.insert(id);
            }
        });
        self.anchor.set_value(Some(id));
    }

    /// A click on a row's checkbox: toggles the row, or with shift gives every row from the last one
    /// clicked to this one the state this one takes.
    fn click(&self, rows: &[TicketId], id: TicketId, extend: bool) {
        let range = self
            .anchor
            .get_value()
            .filter(|_| extend)
            .and_then(|anchor| between(rows, anchor, id));
        match range {
            Some(range) => {
                let select = !self.ids.with_untracked(|ids| ids.contains(&id));
                self.ids.update(|ids| {
                    for row in range {
                        if select {
                            ids.insert(*row);
                        } else {
                            ids.remove(row);
                        }
                    }
                });
                self.anchor.set_value(Some(id));
            }
            None => self.toggle(id),
        }
    }

    /// The header's checkbox: every row of the page, or none when they all are already.
    fn toggle_all(&self, rows: &[TicketId]) {
        let all = self.ids.with_untracked(|ids| rows.iter().all(|row| ids.contains(row)));
        if all {
            self.clear();
        } else {
            self.ids.update(|ids| ids.extend(rows.iter().copied()));
        }
    }
}

pub(super) fn use_selection() -> Selection {
    use_context::<Selection>().unwrap_or_else(Selection::new)
}

/// The rows from `from` to `to` (either way round), when both are in the list.
fn between(rows: &[TicketId], from: TicketId, to: TicketId) -> Option<&[TicketId]> {
    let start = rows.iter().position(|row| *row == from)?;
    let end = rows.iter().position(|row| *row == to)?;
    Some(&rows[start.min(end)..=start.max(end)])
}

fn row_ids(list: Option<InboxList>) -> Vec<TicketId> {
    list.map(|list| {
        list.items
            .with_untracked(|items| items.iter().map(|ticket| ticket.id).collect())
    })
    .unwrap_or_default()
}

/// The checkbox at the start of a ticket row (outside its link, so it never opens the ticket).
#[component]
pub(super) fn RowCheckbox(id: TicketId, number: i64) -> impl IntoView {
    let selection = use_selection();
    let list = use_context::<InboxList>();
    view! {
        <input type="checkbox" class="row-check" data-testid="row-select"
            aria-label=format!("Select ticket #{number}")
            prop:checked=move || selection.contains(id)
            on:click=move |event: ev::MouseEvent| selection.click(&row_ids(list), id, event.shift_key()) />
    }
}

/// "Select all on this page": checked when every row is, mixed when some are.
#[component]
pub(super) fn SelectAll() -> impl IntoView {
    let selection = use_selection();
    let list = use_context::<InboxList>();
    let counts = move || {
        list.map(|list| {
            list.items.with(|items| {
                let selected = items.iter().filter(|ticket| selection.contains(ticket.id)).count();
                (selected, items.len())
            })
        })
        .unwrap_or_default()
    };
    view! {
        <input type="checkbox" class="select-all" data-testid="select-all"
            aria-label="Select all on this page" title="Select all on this page"
            prop:checked=move || { let (selected, rows) = counts(); rows > 0 && selected == rows }
            prop:indeterminate=move || { let (selected, rows) = counts(); selected > 0 && selected < rows }
            disabled=move || counts().1 == 0
            on:click=move |_| selection.toggle_all(&row_ids(list)) />
    }
}

/// What a bulk change did, in one line: "12 tickets updated", or "10 updated, 2 not: #41: A closed
/// ticket cannot be changed." Refusals with the same reason share it.
fn summary(updated: usize, failures: &[(Option<i64>, String)]) -> String {
    if failures.is_empty() {
        return match updated {
            1 => "1 ticket updated".to_owned(),
            count => format!("{count} tickets updated"),
        };
    }
    let mut reasons: Vec<(&str, Vec<String>)> = Vec::new();
    for (number, message) in failures {
        let name = number.map_or_else(|| "a ticket not in the list".to_owned(), |number| format!("#{number}"));
        let message = message.trim();
        match reasons.iter_mut().find(|(reason, _)| *reason == message) {
            Some((_, names)) => names.push(name),
            None => reasons.push((message, vec![name])),
        }
    }
    let reasons: Vec<String> = reasons
        .into_iter()
        .map(|(reason, names)| {
            let stop = if reason.ends_with(['.', '!', '?']) { "" } else { "." };
            format!("{}: {reason}{stop}", names.join(", "))
        })
        .collect();
    format!("{updated} updated, {} not: {}", failures.len(), reasons.join(" "))
}

/// Sets a select back to its first option ("Set status…") once its choice is sent, and lets go of
/// the focus, so the list's keys (j, k, x, Esc) work again at once.
fn reset_select(event: &ev::Event) {
    use wasm_bindgen::JsCast;
    if let Some(target) = event.target() {
        let _ = js_sys::Reflect::set(&target, &"value".into(), &"".into());
        if let Ok(select) = target.dyn_into::<web_sys::HtmlElement>() {
            let _ = select.blur();
        }
    }
}

/// The bar that replaces the filters while rows are selected: the count, the actions, Clear.
#[component]
pub(super) fn BulkBar() -> impl IntoView {
    let selection = use_selection();
    let list = use_context::<InboxList>();
    let api = use_api();
    let toasts = use_toasts();
    let refresh = use_inbox_refresh();
    let session = use_session();
    let me = session.user().map(|user| user.id);
    let seen = crate::seen::use_seen();
    let assigns_anyone = session.role().is_some_and(|role| role.can(Permission::AssignAnyone));
    let staff = LocalResource::new(move || async move {
        if !assigns_anyone {
            return Vec::new();
        }
        api.users().assignable().await
    });

    let apply = move |patch: TicketPatch| {
        let Some(list) = list else { return };
        if selection.busy.get_untracked() {
            return;
        }
        // In the list's order, so the toast names them as they read.
        let ids: Vec<TicketId> = list.items.with_untracked(|items| {
            selection.ids.with_untracked(|selected| {
                items
                    .iter()
                    .map(|ticket| ticket.id)
                    .filter(|id| selected.contains(id))
                    .collect()
            })
        });
        if ids.is_empty() {
            return;
        }
        if ids.len() > MAX_BULK_TICKETS {
            toasts.error(format!(
                "{} tickets are selected; change at most {MAX_BULK_TICKETS} at a time.",
                ids.len()
            ));
            return;
        }
        // A change of one's own is no news: rows read before it stay read after it.
        let read: HashSet<TicketId> = list.items.with_untracked(|items| {
            let now = crate::components::time::now();
            items
                .iter()
                .filter(|ticket| ids.contains(&ticket.id) && seen.is_read_untracked(ticket, now))
                .map(|ticket| ticket.id)
                .collect()
        });
        selection.busy.set(true);
        spawn_local(async move {
            let answer = api.tickets().bulk_update(BulkTicketUpdate { ids, patch }).await;
            selection.busy.try_set(false);
            match answer {
                Ok(result) => {
                    for ticket in &result.updated {
                        if read.contains(&ticket.id) {
                            seen.mark(ticket);
                        }
                        list.replace(ticket);
                    }
                    let numbers: HashMap<TicketId, i64> = list
                        .items
                        .try_with_untracked(|items| items.iter().map(|ticket| (ticket.id, ticket.number)).collect())
                        .unwrap_or_default();
                    let failures: Vec<(Option<i64>, String)> = result
                        .failed
                        .iter()
                        .map(|failure| (numbers.get(&failure.id).copied(), failure.error.message.clone()))
                        .collect();
                    selection
                        .ids
                        .try_set(result.failed.iter().map(|failure| failure.id).collect());
                    selection.anchor.try_set_value(None);
                    let text = summary(result.updated.len(), &failures);
                    if failures.is_empty() {
                        toasts.info(text);
                    } else {
                        toasts.error(text);
                    }
                    // The list and the rail's counts read again (live events bring the rest).
                    refresh.0.try_update(|count| *count += 1);
                }
                Err(error) => toasts.error(error.message()),
            }
        });
    };

    let tags_open = RwSignal::new(false);
    let tags_text = RwSignal::new(String::new());
    let tags_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if tags_open.get()
            && let Some(input) = tags_input.get()
        {
            let _ = input.focus();
        }
    });
    let apply_tags = move || {
        let tags: Vec<String> = tags_text
            .get_untracked()
            .split(',')
            .map(|tag| tag.trim().to_owned())
            .filter(|tag| !tag.is_empty())
            .collect();
        tags_open.set(false);
        tags_text.set(String::new());
        apply(TicketPatch {
            tags: Some(tags),
            ..Default::default()
        });
    };

    let count = move || selection.ids.with(HashSet::len);
    let busy = move || selection.busy.get();
    view! {
        <div class="bulk-bar" role="toolbar" aria-label="Change the selected tickets" data-testid="bulk-bar"
            aria-busy=move || busy().then_some("true")
            // Esc clears from anywhere in the bar, a select included (the tags' form keeps its own Esc).
            on:keydown=move |event: ev::KeyboardEvent| {
                if event.key() == "Escape" {
                    selection.clear();
                }
            }>
            <span class="bulk-count" data-testid="bulk-count">{move || format!("{} selected", count())}</span>
            <button type="button" class="button small ghost icon-button" data-testid="bulk-clear"
                aria-label="Clear the selection" title="Clear the selection (Esc)" on:click=move |_| selection.clear()>
                <CloseIcon />
            </button>
            <span class="spacer"></span>
            {me.map(|me| view! {
                <button type="button" class="button small icon-button" data-testid="bulk-assign-me"
                    aria-label="Assign to me" title="Assign to me" disabled=busy
                    on:click=move |_| apply(TicketPatch { assignee_id: Some(Some(me)), ..Default::default() })>
                    <UserPlusIcon />
                </button>
            })}
            {if assigns_anyone {
                view! {
                    <label class="bulk-menu" title="Assign to…">
                        <UsersIcon /><CaretIcon />
                        <select aria-label="Assign to…" data-testid="bulk-assignee" disabled=busy
                            on:change=move |event| {
                                let value = event_target_value(&event);
                                reset_select(&event);
                                let assignee = match value.as_str() {
                                    "" => return,
                                    "none" => None,
                                    id => match id.parse::<UserId>() {
                                        Ok(id) => Some(id),
                                        Err(_) => return,
                                    },
                                };
                                apply(TicketPatch { assignee_id: Some(assignee), ..Default::default() });
                            }>
                            <option value="" selected>"Assign to…"</option>
                            <option value="none">"Unassign"</option>
                            {move || staff.get().unwrap_or_default().into_iter().map(|user| {
                                let name = if Some(user.id) == me { format!("{} (me)", user.name) } else { user.name };
                                view! { <option value=user.id.to_string()>{name}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                }.into_any()
            } else {
                view! {
                    <button type="button" class="button small icon-button" data-testid="bulk-unassign"
                        aria-label="Unassign" title="Unassign" disabled=busy
                        on:click=move |_| apply(TicketPatch { assignee_id: Some(None), ..Default::default() })>
                        <UserMinusIcon />
                    </button>
                }.into_any()
            }}
            <label class="bulk-menu" title="Set status">
                <StatusIcon /><CaretIcon />
                <select aria-label="Set status" data-testid="bulk-status" disabled=busy
                    on:change=move |event| {
                        let status = event_target_value(&event).parse::<TicketStatus>();
                        reset_select(&event);
                        if let Ok(status) = status {
                            apply(TicketPatch { status: Some(status), ..Default::default() });
                        }
                    }>
                    <option value="" selected>"Set status…"</option>
                    // `new` is only ever where a ticket starts.
                    {TicketStatus::ALL.into_iter().filter(|status| *status != TicketStatus::New).map(|status| view! {
                        <option value=status.as_str()>{status.as_str()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="bulk-menu" title="Set priority">
                <FlagIcon /><CaretIcon />
                <select aria-label="Set priority" data-testid="bulk-priority" disabled=busy
                    on:change=move |event| {
                        let priority = event_target_value(&event).parse::<Priority>();
                        reset_select(&event);
                        if let Ok(priority) = priority {
                            apply(TicketPatch { priority: Some(priority), ..Default::default() });
                        }
                    }>
                    <option value="" selected>"Set priority…"</option>
                    {Priority::ALL.into_iter().rev().map(|priority| view! {
                        <option value=priority.as_str()>{priority.as_str()}</option>
                    }).collect_view()}
                </select>
            </label>
            <button type="button" class="button small icon-button" data-testid="bulk-tags-open"
                aria-label="Set tags" title="Set tags" aria-expanded=move || tags_open.get().to_string()
                disabled=busy on:click=move |_| tags_open.update(|open| *open = !*open)>
                <TagIcon />
            </button>
            <Show when=move || tags_open.get()>
                <form class="bulk-popover" aria-label="Set tags"
                    on:submit=move |event: ev::SubmitEvent| { event.prevent_default(); apply_tags(); }
                    on:keydown=move |event: ev::KeyboardEvent| {
                        if event.key() == "Escape" {
                            event.stop_propagation();
                            tags_open.set(false);
                        }
                    }>
                    <label for="bulk-tags">"Tags of the selected tickets"</label>
                    <div class="row">
                        <input id="bulk-tags" class="input" placeholder="tag1, tag2" data-testid="bulk-tags" node_ref=tags_input
                            prop:value=move || tags_text.get() on:input=move |event| tags_text.set(event_target_value(&event)) />
                        <button type="submit" class="button small primary" data-testid="bulk-tags-apply">"Apply"</button>
                    </div>
                    <span class="hint">"Replaces their tags; leave it empty to remove them all."</span>
                </form>
            </Show>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_and_names_the_refused_ones() {
        assert_eq!(summary(1, &[]), "1 ticket updated");
        assert_eq!(summary(12, &[]), "12 tickets updated");
        let closed = "A closed ticket cannot be changed.".to_owned();
        assert_eq!(
            summary(
                10,
                &[
                    (Some(41), closed.clone()),
                    (Some(42), "Not allowed".to_owned()),
                    (Some(43), closed)
                ]
            ),
            "10 updated, 3 not: #41, #43: A closed ticket cannot be changed. #42: Not allowed."
        );
        assert_eq!(
            summary(0, &[(None, "Not found.".to_owned())]),
            "0 updated, 1 not: a ticket not in the list: Not found."
        );
    }

    #[test]
    fn a_range_runs_either_way_between_two_rows_of_the_list() {
        let rows: Vec<TicketId> = (1..=5).map(|n| TicketId::from(uuid::Uuid::from_u128(n))).collect();
        assert_eq!(between(&rows, rows[1], rows[3]), Some(&rows[1..=3]));
        assert_eq!(between(&rows, rows[3], rows[1]), Some(&rows[1..=3]));
        assert_eq!(between(&rows, rows[2], rows[2]), Some(&rows[2..=2]));
        let elsewhere = TicketId::from(uuid::Uuid::from_u128(99));
        assert_eq!(between(&rows, elsewhere, rows[2]), None);
    }
}
