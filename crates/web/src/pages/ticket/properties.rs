//! The properties: status, priority, assignee ("Take it"), category, tags as chips, the SLA
//! targets, and who asked (with the customer panel: their history, the team's note, "Merge
//! into…"). A column from 1100 px up; below, a drawer opened from the header ("Properties", `p`)
//! that takes the focus, keeps Tab inside and closes with Esc.

use chrono::{DateTime, Utc};
use ferrodesk_shared::tickets::{Priority, Ticket, TicketPatch, TicketStatus};
use ferrodesk_shared::{Permission, UserId};
use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::customer::CustomerPanel;
use crate::api::use_api;
use crate::components::ai::CategoryField;
use crate::components::badges::{Avatar, SlaUrgency, due_text, sla_urgency};
use crate::components::shortcuts::trap_tab;
use crate::components::time::{Time, exact};
use crate::session::use_session;

/// Whether the properties are a drawer (below 1100 px) rather than a column.
pub(super) const NARROW: &str = "(max-width: 1099.98px)";

/// The tags after adding what was typed: split at commas, trimmed, each once.
fn add_tags(tags: &[String], typed: &str) -> Vec<String> {
    let mut tags = tags.to_vec();
    for tag in typed.split(',').map(str::trim).filter(|tag| !tag.is_empty()) {
        if !tags.iter().any(|known| known == tag) {
            tags.push(tag.to_owned());
        }
    }
    tags
}

