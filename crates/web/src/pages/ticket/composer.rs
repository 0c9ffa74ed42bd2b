//! The reply box: "Reply" or "Internal note" (a clear colour change), "Suggest reply" (a draft the
//! agent edits, never sent by itself), "Macros" (a canned reply filled in for this ticket, whose
//! status, priority and tags the server sets with the reply), Ctrl+Enter to send (with Shift:
//! then open the next ticket of the list), and "then set status" in the same action. Files go
//! with it ("Attach", or dropped or pasted onto the box), each uploaded as soon as it is chosen. A
//! sent message shows at once, marked sending, then confirmed or failed with a retry.

use ferrodesk_shared::ErrorCode;
use ferrodesk_shared::ai::{ReplyOrigin, SuggestedReply};
use ferrodesk_shared::macros::{Macro, RenderedMacro};
use ferrodesk_shared::tickets::{Message, NewMessage, TicketPatch, TicketStatus};
use ferrodesk_shared::users::UserSummary;
use ferrodesk_shared::{MessageId, Permission, TicketId};
use leptos::ev;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};

use super::customer::ticket_href;
use super::macro_picker::MacroPicker;
use super::thread::{Delivery, ThreadItem, post_message};
use crate::api::{use_api, use_submit};
use crate::components::ai::{DraftOrigin, first_placeholder, suggest_error, unfilled};
use crate::components::attachments::{AttachButton, AttachmentChips, AttachmentDraft, ids};
use crate::components::icons::LockIcon;
use crate::components::macros::actions;
use crate::components::shortcuts::page_key;
use crate::components::time::now;
use crate::components::toast::use_toasts;
use crate::pages::inbox::InboxList;
use crate::session::use_session;

/// After `current`, the ticket "send and next" opens: the next row of the list, else the one
/// before it (the last row), else the first row when this ticket is not in the list at all.
fn next_in_list<T: Clone>(rows: &[T], is_current: impl Fn(&T) -> bool) -> Option<T> {
    match rows.iter().position(&is_current) {
        Some(at) => rows
            .get(at + 1)
            .or_else(|| at.checked_sub(1).and_then(|before| rows.get(before))),
        None => rows.first(),
    }
    .cloned()
}

