//! Creating, listing and revoking keys (owners). A new key's secret is in the answer and nowhere else.

use chrono::{DateTime, Utc};
use ferrodesk_shared::ApiKeyId;
use ferrodesk_shared::api_keys::{ApiKey, ApiKeyCreated, ApiKeyList, ApiScope, NewApiKey};
use uuid::Uuid;

use crate::auth::Principal;
use crate::clock;
use crate::db;
use crate::db::entities::api_keys;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::users::repo as users_repo;
use crate::validation::{Fields, single_line};

use super::domain::{self, NAME_MAX_CHARS};
use super::repo::{self, NewKeyRow};

fn parse_scopes(scopes: &[ApiScope]) -> Result<Vec<ApiScope>, String> {
    if scopes.is_empty() {
        return Err("choose at least one scope".to_owned());
    }
    Ok(domain::read_scopes(&domain::store_scopes(scopes)))
}

fn parse_expiry(expires_at: &DateTime<Utc>, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if *expires_at <= now {
        return Err("must be in the future".to_owned());
    }
    Ok(*expires_at)
}

#[tracing::instrument(skip_all, fields(workspace = %principal.scope().id()))]
pub async fn create(state: &AppState, principal: &Principal, request: NewApiKey) -> ApiResult<ApiKeyCreated> {
    let now = clock::now();
    let mut fields = Fields::default();
    let name = fields.check("name", single_line(&request.name, "the name", NAME_MAX_CHARS));
    let scopes = fields.check("scopes", parse_scopes(&request.scopes));
    let expires_at = fields.optional("expires_at", request.expires_at.as_ref(), |at| parse_expiry(at, now));
    let (Some(name), Some(scopes), Some(expires_at)) = (name, scopes, expires_at) else {
        return Err(fields.into_error());
    };
    let generated = domain::generate();
    let txn = db::begin_write(&state.db).await?;
    let row = repo::insert(
        &txn,
        principal.scope(),
        NewKeyRow {
            id: Uuid::now_v7(),
            name,
            prefix: generated.prefix,
            hash: generated.hash,
            scopes: domain::store_scopes(&scopes),
            created_by: principal.id().0,
            expires_at,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(key = %row.id, scopes = %row.scopes, "API key created");
    Ok(ApiKeyCreated {
        id: ApiKeyId(row.id),
        name: row.name,
        scopes,
        key: generated.key,
        prefix: row.prefix,
        created_at: row.created_at,
        expires_at: row.expires_at,
    })
}

#[tracing::instrument(skip_all, fields(workspace = %principal.scope().id()))]
pub async fn list(state: &AppState, principal: &Principal) -> ApiResult<ApiKeyList> {
    let rows = repo::list(&state.db, principal.scope()).await?;
    let creators = users_repo::summaries(
        &state.db,
        principal.scope(),
        rows.iter().filter_map(|row| row.created_by),
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|row| {
            let created_by = row.created_by.and_then(|id| creators.get(&id).cloned());
            into_api_key(row, created_by)
        })
        .collect();
    Ok(ApiKeyList { items })
}

fn into_api_key(row: api_keys::Model, created_by: Option<ferrodesk_shared::users::UserSummary>) -> ApiKey {
    ApiKey {
        id: ApiKeyId(row.id),
        scopes: domain::read_scopes(&row.scopes),
        name: row.name,
        prefix: row.prefix,
        created_by,
        created_at: row.created_at,
        expires_at: row.expires_at,
        last_used_at: row.last_used_at,
    }
}

/// Revoked keys answer 401 from the next request on: nothing caches a key's validity.
#[tracing::instrument(skip_all, fields(workspace = %principal.scope().id(), key = %id))]
pub async fn revoke(state: &AppState, principal: &Principal, id: ApiKeyId) -> ApiResult<()> {
    repo::revoke(&state.db, principal.scope(), id, clock::now()).await?;
    tracing::info!(by = %principal.id(), "API key revoked");
    Ok(())
}
