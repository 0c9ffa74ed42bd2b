//! Sign in, sign up (a company and its owner), a customer's help-centre sign-up, and accepting an
//! invitation: centred cards with one primary action and errors next to their fields.

mod errors;

use std::future::Future;

use ferrodesk_shared::ErrorCode;
use ferrodesk_shared::auth::{
    AcceptInvitationRequest, AuthResponse, InvitationLookup, LinkRenewal, LinkSignIn as LinkSignInRequest,
    LoginRequest, RegisterRequest, RegistrationAccepted, SignInLinkRequest, SignupRequest,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::api::{ApiError, Submit, use_api, use_submit};
use crate::components::form::TextField;
use crate::session::use_session;
use errors::Placed;

#[component]
fn Brand() -> impl IntoView {
    view! {
        <div class="brand">
            <span class="brand-mark" aria-hidden="true">"F"</span>
            "Ferrodesk"
        </div>
    }
}

/// Where a form's refusal goes: each field's sentence beside it, the rest in the banner.
fn placed(
    error: Signal<Option<ApiError>>,
    fields: &'static [&'static str],
    conflict_at: Option<&'static str>,
) -> Memo<Placed> {
    Memo::new(move |_| {
        error
            .get()
            .map(|error| errors::place(&error, fields, conflict_at))
            .unwrap_or_default()
    })
}

/// One field's words, for `TextField`'s `field_error`.
fn at(placed: Memo<Placed>, name: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || placed.with(|placed| placed.field(name)))
}

/// The form's banner: what is about no field of it.
#[component]
fn Banner(placed: Memo<Placed>) -> impl IntoView {
    move || {
        placed
            .with(|placed| placed.banner.clone())
            .map(|words| view! { <div class="alert error" role="alert" data-testid="form-error">{words}</div> })
    }
}

/// Sends a sign-in request and, when it works, starts the session and goes home.
fn submit_auth(submit: Submit, call: impl Future<Output = Result<AuthResponse, ApiError>> + 'static) {
    let session = use_session();
    let navigate = use_navigate();
    submit.dispatch(call, move |auth| {
        session.start(auth);
        navigate("/", Default::default());
    });
}

const WORKSPACE_MISSING: &str = "Enter your workspace's address, like acme.";
const EMAIL_MISSING: &str = "Enter the email address you signed up with.";