/// `save` sets the status chosen for after sending; otherwise `reload_ticket` shows what the
/// message changed (the first reply opens a new ticket).
#[component]
pub(super) fn Composer(
    ticket_id: TicketId,
    thread: RwSignal<Vec<ThreadItem>>,
    save: Callback<TicketPatch>,
    reload_ticket: Callback<()>,
) -> impl IntoView {
    let api = use_api();
    let toasts = use_toasts();
    let session = use_session();
    let internal = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let after_send = RwSignal::new(String::new());
    let composer = NodeRef::<leptos::html::Textarea>::new();
    let files = AttachmentDraft::new();

    // "Suggest reply": a draft in the reply box for the agent to edit; it is never sent by itself.
    let suggestion = RwSignal::new(None::<SuggestedReply>);
    let replaced = RwSignal::new(None::<String>);
    // Its answer is dropped when the agent has moved to another ticket meanwhile.
    let suggesting = use_submit();
    let suggest = move || {
        if suggesting.pending_untracked() {
            return;
        }
        suggesting.dispatch_with(api.ai().suggest_reply(ticket_id), move |result| {
            match result {
                // Nothing to draft from: say so, and leave what the agent wrote alone.
                Ok(reply) if reply.origin == ReplyOrigin::NoSimilar => suggestion.set(Some(reply)),
                Ok(reply) => {
                    let before = draft.get_untracked();
                    internal.set(false);
                    replaced.set((!before.trim().is_empty() && before != reply.draft).then_some(before));
                    draft.set(reply.draft.clone());
                    // Straight to the first blank, selected, so typing fills it in.
                    if let Some(textarea) = composer.get_untracked() {
                        textarea.set_value(&reply.draft);
                        let _ = textarea.focus();
                        if let Some((start, end)) = first_placeholder(&reply.draft) {
                            let _ = textarea.set_selection_range(start, end);
                        }
                    }
                    suggestion.set(Some(reply));
                }
                // A plan without AI is a prompt to upgrade, not a failure.
                Err(error)
                    if error
                        .body
                        .as_ref()
                        .is_some_and(|body| body.code == ErrorCode::UpgradeRequired) =>
                {
                    toasts.info(suggest_error(&error))
                }
                Err(error) => toasts.error(suggest_error(&error)),
            }
        });
    };

    // "Macros": the chosen one filled in for this ticket goes into the box (after what is there),
    // and its id rides with the reply so the server applies its status, priority and tags.
    let applied = RwSignal::new(None::<RenderedMacro>);
    let picker_open = RwSignal::new(false);
    let applying = use_submit();
    let apply = Callback::new(move |item: Macro| {
        applying.dispatch_with(api.macros().render(ticket_id, item.id), move |result| match result {
            Ok(rendered) => {
                let before = draft.get_untracked();
                let text = if before.trim().is_empty() {
                    rendered.body.clone()
                } else {
                    format!("{}\n\n{}", before.trim_end(), rendered.body)
                };
                draft.set(text.clone());
                if let Some(textarea) = composer.get_untracked() {
                    textarea.set_value(&text);
                    let _ = textarea.focus();
                    let end = text.encode_utf16().count() as u32;
                    let _ = textarea.set_selection_range(end, end);
                }
                applied.set(Some(rendered));
            }
            Err(error) => toasts.error(format!("The macro could not be inserted. {}", error.message())),
        });
    });
    let staff = move || session.role().is_some_and(|role| role.is_staff());

    // "Send and next": where to go once the message is sent, worked out before sending (the
    // message can move this ticket out of the list).
    let list = use_context::<InboxList>();
    let navigate = use_navigate();
    let location = use_location();
    let next_href = move || {
        let search = location.search.get_untracked();
        let next = list.and_then(|list| {
            list.items
                .with_untracked(|rows| next_in_list(rows, |row| row.id == ticket_id))
        });
        match next {
            Some(next) => (ticket_href(&search, &next), true),
            None if search.is_empty() => ("/inbox".to_owned(), false),
            None => (format!("/inbox?{}", search.trim_start_matches('?')), false),
        }
    };

    let send = move |then_next: bool| {
        let body = draft.get_untracked();
        if body.trim().is_empty() || files.uploading_untracked() {
            return;
        }
        let attachments = files.uploaded();
        let internal_note = internal.get_untracked();
        // A drafted reply with blanks left would reach the customer as "{{amount}}".
        let blanks = suggestion.with_untracked(|suggestion| {
            suggestion
                .as_ref()
                .map(|suggestion| unfilled(&suggestion.placeholders, &body))
                .unwrap_or_default()
        });
        if !internal_note && !blanks.is_empty() {
            toasts.error(format!("Fill in {} before sending.", blanks.join(", ")));
            return;
        }
        let then_status = after_send.get_untracked().parse::<TicketStatus>().ok();
        let Some(me) = session.user() else { return };
        let macro_id = applied.with_untracked(|applied| applied.as_ref().map(|applied| applied.id));
        let local_id = MessageId(uuid::Uuid::from_u64_pair(0, js_sys::Date::now() as u64));
        let optimistic = Message {
            id: local_id,
            ticket_id,
            author: UserSummary {
                id: me.id,
                name: me.name.clone(),
                email: me.email.clone(),
                role: me.role,
            },
            body: body.clone(),
            internal: internal_note,
            created_at: now(),
            attachments: attachments.clone(),
        };
        thread.update(|items| {
            items.push(ThreadItem {
                message: optimistic,
                state: Delivery::Sending,
                macro_id,
            })
        });
        draft.set(String::new());
        files.clear();
        after_send.set(String::new());
        suggestion.set(None);
        replaced.set(None);
        // The macro goes with this message now (a retry sends it again), not with the next one.
        applied.set(None);
        let next = then_next.then(next_href);
        let navigate = navigate.clone();
        post_message(
            api,
            thread,
            local_id,
            ticket_id,
            NewMessage {
                body,
                internal: internal_note,
                macro_id,
                attachment_ids: ids(&attachments),
            },
            move |sent| {
                if sent {
                    if let Some(status) = then_status {
                        save.run(TicketPatch {
                            status: Some(status),
                            ..Default::default()
                        });
                    } else {
                        reload_ticket.run(());
                    }
                    // Only once it is sent: a failed message stays here, with its "Retry".
                    if let Some((href, found)) = next {
                        if !found {
                            toasts.info("That was the last ticket in this view.");
                        }
                        navigate(&href, Default::default());
                    }
                }
            },
        );
    };
    let send = StoredValue::new(send);
    let send = move |then_next: bool| send.with_value(|send| send(then_next));

    // r: reply, n: internal note, m: macros (when not already typing somewhere, nor in a dialog).
    let keys = window_event_listener(ev::keydown, move |event: ev::KeyboardEvent| {
        if !page_key(&event) {
            return;
        }
        let note = match event.key().as_str() {
            "r" => false,
            "n" => true,
            "m" if staff() && !applying.pending_untracked() => {
                event.prevent_default();
                picker_open.set(true);
                return;
            }
            _ => return,
        };
        event.prevent_default();
        internal.set(note);
        if let Some(textarea) = composer.get_untracked() {
            let _ = textarea.focus();
        }
    });
    on_cleanup(move || keys.remove());

    let can_note = move || {
        session
            .role()
            .is_some_and(|role| role.can(Permission::WriteInternalNote))
    };

    view! {
        <form class="composer" class:internal=move || internal.get()
            on:submit=move |event: ev::SubmitEvent| { event.prevent_default(); send(false); }
            // Files dropped on the box are attached (not opened by the browser in place of the app).
            on:dragover=move |event: ev::DragEvent| event.prevent_default()
            on:drop=move |event| files.dropped(api, &event)>
            <div class="row composer-head">
                <div class="tabs" role="tablist">
                    <button type="button" class="tab" role="tab" aria-selected=move || (!internal.get()).to_string()
                        on:click=move |_| internal.set(false)>"Reply"</button>
                    <Show when=can_note>
                        <button type="button" class="tab note" role="tab" aria-selected=move || internal.get().to_string()
                            on:click=move |_| internal.set(true)><LockIcon /> " Internal note"</button>
                    </Show>
                </div>
                <span class="spacer"></span>
                <Show when=staff>
                    <MacroPicker open=picker_open pick=apply busy=Signal::derive(move || applying.pending()) />
                </Show>
                <button type="button" class="button small suggest" data-testid="suggest-reply"
                    title="Draft a reply from similar solved tickets; you edit it before sending"
                    aria-busy=move || suggesting.pending().to_string()
                    disabled=move || suggesting.pending()
                    on:click=move |_| suggest()>
                    <span class="ai-mark" aria-hidden="true">"✦"</span>
                    {move || if suggesting.pending() { "Drafting…" } else { "Suggest reply" }}
                </button>
            </div>
            <textarea class="textarea" node_ref=composer data-testid="composer" class:drafted=move || suggestion.with(|s| s.as_ref().is_some_and(|s| s.origin != ReplyOrigin::NoSimilar))
                aria-label=move || if internal.get() { "Internal note, only your team sees it" } else { "Reply to the customer" }
                placeholder=move || if internal.get() { "Only your team sees notes." } else { "Write your reply… (Ctrl+Enter to send, with Shift to go on to the next ticket)" }
                prop:value=move || draft.get()
                on:input=move |event| draft.set(event_target_value(&event))
                on:paste=move |event| files.pasted(api, &event)
                on:keydown=move |event: ev::KeyboardEvent| {
                    if event.key() == "Enter" && (event.ctrl_key() || event.meta_key()) {
                        event.prevent_default();
                        send(event.shift_key());
                    } else if event.key() == "Escape" {
                        // Out of the box (the draft stays), so the page's keys work again.
                        if let Some(textarea) = composer.get_untracked() {
                            let _ = textarea.blur();
                        }
                    }
                }></textarea>
            {move || suggestion.get().map(|reply| view! {
                <DraftOrigin suggestion=reply draft=draft replaced=replaced
                    dismiss=Callback::new(move |()| suggestion.set(None)) />
            })}
            {move || applied.get().map(|applied_macro| {
                let changes = actions(applied_macro.set_status, applied_macro.set_priority, &applied_macro.add_tags);
                let on_send = (!changes.is_empty()).then(|| format!(" · on send: {}", changes.join(" · ")));
                view! {
                    <div class="macro-applied" role="status" data-testid="macro-applied">
                        <span class="macro-applied-text">"Macro: " <strong>{applied_macro.title}</strong> {on_send}</span>
                        <span class="spacer"></span>
                        <button type="button" class="button ghost small" data-testid="macro-clear"
                            title="Forget the macro; the text stays" aria-label="Forget the macro (the text stays)"
                            on:click=move |_| applied.set(None)>"×"</button>
                    </div>
                }
            })}
            <div class="attach-row">
                <AttachButton draft=files />
                <AttachmentChips draft=files />
            </div>
            <div class="row">
                <span class="small muted">
                    {move || if internal.get() { "Visible to your team only." } else { "The customer will see this reply." }}
                </span>
                <span class="spacer"></span>
                <select class="select" style="width: auto" aria-label="Then set status"
                    prop:value=move || after_send.get()
                    on:change=move |event| after_send.set(event_target_value(&event))>
                    <option value="">"Keep status"</option>
                    <option value="pending">"Then pending"</option>
                    <option value="solved">"Then solved"</option>
                </select>
                <button type="submit" class=move || if internal.get() { "button note" } else { "button primary" }
                    title="Ctrl+Enter; Ctrl+Shift+Enter sends and opens the next ticket"
                    disabled=move || draft.with(|draft| draft.trim().is_empty()) || files.uploading()>
                    {move || if internal.get() { "Add note" } else { "Send reply" }}
                </button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::next_in_list;

    #[test]
    fn send_and_next_goes_down_the_list() {
        let rows = [1, 2, 3];
        assert_eq!(next_in_list(&rows, |row| *row == 1), Some(2));
        assert_eq!(next_in_list(&rows, |row| *row == 2), Some(3));
        // The last row: back to the one before it.
        assert_eq!(next_in_list(&rows, |row| *row == 3), Some(2));
        // Opened from elsewhere (a link): the list's first row.
        assert_eq!(next_in_list(&rows, |row| *row == 9), Some(1));
        assert_eq!(next_in_list(&[1], |row| *row == 1), None);
        assert_eq!(next_in_list(&[] as &[i32], |row| *row == 1), None);
    }
}
