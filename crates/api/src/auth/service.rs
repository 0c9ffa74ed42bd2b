//! Sign-up, sign-in, session rotation and invitations.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use ferrodesk_shared::auth::{
    AcceptInvitationRequest, AuthResponse, Invitation, InvitationCreated, InvitationList, InvitationPreview,
    InvitationRequest, LinkSignIn, LoginRequest, Me, RegisterRequest, RegistrationAccepted, SignInLinkRequest,
    SignupRequest,
};
use ferrodesk_shared::workspaces::WorkspacePublic;
use ferrodesk_shared::{InvitationId, Permission, Role, WorkspaceId};
use sea_orm::ConnectionTrait;

use crate::clock;
use crate::db::{self, entities};
use crate::error::{ApiError, ApiResult};
use crate::limits::quotas;
use crate::realtime::{self, Revocation};
use crate::state::AppState;
use crate::users::domain::{Email, parse_person_name};
use crate::users::repo::{self as users_repo, NewUser};
use crate::validation::Fields;
use crate::workspaces;
use crate::workspaces::domain::{Slug, parse_workspace_name};
use crate::workspaces::repo as workspaces_repo;

use crate::mail::{MailKind, compose, outbox};

use super::links;
use super::password::Password;
use super::principal::Principal;
use super::repo;
use super::scope::WorkspaceScope;
use super::throttle;
use super::tokens::{hash_token, new_opaque_token};

/// A signed-in answer and the refresh token the handler puts in a cookie.
pub struct SignedIn {
    pub response: AuthResponse,
    pub refresh_token: String,
}

const WRONG_CREDENTIALS: ApiError = ApiError::Unauthenticated("Wrong workspace, email or password.");
const SESSION_ENDED: ApiError = ApiError::Unauthenticated("Your session has ended; sign in again.");

#[tracing::instrument(skip_all, fields(slug = %request.workspace_slug))]
pub async fn signup(state: &AppState, request: SignupRequest) -> ApiResult<SignedIn> {
    let mut fields = Fields::default();
    let workspace_name = fields.check("workspace_name", parse_workspace_name(&request.workspace_name));
    let slug = fields.check("workspace_slug", Slug::parse(&request.workspace_slug));
    let name = fields.check("name", parse_person_name(&request.name));
    let email = fields.check("email", Email::parse(&request.email));
    let context = [
        request.name.as_str(),
        request.email.as_str(),
        request.workspace_name.as_str(),
        request.workspace_slug.as_str(),
    ];
    let password = fields.check("password", Password::parse(&request.password, &context));
    let (Some(workspace_name), Some(slug), Some(name), Some(email), Some(password)) =
        (workspace_name, slug, name, email, password)
    else {
        return Err(fields.into_error());
    };
    let password_hash = state.passwords.hash(password).await?;

    let now = clock::now();
    let txn = db::begin_write(&state.db).await?;
    let workspace = workspaces_repo::insert(&txn, workspace_name, &slug, now)
        .await
        .map_err(|error| {
            if db::violates_unique(&error, "ux_workspaces_slug", "workspaces.slug") {
                ApiError::conflict(format!("The address `{}` is taken; choose another.", slug.as_str()))
            } else {
                error.into()
            }
        })?;
    let scope = WorkspaceScope::new(WorkspaceId(workspace.id));
    let owner = NewUser {
        email,
        name,
        role: Role::Owner,
        password_hash: Some(password_hash),
        email_verified: false,
    };
    let user = users_repo::insert(&txn, &scope, owner, now).await?;
    // The owner works at once; the web app asks them to confirm the address meanwhile.
    links::send_confirmation(&txn, state, &scope, &user, now).await?;
    let signed_in = start_session(state, &txn, &scope, user, workspace, now).await?;
    txn.commit().await?;
    state.mail.nudge();
    tracing::info!(workspace = %scope.id(), "workspace created");
    Ok(signed_in)
}

/// What registering did. The handler answers `accepted` whatever happened; the demo opens the
/// confirmation itself.
pub struct Registration {
    pub accepted: RegistrationAccepted,
    /// The confirmation link's token, when a new account was made.
    pub confirmation_token: Option<String>,
}

