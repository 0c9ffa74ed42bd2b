//! The owner's endpoints and their delivery log: rules and transactions.

use ferrodesk_shared::webhooks::{
    NewWebhook, Webhook, WebhookDelivery, WebhookDeliveryPage, WebhookDeliveryQuery, WebhookList, WebhookPatch,
    WebhookWithSecret,
};
use ferrodesk_shared::{WebhookDeliveryId, WebhookId};
use sea_orm::{IntoActiveModel, Set};

use crate::auth::WorkspaceScope;
use crate::clock;
use crate::db;
use crate::db::entities::{webhook_deliveries, webhook_endpoints};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::validation::Fields;

use super::{domain, repo};

pub fn into_webhook(row: webhook_endpoints::Model) -> Webhook {
    Webhook {
        id: WebhookId(row.id),
        events: domain::events_of_column(&row.events),
        url: row.url,
        description: row.description,
        include_internal: row.include_internal,
        enabled: row.enabled,
        disabled_reason: row.disabled_reason,
        failing_since: row.failing_since,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

pub fn into_delivery(row: webhook_deliveries::Model) -> WebhookDelivery {
    let status = row.status.into();
    WebhookDelivery {
        id: WebhookDeliveryId(row.id),
        event: row
            .kind
            .parse()
            .unwrap_or(ferrodesk_shared::webhooks::WebhookEvent::TicketUpdated),
        event_id: row.event_seq,
        status,
        attempts: u32::try_from(row.attempts).unwrap_or(0),
        next_attempt_at: (status == ferrodesk_shared::webhooks::DeliveryStatus::Pending).then_some(row.next_attempt_at),
        last_attempt_at: row.last_attempt_at,
        response_status: row.response_status.and_then(|status| u16::try_from(status).ok()),
        latency_ms: row.latency_ms.and_then(|latency| u64::try_from(latency).ok()),
        response_body: row.response_body,
        error: row.error,
        created_at: row.created_at,
        delivered_at: row.delivered_at,
    }
}

fn seal(state: &AppState, scope: &WorkspaceScope, secret: &str) -> ApiResult<String> {
    state.ai.keys().seal(scope.uuid(), secret).map_err(ApiError::Internal)
}

#[tracing::instrument(skip_all, fields(workspace = %scope.id()))]
pub async fn create(state: &AppState, scope: &WorkspaceScope, body: NewWebhook) -> ApiResult<WebhookWithSecret> {
    let allow_local = state.settings.webhooks.allow_local;
    let mut fields = Fields::default();
    let url = fields.check("url", domain::parse_url(&body.url, allow_local));
    let events = fields.check("events", domain::parse_events(&body.events));
    let description = fields.check("description", domain::parse_description(body.description.as_deref()));
    let (Some(url), Some(events), Some(description)) = (url, events, description) else {
        return Err(fields.into_error());
    };
    let secret = domain::new_secret();
    let row = repo::new_endpoint(
        scope,
        url,
        domain::events_column(&events),
        description,
        body.include_internal,
        seal(state, scope, &secret)?,
        clock::now(),
    );
    let row = repo::insert(&state.db, row).await?;
    Ok(WebhookWithSecret {
        webhook: into_webhook(row),
        secret,
    })
}

pub async fn list(state: &AppState, scope: &WorkspaceScope) -> ApiResult<WebhookList> {
    Ok(WebhookList {
        items: repo::list(&state.db, scope)
            .await?
            .into_iter()
            .map(into_webhook)
            .collect(),
    })
}

pub async fn get(state: &AppState, scope: &WorkspaceScope, id: WebhookId) -> ApiResult<Webhook> {
    Ok(into_webhook(repo::find(&state.db, scope, id.0).await?))
}

#[tracing::instrument(skip_all, fields(workspace = %scope.id()))]
pub async fn update(
    state: &AppState,
    scope: &WorkspaceScope,
    id: WebhookId,
    patch: WebhookPatch,
) -> ApiResult<Webhook> {
    let allow_local = state.settings.webhooks.allow_local;
    let mut fields = Fields::default();
    let url = fields.optional("url", patch.url.as_deref(), |raw| domain::parse_url(raw, allow_local));
    let events = fields.optional("events", patch.events.as_deref(), domain::parse_events);
    let description = match &patch.description {
        None => Some(None),
        Some(raw) => fields
            .check("description", domain::parse_description(raw.as_deref()))
            .map(Some),
    };
    let (Some(url), Some(events), Some(description)) = (url, events, description) else {
        return Err(fields.into_error());
    };
    let now = clock::now();
    let txn = db::begin_write(&state.db).await?;
    let current = repo::find(&txn, scope, id.0).await?;
    let was_enabled = current.enabled;
    let mut row = current.into_active_model();
    if let Some(url) = url {
        row.url = Set(url);
    }
    if let Some(events) = events {
        row.events = Set(domain::events_column(&events));
    }
    if let Some(description) = description {
        row.description = Set(description);
    }
    if let Some(include_internal) = patch.include_internal {
        row.include_internal = Set(include_internal);
    }
    if let Some(enabled) = patch.enabled {
        row.enabled = Set(enabled);
        if enabled && !was_enabled {
            // Switched back on: the failure window starts afresh.
            row.disabled_reason = Set(None);
            row.failing_since = Set(None);
        } else if !enabled && was_enabled {
            row.disabled_reason = Set(Some("Switched off by an owner.".to_owned()));
        }
    }
    row.updated_at = Set(now);
    let row = repo::update(&txn, row).await?;
    txn.commit().await?;
    Ok(into_webhook(row))
}

#[tracing::instrument(skip_all, fields(workspace = %scope.id()))]
pub async fn delete(state: &AppState, scope: &WorkspaceScope, id: WebhookId) -> ApiResult<()> {
    repo::delete(&state.db, scope, id.0).await
}

/// A new secret, answered this once; the next attempt of every delivery is signed with it.
#[tracing::instrument(skip_all, fields(workspace = %scope.id()))]
pub async fn rotate_secret(state: &AppState, scope: &WorkspaceScope, id: WebhookId) -> ApiResult<WebhookWithSecret> {
    let secret = domain::new_secret();
    let sealed = seal(state, scope, &secret)?;
    let txn = db::begin_write(&state.db).await?;
    let mut row = repo::find(&txn, scope, id.0).await?.into_active_model();
    row.secret = Set(sealed);
    row.updated_at = Set(clock::now());
    let row = repo::update(&txn, row).await?;
    txn.commit().await?;
    Ok(WebhookWithSecret {
        webhook: into_webhook(row),
        secret,
    })
}

pub async fn deliveries(
    state: &AppState,
    scope: &WorkspaceScope,
    id: WebhookId,
    query: WebhookDeliveryQuery,
) -> ApiResult<WebhookDeliveryPage> {
    let limit = match query.limit {
        None => 20,
        Some(limit @ 1..=100) => u64::from(limit),
        Some(_) => return Err(ApiError::invalid("limit", "must be between 1 and 100")),
    };
    repo::find(&state.db, scope, id.0).await?;
    let mut rows = repo::deliveries_page(&state.db, scope, id.0, query.before, limit + 1).await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|row| row.event_seq)
    } else {
        None
    };
    Ok(WebhookDeliveryPage {
        items: rows.into_iter().map(into_delivery).collect(),
        next_cursor,
    })
}

/// Sends a delivery again as soon as the worker can (a failed one, or a delivered one on purpose).
#[tracing::instrument(skip_all, fields(workspace = %scope.id()))]
pub async fn retry(
    state: &AppState,
    scope: &WorkspaceScope,
    id: WebhookId,
    delivery: WebhookDeliveryId,
) -> ApiResult<WebhookDelivery> {
    let now = clock::now();
    let txn = db::begin_write(&state.db).await?;
    let endpoint = repo::find(&txn, scope, id.0).await?;
    repo::find_delivery(&txn, scope, endpoint.id, delivery.0).await?;
    if !endpoint.enabled {
        return Err(ApiError::conflict(
            "This endpoint is disabled: enable it first, then retry.",
        ));
    }
    repo::schedule_now(&txn, delivery.0, now).await?;
    let row = repo::find_delivery(&txn, scope, endpoint.id, delivery.0).await?;
    txn.commit().await?;
    state.webhooks.nudge();
    Ok(into_delivery(row))
}
