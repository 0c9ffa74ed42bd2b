//! Quotas on the actions that cost someone something: mail to one address (sign-in links, ticket
//! confirmations), a workspace's invitations, and a user's calls to a paid AI provider. The
//! numbers are `config::LimitSettings`; the README's "Abuse limits" lists them.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::auth::{Principal, WorkspaceScope};
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::mail::{MailKind, outbox};
use crate::state::AppState;

use super::{Key, Limit, account_key, retry_after};

/// A sign-in link request, counted per requested workspace and address whether or not that
/// customer exists (the answer is 202 either way, so a 429 must not tell either).
pub async fn sign_in_link(state: &AppState, workspace_slug: &str, email: &str) -> ApiResult<()> {
    let key = account_key("sign_in_link", workspace_slug, email);
    let limit = Limit::per_hour(state.settings.limits.sign_in_links_per_hour);
    super::take(&state.db, &key, limit, clock::now()).await.map(drop)
}

/// Invitations per workspace per day, counted from the outbox (a withdrawn invitation's mail was
/// still sent). Call it in the inviting transaction.
pub async fn invitation(
    conn: &impl ConnectionTrait,
    state: &AppState,
    scope: &WorkspaceScope,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let limit = Limit::per_day(state.settings.limits.invitations_per_day);
    let (sent, oldest) = outbox::recent(conn, scope.uuid(), MailKind::Invitation, None, now - limit.window).await?;
    if sent >= u64::from(limit.max) {
        return Err(ApiError::RateLimited {
            retry_after_seconds: retry_after(oldest, limit.window, now),
            kind: "invitations",
        });
    }
    Ok(())
}

/// How many "we received your request" mails each address may still get this hour, read once for
/// a batch of new tickets. Over the quota the ticket is still created (a real request is never
/// lost, and the requester sees it in the portal); only the mail is left out, so nobody's inbox can
/// be flooded through tickets.
pub struct Receipts {
    left: std::collections::HashMap<String, u64>,
    max: u64,
}

impl Receipts {
    /// Whether a receipt may go to `address` now; counts it when it may.
    pub fn take(&mut self, address: &str) -> bool {
        let left = self.left.entry(address.to_owned()).or_insert(self.max);
        if *left == 0 {
            tracing::info!("ticket confirmation quota reached for this requester; no mail");
            return false;
        }
        *left -= 1;
        true
    }
}

pub async fn ticket_confirmations(
    conn: &impl ConnectionTrait,
    state: &AppState,
    scope: &WorkspaceScope,
    addresses: &[&str],
    now: DateTime<Utc>,
) -> ApiResult<Receipts> {
    let limit = Limit::per_hour(state.settings.limits.ticket_confirmations_per_hour);
    let max = u64::from(limit.max);
    let sent = outbox::recent_by_address(
        conn,
        scope.uuid(),
        MailKind::TicketReceived,
        addresses,
        now - limit.window,
    )
    .await?;
    Ok(Receipts {
        left: sent
            .into_iter()
            .map(|(address, sent)| (address, max.saturating_sub(sent)))
            .collect(),
        max,
    })
}

/// Whether another emailed link of `kind` (a sign-in link, an address confirmation, an "you already
/// have an account") may go to `to_address` of this workspace now: as many an hour as sign-in link
/// requests (`FERRODESK_QUOTA_SIGN_IN_LINKS_PER_HOUR`), counted from the outbox so sign-ups,
/// resends and link renewals cannot flood an inbox either. Over it the mail is left out and the
/// answer stays the same, since those answers must not tell whether an account exists.
pub async fn link_mail(
    conn: &impl ConnectionTrait,
    state: &AppState,
    scope: &WorkspaceScope,
    to_address: &str,
    kind: MailKind,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let limit = Limit::per_hour(state.settings.limits.sign_in_links_per_hour);
    let (sent, _) = outbox::recent(conn, scope.uuid(), kind, Some(to_address), now - limit.window).await?;
    let allowed = sent < u64::from(limit.max);
    if !allowed {
        tracing::info!(?kind, "link mail quota reached for this address; no mail");
    }
    Ok(allowed)
}

/// A reply suggestion that will call the workspace's provider, per user.
pub async fn ai_suggestion(state: &AppState, principal: &Principal) -> ApiResult<()> {
    let key = Key::new("ai_suggestion", &[&principal.id().0.to_string()]);
    let limit = Limit::per_hour(state.settings.limits.ai_suggestions_per_hour);
    super::take(&state.db, &key, limit, clock::now()).await.map(drop)
}
