//! Access tokens (HS256 JWTs, algorithm pinned, `iss`/`aud`/`exp` checked) and the opaque random
//! tokens (refresh, invitation) that are stored only as SHA-256 hashes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use ferrodesk_shared::Role;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::AuthSettings;
use crate::error::ApiError;

pub const ISSUER: &str = "ferrodesk";
pub const AUDIENCE: &str = "ferrodesk-api";
/// Magic links in customers' emails: another audience, so a link is never an access token.
pub const LINK_AUDIENCE: &str = "ferrodesk-link";
pub const LINK_TTL_SECONDS: i64 = 7 * 24 * 3600;

/// A signed, expiring sign-in link for one customer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkClaims {
    pub sub: Uuid,
    pub ws: Uuid,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user.
    pub sub: Uuid,
    /// The user's workspace.
    pub ws: Uuid,
    /// The session; revoking it (sign-out, a stolen refresh token) ends its access tokens too.
    pub sid: Uuid,
    /// Informational only: the server reloads the role on every request.
    pub role: Role,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Clone)]
pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    link_validation: Validation,
    access_ttl_seconds: i64,
}

impl TokenService {
    pub fn new(settings: &AuthSettings) -> Self {
        let secret = settings.jwt_secret.expose().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        let mut link_validation = validation.clone();
        link_validation.set_audience(&[LINK_AUDIENCE]);
        Self {
            link_validation,
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl_seconds: settings.access_token_ttl_seconds,
        }
    }

    pub fn issue(
        &self,
        user: Uuid,
        workspace: Uuid,
        session: Uuid,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        let claims = Claims {
            sub: user,
            ws: workspace,
            sid: session,
            role,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now.timestamp(),
            exp: now.timestamp() + self.access_ttl_seconds,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|error| ApiError::Internal(anyhow::Error::new(error).context("signing an access token")))
    }

    pub fn issue_link(&self, user: Uuid, workspace: Uuid, now: DateTime<Utc>) -> Result<String, ApiError> {
        let claims = LinkClaims {
            sub: user,
            ws: workspace,
            iss: ISSUER.to_owned(),
            aud: LINK_AUDIENCE.to_owned(),
            iat: now.timestamp(),
            exp: now.timestamp() + LINK_TTL_SECONDS,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|error| ApiError::Internal(anyhow::Error::new(error).context("signing a link")))
    }

    pub fn verify_link(&self, token: &str) -> Result<LinkClaims, ApiError> {
        jsonwebtoken::decode::<LinkClaims>(token, &self.decoding, &self.link_validation)
            .map(|data| data.claims)
            .map_err(|_| ApiError::Unauthenticated("This sign-in link is invalid or has expired; ask for a new one."))
    }

    /// How far past `exp` a token is still accepted; a WebSocket closes no later than that.
    pub fn leeway_seconds(&self) -> i64 {
        self.validation.leeway as i64
    }

    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|error| {
                tracing::debug!(%error, "access token refused");
                ApiError::Unauthenticated("The access token is invalid or has expired; sign in again.")
            })
    }
}

/// A fresh random token for the client and the hash to store in its place.
pub fn new_opaque_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

pub fn hash_token(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}
