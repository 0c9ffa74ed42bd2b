//! HTTP for sign-up, sign-in, sessions and invitations. The refresh token lives only in an
//! httpOnly cookie scoped to `/api/v1/auth`, out of reach of page scripts.

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::http::StatusCode;
use actix_web::web::Path;
use actix_web::web::{self, Json};
use actix_web::{HttpRequest, HttpResponse};
use ferrodesk_shared::auth::{
    AcceptInvitationRequest, AuthResponse, InvitationCreated, InvitationList, InvitationLookup, InvitationPreview,
    InvitationRequest, LinkRenewal, LinkSignIn, LoginRequest, Me, RegisterRequest, RegistrationAccepted,
    SignInLinkRequest, SignupRequest,
};
use ferrodesk_shared::{ErrorBody, InvitationId};

use crate::error::{ApiError, ApiResult};
use crate::limits::quotas;
use crate::state::AppState;

use super::links;
use super::principal::{authenticate, bearer_token, refuse_api_key};
use super::rate_limit::client_ip;
use super::service::{self, SignedIn};
use super::{Member, REFRESH_COOKIE, REFRESH_COOKIE_PATH, Supervisor};

/// Create a workspace and its owner in one step.
#[utoipa::path(post, path = "/api/v1/signup", tag = "auth", operation_id = "signUp", request_body = SignupRequest,
    responses((status = 201, body = AuthResponse, description = "Signed in as the owner; sets the refresh cookie"),
        (status = 409, body = ErrorBody, description = "The slug is taken"),
        (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "Too many attempts from this address; see Retry-After")))]
pub async fn signup(state: web::Data<AppState>, body: Json<SignupRequest>) -> ApiResult<HttpResponse> {
    let signed_in = service::signup(&state, body.into_inner()).await?;
    Ok(signed_in_response(&state, StatusCode::CREATED, signed_in))
}

/// A customer signs up in the workspace's help centre. The answer is the same whether or not the
/// email already has an account; a confirmation (or, for a known address, an "you already have an
/// account") email follows. Sign in with the link in it, or with the password (the account sees
/// only its own requests until the address is confirmed).
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", operation_id = "registerCustomer", request_body = RegisterRequest,
    responses((status = 202, body = RegistrationAccepted, description = "Check the inbox"),
        (status = 422, body = ErrorBody, description = "A field is not valid (a weak password, an unknown workspace)"),
        (status = 429, body = ErrorBody, description = "Too many attempts from this address; see Retry-After")))]
pub async fn register(state: web::Data<AppState>, body: Json<RegisterRequest>) -> ApiResult<HttpResponse> {
    let registration = service::register(&state, body.into_inner()).await?;
    Ok(HttpResponse::Accepted().json(registration.accepted))
}

/// Sign in with a password. Failures are counted per account and per client address; too many
/// in the window answer 429 (a right password costs nothing).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", operation_id = "signIn", request_body = LoginRequest,
    responses((status = 200, body = AuthResponse), (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "Too many failures for this account or address; see Retry-After"),
        (status = 503, body = ErrorBody, description = "Too many sign-ins at once; see Retry-After")))]
pub async fn login(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: Json<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let client = client_ip(request.peer_addr());
    let signed_in = service::login(&state, body.into_inner(), client).await?;
    Ok(signed_in_response(&state, StatusCode::OK, signed_in))
}