/// A customer signs up in a help centre. The answer is the same whether or not the address already
/// has an account here, and takes as long (the password is hashed either way); the email tells the
/// owner of the address which it was. A new account is unproven until its confirmation link is
/// opened: it may sign in with its password, but sees only what it wrote itself.
#[tracing::instrument(skip_all, fields(slug = %request.workspace_slug))]
pub async fn register(state: &AppState, request: RegisterRequest) -> ApiResult<Registration> {
    let mut fields = Fields::default();
    let name = fields.check("name", parse_person_name(&request.name));
    let email = fields.check("email", Email::parse(&request.email));
    let context = [
        request.name.as_str(),
        request.email.as_str(),
        request.workspace_slug.as_str(),
    ];
    let password = fields.check("password", Password::parse(&request.password, &context));
    let (Some(name), Some(email), Some(password)) = (name, email, password) else {
        return Err(fields.into_error());
    };
    let workspace = workspaces_repo::find_by_slug(&state.db, &request.workspace_slug)
        .await?
        .ok_or_else(|| ApiError::invalid("workspace_slug", "no workspace has this address"))?;
    let password_hash = state.passwords.hash(password).await?;
    let accepted = RegistrationAccepted {
        email: email.as_str().to_owned(),
    };

    let now = clock::now();
    let txn = db::begin_write(&state.db).await?;
    let scope = WorkspaceScope::new(WorkspaceId(workspace.id));
    let confirmation_token = match users_repo::find_by_email(&txn, &scope, &email).await? {
        Some(existing) => {
            links::send_already_registered(&txn, state, &scope, &existing, now).await?;
            None
        }
        None => {
            let customer = NewUser {
                email,
                name,
                role: Role::Customer,
                password_hash: Some(password_hash),
                email_verified: false,
            };
            let user = match users_repo::insert(&txn, &scope, customer, now).await {
                Ok(user) => user,
                // A concurrent sign-up with the same address committed first: the same answer, no mail.
                Err(error) if users_repo::is_duplicate_email(&error) => {
                    return Ok(Registration {
                        accepted,
                        confirmation_token: None,
                    });
                }
                Err(error) => return Err(error.into()),
            };
            links::send_confirmation(&txn, state, &scope, &user, now).await?
        }
    };
    txn.commit().await?;
    state.mail.nudge();
    Ok(Registration {
        accepted,
        confirmation_token,
    })
}

/// Mails a new confirmation link to a signed-in user who has not proven the address yet.
pub async fn resend_confirmation(state: &AppState, principal: &Principal) -> ApiResult<()> {
    if principal.email_verified() {
        return Ok(());
    }
    let now = clock::now();
    let txn = db::begin_write(&state.db).await?;
    let user = users_repo::find(&txn, principal.scope(), principal.id()).await?;
    links::send_confirmation(&txn, state, principal.scope(), &user, now).await?;
    txn.commit().await?;
    state.mail.nudge();
    Ok(())
}

#[tracing::instrument(skip_all, fields(slug = %request.workspace_slug))]
pub async fn login(state: &AppState, request: LoginRequest, client: Option<IpAddr>) -> ApiResult<SignedIn> {
    let attempt = throttle::begin(state, &request.workspace_slug, &request.email, client, clock::now()).await?;
    let found = match check_password(state, &request).await {
        Ok(found) => found,
        Err(error) => {
            throttle::not_failed(state, attempt).await?;
            return Err(error);
        }
    };
    let Some((workspace, user)) = found else {
        throttle::failed(state, attempt, clock::now()).await?;
        tracing::info!("sign-in refused");
        return Err(WRONG_CREDENTIALS);
    };
    throttle::not_failed(state, attempt).await?;
    let now = clock::now();
    let txn = db::begin_write(&state.db).await?;
    let scope = WorkspaceScope::new(WorkspaceId(workspace.id));
    let signed_in = start_session(state, &txn, &scope, user, workspace, now).await?;
    txn.commit().await?;
    Ok(signed_in)
}

/// The workspace and user when all three match; `None` for any wrong part.
async fn check_password(
    state: &AppState,
    request: &LoginRequest,
) -> ApiResult<Option<(entities::workspaces::Model, entities::users::Model)>> {
    let workspace = workspaces_repo::find_by_slug(&state.db, &request.workspace_slug).await?;
    let user = match (&workspace, Email::parse(&request.email)) {
        (Some(workspace), Ok(email)) => {
            let scope = WorkspaceScope::new(WorkspaceId(workspace.id));
            users_repo::find_by_email(&state.db, &scope, &email).await?
        }
        _ => None,
    };
    // Always verify, against a dummy hash when there is no user, so timing does not tell which part was wrong.
    let hash = user.as_ref().and_then(|user| user.password_hash.clone());
    let matches = state.passwords.verify(&request.password, hash).await?;
    Ok(match (workspace, user, matches) {
        (Some(workspace), Some(user), true) => Some((workspace, user)),
        _ => None,
    })
}

