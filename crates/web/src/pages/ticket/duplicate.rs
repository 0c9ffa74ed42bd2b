//! "Possible duplicate of #N": the banner above the thread when the server found an open ticket of
//! the same requester that this one reads very like. "Merge into #N" is the merge dialog's merge in
//! one click (the customer is not told); "Not a duplicate" forgets the hint.

use ferrodesk_shared::tickets::{MergeRequest, PossibleDuplicate, Ticket, TicketStatus};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};

use super::customer::ticket_id_href;
use crate::api::{use_api, use_submit};
use crate::components::toast::use_toasts;
use crate::pages::inbox::InboxList;
use crate::pages::shell::use_inbox_refresh;

#[component]
pub(super) fn DuplicateBanner(
    ticket: RwSignal<Ticket>,
    duplicate: RwSignal<Option<PossibleDuplicate>>,
) -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let location = use_location();
    let list = use_context::<InboxList>();
    let refresh = use_inbox_refresh();
    let merging = use_submit();
    let dismissing = use_submit();
    let busy = move || merging.pending() || dismissing.pending();

    let merge = move |into: PossibleDuplicate| {
        if merging.pending_untracked() {
            return;
        }
        let id = ticket.with_untracked(|t| t.id);
        let request = MergeRequest {
            into: into.ticket_id,
            notify_customer: false,
        };
        let navigate = navigate.clone();
        merging.dispatch_with(api.tickets().merge(id, request), move |result| match result {
            Ok(result) => {
                if let Some(list) = list {
                    list.replace(&result.merged);
                    list.replace(&result.into);
                }
                refresh.0.update(|n| *n += 1);
                toasts.info(format!("Merged #{} into #{}", result.merged.number, result.into.number));
                let href = location
                    .search
                    .with_untracked(|search| ticket_id_href(search, result.into.id));
                navigate(&href, Default::default());
            }
            Err(error) => toasts.error(format!("The tickets were not merged. {}", error.message())),
        });
    };
    let merge = StoredValue::new(merge);

    let dismiss = move || {
        if dismissing.pending_untracked() {
            return;
        }
        let id = ticket.with_untracked(|t| t.id);
        dismissing.dispatch_with(api.tickets().dismiss_duplicate(id), move |result| match result {
            Ok(()) => {
                duplicate.set(None);
                toasts.info("Marked as not a duplicate");
            }
            Err(error) => toasts.error(format!("The hint was not dismissed. {}", error.message())),
        });
    };

    move || {
        // A closed ticket cannot be merged any more.
        let open = ticket.with(|t| t.status != TicketStatus::Closed);
        let found = duplicate.get().filter(|_| open)?;
        let href = location.search.with(|search| ticket_id_href(search, found.ticket_id));
        let number = found.number;
        let subject = format!("“{}”", found.subject);
        let title = format!(
            "Both are open tickets of this customer and read {}% alike",
            (found.similarity * 100.0).round()
        );
        Some(view! {
            <div class="alert duplicate-banner" role="status" data-testid="duplicate-banner">
                <span class="duplicate-text" title=title>
                    "Possible duplicate of "
                    <a href=href data-testid="duplicate-link">
                        {format!("#{number}")}
                        " "
                        <span class="subject">{subject}</span>
                    </a>
                </span>
                <span class="duplicate-actions">
                    <button class="button primary small" type="button" data-testid="duplicate-merge"
                        title="Move this ticket's messages there and close this one; the customer is not told"
                        disabled=busy
                        on:click=move |_| merge.with_value(|merge| merge(found.clone()))>
                        {move || if merging.pending() { "Merging…".to_owned() } else { format!("Merge into #{number}") }}
                    </button>
                    <button class="button ghost small" type="button" data-testid="duplicate-dismiss"
                        disabled=busy on:click=move |_| dismiss()>
                        "Not a duplicate"
                    </button>
                </span>
            </div>
        })
    }
}
