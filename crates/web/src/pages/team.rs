//! The team: who is in the workspace, invitations (sent and pending), and role changes (owners).

use ferrodesk_shared::auth::{InvitationCreated, InvitationRequest};
use ferrodesk_shared::billing::BillingOverview;
use ferrodesk_shared::users::{UpdateUserRequest, User, UserListQuery};
use ferrodesk_shared::workspaces::Plan;
use ferrodesk_shared::{InvitationId, Permission, Role};
use leptos::prelude::*;
use leptos::task::spawn_local;

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
    // Role changes and withdrawals say how they went in a toast, and the tables reload either way.
    let change_role = move |user: User, next: Role| {
        spawn_local(async move {
            match api.users().update(user.id, UpdateUserRequest { role: next }).await {
                Ok(updated) => toasts.info(format!("{} is now {}.", updated.name, updated.role)),
                Err(failure) => toasts.error(failure.message()),
            }
            reload.update(|n| *n += 1);
        });
    };
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

            <section class="stack" style="margin-top: 24px;">
                <h2>"People"</h2>
                <table class="table">
                    <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Joined"</th></tr></thead>
                    <tbody>
                        {move || users.get().map(|result| match result {
                            Err(failure) => view! { <tr><td colspan="4" class="alert error">{failure.message()}</td></tr> }.into_any(),
                            Ok(list) => list.items.into_iter().map(|user| {
                                let for_change = user.clone();
                                view! {
                                    <tr>
                                        <td><div class="row"><Avatar name=user.name.clone() />{user.name.clone()}</div></td>
                                        <td class="muted">{user.email.clone()}</td>
                                        <td>
                                            {if can_change_roles() {
                                                view! {
                                                    <select class="select" style="width: auto" aria-label=format!("Role of {}", user.name)
                                                        on:change=move |event| {
                                                            if let Ok(next) = event_target_value(&event).parse::<Role>() {
                                                                change_role(for_change.clone(), next);
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
                            }).collect_view().into_any(),
                        })}
                    </tbody>
                </table>
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
        </main>
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
