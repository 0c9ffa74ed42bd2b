//! Uploads nobody sent: a person attaches a file and then closes the tab. After `UNSENT_FOR` such
//! a file is deleted, row and bytes, by the scheduler (and by tests with a chosen `now`).

use chrono::{DateTime, Duration, Utc};

use crate::error::ApiResult;
use crate::state::AppState;

use super::repo;

/// How long an upload may wait for its message: long enough for a reply written over a day.
pub const UNSENT_FOR: Duration = Duration::hours(24);
/// The most files one run deletes; the next run takes the rest.
const PER_RUN: u64 = 200;

/// Deletes uploads unsent since before `now - UNSENT_FOR`; how many went. The row goes first, on
/// the condition that it is still unsent, so a message sending it at the same moment either took
/// it (and it stays) or finds it gone (and is refused); the bytes follow. Bytes the store could not
/// delete are left behind (logged), never a row without its bytes.
pub async fn sweep(state: &AppState, now: DateTime<Utc>) -> ApiResult<u64> {
    let mut deleted = 0;
    for row in repo::unsent_before(&state.db, now - UNSENT_FOR, PER_RUN).await? {
        if !repo::delete_unsent(&state.db, row.id).await? {
            continue;
        }
        deleted += 1;
        if let Err(error) = state.blobs.delete(row.workspace_id, row.id).await {
            tracing::warn!(attachment = %row.id, %error, "an unsent upload's bytes could not be deleted");
        }
    }
    if deleted > 0 {
        tracing::info!(deleted, "swept unsent uploads");
    }
    Ok(deleted)
}