/// Trades a refresh token for a new one and a new access token. A token presented twice means it
/// was copied: the whole session is revoked, so the thief's copy dies with the owner's.
pub async fn refresh(state: &AppState, refresh_token: &str) -> ApiResult<SignedIn> {
    let now = clock::now();
    let txn = db::begin_write(&state.db).await?;
    let (token, session) = repo::find_refresh_token(&txn, &hash_token(refresh_token))
        .await?
        .ok_or(SESSION_ENDED)?;
    if token.used_at.is_some() || !repo::use_refresh_token(&txn, token.id, now).await? {
        repo::revoke_session(&txn, session.id, now).await?;
        let scope = WorkspaceScope::new(WorkspaceId(session.workspace_id));
        let revoked = realtime::revoke(&txn, &scope, Revocation::Session(session.id)).await?;
        txn.commit().await?;
        revoked.announce(state);
        tracing::warn!(session = %session.id, "a rotated refresh token was presented again; session revoked");
        return Err(SESSION_ENDED);
    }
    if token.expires_at <= now || session.revoked_at.is_some() || session.expires_at <= now {
        return Err(SESSION_ENDED);
    }
    let scope = WorkspaceScope::new(WorkspaceId(session.workspace_id));
    let user = users_repo::find(&txn, &scope, session.user_id.into())
        .await
        .map_err(|_| SESSION_ENDED)?;
    let workspace = workspaces_repo::get(&txn, &scope).await?;
    let expires_at = now + Duration::seconds(state.settings.auth.refresh_token_ttl_seconds);
    let (refresh_token, refresh_hash) = new_opaque_token();
    repo::insert_refresh_token(&txn, session.id, refresh_hash, now, expires_at).await?;
    repo::extend_session(&txn, session.id, expires_at).await?;
    let response = auth_response(state, user, workspace, session.id, now)?;
    txn.commit().await?;
    Ok(SignedIn {
        response,
        refresh_token,
    })
}

/// Ends the session of the refresh cookie and of the access token, whichever were presented.
pub async fn logout(state: &AppState, refresh_token: Option<&str>, principal: Option<&Principal>) -> ApiResult<()> {
    let now = clock::now();
    // Each revocation right after its write: a sign-out is one statement, not a transaction.
    if let Some(token) = refresh_token
        && let Some((_, session)) = repo::find_refresh_token(&state.db, &hash_token(token)).await?
    {
        repo::revoke_session(&state.db, session.id, now).await?;
        let scope = WorkspaceScope::new(WorkspaceId(session.workspace_id));
        realtime::revoke(&state.db, &scope, Revocation::Session(session.id))
            .await?
            .announce(state);
    }
    if let Some(principal) = principal {
        repo::revoke_session(&state.db, principal.session_id(), now).await?;
        realtime::revoke(
            &state.db,
            principal.scope(),
            Revocation::Session(principal.session_id()),
        )
        .await?
        .announce(state);
    }
    Ok(())
}

pub async fn me(state: &AppState, principal: &Principal) -> ApiResult<Me> {
    let user = users_repo::find(&state.db, principal.scope(), principal.id()).await?;
    let workspace = workspaces_repo::get(&state.db, principal.scope()).await?;
    Ok(Me {
        user: users_repo::into_user(user),
        workspace: workspaces_repo::into_workspace(workspace),
    })
}

