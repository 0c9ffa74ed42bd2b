//! The caller, as extractors. `Auth<R>` verifies the bearer token, reloads the user (so a role
//! change or a revoked session counts at once) and refuses roles below `R` with 403.

use std::future::Future;
use std::marker::PhantomData;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use ferrodesk_shared::{Role, UserId, WorkspaceId};
use uuid::Uuid;

use crate::clock;
use crate::error::ApiError;
use crate::state::AppState;
use crate::users;

use super::{repo, scope::WorkspaceScope};

/// An authenticated user of one workspace.
#[derive(Debug, Clone)]
pub struct Principal {
    user_id: UserId,
    role: Role,
    name: String,
    email: String,
    /// Whether the user proved `email` (opened a link sent to it).
    email_verified: bool,
    session_id: Uuid,
    scope: WorkspaceScope,
}

/// Which tickets a principal may see: the one rule behind REST's get, list, counts and search
/// (and, through `Principal::may_see_ticket`, the WebSocket's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketVisibility {
    /// Staff: every ticket of the workspace.
    All,
    /// A proven customer: the tickets they are the requester of, whoever opened them.
    Requester(Uuid),
    /// An unproven customer: only tickets they are the requester of AND wrote themselves. Anyone can
    /// register with someone else's address; a ticket the team opened for that address is not theirs
    /// until they show they read its mail.
    OwnRequests(Uuid),
}

impl Principal {
    pub fn id(&self) -> UserId {
        self.user_id
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn email(&self) -> &str {
        &self.email
    }

    pub fn session_id(&self) -> Uuid {
        self.session_id
    }

    pub fn scope(&self) -> &WorkspaceScope {
        &self.scope
    }

    pub fn is_staff(&self) -> bool {
        self.role.is_staff()
    }

    pub fn email_verified(&self) -> bool {
        self.email_verified
    }

    pub fn ticket_visibility(&self) -> TicketVisibility {
        if self.is_staff() {
            TicketVisibility::All
        } else if self.email_verified {
            TicketVisibility::Requester(self.user_id.0)
        } else {
            TicketVisibility::OwnRequests(self.user_id.0)
        }
    }

    /// Whether this principal may see a ticket with this requester and first author.
    pub fn may_see_ticket(&self, requester_id: Uuid, created_by: Option<Uuid>) -> bool {
        match self.ticket_visibility() {
            TicketVisibility::All => true,
            TicketVisibility::Requester(me) => requester_id == me,
            TicketVisibility::OwnRequests(me) => requester_id == me && created_by == Some(me),
        }
    }

    /// Refuses with 403 unless the role allows `permission`.
    pub fn require(&self, permission: ferrodesk_shared::Permission) -> Result<(), ApiError> {
        if self.role.can(permission) {
            Ok(())
        } else {
            Err(ApiError::forbidden("Your role does not allow this."))
        }
    }
}

/// The lowest role an extractor lets through.
pub trait RoleGuard {
    const MINIMUM: Role;
}

pub struct AnyRole;
pub struct AgentRole;
pub struct SupervisorRole;
pub struct OwnerRole;

impl RoleGuard for AnyRole {
    const MINIMUM: Role = Role::Customer;
}
impl RoleGuard for AgentRole {
    const MINIMUM: Role = Role::Agent;
}
impl RoleGuard for SupervisorRole {
    const MINIMUM: Role = Role::Supervisor;
}
impl RoleGuard for OwnerRole {
    const MINIMUM: Role = Role::Owner;
}

pub struct Auth<R: RoleGuard> {
    principal: Principal,
    _role: PhantomData<R>,
}

/// Anyone signed in, customers included.
pub type Member = Auth<AnyRole>;
pub type Agent = Auth<AgentRole>;
pub type Supervisor = Auth<SupervisorRole>;
pub type Owner = Auth<OwnerRole>;

impl<R: RoleGuard> Deref for Auth<R> {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl<R: RoleGuard> Auth<R> {
    pub fn into_principal(self) -> Principal {
        self.principal
    }
}

impl<R: RoleGuard + 'static> FromRequest for Auth<R> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = request.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(request);
        let request = request.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("AppState is not registered")))?;
            let token = token.ok_or(ApiError::Unauthenticated(
                "Sign in first: send `Authorization: Bearer <access token>`.",
            ))?;
            let principal = authenticate(&state, &token).await?;
            // Every authenticated request counts, a refused one too: the buckets measure load.
            state.request_limits.admit(&request, &principal)?;
            if principal.role < R::MINIMUM {
                return Err(ApiError::forbidden("Your role does not allow this."));
            }
            Ok(Auth {
                principal,
                _role: PhantomData,
            })
        })
    }
}

pub fn bearer_token(request: &HttpRequest) -> Option<String> {
    let value = request.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim().to_owned())
}

/// Token -> live session and its current user (one query). Any mismatch is the same 401.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Principal, ApiError> {
    const REFUSED: ApiError = ApiError::Unauthenticated("Your session has ended; sign in again.");
    let claims = state.tokens.verify(token)?;
    let scope = WorkspaceScope::new(WorkspaceId(claims.ws));
    let user = repo::find_live_session_user(&state.db, &scope, claims.sid, claims.sub, clock::now())
        .await?
        .ok_or(REFUSED)?;
    Ok(Principal {
        user_id: UserId(user.id),
        role: users::repo::role_of(&user),
        email_verified: user.email_verified_at.is_some(),
        name: user.name,
        email: user.email,
        session_id: claims.sid,
        scope,
    })
}

/// The same principal, reloaded: a long-lived connection checks now and then that its session
/// is still live and takes the user's current role.
pub async fn recheck(state: &AppState, principal: &Principal) -> Result<Principal, ApiError> {
    const REFUSED: ApiError = ApiError::Unauthenticated("Your session has ended; sign in again.");
    let scope = principal.scope;
    let user = repo::find_live_session_user(
        &state.db,
        &scope,
        principal.session_id,
        principal.user_id.0,
        clock::now(),
    )
    .await?
    .ok_or(REFUSED)?;
    Ok(Principal {
        user_id: principal.user_id,
        role: users::repo::role_of(&user),
        email_verified: user.email_verified_at.is_some(),
        name: user.name,
        email: user.email,
        session_id: principal.session_id,
        scope,
    })
}
