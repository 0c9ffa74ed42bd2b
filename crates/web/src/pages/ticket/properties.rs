//! The properties column: status, priority, assignee ("Take it"), category, tags, and who asked
//! (with the customer panel: their history, the team's note, "Merge into…").

use ferrodesk_shared::tickets::{Priority, Ticket, TicketPatch, TicketStatus};
use ferrodesk_shared::{Permission, UserId};
use leptos::prelude::*;

use super::customer::CustomerPanel;
use crate::api::use_api;
use crate::components::ai::CategoryField;
use crate::components::badges::Avatar;
use crate::components::time::Time;
use crate::session::use_session;

#[component]
pub(super) fn Properties(
    ticket: RwSignal<Ticket>,
    save: Callback<TicketPatch>,
    set_category: Callback<Option<String>>,
) -> impl IntoView {
    let save = move |patch: TicketPatch| save.run(patch);
    let api = use_api();
    let session = use_session();
    let staff = LocalResource::new(move || async move { api.users().assignable().await });
    let can_assign_anyone = move || session.role().is_some_and(|role| role.can(Permission::AssignAnyone));
    let me = move || session.user().map(|user| user.id);
    let tags_text = RwSignal::new(ticket.with_untracked(|t| t.tags.join(", ")));
    Effect::new(move |_| {
        tags_text.set(ticket.with(|t| t.tags.join(", ")));
    });
    let save_tags = move || {
        let tags: Vec<String> = tags_text
            .get_untracked()
            .split(',')
            .map(|tag| tag.trim().to_owned())
            .filter(|tag| !tag.is_empty())
            .collect();
        if ticket.with_untracked(|t| t.tags != tags) {
            save(TicketPatch {
                tags: Some(tags),
                ..Default::default()
            });
        }
    };
    view! {
        <aside class="properties" aria-label="Ticket properties">
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
                <input id="prop-tags" class="input" placeholder="vip, refund"
                    prop:value=move || tags_text.get()
                    on:input=move |event| tags_text.set(event_target_value(&event))
                    on:change=move |_| save_tags() />
                <span class="hint">"Separate tags with commas."</span>
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