#[component]
pub fn SignIn() -> impl IntoView {
    let query = use_query_map();
    let workspace = RwSignal::new(query.with_untracked(|query| query.get("workspace").unwrap_or_default()));
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let api = use_api();
    let submit = use_submit();
    // The emailed link is a second way in: its refusal shows in the same place as the password's.
    let link = use_submit();
    // The server answers an empty field with "wrong workspace, email or password": say which is
    // missing before asking it.
    let missing = RwSignal::new(Placed::default());
    let check = move |fields: &[(&'static str, RwSignal<String>, &'static str)]| {
        let mut found = Placed::default();
        for (name, value, words) in fields {
            if value.with_untracked(|value| value.trim().is_empty()) {
                found.fields.insert(name, (*words).to_owned());
            }
        }
        let complete = found.fields.is_empty();
        missing.set(found);
        complete
    };
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        link.clear();
        let complete = check(&[
            ("workspace_slug", workspace, WORKSPACE_MISSING),
            ("email", email, EMAIL_MISSING),
            ("password", password, "Enter your password."),
        ]);
        if !complete {
            submit.clear();
            return;
        }
        let body = LoginRequest {
            workspace_slug: workspace.get_untracked(),
            email: email.get_untracked(),
            password: password.get_untracked(),
        };
        submit_auth(submit, api.auth().login(body));
    };
    let errors = Signal::derive(move || link.error().get().or_else(|| submit.error().get()));
    let server = placed(errors, &["workspace_slug", "email", "password"], None);
    let field = move |name: &'static str| {
        Signal::derive(move || {
            missing
                .with(|missing| missing.field(name))
                .or_else(|| server.with(|server| server.field(name)))
        })
    };
    let link_sent = RwSignal::new(false);
    let email_link = move |_| {
        link_sent.set(false);
        submit.clear();
        if !check(&[
            ("workspace_slug", workspace, WORKSPACE_MISSING),
            ("email", email, EMAIL_MISSING),
        ]) {
            link.clear();
            return;
        }
        let request = SignInLinkRequest {
            workspace_slug: workspace.get_untracked(),
            email: email.get_untracked(),
        };
        link.dispatch(api.auth().request_link(request), move |()| link_sent.set(true));
    };
    view! {
        <main class="auth-page">
            <div class="auth-card">
                <Brand />
                <h1>"Sign in"</h1>
                <p class="muted">"Welcome back. Enter your workspace and your account."</p>
                <form on:submit=on_submit class="stack" novalidate>
                    <Banner placed=server />
                    <TextField label="Workspace" name="workspace_slug" value=workspace error=errors autofocus=true
                        hint="The short name of your company's helpdesk, like acme." field_error=field("workspace_slug") />
                    <TextField label="Email" name="email" value=email error=errors kind="email" autocomplete="email"
                        field_error=field("email") />
                    <TextField label="Password" name="password" value=password error=errors kind="password"
                        autocomplete="current-password" field_error=field("password") />
                    <button class="button primary wide" type="submit" disabled=move || submit.pending()>
                        {move || if submit.pending() { "Signing in…" } else { "Sign in" }}
                    </button>
                </form>
                <p class="switch">
                    <button class="button ghost small" type="button" on:click=email_link>
                        "No password? Email me a sign-in link"
                    </button>
                </p>
                {move || link_sent.get().then(|| view! {
                    <div class="alert success" role="status">
                        "If this email belongs to a customer of this workspace, a sign-in link is on its way."
                    </div>
                })}
                <p class="switch">"New to Ferrodesk? " <a href="/signup">"Create a workspace"</a></p>
            </div>
        </main>
    }
}

#[component]
pub fn SignUp() -> impl IntoView {
    let company = RwSignal::new(String::new());
    let slug = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let api = use_api();
    let submit = use_submit();
    // Suggest a slug from the company name until the person edits it.
    let slug_edited = RwSignal::new(false);
    Effect::new(move |_| {
        let suggestion = slugify(&company.get());
        if !slug_edited.get_untracked() {
            slug.set(suggestion);
        }
    });
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let body = SignupRequest {
            workspace_name: company.get_untracked(),
            workspace_slug: slug.get_untracked(),
            name: name.get_untracked(),
            email: email.get_untracked(),
            password: password.get_untracked(),
        };
        submit_auth(submit, api.auth().signup(body));
    };
    let errors = submit.error();
    // A conflict at sign-up is the address: someone else's workspace has it.
    let placed = placed(
        errors,
        &["workspace_name", "workspace_slug", "name", "email", "password"],
        Some("workspace_slug"),
    );
    view! {
        <main class="auth-page">
            <div class="auth-card">
                <Brand />
                <h1>"Create your workspace"</h1>
                <p class="muted">"Your team's helpdesk, ready in a minute. You will be its owner."</p>
                <form on:submit=on_submit class="stack" novalidate>
                    <Banner placed />
                    <TextField label="Company" name="workspace_name" value=company error=errors autofocus=true
                        autocomplete="organization" field_error=at(placed, "workspace_name") />
                    <div on:input=move |_| slug_edited.set(true)>
                        <TextField label="Workspace address" name="workspace_slug" value=slug error=errors
                            hint="Lower-case letters, digits and dashes. People type it to sign in."
                            field_error=at(placed, "workspace_slug") />
                    </div>
                    <TextField label="Your name" name="name" value=name error=errors autocomplete="name"
                        field_error=at(placed, "name") />
                    <TextField label="Work email" name="email" value=email error=errors kind="email" autocomplete="email"
                        field_error=at(placed, "email") />
                    <TextField label="Password" name="password" value=password error=errors kind="password"
                        autocomplete="new-password" hint="At least 10 characters; a few uncommon words work well."
                        field_error=at(placed, "password") />
                    <button class="button primary wide" type="submit" disabled=move || submit.pending()>
                        {move || if submit.pending() { "Creating…" } else { "Create workspace" }}
                    </button>
                </form>
                <p class="switch">"Already have one? " <a href="/signin">"Sign in"</a></p>
            </div>
        </main>
    }
}

fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').chars().take(40).collect()
}

/// A customer's sign-up in a company's help centre: `/join/acme`.
#[component]
pub fn Register() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.with(|params| params.get("slug").unwrap_or_default());
    let api = use_api();
    let workspace = LocalResource::new(move || {
        let slug = slug();
        async move { api.workspaces().public(&slug).await.ok() }
    });
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let submit = use_submit();
    // The server answers the same whether or not the address had an account: the inbox tells.
    let accepted = RwSignal::new(None::<RegistrationAccepted>);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let body = RegisterRequest {
            workspace_slug: slug(),
            name: name.get_untracked(),
            email: email.get_untracked(),
            password: password.get_untracked(),
        };
        submit.dispatch(api.auth().register(body), move |answer| accepted.set(Some(answer)));
    };
    let errors = submit.error();
    let placed = placed(errors, &["name", "email", "password"], None);
    let title = move || match workspace.get().flatten() {
        Some(workspace) => format!("{} support", workspace.name),
        None => "Help centre".to_owned(),
    };
    view! {
        <main class="auth-page">
            <div class="auth-card">
                <Brand />
                <h1>{title}</h1>
                {move || match accepted.get() {
                    Some(answer) => view! {
                        <div class="stack" data-testid="check-inbox">
                            <h2>"Check your inbox"</h2>
                            <p>{format!("We sent an email to {}. Open the link in it to confirm your address and see your requests.", answer.email)}</p>
                            <p class="muted small">"Nothing there? Look in your spam folder, or sign in and ask for a new link."</p>
                        </div>
                    }
                        .into_any(),
                    None => view! {
                        <p class="muted">"Create an account to send us requests and follow our answers."</p>
                        <form on:submit=on_submit class="stack" novalidate>
                            <Banner placed />
                            <TextField label="Your name" name="name" value=name error=errors autofocus=true autocomplete="name"
                                field_error=at(placed, "name") />
                            <TextField label="Email" name="email" value=email error=errors kind="email" autocomplete="email"
                                field_error=at(placed, "email") />
                            <TextField label="Password" name="password" value=password error=errors kind="password"
                                autocomplete="new-password" hint="At least 10 characters; a few uncommon words work well."
                                field_error=at(placed, "password") />
                            <button class="button primary wide" type="submit" disabled=move || submit.pending()>
                                {move || if submit.pending() { "Creating account…" } else { "Create account" }}
                            </button>
                        </form>
                    }
                        .into_any(),
                }}
                <p class="switch">
                    "Already registered? "
                    <a href=move || format!("/signin?workspace={}", slug())>"Sign in"</a>
                </p>
            </div>
        </main>
    }
}

/// The page an invitation link opens: `/invite/<token>`.
#[component]
pub fn AcceptInvitation() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|params| params.get("token").unwrap_or_default());
    let api = use_api();
    let preview = LocalResource::new(move || {
        let token = token();
        async move { api.invitations().preview(InvitationLookup { token }).await }
    });
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let submit = use_submit();
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let body = AcceptInvitationRequest {
            token: token(),
            name: name.get_untracked(),
            password: password.get_untracked(),
        };
        submit_auth(submit, api.invitations().accept(body));
    };
    let errors = submit.error();
    let placed = placed(errors, &["name", "password"], None);
    view! {
        <main class="auth-page">
            <div class="auth-card">
                <Brand />
                {move || match preview.get() {
                    None => view! { <p class="muted">"Checking your invitation…"</p> }.into_any(),
                    Some(Err(_)) => view! {
                        <h1>"This invitation has expired"</h1>
                        <p class="muted">
                            "The link was already used, withdrawn, or is too old. Ask the person who invited you for a new one."
                        </p>
                        <p class="switch"><a href="/signin">"Go to sign in"</a></p>
                    }
                        .into_any(),
                    Some(Ok(invitation)) => view! {
                        <h1>{format!("Join {}", invitation.workspace.name)}</h1>
                        <p class="muted">
                            {format!("You were invited as {} with {}. Choose your name and a password.", article(invitation.role.as_str()), invitation.email)}
                        </p>
                        <form on:submit=on_submit class="stack" novalidate>
                            <Banner placed />
                            <TextField label="Your name" name="name" value=name error=errors autofocus=true autocomplete="name"
                                field_error=at(placed, "name") />
                            <TextField label="Password" name="password" value=password error=errors kind="password"
                                autocomplete="new-password" hint="At least 10 characters; a few uncommon words work well."
                                field_error=at(placed, "password") />
                            <button class="button primary wide" type="submit" disabled=move || submit.pending()>
                                {move || if submit.pending() { "Joining…" } else { "Join the team" }}
                            </button>
                        </form>
                    }
                        .into_any(),
                }}
            </div>
        </main>
    }
}

