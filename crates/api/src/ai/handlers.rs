//! HTTP for AI: categories (staff), settings (owner), reply suggestions (staff).

use actix_web::web::{self, Json, Path};
use ferrodesk_shared::ai::{
    AiSettings, AiSettingsUpdate, BUILTIN_CATEGORIES, CategoryDef, CategoryList, ClassifierMethod, ClassifierStatus,
    ProviderView, SuggestedReply,
};
use ferrodesk_shared::{ErrorBody, TicketId};

use crate::auth::{Agent, Owner, WorkspaceScope};
use crate::clock;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::validation::Fields;

use super::provider::validate_base_url;
use super::{categories_of, learn, repo, suggest};

const MAX_CUSTOM_CATEGORIES: usize = 30;

/// The categories an agent can pick: the built-in ones, then the workspace's own.
#[utoipa::path(get, path = "/api/v1/ai/categories", tag = "ai", operation_id = "listCategories",
    responses((status = 200, body = CategoryList), (status = 403, body = ErrorBody)), security(("session" = [])))]
pub async fn categories(state: web::Data<AppState>, agent: Agent) -> ApiResult<Json<CategoryList>> {
    let settings = repo::settings(&state.db, agent.scope()).await?;
    Ok(Json(CategoryList {
        items: categories_of(&settings)?,
    }))
}

/// The workspace's AI settings, its classifier's progress and the server's engine (owner).
#[utoipa::path(get, path = "/api/v1/ai/settings", tag = "ai", operation_id = "getAiSettings",
    responses((status = 200, body = AiSettings), (status = 403, body = ErrorBody)), security(("session" = [])))]
pub async fn settings(state: web::Data<AppState>, owner: Owner) -> ApiResult<Json<AiSettings>> {
    Ok(Json(view(&state, owner.scope()).await?))
}

/// Replace the AI settings (owner). The API key is stored encrypted; omit it to keep the stored one
/// (only while the provider's scheme, host and port stay the same: a new origin needs the key again).
#[utoipa::path(put, path = "/api/v1/ai/settings", tag = "ai", operation_id = "updateAiSettings", request_body = AiSettingsUpdate,
    responses((status = 200, body = AiSettings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = [])))]
pub async fn update_settings(
    state: web::Data<AppState>,
    owner: Owner,
    body: Json<AiSettingsUpdate>,
) -> ApiResult<Json<AiSettings>> {
    let update = body.into_inner();
    let scope = owner.scope();
    let mut fields = Fields::default();
    let min_confidence = fields.check(
        "min_confidence",
        if (0.05..=0.99).contains(&update.min_confidence) {
            Ok(f64::from(update.min_confidence))
        } else {
            Err("must be between 0.05 and 0.99".to_owned())
        },
    );
    let custom = fields.check("custom_categories", parse_custom_categories(&update.custom_categories));
    let provider = match &update.provider {
        None => Some(None),
        Some(input) => {
            let url = fields.check(
                "provider.base_url",
                validate_base_url(&input.base_url, state.settings.ai.allow_local_providers),
            );
            let model = fields.check("provider.model", {
                let model = input.model.trim();
                if model.is_empty() || model.chars().count() > 100 || model.chars().any(char::is_control) {
                    Err("must be a model name of 1 to 100 characters".to_owned())
                } else {
                    Ok(model.to_owned())
                }
            });
            let key = fields.check(
                "provider.api_key",
                match input.api_key.as_deref().map(str::trim) {
                    Some(key) if key.chars().count() > 500 || key.chars().any(char::is_control) => {
                        Err("must be at most 500 characters on one line".to_owned())
                    }
                    other => Ok(other.map(str::to_owned)),
                },
            );
            url.zip(model)
                .zip(key)
                .map(|((url, model), key)| Some((url, model, key)))
        }
    };
    let (Some(min_confidence), Some(custom), Some(provider)) = (min_confidence, custom, provider) else {
        return Err(fields.into_error());
    };

    let txn = db::begin_write(&state.db).await?;
    let current = repo::settings(&txn, scope).await?;
    let (provider_base_url, provider_model, provider_key) = match provider {
        None => (None, None, None),
        Some((url, model, key)) => {
            let sealed = match key {
                // Omitted: keep the stored key, but only for the same origin. A key must never follow a
                // changed URL to another host, which would receive it as `Authorization: Bearer`.
                None if same_origin(current.provider_base_url.as_deref(), &url) => current.provider_key.clone(),
                None => None,
                Some(key) if key.is_empty() => None,
                Some(key) => Some(state.ai.keys().seal(scope.uuid(), &key).map_err(ApiError::Internal)?),
            };
            (
                Some(url.to_string().trim_end_matches('/').to_owned()),
                Some(model),
                sealed,
            )
        }
    };
    let custom_json = serde_json::to_string(&custom).map_err(|error| ApiError::Internal(error.into()))?;
    let categories_changed = custom_json != current.custom_categories;
    repo::save_owner_settings(
        &txn,
        scope,
        repo::OwnerSettings {
            enabled: update.enabled,
            min_confidence,
            custom_categories: custom_json,
            provider_base_url,
            provider_model,
            provider_key,
        },
        clock::now(),
    )
    .await?;
    txn.commit().await?;
    if categories_changed {
        learn::retrain_soon(&state, scope);
    }
    Ok(Json(view(&state, scope).await?))
}

