//! A new ticket's category: the workspace's classifier over the ticket's embedding. Runs before the
//! ticket's transaction (it is pure computation, no outside service), so the ticket is stored with
//! its category and embedding at once, or not at all.

use std::sync::Arc;

use ferrodesk_ai::Classifier;
use sha2::{Digest, Sha256};

use crate::auth::WorkspaceScope;
use crate::db::entities::ai_settings;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

use super::{Categorised, categories_of, learn, require_ai};

/// What AI made of a new ticket.
pub struct Arrival {
    pub categorised: Categorised,
    pub embedding: Vec<f32>,
    pub embedder: String,
}

/// The text a ticket is embedded from, at arrival and when looking for similar ones.
pub fn ticket_text(subject: &str, body: &str) -> String {
    format!("{subject}\n{body}")
}

/// Categorises a new ticket. Never fails the ticket: without AI (plan, owner's switch) or on an
/// error (logged) the ticket simply arrives uncategorised.
pub async fn on_arrival(state: &AppState, scope: &WorkspaceScope, subject: &str, body: &str) -> Option<Arrival> {
    let settings = match require_ai(&state.db, scope).await {
        Ok(settings) => settings,
        Err(ApiError::UpgradeRequired(_) | ApiError::Forbidden(_)) => return None,
        Err(error) => {
            tracing::warn!(%error, "AI settings unreadable; the ticket arrives uncategorised");
            return None;
        }
    };
    match categorise(state, scope, &settings, &ticket_text(subject, body)).await {
        Ok(arrival) => Some(arrival),
        Err(error) => {
            tracing::warn!(%error, "categorising a new ticket failed; it arrives uncategorised");
            None
        }
    }
}

async fn categorise(
    state: &AppState,
    scope: &WorkspaceScope,
    settings: &ai_settings::Model,
    text: &str,
) -> ApiResult<Arrival> {
    let embedding = state.ai.embed(text.to_owned()).await?;
    let classifier = classifier_for(state, scope, settings).await?;
    let categorised = verdict(&classifier, &embedding, settings.min_confidence as f32)?;
    Ok(Arrival {
        categorised,
        embedding,
        embedder: state.ai.embedder().to_owned(),
    })
}

/// The best category and whether it clears the workspace's threshold (applied here, not at training,
/// so an owner's new threshold counts at once).
pub fn verdict(classifier: &Classifier, embedding: &[f32], min_confidence: f32) -> ApiResult<Categorised> {
    let probabilities = classifier
        .probabilities(embedding)
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("classifying: {error}")))?;
    let (best, confidence) = probabilities
        .iter()
        .copied()
        .enumerate()
        .fold((0, f32::MIN), |best, (at, p)| if p > best.1 { (at, p) } else { best });
    let category = classifier
        .categories()
        .get(best)
        .cloned()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a classifier without categories")))?;
    Ok(Categorised {
        category,
        confidence,
        assigned: confidence >= min_confidence,
    })
}

/// The workspace's classifier: the one trained from its own labels when there is one for this
/// embedder, zero-shot against its categories' descriptions otherwise. Cached per workspace until
/// its settings or training change.
pub async fn classifier_for(
    state: &AppState,
    scope: &WorkspaceScope,
    settings: &ai_settings::Model,
) -> ApiResult<Arc<Classifier>> {
    let key = format!(
        "{}|{}|{:x}",
        settings.classifier_version,
        state.ai.embedder(),
        Sha256::digest(settings.custom_categories.as_bytes())
    );
    if let Some(cached) = state.ai.cached_classifier(scope.uuid(), &key) {
        return Ok(cached);
    }
    let trained = match (&settings.classifier, &settings.classifier_embedder) {
        (Some(json), Some(embedder)) if embedder == state.ai.embedder() => {
            match serde_json::from_str::<Classifier>(json) {
                Ok(classifier) => Some(classifier),
                Err(error) => {
                    tracing::warn!(%error, "a stored classifier does not load; using zero-shot until it is retrained");
                    None
                }
            }
        }
        _ => None,
    };
    let classifier = match trained {
        Some(classifier) => classifier,
        None => learn::train(state, &categories_of(settings)?, Vec::new()).await?,
    };
    let classifier = Arc::new(classifier);
    state.ai.cache_classifier(scope.uuid(), key, classifier.clone());
    Ok(classifier)
}