#[tracing::instrument(skip_all, fields(workspace = %principal.scope().id()))]
pub async fn invite(
    state: &AppState,
    principal: &Principal,
    request: InvitationRequest,
) -> ApiResult<InvitationCreated> {
    let email = Email::parse(&request.email).map_err(|message| ApiError::invalid("email", message))?;
    require_inviter_of(principal, request.role)?;
    if users_repo::find_by_email(&state.db, principal.scope(), &email)
        .await?
        .is_some()
    {
        return Err(ApiError::conflict(
            "Someone with this email is already in the workspace; change their role instead.",
        ));
    }
    // Said before anyone is emailed; the acceptance checks again under the workspace's lock.
    if workspaces::plans::takes_seat(request.role) {
        workspaces::plans::admit_staff(&state.db, principal.scope()).await?;
    }
    let now = clock::now();
    let expires_at = now + Duration::seconds(state.settings.auth.invitation_ttl_seconds);
    let (token, token_hash) = new_opaque_token();
    let invitation = repo::NewInvitation {
        email: &email,
        role: request.role,
        token_hash,
        invited_by: principal.id().0,
        expires_at,
    };
    let workspace = workspaces_repo::get(&state.db, principal.scope()).await?;
    let link = format!("{}/invite/{token}", state.settings.public_url);
    let sender = compose::Sender {
        workspace_name: &workspace.name,
        public_url: &state.settings.public_url,
        domain: state.mail.domain(),
    };
    let email_out = compose::invitation(
        &sender,
        email.as_str(),
        principal.name(),
        request.role,
        &link,
        &compose::lifetime(state.settings.auth.invitation_ttl_seconds),
    );
    let txn = db::begin_write(&state.db).await?;
    quotas::invitation(&txn, state, principal.scope(), now).await?;
    let stored = repo::insert_invitation(&txn, principal.scope(), invitation, now).await?;
    outbox::enqueue(
        &txn,
        Some(principal.scope().uuid()),
        MailKind::Invitation,
        &email_out,
        now,
    )
    .await?;
    txn.commit().await?;
    state.mail.nudge();
    tracing::info!(role = %request.role, "invitation created");
    Ok(InvitationCreated {
        id: InvitationId(stored.id),
        email: stored.email,
        role: request.role,
        token,
        expires_at,
    })
}

/// Supervisors handle agents' invitations; supervisors' and owners' are the owner's.
fn require_inviter_of(principal: &Principal, role: Role) -> ApiResult<()> {
    match role {
        Role::Customer => Err(ApiError::invalid(
            "role",
            "customers are not invited: they write in or sign up in the help centre",
        )),
        Role::Agent => principal.require(Permission::InviteAgent),
        Role::Supervisor | Role::Owner => principal.require(Permission::InviteSupervisor),
    }
}

pub async fn list_invitations(state: &AppState, principal: &Principal) -> ApiResult<InvitationList> {
    let rows = repo::open_invitations(&state.db, principal.scope(), clock::now()).await?;
    let inviters = users_repo::summaries(&state.db, principal.scope(), rows.iter().map(|row| row.invited_by)).await?;
    let items = rows
        .into_iter()
        .map(|row| Invitation {
            id: InvitationId(row.id),
            role: row.role.into(),
            invited_by: inviters
                .get(&row.invited_by)
                .map(|user| user.name.clone())
                .unwrap_or_default(),
            email: row.email,
            created_at: row.created_at,
            expires_at: row.expires_at,
        })
        .collect();
    Ok(InvitationList { items })
}

#[tracing::instrument(skip_all, fields(workspace = %principal.scope().id(), invitation = %id))]
pub async fn revoke_invitation(state: &AppState, principal: &Principal, id: InvitationId) -> ApiResult<()> {
    let invitation = repo::find_invitation(&state.db, principal.scope(), id.0)
        .await?
        .ok_or(ApiError::NotFound)?;
    let role = Role::from(invitation.role);
    require_inviter_of(principal, role)?;
    repo::delete_invitation(&state.db, principal.scope(), invitation.id).await
}

/// What an invitation link offers, so the accept page can say "Join Acme as an agent".
pub async fn preview_invitation(state: &AppState, token: &str) -> ApiResult<InvitationPreview> {
    let invitation = repo::find_open_invitation(&state.db, &hash_token(token), clock::now())
        .await?
        .ok_or(ApiError::NotFound)?;
    let scope = WorkspaceScope::new(WorkspaceId(invitation.workspace_id));
    let workspace = workspaces_repo::get(&state.db, &scope).await?;
    Ok(InvitationPreview {
        workspace: WorkspacePublic {
            name: workspace.name,
            slug: workspace.slug,
        },
        role: invitation.role.into(),
        email: invitation.email,
        expires_at: invitation.expires_at,
    })
}

