//! Who calls the widget's public API: `WidgetCall` is the workspace the path's slug names (its widget
//! switched on), the page the call comes from (`Origin`, checked exactly), and the visitor its
//! `fdv_` token names, if any. Every check that a visitor's token is still good happens here, on
//! every call: rotating the identity secret, requiring identity or switching the widget off count at
//! once.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use crate::auth::principal::bearer_token;
use crate::auth::{Principal, WorkspaceScope};
use crate::clock;
use crate::db::entities::{users, widget_settings, widget_visitors, workspaces};
use crate::error::{ApiError, ApiResult};
use crate::limits::buckets::BucketKey;
use crate::state::AppState;
use crate::users::repo as users_repo;

use super::domain::VISITOR_PREFIX;
use super::repo;

/// A call to `/api/v1/widget/{slug}/...`.
pub struct WidgetCall {
    pub workspace: workspaces::Model,
    pub scope: WorkspaceScope,
    pub settings: widget_settings::Model,
    /// The page's origin, when the browser sent one and it is another site than ours (an allowed
    /// origin, checked): the answer names it in `Access-Control-Allow-Origin`.
    pub cross_origin: Option<String>,
    pub visitor: Option<Visiting>,
    pub client: Option<std::net::IpAddr>,
}

/// A visitor with a live token, and the customer it writes as.
pub struct Visiting {
    pub row: widget_visitors::Model,
    pub user: users::Model,
}

impl Visiting {
    pub fn principal(&self, scope: WorkspaceScope) -> Principal {
        Principal::widget_visitor(&self.user, scope, self.row.id, self.row.identified)
    }
}

impl WidgetCall {
    pub fn slug(&self) -> &str {
        &self.workspace.slug
    }

    /// The visitor, or 401: the call needs a token.
    pub fn visiting(&self) -> ApiResult<&Visiting> {
        self.visitor.as_ref().ok_or(ApiError::Unauthenticated(
            "Start a conversation first: send the visitor token as `Authorization: Bearer fdv_...`.",
        ))
    }
}

pub(super) const ENDED: ApiError = ApiError::Unauthenticated("This chat session has ended; start a new conversation.");

impl FromRequest for WidgetCall {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = request.app_data::<web::Data<AppState>>().cloned();
        let request = request.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("AppState is not registered")))?;
            let slug = request.match_info().get("slug").unwrap_or_default().to_owned();
            let super::Enabled {
                workspace,
                scope,
                settings,
            } = super::enabled(&state, &slug).await?.ok_or(ApiError::NotFound)?;
            let cross_origin = check_origin(&request, &settings)?;
            let client = crate::auth::rate_limit::client_ip(request.peer_addr());
            // The public configuration and signing in are how a visitor gets in: a token that
            // ended (a rotated secret) must not stand in their way, so they take none.
            let path = request.path();
            let way_in = path.ends_with("/config") || path.ends_with("/identify");
            let visitor = match bearer_token(&request) {
                Some(token) if !way_in => Some(visiting(&state, &scope, &settings, &token).await?),
                _ => None,
            };
            if settings.identity_required && !way_in && !visitor.as_ref().is_some_and(|visitor| visitor.row.identified)
            {
                return Err(ApiError::IdentityRequired);
            }
            let caller = match (&visitor, client) {
                (Some(visitor), _) => Some(BucketKey::Visitor(visitor.row.id)),
                (None, Some(address)) => Some(BucketKey::Address(address)),
                (None, None) => None,
            };
            if let Some(caller) = caller {
                state
                    .request_limits
                    .admit_as(&request, caller, scope.id(), workspace.plan.into())?;
            }
            Ok(WidgetCall {
                workspace,
                scope,
                settings,
                cross_origin,
                visitor,
                client,
            })
        })
    }
}

/// A browser names the page a call comes from in `Origin`: it must be this server itself (the
/// widget's iframe) or exactly one of the workspace's allowed origins. No `Origin` (a server-side
/// client, or a same-origin GET) passes: only browsers send it, and only browsers need stopping here.
pub(super) fn check_origin(request: &HttpRequest, settings: &widget_settings::Model) -> ApiResult<Option<String>> {
    let Some(origin) = request.headers().get(header::ORIGIN) else {
        return Ok(None);
    };
    let origin = origin
        .to_str()
        .map_err(|_| ApiError::OriginNotAllowed("The Origin header is not valid.".to_owned()))?;
    let info = request.connection_info();
    let own = format!("{}://{}", info.scheme(), info.host());
    if origin.eq_ignore_ascii_case(&own) {
        return Ok(None);
    }
    if super::allowed_origins(settings).iter().any(|allowed| allowed == origin) {
        return Ok(Some(origin.to_owned()));
    }
    Err(ApiError::OriginNotAllowed(format!(
        "{origin} may not use this workspace's widget: its owner can add it to the widget's allowed origins."
    )))
}

pub(super) async fn visiting(
    state: &AppState,
    scope: &WorkspaceScope,
    settings: &widget_settings::Model,
    token: &str,
) -> ApiResult<Visiting> {
    if !token.starts_with(VISITOR_PREFIX) {
        return Err(ENDED);
    }
    let now = clock::now();
    let row = repo::visitor_by_hash(&state.db, &crate::auth::tokens::hash_token(token))
        .await?
        .ok_or(ENDED)?;
    // Another workspace's visitor is no visitor here.
    if row.workspace_id != scope.uuid() || row.expires_at <= now {
        return Err(ENDED);
    }
    // Rotating the secret ends every visitor the old one signed in.
    if row.identified && (row.secret_id.is_none() || row.secret_id != settings.secret_id) {
        return Err(ENDED);
    }
    let user_id = row.user_id.ok_or(ENDED)?;
    let user = users_repo::find_person(&state.db, scope, ferrodesk_shared::UserId(user_id))
        .await
        .map_err(|error| match error {
            ApiError::NotFound => ENDED,
            other => other,
        })?;
    // Someone promoted to the team stops being a widget visitor.
    if users_repo::role_of(&user).is_staff() || user.integration {
        return Err(ENDED);
    }
    if let Err(error) = repo::touch_visitor(&state.db, &row, now).await {
        tracing::warn!(visitor = %row.id, %error, "could not record a widget visitor's visit");
    }
    Ok(Visiting { row, user })
}
