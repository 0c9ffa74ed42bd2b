//! `AppState`: the composition root, one field per service, built once in `startup`.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::password::Passwords;
use crate::auth::rate_limit::{self, AuthRateLimit};
use crate::auth::tokens::TokenService;
use crate::config::Settings;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub tokens: TokenService,
    pub passwords: Passwords,
    /// Shared by every worker, so the limit is per process, not per thread.
    pub auth_rate_limit: AuthRateLimit,
    pub settings: Arc<Settings>,
}

impl AppState {
    pub fn new(db: DatabaseConnection, settings: Settings) -> anyhow::Result<AppState> {
        Ok(AppState {
            db,
            tokens: TokenService::new(&settings.auth),
            passwords: Passwords::new(settings.auth.password_hashing)?,
            auth_rate_limit: rate_limit::build(settings.auth.rate_limit)?,
            settings: Arc::new(settings),
        })
    }
}
