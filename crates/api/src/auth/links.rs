//! Emailed links: random tokens stored as SHA-256 hashes, each working once and for a short time.
//! Opening one proves the address it was sent to. When that address's account has a password that
//! was chosen before anyone proved the address, a plain sign-in link takes it away, with every
//! session it opened: whoever chose it may have typed someone else's address. A confirmation link
//! (sent at sign-up) carries a stamp of the password it confirms and keeps that one.

use chrono::{DateTime, Duration, Utc};
use ferrodesk_shared::{Role, UserId, WorkspaceId};
use sea_orm::ConnectionTrait;
use sea_orm::prelude::StringLen;
use uuid::Uuid;

use crate::clock;
use crate::config::Settings;
use crate::db::{self, entities};
use crate::error::{ApiError, ApiResult};
use crate::limits::quotas;
use crate::mail::{MailKind, compose, outbox};
use crate::realtime::{self, Revocation};
use crate::state::AppState;
use crate::users::repo as users_repo;
use crate::workspaces::repo as workspaces_repo;

use super::repo::{self, NewLink};
use super::scope::WorkspaceScope;
use super::service::{SignedIn, start_session};
use super::tokens::{hash_token, new_opaque_token};

const INVALID: ApiError = ApiError::Unauthenticated("This link is not valid; ask for a new one.");

/// What a link is for; `sign_in_links.purpose`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sea_orm::EnumIter, sea_orm::DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
pub enum Purpose {
    /// Signs a customer in (ticket emails, "email me a link").
    SignIn,
    /// Confirms the address given at sign-up, keeping the password chosen there.
    ConfirmEmail,
}

impl Purpose {
    fn ttl_seconds(self, settings: &Settings) -> i64 {
        match self {
            Purpose::SignIn => settings.auth.sign_in_link_ttl_seconds,
            Purpose::ConfirmEmail => settings.auth.confirm_email_ttl_seconds,
        }
    }

    /// How long a link of this purpose works, in words for the email.
    pub fn lifetime(self, settings: &Settings) -> String {
        compose::lifetime(self.ttl_seconds(settings))
    }
}

/// A digest of a password hash: a confirmation confirms this password and no later one.
fn password_stamp(password_hash: &str) -> String {
    hash_token(password_hash)
}

/// A link as issued: its token (only ever in the email) and the URL that carries it.
pub struct Issued {
    pub token: String,
    pub url: String,
}

/// Stores a new link for `user` in the caller's transaction. Its URL opens the web app's `/link`
/// page and then `to`.
pub async fn issue(
    conn: &impl ConnectionTrait,
    settings: &Settings,
    scope: &WorkspaceScope,
    user: &entities::users::Model,
    purpose: Purpose,
    to: &str,
    now: DateTime<Utc>,
) -> ApiResult<Issued> {
    let password_stamp = match purpose {
        Purpose::ConfirmEmail => user.password_hash.as_deref().map(password_stamp),
        Purpose::SignIn => None,
    };
    let (link, issued) = new_link(settings, user.id, purpose, password_stamp, to, now);
    repo::insert_links(conn, scope, vec![link], now).await?;
    Ok(issued)
}

/// A sign-in link for `user_id` that the caller stores itself (`repo::insert_links`, many in one
/// statement), for the ticket intake's receipts.
pub fn sign_in_link(settings: &Settings, user_id: Uuid, to: &str, now: DateTime<Utc>) -> (NewLink, Issued) {
    new_link(settings, user_id, Purpose::SignIn, None, to, now)
}

fn new_link(
    settings: &Settings,
    user_id: Uuid,
    purpose: Purpose,
    password_stamp: Option<String>,
    to: &str,
    now: DateTime<Utc>,
) -> (NewLink, Issued) {
    let (token, token_hash) = new_opaque_token();
    let link = NewLink {
        user_id,
        token_hash,
        purpose,
        password_stamp,
        expires_at: now + Duration::seconds(purpose.ttl_seconds(settings)),
    };
    let url = format!("{}/link?token={token}&to={to}", settings.public_url);
    (link, Issued { token, url })
}

/// Where a link takes its user after signing in: customers to their requests, staff home.
fn landing(user: &entities::users::Model) -> ApiResult<&'static str> {
    Ok(if users_repo::role_of(user).is_staff() {
        "/"
    } else {
        "/requests"
    })
}

fn sender<'a>(state: &'a AppState, workspace: &'a entities::workspaces::Model) -> compose::Sender<'a> {
    compose::Sender {
        workspace_name: &workspace.name,
        public_url: &state.settings.public_url,
        domain: state.mail.domain(),
    }
}

/// Writes a confirmation mail for `user` (unproven) in the caller's transaction; returns the
/// link's token (the demo opens it itself), or nothing when the address's quota is used up.
pub async fn send_confirmation(
    conn: &impl ConnectionTrait,
    state: &AppState,
    scope: &WorkspaceScope,
    user: &entities::users::Model,
    now: DateTime<Utc>,
) -> ApiResult<Option<String>> {
    if !quotas::link_mail(conn, state, scope, &user.email, MailKind::ConfirmEmail, now).await? {
        return Ok(None);
    }
    let workspace = workspaces_repo::get(conn, scope).await?;
    let link = issue(
        conn,
        &state.settings,
        scope,
        user,
        Purpose::ConfirmEmail,
        landing(user)?,
        now,
    )
    .await?;
    let email = compose::confirm_email(
        &sender(state, &workspace),
        &users_repo::into_summary(user),
        &link.url,
        &Purpose::ConfirmEmail.lifetime(&state.settings),
    );
    outbox::enqueue(conn, Some(scope.uuid()), MailKind::ConfirmEmail, &email, now).await?;
    Ok(Some(link.token))
}