fn article(role: &str) -> String {
    match role.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {role}"),
        _ => format!("a {role}"),
    }
}

/// How opening a link went, for the link page.
#[derive(Clone, Copy, PartialEq)]
enum LinkState {
    Opening,
    /// Used already, or too old: we can mail a new one to the same inbox.
    Expired,
    /// Not a link of ours (mistyped, cut off).
    Invalid,
    Renewed,
}

/// `/link?token=...&to=...`: the sign-in (or confirmation) link from one of our emails.
#[component]
pub fn LinkSignIn() -> impl IntoView {
    let query = use_query_map();
    let api = use_api();
    let session = use_session();
    let navigate = use_navigate();
    let state = RwSignal::new(LinkState::Opening);
    let (token, to) = query.with_untracked(|query| (query.get("token").unwrap_or_default(), query.get("to")));
    // Only our own pages: a link must never send people elsewhere.
    let to = to
        .filter(|to| to.starts_with("/requests"))
        .unwrap_or_else(|| "/".to_owned());
    let opening = token.clone();
    spawn_local(async move {
        match api.auth().open_link(LinkSignInRequest { token: opening }).await {
            Ok(auth) => {
                session.start(auth);
                navigate(&to, Default::default());
            }
            Err(failure)
                if failure
                    .body
                    .as_ref()
                    .is_some_and(|body| body.code == ErrorCode::LinkExpired) =>
            {
                state.set(LinkState::Expired)
            }
            Err(_) => state.set(LinkState::Invalid),
        }
    });
    let renew = move |_| {
        let token = token.clone();
        spawn_local(async move {
            // Always 202: the new link goes to the inbox the old one was sent to.
            let _ = api.auth().renew_link(LinkRenewal { token }).await;
            state.set(LinkState::Renewed);
        });
    };
    view! {
        <main class="auth-page">
            <div class="auth-card" data-testid="link-page">
                <Brand />
                {move || match state.get() {
                    LinkState::Opening => view! { <p class="muted">"Signing you in…"</p> }.into_any(),
                    LinkState::Expired => view! {
                        <h1>"This link has already been used"</h1>
                        <p class="muted">
                            "For your safety each link works once, and only for a short while. We can email you a fresh one."
                        </p>
                        <button class="button primary wide" type="button" on:click=renew.clone()>"Email me a new link"</button>
                        <p class="switch"><a href="/signin">"Go to sign in"</a></p>
                    }
                        .into_any(),
                    LinkState::Invalid => view! {
                        <h1>"This link does not work"</h1>
                        <p class="muted">"It may have been cut off in the email. Ask for a new one from the sign-in page."</p>
                        <p class="switch"><a href="/signin">"Go to sign in"</a></p>
                    }
                        .into_any(),
                    LinkState::Renewed => view! {
                        <h1>"Check your inbox"</h1>
                        <p class="muted">"A new link is on its way to the address this one was sent to."</p>
                    }
                        .into_any(),
                }}
            </div>
        </main>
    }
}
