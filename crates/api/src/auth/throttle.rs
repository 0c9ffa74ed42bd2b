//! Password sign-in throttling that counts failures, not attempts: per account (workspace and
//! email, whether or not such an account exists, so a 429 never tells) and per client address. A
//! right password costs nothing, so an office of agents behind one address is never locked out;
//! a guesser gets a handful of tries per account per window, from however many addresses.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::error::ApiResult;
use crate::limits::{self, Hit, Key, Limit};
use crate::state::AppState;

/// A sign-in in progress: the account's failure counted up front (so concurrent guesses see each
/// other), to be given back if the password was right.
pub struct Attempt {
    account: Hit,
    address: Option<Key>,
}

/// Refuses with 429 when the address or the account has failed too often in the window; else
/// counts this attempt against the account until [`not_failed`] gives it back.
pub async fn begin(
    state: &AppState,
    workspace_slug: &str,
    email: &str,
    client: Option<IpAddr>,
    now: DateTime<Utc>,
) -> ApiResult<Attempt> {
    let settings = &state.settings.limits;
    let window = settings.sign_in_failure_window;
    let address = client.map(|ip| Key::new("sign_in_address", &[&ip.to_string()]));
    if let Some(address) = &address {
        let limit = Limit {
            max: settings.sign_in_address_failures,
            window,
        };
        limits::check(&state.db, address, limit, now).await?;
    }
    let account = limits::account_key("sign_in_account", workspace_slug, email);
    let limit = Limit {
        max: settings.sign_in_account_failures,
        window,
    };
    let account = limits::take(&state.db, &account, limit, now).await?;
    Ok(Attempt { account, address })
}

/// The password was right, or the attempt ended before an answer about it (a full hashing pool, a
/// database error): it costs nothing.
pub async fn not_failed(state: &AppState, attempt: Attempt) -> ApiResult<()> {
    limits::give_back(&state.db, attempt.account).await
}

/// A wrong workspace, email or password: the account's failure stays counted, and the address's is added.
pub async fn failed(state: &AppState, attempt: Attempt, now: DateTime<Utc>) -> ApiResult<()> {
    if let Some(address) = &attempt.address {
        limits::record(&state.db, address, now).await?;
    }
    Ok(())
}
