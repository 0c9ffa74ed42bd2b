//! Access tokens (HS256 JWTs, algorithm pinned, `iss`/`aud`/`exp`/`nbf`/`iat` checked) and the opaque
//! random tokens (refresh, invitation, emailed links) that are stored only as SHA-256 hashes.

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
/// How far a token's clock claims (`exp`, `nbf`, `iat`) may be off from ours.
pub const LEEWAY_SECONDS: u64 = 30;

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
    /// Not valid before; absent in tokens issued before it was added (they expire within minutes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub exp: i64,
}

#[derive(Clone)]
pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    access_ttl_seconds: i64,
}

impl TokenService {
    pub fn new(settings: &AuthSettings) -> Self {
        let secret = settings.jwt_secret.expose().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECONDS;
        // A token from the future was not made by this server's clock: `nbf` by the library,
        // `iat` (which it does not check) in `verify`.
        validation.validate_nbf = true;
        Self {
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
            nbf: Some(now.timestamp()),
            exp: now.timestamp() + self.access_ttl_seconds,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|error| ApiError::Internal(anyhow::Error::new(error).context("signing an access token")))
    }

    /// How far past `exp` a token is still accepted; a WebSocket closes no later than that.
    pub fn leeway_seconds(&self) -> i64 {
        self.validation.leeway as i64
    }

    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        const REFUSED: ApiError =
            ApiError::Unauthenticated("The access token is invalid or has expired; sign in again.");
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|error| {
                tracing::debug!(%error, "access token refused");
                REFUSED
            })?;
        let leeway = i64::try_from(LEEWAY_SECONDS).unwrap_or(0);
        if claims.iat > crate::clock::now().timestamp() + leeway {
            tracing::debug!(iat = claims.iat, "access token issued in the future refused");
            return Err(REFUSED);
        }
        Ok(claims)
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
