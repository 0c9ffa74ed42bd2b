//! The caller, as extractors. `Auth<R, S>` verifies the bearer token (a session's JWT or an API
//! key), reloads the user or the key (so a role change, a revoked session or a revoked key counts
//! at once) and refuses people below role `R`, and keys without scope `S`, with 403.

use std::future::Future;
use std::marker::PhantomData;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use ferrodesk_shared::api_keys::ApiScope;
use ferrodesk_shared::{ApiKeyId, Role, UserId, WorkspaceId};
use uuid::Uuid;

use crate::api_keys;
use crate::clock;
use crate::error::ApiError;
use crate::state::AppState;
use crate::users;

use super::scopes::{self, KeyAccess, SessionOnly};
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
    /// Set when the caller is an API key's integration: what it may reach is its scopes.
    key: Option<KeyGrant>,
}

/// The key an integration principal called with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyGrant {
    pub id: ApiKeyId,
    pub scopes: Vec<ApiScope>,
}

impl KeyGrant {
    pub fn has(&self, scope: ApiScope) -> bool {
        self.scopes.contains(&scope)
    }
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
    /// A widget visitor writing as the customer `user`. Always a customer, whatever the row says
    /// (the widget refuses team addresses before this); proven only when the company's server
    /// vouched for the visitor with an identity token, never because the address was typed.
    pub fn widget_visitor(
        user: &crate::db::entities::users::Model,
        scope: WorkspaceScope,
        visitor: Uuid,
        identified: bool,
    ) -> Principal {
        Principal {
            user_id: UserId(user.id),
            role: Role::Customer,
            name: user.name.clone(),
            email: user.email.clone(),
            email_verified: identified,
            session_id: visitor,
            scope,
            key: None,
        }
    }

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

    /// The API key, when the caller is an integration rather than a person.
    pub fn api_key(&self) -> Option<&KeyGrant> {
        self.key.as_ref()
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

    /// Refuses with 403 unless the role allows `permission` and, for an API key, a scope it holds
    /// grants it (owner powers never are: no scope grants inviting, roles or settings).
    pub fn require(&self, permission: ferrodesk_shared::Permission) -> Result<(), ApiError> {
        if !self.role.can(permission) {
            return Err(ApiError::forbidden("Your role does not allow this."));
        }
        match (&self.key, scopes::for_permission(permission)) {
            (None, _) => Ok(()),
            (Some(key), Some(scope)) if key.has(scope) => Ok(()),
            (Some(_), Some(scope)) => Err(ApiError::forbidden(scopes::missing(scope))),
            (Some(_), None) => Err(ApiError::forbidden(scopes::KEYS_REFUSED)),
        }
    }
}

/// The one check of who may call an endpoint: people by role, keys by the endpoint's scope (a
/// key's integration is staff for the ticket rules, but only its scopes open endpoints to it).
fn admit(principal: &Principal, minimum: Role, scope: Option<ApiScope>) -> Result<(), ApiError> {
    match (&principal.key, scope) {
        (None, _) if principal.role < minimum => Err(ApiError::forbidden("Your role does not allow this.")),
        (None, _) => Ok(()),
        (Some(_), None) => Err(ApiError::forbidden(scopes::KEYS_REFUSED)),
        (Some(key), Some(scope)) if !key.has(scope) => Err(ApiError::forbidden(scopes::missing(scope))),
        (Some(_), Some(_)) => Ok(()),
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

/// A caller admitted to an endpoint: a person of at least role `R`, or an API key holding scope
/// `S` (`SessionOnly`, the default, refuses keys).
pub struct Auth<R: RoleGuard, S: KeyAccess = SessionOnly> {
    principal: Principal,
    _guard: PhantomData<(R, S)>,
}

/// Anyone signed in, customers included.
pub type Member<S = SessionOnly> = Auth<AnyRole, S>;
pub type Agent<S = SessionOnly> = Auth<AgentRole, S>;
pub type Supervisor<S = SessionOnly> = Auth<SupervisorRole, S>;
pub type Owner<S = SessionOnly> = Auth<OwnerRole, S>;

impl<R: RoleGuard, S: KeyAccess> Deref for Auth<R, S> {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl<R: RoleGuard, S: KeyAccess> Auth<R, S> {
    pub fn into_principal(self) -> Principal {
        self.principal
    }
}

impl<R: RoleGuard + 'static, S: KeyAccess + 'static> FromRequest for Auth<R, S> {
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
            let principal = if api_keys::domain::is_api_key(&token) {
                authenticate_key(&state, &token).await?
            } else {
                authenticate(&state, &token).await?
            };
            // Every authenticated request counts, a refused one too: the buckets measure load.
            let plan = state.plans.plan_of(&state.db, principal.scope()).await?;
            state.request_limits.admit(&request, &principal, plan)?;
            admit(&principal, R::MINIMUM, S::SCOPE)?;
            Ok(Auth {
                principal,
                _guard: PhantomData,
            })
        })
    }
}

pub fn bearer_token(request: &HttpRequest) -> Option<String> {
    let value = request.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim().to_owned())
}

/// Whether the request's bearer token is an API key: for the endpoints that take no extractor
/// (sign-out, refresh), which refuse keys with 403 like every endpoint that declares no scope.
pub fn refuse_api_key(request: &HttpRequest) -> Result<(), ApiError> {
    match bearer_token(request) {
        Some(token) if api_keys::domain::is_api_key(&token) => Err(ApiError::forbidden(scopes::KEYS_REFUSED)),
        _ => Ok(()),
    }
}

/// API key -> its integration, read fresh on every request (a revoked or expired key fails on the
/// next one). One indexed read by hash; `last_used_at` is written at most once a minute.
pub async fn authenticate_key(state: &AppState, key: &str) -> Result<Principal, ApiError> {
    const REFUSED: ApiError = ApiError::Unauthenticated("This API key is not valid.");
    let now = clock::now();
    let (row, user) = api_keys::repo::find_by_hash(&state.db, &api_keys::domain::hash(key))
        .await?
        .ok_or(REFUSED)?;
    if row.revoked_at.is_some() {
        return Err(ApiError::Unauthenticated("This API key was revoked."));
    }
    if row.expires_at.is_some_and(|at| at <= now) {
        return Err(ApiError::Unauthenticated("This API key has expired."));
    }
    if user.workspace_id != row.workspace_id || !user.integration {
        return Err(REFUSED);
    }
    // A failed bookkeeping write must not fail the caller's request.
    if let Err(error) = api_keys::repo::touch(&state.db, &row, now).await {
        tracing::warn!(key = %row.id, error = %error, "could not record an API key's use");
    }
    Ok(Principal {
        user_id: UserId(user.id),
        role: users::repo::role_of(&user),
        email_verified: true,
        name: user.name,
        email: user.email,
        session_id: row.id,
        scope: WorkspaceScope::new(WorkspaceId(row.workspace_id)),
        key: Some(KeyGrant {
            id: ApiKeyId(row.id),
            scopes: api_keys::domain::read_scopes(&row.scopes),
        }),
    })
}

/// Token -> live session and its current user (one query). Any mismatch is the same 401. Session
/// tokens only: the WebSocket and sign-out, which use this directly, never take an API key.
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
        key: None,
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
        key: None,
    })
}