/// Rotate the refresh cookie and get a new access token.
///
/// API keys cannot call this endpoint.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", operation_id = "refreshSession",
    params(("ferrodesk_refresh" = Option<String>, Cookie, description = "The refresh token, set by sign-in (httpOnly, path /api/v1/auth)")),
    responses((status = 200, body = AuthResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Called with an API key")))]
pub async fn refresh(state: web::Data<AppState>, request: HttpRequest) -> ApiResult<HttpResponse> {
    refuse_api_key(&request)?;
    let token = request
        .cookie(REFRESH_COOKIE)
        .map(|cookie| cookie.value().to_owned())
        .ok_or(ApiError::Unauthenticated("No session to refresh; sign in."))?;
    match service::refresh(&state, &token).await {
        Ok(signed_in) => Ok(signed_in_response(&state, StatusCode::OK, signed_in)),
        Err(error) => {
            let mut response = actix_web::ResponseError::error_response(&error);
            response.add_removal_cookie(&refresh_cookie(&state, String::new())).ok();
            Ok(response)
        }
    }
}

/// End the session: the refresh cookie and the access token stop working.
///
/// API keys cannot call this endpoint (revoke a key instead).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", operation_id = "signOut",
    params(("ferrodesk_refresh" = Option<String>, Cookie, description = "The refresh token, set by sign-in (httpOnly, path /api/v1/auth)")),
    responses((status = 204), (status = 403, body = ErrorBody, description = "Called with an API key")),
    // Either credential, or none: whatever is sent stops working, and the answer is 204 regardless
    // (but for an API key, which is refused: a key is revoked, not signed out).
    security((), ("session" = [])))]
pub async fn logout(state: web::Data<AppState>, request: HttpRequest) -> ApiResult<HttpResponse> {
    refuse_api_key(&request)?;
    let refresh = request.cookie(REFRESH_COOKIE).map(|cookie| cookie.value().to_owned());
    let principal = match bearer_token(&request) {
        Some(token) => authenticate(&state, &token).await.ok(),
        None => None,
    };
    service::logout(&state, refresh.as_deref(), principal.as_ref()).await?;
    let mut response = HttpResponse::NoContent().finish();
    response.add_removal_cookie(&refresh_cookie(&state, String::new())).ok();
    Ok(response)
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth", operation_id = "getMe",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)), security(("session" = [])))]
pub async fn me(state: web::Data<AppState>, member: Member) -> ApiResult<Json<Me>> {
    Ok(Json(service::me(&state, &member).await?))
}

/// Invite a colleague. Owners invite any staff role; supervisors invite agents. The token is shown once.
#[utoipa::path(post, path = "/api/v1/invitations", tag = "auth", operation_id = "createInvitation", request_body = InvitationRequest,
    responses((status = 201, body = InvitationCreated), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "The workspace's invitations for today are used up")),
    security(("session" = [])))]
pub async fn invite(
    state: web::Data<AppState>,
    supervisor: Supervisor,
    body: Json<InvitationRequest>,
) -> ApiResult<HttpResponse> {
    let created = service::invite(&state, &supervisor, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(created))
}

/// The invitations that can still be accepted.
#[utoipa::path(get, path = "/api/v1/invitations", tag = "auth", operation_id = "listInvitations",
    responses((status = 200, body = InvitationList), (status = 403, body = ErrorBody)),
    security(("session" = [])))]
pub async fn list_invitations(state: web::Data<AppState>, supervisor: Supervisor) -> ApiResult<Json<InvitationList>> {
    Ok(Json(service::list_invitations(&state, &supervisor).await?))
}

/// Withdraw an invitation before it is accepted; its link stops working.
#[utoipa::path(delete, path = "/api/v1/invitations/{id}", tag = "auth", operation_id = "revokeInvitation",
    params(("id" = InvitationId, Path, description = "The invitation")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = [])))]
pub async fn revoke_invitation(
    state: web::Data<AppState>,
    supervisor: Supervisor,
    id: Path<InvitationId>,
) -> ApiResult<HttpResponse> {
    service::revoke_invitation(&state, &supervisor, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What an invitation link offers (workspace, email, role), before accepting it.
#[utoipa::path(post, path = "/api/v1/invitations/lookup", tag = "auth", operation_id = "previewInvitation", request_body = InvitationLookup,
    responses((status = 200, body = InvitationPreview), (status = 404, body = ErrorBody, description = "Unknown, used or expired"),
        (status = 429, body = ErrorBody, description = "Too many attempts from this address; see Retry-After")))]
pub async fn preview_invitation(
    state: web::Data<AppState>,
    body: Json<InvitationLookup>,
) -> ApiResult<Json<InvitationPreview>> {
    Ok(Json(service::preview_invitation(&state, &body.token).await?))
}

