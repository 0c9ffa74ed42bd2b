//! "Merge into…": choose another open ticket of the same requester; this ticket's messages move
//! there and this one is closed. The server refuses what cannot be merged and says why here.

use ferrodesk_shared::TicketId;
use ferrodesk_shared::tickets::{MergeRequest, Ticket};
use leptos::ev;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};

use super::customer::ticket_href;
use crate::api::{use_api, use_submit};
use crate::components::badges::StatusPill;
use crate::components::toast::use_toasts;
use crate::pages::inbox::InboxList;
use crate::pages::shell::use_inbox_refresh;

#[component]
pub(super) fn MergeDialog(
    ticket: RwSignal<Ticket>,
    choices: Signal<Vec<Ticket>>,
    close: Callback<()>,
) -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let location = use_location();
    let list = use_context::<InboxList>();
    let refresh = use_inbox_refresh();
    let chosen = RwSignal::new(None::<TicketId>);
    let notify = RwSignal::new(false);
    let merging = use_submit();
    let error = merging.error();
    let number = move || ticket.with(|t| t.number);
    let chosen_ticket = move || {
        let id = chosen.get()?;
        choices.with(|choices| choices.iter().find(|choice| choice.id == id).cloned())
    };

    let dialog = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(dialog) = dialog.get() {
            let _ = dialog.focus();
        }
    });

    let merge = move || {
        let Some(into) = chosen.get_untracked() else { return };
        if merging.pending_untracked() {
            return;
        }
        let id = ticket.with_untracked(|t| t.id);
        let request = MergeRequest {
            into,
            notify_customer: notify.get_untracked(),
        };
        let navigate = navigate.clone();
        merging.dispatch(api.tickets().merge(id, request), move |result| {
            if let Some(list) = list {
                list.replace(&result.merged);
                list.replace(&result.into);
            }
            refresh.0.update(|n| *n += 1);
            toasts.info(format!("Merged #{} into #{}", result.merged.number, result.into.number));
            close.run(());
            let href = location
                .search
                .with_untracked(|search| ticket_href(search, &result.into));
            navigate(&href, Default::default());
        });
    };
    let merge = StoredValue::new(merge);

    view! {
        <div class="dialog-backdrop" on:click=move |_| close.run(())>
            <div class="dialog merge-dialog" role="dialog" aria-modal="true" aria-labelledby="merge-title" tabindex="-1"
                node_ref=dialog
                on:click=|event| event.stop_propagation()
                on:keydown=move |event: ev::KeyboardEvent| {
                    if event.key() == "Escape" {
                        event.stop_propagation();
                        close.run(());
                    }
                }>
                <h2 id="merge-title">{move || format!("Merge #{} into…", number())}</h2>
                <p class="small muted">"Another open ticket from the same customer:"</p>
                <div class="merge-choices" role="radiogroup" aria-label="Ticket to merge into">
                    <For each=move || choices.get() key=|choice| choice.id let:choice>
                        <label class="merge-choice" data-testid="merge-choice">
                            <input type="radio" name="merge-into" value=choice.id.to_string()
                                prop:checked=move || chosen.get() == Some(choice.id)
                                on:change=move |_| { merging.clear(); chosen.set(Some(choice.id)); } />
                            <span class="number">{format!("#{}", choice.number)}</span>
                            <span class="subject">{choice.subject.clone()}</span>
                            <StatusPill status=choice.status />
                        </label>
                    </For>
                </div>
                <label class="check">
                    <input type="checkbox" data-testid="merge-notify"
                        prop:checked=move || notify.get()
                        on:change=move |event| notify.set(event_target_checked(&event)) />
                    " Tell the customer"
                </label>
                <p class="merge-consequence" data-testid="merge-consequence">
                    {move || match chosen_ticket() {
                        Some(into) => format!(
                            "#{}'s messages move to #{} and #{} is closed. This cannot be undone.",
                            number(), into.number, number()
                        ),
                        None => "Choose the ticket to merge into.".to_owned(),
                    }}
                </p>
                {move || error.get().map(|error| view! {
                    <div class="alert error" role="alert" data-testid="merge-error">
                        {error.field("into").unwrap_or_else(|| error.message())}
                    </div>
                })}
                <div class="row" style="margin-top: 16px;">
                    <span class="spacer"></span>
                    <button class="button ghost" type="button" on:click=move |_| close.run(())>"Cancel"</button>
                    <button class="button primary" type="button" data-testid="merge-confirm"
                        disabled=move || chosen.get().is_none() || merging.pending()
                        on:click=move |_| merge.with_value(|merge| merge())>
                        {move || if merging.pending() { "Merging…" } else { "Merge" }}
                    </button>
                </div>
            </div>
        </div>
    }
}
