//! Revocation reaches open sockets at once. The change that ends someone's access (sign-out, a
//! reused refresh token, a role change, every session of a user) calls `revoke` in its own
//! transaction and `Revoked::announce` after the commit: the local hub closes the affected sockets
//! then, and with PostgreSQL a NOTIFY queued in the transaction reaches every other instance's hub
//! when (and only if) it commits. The sockets' periodic recheck stays as a safety net.

use ferrodesk_shared::events::CloseReason;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::error::ApiResult;
use crate::state::AppState;

/// The NOTIFY channel of revocations (events use `listener::CHANNEL`).
pub const CHANNEL: &str = "ferrodesk_revocations";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// One session ended: signed out, or its refresh token was presented twice.
    Session(Uuid),
    /// Every session of this user ended.
    User(Uuid),
    /// This user's role changed: their sockets close, and the client reconnects with a fresh
    /// token to receive what the new role may see.
    RoleChanged(Uuid),
}

impl Revocation {
    /// Whether a socket of `user` in `session` must close.
    pub fn ends(self, user: Uuid, session: Uuid) -> bool {
        match self {
            Revocation::Session(ended) => ended == session,
            Revocation::User(ended) | Revocation::RoleChanged(ended) => ended == user,
        }
    }

    pub fn close_reason(self) -> CloseReason {
        match self {
            Revocation::Session(_) | Revocation::User(_) => CloseReason::SessionRevoked,
            Revocation::RoleChanged(_) => CloseReason::RoleChanged,
        }
    }

    /// The NOTIFY payload: `<kind> <workspace> <id>`.
    fn encode(self, workspace: Uuid) -> String {
        let (kind, id) = match self {
            Revocation::Session(id) => ("session", id),
            Revocation::User(id) => ("user", id),
            Revocation::RoleChanged(id) => ("role", id),
        };
        format!("{kind} {workspace} {id}")
    }

    pub(super) fn decode(payload: &str) -> Option<(Uuid, Revocation)> {
        let mut parts = payload.split(' ');
        let (kind, workspace, id) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let (workspace, id) = (workspace.parse().ok()?, id.parse().ok()?);
        let revocation = match kind {
            "session" => Revocation::Session(id),
            "user" => Revocation::User(id),
            "role" => Revocation::RoleChanged(id),
            _ => return None,
        };
        Some((workspace, revocation))
    }
}

/// A revocation written with its change; `announce` it once the change has committed.
#[must_use = "announce the revocation after the commit, or this instance's sockets stay open"]
#[derive(Debug)]
pub struct Revoked {
    workspace: Uuid,
    revocation: Revocation,
}

impl Revoked {
    /// Closes this instance's sockets that the revocation ends. Only after the commit: a socket
    /// closed earlier could reconnect and authenticate against the data before the change.
    pub fn announce(self, state: &AppState) {
        state.realtime.revoke(self.workspace, self.revocation);
    }
}

/// Call in the revoking change's transaction (or, for a change made without one, right after it).
/// With PostgreSQL it queues a NOTIFY that every instance receives when the transaction commits.
pub async fn revoke(conn: &impl ConnectionTrait, scope: &WorkspaceScope, revocation: Revocation) -> ApiResult<Revoked> {
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), revocation.encode(scope.uuid()).into()],
        ))
        .await?;
    }
    Ok(Revoked {
        workspace: scope.uuid(),
        revocation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revocations_travel_as_text_and_end_the_right_sockets() {
        let (workspace, user, session) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        for revocation in [
            Revocation::Session(session),
            Revocation::User(user),
            Revocation::RoleChanged(user),
        ] {
            assert_eq!(
                Revocation::decode(&revocation.encode(workspace)),
                Some((workspace, revocation))
            );
            assert!(revocation.ends(user, session));
            assert!(!revocation.ends(Uuid::now_v7(), Uuid::now_v7()));
        }
        assert!(
            Revocation::Session(session).ends(Uuid::now_v7(), session),
            "by session, whoever"
        );
        assert!(
            !Revocation::Session(session).ends(user, Uuid::now_v7()),
            "the user's other sessions stay"
        );
        assert_eq!(Revocation::decode("session nonsense"), None);
        assert_eq!(Revocation::decode(&format!("nuke {workspace} {user}")), None);
    }
}