/// One SLA target as the properties show it: `(what, class)`, e.g. ("due in 3 h", "warning"),
/// ("met", "ok"); none when the ticket has no such target.
fn target_state(
    due: Option<DateTime<Utc>>,
    done: Option<DateTime<Utc>>,
    created: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<(String, &'static str)> {
    match (due, done) {
        (Some(due), Some(done)) if done > due => Some(("met late".to_owned(), "breached")),
        (Some(_), Some(_)) => Some(("met".to_owned(), "met")),
        (Some(due), None) => {
            let urgency = sla_urgency(created, due, now);
            let class = match urgency {
                SlaUrgency::Breached => "overdue",
                other => other.class(),
            };
            Some((due_text(due, now), class))
        }
        (None, _) => None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    FirstResponse,
    Resolution,
}

impl Target {
    /// `(label, test id, due, met at)` of this target on `ticket`.
    fn of(self, ticket: &Ticket) -> (&'static str, &'static str, Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        match self {
            Target::FirstResponse => (
                "First response",
                "sla-first-response",
                ticket.sla.first_response_due_at,
                ticket.first_response_at,
            ),
            Target::Resolution => (
                "Resolution",
                "sla-resolution",
                ticket.sla.resolution_due_at,
                ticket.solved_at,
            ),
        }
    }
}

/// One target: its due time in local time, and how it stands ("due in 3 h", "met").
#[component]
fn SlaTarget(target: Target, ticket: RwSignal<Ticket>, now: Signal<DateTime<Utc>>) -> impl IntoView {
    move || {
        let (label, testid, due, done, created, pending) = ticket.with(|t| {
            let (label, testid, due, done) = target.of(t);
            (
                label,
                testid,
                due,
                done,
                t.created_at,
                t.status == TicketStatus::Pending,
            )
        });
        let (text, class) = target_state(due, done, created, now.get())?;
        // While the customer is away the resolution clock stops; its due time moves on return.
        let paused = pending && done.is_none() && target == Target::Resolution;
        let (text, class) = if paused {
            ("paused while pending".to_owned(), "ok")
        } else {
            (text, class)
        };
        Some(view! {
            <div class="sla-target" data-testid=testid>
                <span class="sla-target-label">{label}</span>
                <span class=format!("sla-badge {class}") data-testid="sla-state">{text}</span>
                {due.map(|due| view! {
                    <time class="small muted sla-target-at" datetime=due.to_rfc3339()>{exact(due)}</time>
                })}
            </div>
        })
    }
}

/// `open` is the drawer's state (below 1100 px); `narrow` whether the screen is that small.
#[component]
pub(super) fn Properties(
    ticket: RwSignal<Ticket>,
    save: Callback<TicketPatch>,
    set_category: Callback<Option<String>>,
    open: RwSignal<bool>,
    narrow: Signal<bool>,
    #[prop(into)] now: Signal<DateTime<Utc>>,
) -> impl IntoView {
    let save = move |patch: TicketPatch| save.run(patch);
    let api = use_api();
    let session = use_session();
    let staff = LocalResource::new(move || async move { api.users().assignable().await });
    let can_assign_anyone = move || session.role().is_some_and(|role| role.can(Permission::AssignAnyone));
    let me = move || session.user().map(|user| user.id);
    let new_tag = RwSignal::new(String::new());
    let set_tags = move |tags: Vec<String>| {
        if ticket.with_untracked(|t| t.tags != tags) {
            save(TicketPatch {
                tags: Some(tags),
                ..Default::default()
            });
        }
    };
    let add_typed = move || {
        let typed = new_tag.get_untracked();
        if typed.trim().is_empty() {
            return;
        }
        new_tag.set(String::new());
        set_tags(ticket.with_untracked(|t| add_tags(&t.tags, &typed)));
    };
    let remove_tag = move |tag: String| {
        set_tags(ticket.with_untracked(|t| t.tags.iter().filter(|known| **known != tag).cloned().collect()))
    };

    let aside = NodeRef::<leptos::html::Aside>::new();
    let drawer = move || narrow.get() && open.get();
    // Esc closes the drawer; Tab stays inside it (but not when a dialog of its own, the merge, is open).
    let on_key = move |event: ev::KeyboardEvent| {
        if !open.get_untracked() {
            return;
        }
        let Some(aside) = aside.get_untracked() else { return };
        let aside: &web_sys::Element = &aside;
        let own = event
            .target()
            .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
            .and_then(|target| target.closest("[role=dialog]").ok().flatten())
            .is_none_or(|dialog| &dialog == aside);
        if !own {
            return;
        }
        if event.key() == "Escape" {
            event.prevent_default();
            event.stop_propagation();
            open.set(false);
        } else if narrow.get_untracked() {
            trap_tab(&event, aside);
        }
    };
    view! {
        <Show when=drawer>
            <div class="properties-backdrop" on:click=move |_| open.set(false)></div>
        </Show>
        <aside class="properties" id="ticket-properties" aria-label="Ticket properties" node_ref=aside
            class:open=move || open.get()
            role=move || drawer().then_some("dialog")
            aria-modal=move || drawer().then_some("true")
            tabindex="-1"
            on:keydown=on_key>
            <div class="properties-head">
                <h2>"Properties"</h2>
                <span class="spacer"></span>
                <button type="button" class="button ghost small" aria-label="Close properties" title="Close (Esc)"
                    data-testid="properties-close" on:click=move |_| open.set(false)>"×"</button>
            </div>
            <div class="field">
                <label for="prop-status">"Status"</label>
                <select id="prop-status" class="select" data-testid="status-select"
                    prop:value=move || ticket.with(|t| t.status.as_str())
                    on:change=move |event| {
                        if let Ok(status) = event_target_value(&event).parse::<TicketStatus>() {
                            save(TicketPatch { status: Some(status), ..Default::default() });
                        }
                    }>
                    {move || {
                        let current = ticket.with(|t| t.status);
                        TicketStatus::ALL
                            .into_iter()
                            .filter(move |status| current.can_become(*status))
                            .map(|status| view! { <option value=status.as_str() selected=status == current>{status.as_str()}</option> })
                            .collect_view()
                    }}
                </select>
            </div>
            <div class="field">
                <label for="prop-priority">"Priority"</label>
                <select id="prop-priority" class="select"
                    prop:value=move || ticket.with(|t| t.priority.as_str())
                    on:change=move |event| {
                        if let Ok(priority) = event_target_value(&event).parse::<Priority>() {
                            save(TicketPatch { priority: Some(priority), ..Default::default() });
                        }
                    }>
                    {Priority::ALL.into_iter().map(|priority| view! {
                        <option value=priority.as_str() selected=move || ticket.with(|t| t.priority == priority)>{priority.as_str()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="prop-assignee">"Assignee"</label>
                <select id="prop-assignee" class="select"
                    prop:value=move || ticket.with(|t| t.assignee.as_ref().map(|a| a.id.to_string()).unwrap_or_default())
                    on:change=move |event| {
                        let value = event_target_value(&event);
                        let assignee = value.parse::<UserId>().ok();
                        save(TicketPatch { assignee_id: Some(assignee), ..Default::default() });
                    }>
                    <option value="">"Unassigned"</option>
                    {move || {
                        let current = ticket.with(|t| t.assignee.as_ref().map(|a| a.id));
                        staff.get().unwrap_or_default().into_iter()
                            .filter(|user| can_assign_anyone() || Some(user.id) == me() || Some(user.id) == current)
                            .map(|user| view! {
                                <option value=user.id.to_string() selected=Some(user.id) == current>
                                    {if Some(user.id) == me() { format!("{} (me)", user.name) } else { user.name.clone() }}
                                </option>
                            })
                            .collect_view()
                    }}
                </select>
                {move || (ticket.with(|t| t.assignee.is_none()) && me().is_some()).then(|| view! {
                    <button class="button small" title="Assign to me (a)" on:click=move |_| save(TicketPatch { assignee_id: Some(me()), ..Default::default() })>
                        "Take it"
                    </button>
                })}
            </div>
            <CategoryField ticket=ticket set_category=set_category />
            <div class="field">
                <label for="prop-tags">"Tags"</label>
                <ul class="tag-chips" data-testid="tag-chips">
                    <For each=move || ticket.with(|t| t.tags.clone()) key=|tag| tag.clone() let:tag>
                        <li class="tag-chip" data-testid="tag-chip">
                            <span>{tag.clone()}</span>
                            <button type="button" class="tag-remove" aria-label=format!("Remove the tag {tag}") title="Remove"
                                on:click={ let tag = tag.clone(); move |_| remove_tag(tag.clone()) }>"×"</button>
                        </li>
                    </For>
                </ul>
                <input id="prop-tags" class="input" placeholder="Add a tag…" autocomplete="off"
                    prop:value=move || new_tag.get()
                    on:input=move |event| {
                        let typed = event_target_value(&event);
                        // A comma ends a tag, as Enter does.
                        if typed.contains(',') {
                            new_tag.set(typed);
                            add_typed();
                        } else {
                            new_tag.set(typed);
                        }
                    }
                    on:keydown=move |event: ev::KeyboardEvent| {
                        if event.key() == "Enter" {
                            event.prevent_default();
                            add_typed();
                        }
                    }
                    on:change=move |_| add_typed() />
                <span class="hint">"Enter or a comma adds a tag."</span>
            </div>
            <div class="field sla-targets" data-testid="sla-targets">
                <h3>"SLA targets"</h3>
                <SlaTarget target=Target::FirstResponse ticket=ticket now=now />
                <SlaTarget target=Target::Resolution ticket=ticket now=now />
                {move || ticket.with(|t| t.sla.first_response_due_at.is_none() && t.sla.resolution_due_at.is_none())
                    .then(|| view! { <span class="hint">"No target is running for this ticket."</span> })}
            </div>
            <div class="stack">
                <h3>"Requester"</h3>
                {move || ticket.with(|t| {
                    let requester = t.requester.clone();
                    view! {
                        <div class="row">
                            <Avatar name=requester.name.clone() large=true />
                            <div>
                                <div data-testid="requester-name">{requester.name.clone()}</div>
                                <div class="small muted">{requester.email.clone()}</div>
                            </div>
                        </div>
                    }
                })}
                <CustomerPanel ticket=ticket />
            </div>
            <div class="stack small muted">
                <div>"Created " {move || view! { <Time at=ticket.with(|t| t.created_at) /> }}</div>
                {move || ticket.with(|t| t.first_response_at).map(|at| view! { <div>"First reply " <Time at=at /></div> })}
                {move || ticket.with(|t| t.solved_at).map(|at| view! { <div>"Solved " <Time at=at /></div> })}
            </div>
        </aside>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + minutes * 60, 0).unwrap_or_default()
    }

    #[test]
    fn typed_tags_are_added_once_each() {
        let tags = vec!["vip".to_owned()];
        assert_eq!(add_tags(&tags, " refund "), ["vip", "refund"]);
        assert_eq!(add_tags(&tags, "refund, vip,,late"), ["vip", "refund", "late"]);
        assert_eq!(add_tags(&tags, " , "), ["vip"]);
    }

    #[test]
    fn targets_say_how_they_stand() {
        let state =
            |due: Option<i64>, done: Option<i64>, now: i64| target_state(due.map(at), done.map(at), at(0), at(now));
        assert_eq!(state(Some(480), None, 300), Some(("due in 3 h".to_owned(), "warning")));
        assert_eq!(state(Some(480), None, 10), Some(("due in 7 h".to_owned(), "ok")));
        assert_eq!(
            state(Some(480), None, 470),
            Some(("due in 10 min".to_owned(), "urgent"))
        );
        assert_eq!(state(Some(60), None, 61), Some(("overdue".to_owned(), "overdue")));
        assert_eq!(state(Some(60), Some(30), 90), Some(("met".to_owned(), "met")));
        assert_eq!(state(Some(60), Some(70), 90), Some(("met late".to_owned(), "breached")));
        assert_eq!(state(None, None, 0), None);
    }
}
