//! Accounts and sessions: sign-up, sign-in (password or emailed link), confirmation and sign-out.
//! The refresh itself is the client's own (`Api::refresh`), since every call may need it.

use ferrodesk_shared::auth::{
    AuthResponse, LinkRenewal, LinkSignIn, LoginRequest, RegisterRequest, RegistrationAccepted, SignInLinkRequest,
    SignupRequest,
};

use super::{Api, ApiError};

#[derive(Clone, Copy)]
pub struct Auth(Api);

impl Api {
    pub fn auth(&self) -> Auth {
        Auth(*self)
    }
}

impl Auth {
    /// `POST /api/v1/signup`: a new workspace and its owner, signed in.
    pub async fn signup(self, request: SignupRequest) -> Result<AuthResponse, ApiError> {
        self.0.post("/api/v1/signup", &request).await
    }

    /// `POST /api/v1/auth/register`: a customer's account in a help centre; the same answer whether
    /// or not the address had one (the confirmation email tells).
    pub async fn register(self, request: RegisterRequest) -> Result<RegistrationAccepted, ApiError> {
        self.0.post("/api/v1/auth/register", &request).await
    }

    /// `POST /api/v1/auth/login`: workspace, email and password.
    pub async fn login(self, request: LoginRequest) -> Result<AuthResponse, ApiError> {
        self.0.post("/api/v1/auth/login", &request).await
    }

    /// `POST /api/v1/auth/link`: opens an emailed sign-in (or confirmation) link.
    pub async fn open_link(self, request: LinkSignIn) -> Result<AuthResponse, ApiError> {
        self.0.post("/api/v1/auth/link", &request).await
    }

    /// `POST /api/v1/auth/link-request`: emails a customer a sign-in link (always accepted).
    pub async fn request_link(self, request: SignInLinkRequest) -> Result<(), ApiError> {
        self.0.post("/api/v1/auth/link-request", &request).await
    }

    /// `POST /api/v1/auth/link/renew`: a fresh link to the inbox an expired one was sent to.
    pub async fn renew_link(self, request: LinkRenewal) -> Result<(), ApiError> {
        self.0.post("/api/v1/auth/link/renew", &request).await
    }

    /// `POST /api/v1/auth/confirm-email/resend`: another confirmation link for the signed-in user.
    pub async fn resend_confirmation(self) -> Result<(), ApiError> {
        self.0.post("/api/v1/auth/confirm-email/resend", &()).await
    }

    /// `POST /api/v1/auth/logout`: ends this session and clears the refresh cookie.
    pub async fn logout(self) -> Result<(), ApiError> {
        self.0.post("/api/v1/auth/logout", &()).await
    }
}