/// Accept an invitation: creates the account and signs it in. Each token works once, until it expires.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "auth", operation_id = "acceptInvitation", request_body = AcceptInvitationRequest,
    responses((status = 201, body = AuthResponse), (status = 404, body = ErrorBody, description = "Unknown, used or expired"),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "Too many attempts from this address; see Retry-After")))]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    body: Json<AcceptInvitationRequest>,
) -> ApiResult<HttpResponse> {
    let signed_in = service::accept_invitation(&state, body.into_inner()).await?;
    Ok(signed_in_response(&state, StatusCode::CREATED, signed_in))
}

fn signed_in_response(state: &AppState, status: StatusCode, signed_in: SignedIn) -> HttpResponse {
    HttpResponse::build(status)
        .cookie(refresh_cookie(state, signed_in.refresh_token))
        .json(signed_in.response)
}

fn refresh_cookie(state: &AppState, value: String) -> Cookie<'static> {
    Cookie::build(REFRESH_COOKIE, value)
        .path(REFRESH_COOKIE_PATH)
        .http_only(true)
        .secure(state.settings.auth.secure_cookies)
        .same_site(SameSite::Strict)
        .max_age(time::Duration::seconds(state.settings.auth.refresh_token_ttl_seconds))
        .finish()
}

/// Sign in with the link from an email; sets the refresh cookie like a password sign-in.
#[utoipa::path(post, path = "/api/v1/auth/link", tag = "auth", operation_id = "signInWithLink", request_body = LinkSignIn,
    responses((status = 200, body = AuthResponse),
        (status = 401, body = ErrorBody, description = "Not a link of ours"),
        (status = 410, body = ErrorBody, description = "`link_expired`: already used or too old; ask for a new one"),
        (status = 429, body = ErrorBody, description = "Too many attempts from this address; see Retry-After")))]
pub async fn link(state: web::Data<AppState>, body: Json<LinkSignIn>) -> ApiResult<HttpResponse> {
    let signed_in = service::sign_in_with_link(&state, body.into_inner()).await?;
    Ok(signed_in_response(&state, StatusCode::OK, signed_in))
}

/// Email me a sign-in link (customers). Always 202: the answer never tells whether the email is known.
/// A few per address per hour, counted whether or not it is known.
#[utoipa::path(post, path = "/api/v1/auth/link-request", tag = "auth", operation_id = "requestSignInLink", request_body = SignInLinkRequest,
    responses((status = 202, description = "If the email belongs to a customer, a link is on its way"),
        (status = 429, body = ErrorBody, description = "Too many links asked for this address; see Retry-After")))]
pub async fn request_link(state: web::Data<AppState>, body: Json<SignInLinkRequest>) -> ApiResult<HttpResponse> {
    quotas::sign_in_link(&state, &body.workspace_slug, &body.email).await?;
    service::request_link(&state, body.into_inner()).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Email me a new link in place of a used or expired one. Always 202: the new link goes to the
/// old link's owner, never to the caller.
#[utoipa::path(post, path = "/api/v1/auth/link/renew", tag = "auth", operation_id = "renewSignInLink", request_body = LinkRenewal,
    responses((status = 202, description = "If the old link was ours, a new one is on its way to the same inbox"),
        (status = 429, body = ErrorBody, description = "Too many attempts from this address; see Retry-After")))]
pub async fn renew_link(state: web::Data<AppState>, body: Json<LinkRenewal>) -> ApiResult<HttpResponse> {
    links::renew(&state, &body.token).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Email me a new link to confirm my address (while it is unconfirmed; otherwise nothing is sent).
#[utoipa::path(post, path = "/api/v1/auth/confirm-email/resend", tag = "auth", operation_id = "resendEmailConfirmation",
    responses((status = 202, description = "A confirmation is on its way, unless the address is already confirmed"),
        (status = 401, body = ErrorBody)),
    security(("session" = [])))]
pub async fn resend_confirmation(state: web::Data<AppState>, member: Member) -> ApiResult<HttpResponse> {
    service::resend_confirmation(&state, &member).await?;
    Ok(HttpResponse::Accepted().finish())
}
