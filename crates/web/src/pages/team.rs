//! The team: who is in the workspace, invitations (sent and pending), and role changes (owners).

use ferrodesk_shared::auth::{InvitationCreated, InvitationRequest};
use ferrodesk_shared::billing::BillingOverview;
use ferrodesk_shared::users::{UpdateUserRequest, User, UserListQuery};
use ferrodesk_shared::workspaces::Plan;
use ferrodesk_shared::{InvitationId, Permission, Role};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::api::{use_api, use_submit};
use crate::components::badges::Avatar;
use crate::components::form::{FormError, TextField};
use crate::components::time::Time;
use crate::components::toast::use_toasts;
use crate::pages::shell::{Rail, StaffOnly};
use crate::session::use_session;

#[component]
pub fn Team() -> impl IntoView {
    view! {
        <StaffOnly>
            <div class="workspace two">
                <Rail />
                <TeamPage />
            </div>
        </StaffOnly>
    }
}

/// The two lists of the page: the team, and the people who write to it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Staff,
    Customers,
}

#[component]
fn TeamPage() -> impl IntoView {
    let api = use_api();
    let session = use_session();
    let toasts = use_toasts();
    let reload = RwSignal::new(0u32);
    let users = LocalResource::new(move || {
        reload.track();
        async move { api.users().list(UserListQuery::default()).await }
    });
    let invitations = LocalResource::new(move || {
        reload.track();
        async move {
            api.invitations()
                .list()
                .await
                .map(|list| list.items)
                .unwrap_or_default()
        }
    });
    let can_change_roles = move || session.role().is_some_and(|role| role.can(Permission::ChangeRoles));
    // The plan's seats, for owners (the server refuses a seat past the plan whoever asks).
    let seats = LocalResource::new(move || {
        reload.track();
        let owner = session.role() == Some(Role::Owner);
        async move {
            if owner {
                api.billing().overview().await.ok()
            } else {
                None
            }
        }
    });
    let can_invite_supervisors = move || {
        session
            .role()
            .is_some_and(|role| role.can(Permission::InviteSupervisor))
    };

    let email = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Agent);
    let inviting = use_submit();
    let errors = inviting.error();
    let created = RwSignal::new(None::<InvitationCreated>);
    let invite = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let request = InvitationRequest {
            email: email.get_untracked(),
            role: role.get_untracked(),
        };
        inviting.dispatch(api.invitations().create(request), move |invitation| {
            email.set(String::new());
            created.set(Some(invitation));
            reload.update(|n| *n += 1);
        });
    };

    let tab = RwSignal::new(Tab::Staff);
    let people = move |staff: bool| {
        users.get().map(|result| {
            result.map(|list| {
                list.items
                    .into_iter()
                    .filter(|user| user.role.is_staff() == staff)
                    .collect::<Vec<_>>()
            })
        })
    };
    let count = move |staff: bool| match people(staff) {
        Some(Ok(list)) => format!(" {}", list.len()),
        _ => String::new(),
    };

    // A refused role change: the control goes back to the role the server still has (the row's,
    // as last read; the list is read again, and a row whose role changed meanwhile is drawn anew)
    // and the reason stays on the page, not in a toast that is gone before it is read.
    let role_error = RwSignal::new(None::<String>);
    let change_role = move |user: User, next: Role, select: NodeRef<leptos::html::Select>| {
        role_error.set(None);
        spawn_local(async move {
            match api.users().update(user.id, UpdateUserRequest { role: next }).await {
                Ok(updated) => toasts.info(format!("{} is now {}.", updated.name, with_article(updated.role))),
                Err(failure) => {
                    if let Some(select) = select.get_untracked() {
                        select.set_value(user.role.as_str());
                    }
                    role_error.set(Some(format!(
                        "{} is still {}. {}",
                        user.name,
                        with_article(user.role),
                        failure.message()
                    )));
                }
            }
            reload.update(|n| *n += 1);
        });
    };
    let promoting = RwSignal::new(None::<User>);
    let promoted = Callback::new(move |user: User| {
        promoting.set(None);
        role_error.set(None);
        toasts.info(format!("{} is now an agent.", user.name));
        tab.set(Tab::Staff);
        reload.update(|n| *n += 1);
    });
    let refused = Callback::new(move |()| reload.update(|n| *n += 1));

    let revoke = move |id: InvitationId| {
        spawn_local(async move {
            match api.invitations().revoke(id).await {
                Ok(()) => toasts.info("Invitation withdrawn."),
                Err(failure) => toasts.error(failure.message()),
            }
            reload.update(|n| *n += 1);
        });
    };
    let origin = window().location().origin().unwrap_or_default();

    let tab_button = move |which: Tab, label: &'static str, id: &'static str, panel: &'static str| {
        let staff = which == Tab::Staff;
        view! {
            <button class="tab" type="button" role="tab" id=id aria-controls=panel
                aria-selected=move || (tab.get() == which).to_string()
                tabindex=move || if tab.get() == which { "0" } else { "-1" }
                on:click=move |_| tab.set(which)
                on:keydown=move |event: leptos::ev::KeyboardEvent| {
                    // Arrow keys move between the two tabs, as in any tab list.
                    if matches!(event.key().as_str(), "ArrowLeft" | "ArrowRight") {
                        event.prevent_default();
                        let next = if which == Tab::Staff { Tab::Customers } else { Tab::Staff };
                        tab.set(next);
                        let id = if next == Tab::Staff { "team-tab-staff" } else { "team-tab-customers" };
                        if let Some(button) = document().get_element_by_id(id)
                            && let Ok(button) = button.dyn_into::<web_sys::HtmlElement>()
                        {
                            let _ = button.focus();
                        }
                    }
                }>
                {label}
                <span class="count">{move || count(staff)}</span>
            </button>
        }
    };

    view! {
        <main class="page">
            <div class="page-head"><h1>"Team"</h1></div>
            <section class="card stack">
                <h2>"Invite a teammate"</h2>
                {move || seats.get().flatten().map(|plan| view! { <Seats plan /> })}
                <form class="row" style="align-items: flex-end; flex-wrap: wrap;" on:submit=invite novalidate>
                    <div style="flex: 1; min-width: 240px;">
                        <TextField label="Email" name="email" value=email error=errors kind="email" />
                    </div>
                    <div class="field">
                        <label for="invite-role">"Role"</label>
                        <select id="invite-role" class="select"
                            on:change=move |event| {
                                if let Ok(value) = event_target_value(&event).parse::<Role>() {
                                    role.set(value);
                                }
                            }>
                            <option value="agent" selected=true>"Agent"</option>
                            <Show when=can_invite_supervisors>
                                <option value="supervisor">"Supervisor"</option>
                                <option value="owner">"Owner"</option>
                            </Show>
                        </select>
                    </div>
                    <button class="button primary" type="submit">"Send invitation"</button>
                </form>
                <FormError error=errors />
                {move || created.get().map(|invitation| {
                    let link = format!("{origin}/invite/{}", invitation.token);
                    view! {
                        <div class="alert success stack">
                            <div>{format!("Invitation created for {}. Share this link with them (it works once, for 72 hours):", invitation.email)}</div>
                            <div class="token-box" data-testid="invitation-link">{link}</div>
                        </div>
                    }
                })}
            </section>

            <section class="stack team-people" style="margin-top: 24px;">
                <div class="tabs team-tabs" role="tablist" aria-label="People">
                    {tab_button(Tab::Staff, "Staff", "team-tab-staff", "team-staff")}
                    {tab_button(Tab::Customers, "Customers", "team-tab-customers", "team-customers")}
                </div>
                <div id="team-staff" role="tabpanel" aria-labelledby="team-tab-staff" hidden=move || tab.get() != Tab::Staff>
                    <p class="muted small">"Staff answer tickets and take a seat on your plan."</p>
                    {move || role_error.get().map(|words| view! {
                        <div class="alert error row" role="alert" data-testid="role-error">
                            <span>{words}</span>
                            <span class="spacer"></span>
                            <button class="button ghost small" type="button" on:click=move |_| role_error.set(None)>"Dismiss"</button>
                        </div>
                    })}
                    <table class="table">
                        <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Joined"</th></tr></thead>
                        <tbody>
                            {move || match people(true) {
                                None => view! { <tr><td colspan="4" class="muted">"Loading the team…"</td></tr> }.into_any(),
                                Some(Err(failure)) => view! { <tr><td colspan="4" class="alert error">{failure.message()}</td></tr> }.into_any(),
                                Some(Ok(staff)) => view! {
                                    // Keyed by role too: a row whose role the server changed is drawn anew.
                                    <For each=move || staff.clone() key=|user| (user.id, user.role) let:user>
                                        <StaffRow user editable=can_change_roles() change_role />
                                    </For>
                                }.into_any(),
                            }}
                        </tbody>
                    </table>
                </div>
                <div id="team-customers" role="tabpanel" aria-labelledby="team-tab-customers" hidden=move || tab.get() != Tab::Customers>
                    <p class="muted small">"Customers write to you. They see only their own requests and take no seat."</p>
                    {move || match people(false) {
                        None => view! { <p class="muted">"Loading customers…"</p> }.into_any(),
                        Some(Err(failure)) => view! { <div class="alert error">{failure.message()}</div> }.into_any(),
                        Some(Ok(customers)) if customers.is_empty() => view! {
                            <p class="muted">"No customers yet. People who write to you appear here."</p>
                        }.into_any(),
                        Some(Ok(customers)) => view! {
                            <table class="table">
                                <thead><tr><th>"Name"</th><th>"Email"</th><th>"Joined"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                                <tbody>
                                    {customers.into_iter().map(|user| {
                                        let chosen = user.clone();
                                        view! {
                                            <tr>
                                                <td><div class="row"><Avatar name=user.name.clone() />{user.name.clone()}</div></td>
                                                <td class="muted">{user.email.clone()}</td>
                                                <td class="muted"><Time at=user.created_at /></td>
                                                <td class="actions">
                                                    <Show when=can_change_roles>
                                                        <button class="button small" type="button"
                                                            on:click={
                                                                let chosen = chosen.clone();
                                                                move |_| promoting.set(Some(chosen.clone()))
                                                            }>
                                                            "Make agent…"
                                                            // Whom it is for, for a screen reader going down the buttons.
                                                            <span class="sr-only">{format!(" {}", user.name)}</span>
                                                        </button>
                                                    </Show>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    }}
                </div>
            </section>

            <section class="stack" style="margin-top: 24px;">
                <h2>"Pending invitations"</h2>
                {move || {
                    let items = invitations.get().unwrap_or_default();
                    if items.is_empty() {
                        view! { <p class="muted">"No invitation is waiting."</p> }.into_any()
                    } else {
                        view! {
                            <table class="table">
                                <thead><tr><th>"Email"</th><th>"Role"</th><th>"Invited by"</th><th>"Expires"</th><th></th></tr></thead>
                                <tbody>
                                    {items.into_iter().map(|invitation| {
                                        let id = invitation.id;
                                        view! {
                                            <tr>
                                                <td>{invitation.email}</td>
                                                <td>{invitation.role.as_str()}</td>
                                                <td class="muted">{invitation.invited_by}</td>
                                                <td class="muted"><Time at=invitation.expires_at /></td>
                                                <td><button class="button small" on:click=move |_| revoke(id)>"Withdraw"</button></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }
                }}
            </section>
            {move || promoting.get().map(|person| view! {
                <MakeAgentDialog person close=Callback::new(move |()| promoting.set(None)) promoted refused />
            })}
        </main>
    }
}

/// A member of staff: their role, which owners change in place.
#[component]
fn StaffRow(
    user: User,
    editable: bool,
    change_role: impl Fn(User, Role, NodeRef<leptos::html::Select>) + Copy + 'static,
) -> impl IntoView {
    let select = NodeRef::<leptos::html::Select>::new();
    let for_change = user.clone();
    view! {
        <tr>
            <td><div class="row"><Avatar name=user.name.clone() />{user.name.clone()}</div></td>
            <td class="muted">{user.email.clone()}</td>
            <td>
                {if editable {
                    view! {
                        <select class="select" style="width: auto" node_ref=select aria-label=format!("Role of {}", user.name)
                            on:change=move |event| {
                                if let Ok(next) = event_target_value(&event).parse::<Role>() {
                                    change_role(for_change.clone(), next, select);
                                }
                            }>
                            {Role::ALL.into_iter().map(|option| view! {
                                <option value=option.as_str() selected=option == user.role>{option.as_str()}</option>
                            }).collect_view()}
                        </select>
                    }.into_any()
                } else {
                    view! { <span>{user.role.as_str()}</span> }.into_any()
                }}
            </td>
            <td class="muted"><Time at=user.created_at /></td>
        </tr>
    }
}

/// "Make agent…": says what the customer will see before they see it, then asks the server.
#[component]
fn MakeAgentDialog(
    person: User,
    close: Callback<()>,
    promoted: Callback<User>,
    refused: Callback<()>,
) -> impl IntoView {
    let api = use_api();
    let promoting = use_submit();
    let error = RwSignal::new(None::<String>);
    let dialog = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(dialog) = dialog.get() {
            let _ = dialog.focus();
        }
    });
    let id = person.id;
    let confirm = move |_| {
        if promoting.pending_untracked() {
            return;
        }
        error.set(None);
        let request = UpdateUserRequest { role: Role::Agent };
        promoting.dispatch_with(api.users().update(id, request), move |result| match result {
            Ok(updated) => promoted.run(updated),
            Err(failure) => {
                error.set(Some(failure.message()));
                refused.run(());
            }
        });
    };
    view! {
        <div class="dialog-backdrop" on:click=move |_| close.run(())>
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="make-agent-title"
                aria-describedby="make-agent-consequence" tabindex="-1" node_ref=dialog data-testid="make-agent-dialog"
                on:click=|event| event.stop_propagation()
                on:keydown=move |event: leptos::ev::KeyboardEvent| {
                    if event.key() == "Escape" {
                        event.stop_propagation();
                        close.run(());
                    }
                }>
                <h2 id="make-agent-title">{format!("Make {} an agent?", person.name)}</h2>
                <p id="make-agent-consequence">
                    {format!(
                        "{} ({}) will see all tickets in this workspace, with every customer's messages and the \
                         team's internal notes, and can answer them. They take a staff seat on your plan.",
                        person.name, person.email
                    )}
                </p>
                {move || error.get().map(|words| view! {
                    <div class="alert error" role="alert" data-testid="make-agent-error">{words}</div>
                })}
                <div class="row" style="margin-top: 16px;">
                    <span class="spacer"></span>
                    <button class="button ghost" type="button" on:click=move |_| close.run(())>"Cancel"</button>
                    <button class="button primary" type="button" disabled=move || promoting.pending() on:click=confirm>
                        {move || if promoting.pending() { "Making agent…" } else { "Make agent" }}
                    </button>
                </div>
            </div>
        </div>
    }
}

/// "an agent", "a supervisor": a role in a sentence.
fn with_article(role: Role) -> String {
    match role {
        Role::Agent | Role::Owner => format!("an {role}"),
        Role::Customer | Role::Supervisor => format!("a {role}"),
    }
}

/// How many staff seats the plan has and how many are taken; what to do when none is left.
#[component]
fn Seats(plan: BillingOverview) -> impl IntoView {
    let name = plan.plan.display_name();
    let (used, allowed) = (plan.seats_used, plan.seats_allowed);
    if plan.over_limit {
        view! {
            <div class="alert info" data-testid="seats">
                {format!(
                    "{used} people take staff seats and the {name} plan includes {allowed}. Everyone keeps \
                     working; to invite someone, change a teammate to customer or move to a larger plan."
                )}
            </div>
        }
        .into_any()
    } else if used >= allowed {
        let more = match (plan.plan, plan.billing_enabled) {
            (Plan::Free, true) => " The Pro plan has 25, and AI.",
            (Plan::Free, false) => {
                " The Pro plan has more, and AI; whoever runs Ferrodesk for you can move this workspace to it."
            }
            (Plan::Pro, _) => "",
        };
        let upgrade = plan.billing_enabled && plan.plan == Plan::Free;
        view! {
            <div class="alert info row" data-testid="seats">
                <span>{format!("All {allowed} staff seats of the {name} plan are taken.{more}")}</span>
                {upgrade.then(|| view! {
                    <span class="spacer"></span>
                    <a class="button small primary" href="/billing">"Upgrade"</a>
                })}
            </div>
        }
        .into_any()
    } else {
        view! {
            <p class="muted" data-testid="seats">
                {format!("{name} plan: {used} of {allowed} staff seats used. Customers take no seat.")}
            </p>
        }
        .into_any()
    }
}