/// Writes a sign-in link mail for a customer in the caller's transaction.
pub async fn send_sign_in_link(
    conn: &impl ConnectionTrait,
    state: &AppState,
    scope: &WorkspaceScope,
    user: &entities::users::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    if !quotas::link_mail(conn, state, scope, &user.email, MailKind::SignInLink, now).await? {
        return Ok(());
    }
    let workspace = workspaces_repo::get(conn, scope).await?;
    let link = issue(conn, &state.settings, scope, user, Purpose::SignIn, "/requests", now).await?;
    let email = compose::sign_in_link(
        &sender(state, &workspace),
        &users_repo::into_summary(user),
        &link.url,
        &Purpose::SignIn.lifetime(&state.settings),
    );
    outbox::enqueue(conn, Some(scope.uuid()), MailKind::SignInLink, &email, now).await
}

/// Tells the owner of an address that already has an account that someone tried to sign up with it.
pub async fn send_already_registered(
    conn: &impl ConnectionTrait,
    state: &AppState,
    scope: &WorkspaceScope,
    user: &entities::users::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    if !quotas::link_mail(conn, state, scope, &user.email, MailKind::AlreadyRegistered, now).await? {
        return Ok(());
    }
    let workspace = workspaces_repo::get(conn, scope).await?;
    let person = users_repo::into_summary(user);
    // Staff keep their password: a link would take it away if they never proved the address.
    let email = if person.role == Role::Customer {
        let link = issue(conn, &state.settings, scope, user, Purpose::SignIn, "/requests", now).await?;
        let valid_for = Purpose::SignIn.lifetime(&state.settings);
        compose::already_registered(&sender(state, &workspace), &person, &link.url, Some(&valid_for))
    } else {
        let sign_in = format!("{}/signin?workspace={}", state.settings.public_url, workspace.slug);
        compose::already_registered(&sender(state, &workspace), &person, &sign_in, None)
    };
    outbox::enqueue(conn, Some(scope.uuid()), MailKind::AlreadyRegistered, &email, now).await
}

/// Opens a link: used once, before it expires; proves the address; signs its user in.
#[tracing::instrument(skip_all)]
pub async fn sign_in(state: &AppState, token: &str) -> ApiResult<SignedIn> {
    let now = clock::now();
    let txn = db::begin_write(&state.db).await?;
    let link = repo::find_link(&txn, &hash_token(token)).await?.ok_or(INVALID)?;
    if !repo::consume_link(&txn, link.id, now).await? {
        return Err(ApiError::LinkExpired(
            "This link was already used or has expired. We can email you a new one.",
        ));
    }
    let purpose = link.purpose;
    let scope = WorkspaceScope::new(WorkspaceId(link.workspace_id));
    // A user gone since is an invalid link; a database fault stays a fault (503), not a 401.
    let user = users_repo::find(&txn, &scope, UserId(link.user_id))
        .await
        .map_err(|error| match error {
            ApiError::NotFound => INVALID,
            other => other,
        })?;
    let mut revoked = None;
    if user.email_verified_at.is_none() {
        let confirms_this_password = purpose == Purpose::ConfirmEmail
            && link.password_stamp.is_some()
            && link.password_stamp == user.password_hash.as_deref().map(password_stamp);
        let is_customer = users_repo::role_of(&user) == Role::Customer;
        if is_customer && user.password_hash.is_some() && !confirms_this_password {
            users_repo::clear_password(&txn, &scope, UserId(user.id), now).await?;
            let sessions = repo::revoke_user_sessions(&txn, &scope, user.id, now).await?;
            // Their open sockets close too, on every instance, once this commits.
            revoked = Some(realtime::revoke(&txn, &scope, Revocation::User(user.id)).await?);
            tracing::warn!(
                user = %user.id,
                sessions,
                "an address was proven by a link: the password chosen before and its sessions are revoked"
            );
        }
        users_repo::mark_email_verified(&txn, &scope, UserId(user.id), now).await?;
    }
    let user = users_repo::find(&txn, &scope, UserId(user.id)).await?;
    let workspace = workspaces_repo::get(&txn, &scope).await?;
    let signed_in = start_session(state, &txn, &scope, user, workspace, now).await?;
    txn.commit().await?;
    if let Some(revoked) = revoked {
        revoked.announce(state);
    }
    Ok(signed_in)
}

/// Mails a fresh link in place of an old one (used, expired or not), to the same user. Says
/// nothing about what happened: the answer is the same for a made-up token.
pub async fn renew(state: &AppState, token: &str) -> ApiResult<()> {
    let now = clock::now();
    let Some(old) = repo::find_link(&state.db, &hash_token(token)).await? else {
        return Ok(());
    };
    let scope = WorkspaceScope::new(WorkspaceId(old.workspace_id));
    let txn = db::begin_write(&state.db).await?;
    let user = match users_repo::find(&txn, &scope, UserId(old.user_id)).await {
        Ok(user) => user,
        Err(ApiError::NotFound) => return Ok(()),
        Err(other) => return Err(other),
    };
    let role = users_repo::role_of(&user);
    if old.purpose == Purpose::ConfirmEmail && user.email_verified_at.is_none() {
        send_confirmation(&txn, state, &scope, &user, now).await?;
    } else if role == Role::Customer {
        send_sign_in_link(&txn, state, &scope, &user, now).await?;
    } else {
        return Ok(());
    }
    txn.commit().await?;
    state.mail.nudge();
    Ok(())
}
