//! The owner's first run: while the workspace is not yet working (no teammate or no ticket), an empty
//! inbox shows a "Get started" checklist instead of only saying it is empty. Steps are ticked where
//! the app can know cheaply: the team list, one ticket, the widget's switch, and in this browser
//! whether the portal link was copied and the SLA targets opened.

use ferrodesk_shared::WorkspaceId;
use ferrodesk_shared::tickets::{InboxView, TicketListQuery};
use ferrodesk_shared::users::UserListQuery;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::use_api;
use crate::components::clipboard::copy_to_clipboard;
use crate::components::toast::use_toasts;
use crate::pages::shell::use_inbox_refresh;
use crate::session::use_session;

/// What the server tells about the workspace's set-up.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Progress {
    teammate: bool,
    ticket: bool,
    widget_on: bool,
}

impl Progress {
    /// A team and a ticket: the workspace is running, and the checklist has done its job.
    fn running(&self) -> bool {
        self.teammate && self.ticket
    }
}

/// What only this browser knows, per workspace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Marks {
    #[serde(default)]
    portal_copied: bool,
    #[serde(default)]
    sla_opened: bool,
    #[serde(default)]
    hidden: bool,
}

fn marks_key(workspace: WorkspaceId) -> String {
    format!("ferrodesk-get-started:{workspace}")
}

fn read_marks(workspace: WorkspaceId) -> Marks {
    window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|storage| storage.get_item(&marks_key(workspace)).ok().flatten())
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

fn write_marks(workspace: WorkspaceId, marks: Marks) {
    if let (Some(storage), Ok(text)) = (window().local_storage().ok().flatten(), serde_json::to_string(&marks)) {
        let _ = storage.set_item(&marks_key(workspace), &text);
    }
}

/// The checklist, for owners, when there is something left to do; nothing otherwise.
#[component]
pub(super) fn GetStarted() -> impl IntoView {
    let session = use_session();
    let api = use_api();
    let toasts = use_toasts();
    let refresh = use_inbox_refresh();
    let owner = crate::pages::shell::is_owner(session.role());
    let Some(workspace) = session.workspace().filter(|_| owner) else {
        return ().into_any();
    };
    let workspace_id = workspace.id;
    let marks = RwSignal::new(read_marks(workspace_id));
    let update_marks = move |change: fn(&mut Marks)| {
        marks.update(change);
        write_marks(workspace_id, marks.get_untracked());
    };
    let progress = LocalResource::new(move || {
        refresh.0.track();
        async move {
            let users = api.users().list(UserListQuery::default()).await.ok()?;
            let tickets = api
                .tickets()
                .list(TicketListQuery {
                    view: Some(InboxView::All),
                    limit: Some(1),
                    ..TicketListQuery::default()
                })
                .await
                .ok()?;
            // The widget's settings may fail alone (an older server): the step then waits for the portal.
            let widget_on = api.widget().settings().await.is_ok_and(|widget| widget.enabled);
            Some(Progress {
                teammate: users.items.iter().filter(|user| user.role.is_staff()).count() > 1,
                ticket: !tickets.items.is_empty(),
                widget_on,
            })
        }
    });
    let origin = window().location().origin().unwrap_or_default();
    let portal_url = format!("{origin}/join/{}", workspace.slug);

    (move || {
        let progress = progress.get().flatten()?;
        if progress.running() || marks.with(|marks| marks.hidden) {
            return None;
        }
        let current = marks.get();
        let steps = [
            progress.teammate,
            progress.widget_on || current.portal_copied,
            progress.ticket,
            current.sla_opened,
        ];
        let done = steps.iter().filter(|done| **done).count();
        let portal_url = portal_url.clone();
        let copy_url = portal_url.clone();
        let open_url = portal_url.clone();
        let copy = move |_| {
            if copy_to_clipboard(&copy_url) {
                toasts.info("Portal link copied");
            } else {
                toasts.error("This browser did not let us copy: select the link and copy it yourself.");
            }
            update_marks(|marks| marks.portal_copied = true);
        };
        Some(view! {
            <li class="get-started" data-testid="get-started">
                <section aria-labelledby="get-started-title">
                    <div class="row">
                        <h3 id="get-started-title">"Get started"</h3>
                        <span class="spacer"></span>
                        <span class="small muted" data-testid="get-started-count">{format!("{done} of {} done", steps.len())}</span>
                    </div>
                    <p class="small muted">"A few steps and your team is ready for its first customers."</p>
                    <ol class="checklist">
                        <Step done=steps[0] title="Invite a teammate" testid="step-invite">
                            <p>"Agents answer tickets with you; each gets their own inbox."</p>
                            <a href="/team">"Invite from Team"</a>
                        </Step>
                        <Step done=steps[1] title="Add the widget or share your portal" testid="step-portal">
                            <p>"Customers write in from the widget on your site, or from your help centre:"</p>
                            <div class="portal-link">
                                <code data-testid="portal-url">{portal_url.clone()}</code>
                                <button type="button" class="button small" on:click=copy>"Copy"</button>
                            </div>
                            <a href="/settings/widget">"Set up the widget"</a>
                        </Step>
                        <Step done=steps[2] title="Send a test request" testid="step-test">
                            <p>"Write in as a customer would (a private window keeps you signed in here)."</p>
                            <a href=open_url target="_blank" rel="noopener noreferrer">"Open your portal"</a>
                            " · "
                            <a href="/tickets/new">"Create one yourself"</a>
                        </Step>
                        <Step done=steps[3] title="Check your SLA targets" testid="step-sla">
                            <p>"How soon your team should answer and solve, per priority."</p>
                            <a href="/settings/sla" on:click=move |_| update_marks(|marks| marks.sla_opened = true)>
                                "Review SLA targets"
                            </a>
                        </Step>
                    </ol>
                    <button type="button" class="button ghost small" on:click=move |_| update_marks(|marks| marks.hidden = true)>
                        "Hide this list"
                    </button>
                </section>
            </li>
        })
    })
    .into_any()
}

#[component]
fn Step(done: bool, title: &'static str, testid: &'static str, children: Children) -> impl IntoView {
    view! {
        <li class="step" class:done=done data-done=done.to_string() data-testid=testid>
            <span class="check" aria-hidden="true">{done.then_some("✓")}</span>
            <div>
                <strong>{title}</strong>
                {done.then(|| view! { <span class="sr-only">" (done)"</span> })}
                {children()}
            </div>
        </li>
    }
}