/// A draft reply to the ticket's latest customer message, for the agent to edit (never sent).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/suggest-reply", tag = "ai", operation_id = "suggestReply",
    params(("id" = TicketId, Path)),
    responses((status = 200, body = SuggestedReply), (status = 402, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "This user's provider drafts for the hour are used up")),
    security(("session" = [])))]
pub async fn suggest_reply(
    state: web::Data<AppState>,
    agent: Agent,
    id: Path<TicketId>,
) -> ApiResult<Json<SuggestedReply>> {
    Ok(Json(suggest::suggest(&state, &agent, id.into_inner()).await?))
}

/// Whether `stored` (the saved base URL) has the scheme, host and port of `new`.
fn same_origin(stored: Option<&str>, new: &url::Url) -> bool {
    stored
        .and_then(|stored| url::Url::parse(stored).ok())
        .is_some_and(|stored| stored.origin() == new.origin())
}

fn parse_custom_categories(raw: &[CategoryDef]) -> Result<Vec<CategoryDef>, String> {
    if raw.len() > MAX_CUSTOM_CATEGORIES {
        return Err(format!("at most {MAX_CUSTOM_CATEGORIES} categories of your own"));
    }
    let mut parsed: Vec<CategoryDef> = Vec::with_capacity(raw.len());
    for category in raw {
        let name = category.name.trim().to_lowercase();
        if name.is_empty()
            || name.chars().count() > 40
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(format!(
                "`{}`: a category name is 1 to 40 lower-case letters, digits, - or _",
                category.name.trim()
            ));
        }
        if BUILTIN_CATEGORIES.contains(&name.as_str()) {
            return Err(format!("`{name}` is built in already"));
        }
        if parsed.iter().any(|seen| seen.name == name) {
            return Err(format!("`{name}` is listed twice"));
        }
        let description = category.description.trim();
        if description.is_empty() || description.chars().count() > 200 || description.chars().any(char::is_control) {
            return Err(format!("`{name}`: the description is 1 to 200 characters on one line"));
        }
        parsed.push(CategoryDef {
            name,
            description: description.to_owned(),
            builtin: false,
        });
    }
    Ok(parsed)
}

async fn view(state: &AppState, scope: &WorkspaceScope) -> ApiResult<AiSettings> {
    let settings = repo::settings(&state.db, scope).await?;
    let method = match (&settings.classifier, &settings.classifier_embedder) {
        (Some(json), Some(embedder)) if embedder == state.ai.embedder() => {
            match serde_json::from_str::<ferrodesk_ai::Classifier>(json).map(|c| c.method()) {
                Ok(ferrodesk_ai::Method::Logistic) => ClassifierMethod::Logistic,
                Ok(ferrodesk_ai::Method::Centroid) => ClassifierMethod::Centroid,
                Ok(ferrodesk_ai::Method::Prior) => ClassifierMethod::Prior,
                Ok(ferrodesk_ai::Method::ZeroShot) | Err(_) => ClassifierMethod::ZeroShot,
            }
        }
        // Nothing trained yet: new tickets are categorised by what `classifier_for` builds.
        _ if state.ai.prior().is_some() => ClassifierMethod::Prior,
        _ => ClassifierMethod::ZeroShot,
    };
    Ok(AiSettings {
        enabled: settings.enabled,
        min_confidence: settings.min_confidence as f32,
        categories: categories_of(&settings)?,
        provider: match (&settings.provider_base_url, &settings.provider_model) {
            (Some(base_url), Some(model)) => Some(ProviderView {
                base_url: base_url.clone(),
                model: model.clone(),
                has_api_key: settings.provider_key.is_some(),
            }),
            _ => None,
        },
        classifier: ClassifierStatus {
            method,
            labels: settings.classifier_labels.max(0) as u64,
            trained_at: settings.trained_at,
        },
        engine: state.ai.status(),
    })
}