pub async fn accept_invitation(state: &AppState, request: AcceptInvitationRequest) -> ApiResult<SignedIn> {
    let mut fields = Fields::default();
    let name = fields.check("name", parse_person_name(&request.name));
    let now = clock::now();
    let invitation = repo::find_open_invitation(&state.db, &hash_token(&request.token), now).await?;
    let invited_email = invitation
        .as_ref()
        .map(|invitation| invitation.email.as_str())
        .unwrap_or("");
    let context = [request.name.as_str(), invited_email];
    let password = fields.check("password", Password::parse(&request.password, &context));
    let (Some(name), Some(password)) = (name, password) else {
        return Err(fields.into_error());
    };
    let invitation = invitation.ok_or(ApiError::NotFound)?;
    let role = Role::from(invitation.role);
    let email = Email::parse(&invitation.email).map_err(|message| ApiError::Internal(anyhow::anyhow!(message)))?;
    let password_hash = state.passwords.hash(password).await?;

    let txn = db::begin_write(&state.db).await?;
    if !repo::accept_invitation(&txn, invitation.id, now).await? {
        return Err(ApiError::NotFound);
    }
    let scope = WorkspaceScope::new(WorkspaceId(invitation.workspace_id));
    // The last seat goes to one acceptance only: the others wait here, then count it.
    workspaces_repo::lock(&txn, &scope, now).await?;
    if workspaces::plans::takes_seat(role) {
        workspaces::plans::admit_staff(&txn, &scope).await?;
    }
    let member = NewUser {
        email,
        name,
        role,
        password_hash: Some(password_hash),
        // The invitation link was sent to this address: opening it proved it.
        email_verified: true,
    };
    let user = users_repo::insert(&txn, &scope, member, now).await.map_err(|error| {
        if users_repo::is_duplicate_email(&error) {
            ApiError::conflict("Someone with this email already joined the workspace.")
        } else {
            error.into()
        }
    })?;
    let workspace = workspaces_repo::get(&txn, &scope).await?;
    let signed_in = start_session(state, &txn, &scope, user, workspace, now).await?;
    txn.commit().await?;
    Ok(signed_in)
}

pub(super) async fn start_session(
    state: &AppState,
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    user: entities::users::Model,
    workspace: entities::workspaces::Model,
    now: DateTime<Utc>,
) -> ApiResult<SignedIn> {
    let expires_at = now + Duration::seconds(state.settings.auth.refresh_token_ttl_seconds);
    let session = repo::insert_session(conn, scope, user.id, now, expires_at).await?;
    let (refresh_token, refresh_hash) = new_opaque_token();
    repo::insert_refresh_token(conn, session.id, refresh_hash, now, expires_at).await?;
    let response = auth_response(state, user, workspace, session.id, now)?;
    Ok(SignedIn {
        response,
        refresh_token,
    })
}

fn auth_response(
    state: &AppState,
    user: entities::users::Model,
    workspace: entities::workspaces::Model,
    session_id: uuid::Uuid,
    now: DateTime<Utc>,
) -> ApiResult<AuthResponse> {
    let role = users_repo::role_of(&user);
    let access_token = state.tokens.issue(user.id, workspace.id, session_id, role, now)?;
    Ok(AuthResponse {
        access_token,
        user: users_repo::into_user(user),
        workspace: workspaces_repo::into_workspace(workspace),
    })
}

/// Signs in with the link from one of our emails (once, before it expires); see `links::sign_in`.
pub async fn sign_in_with_link(state: &AppState, request: LinkSignIn) -> ApiResult<SignedIn> {
    links::sign_in(state, &request.token).await
}

/// Emails a sign-in link to a customer of the workspace. Answers the same whether or not the
/// email is known, so nobody can learn who the customers are.
pub async fn request_link(state: &AppState, request: SignInLinkRequest) -> ApiResult<()> {
    let Ok(email) = Email::parse(&request.email) else {
        return Ok(());
    };
    let Some(workspace) = workspaces_repo::find_by_slug(&state.db, &request.workspace_slug).await? else {
        return Ok(());
    };
    let scope = WorkspaceScope::new(WorkspaceId(workspace.id));
    let Some(user) = users_repo::find_by_email(&state.db, &scope, &email).await? else {
        return Ok(());
    };
    if users_repo::role_of(&user) != Role::Customer {
        return Ok(());
    }
    let now = clock::now();
    let txn = db::begin_write(&state.db).await?;
    links::send_sign_in_link(&txn, state, &scope, &user, now).await?;
    txn.commit().await?;
    state.mail.nudge();
    Ok(())
}
