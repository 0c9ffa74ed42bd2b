//! Learning from people: each category an agent sets is a label; the workspace's classifier is
//! retrained from its own labels only (never another workspace's) shortly after a correction, on
//! top of the built-in categories' prior, which is the same for every workspace and learnt from
//! public data, never from any workspace's tickets.

use std::time::Duration;

use ferrodesk_ai::{CategorySeed, Classifier, ClassifierConfig, LabelledExample};
use ferrodesk_shared::WorkspaceId;
use ferrodesk_shared::ai::CategoryDef;

use crate::auth::WorkspaceScope;
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

use super::engine::lock;
use super::{categories_of, repo};

/// The newest labels a classifier learns from; older ones matter less and cost training time.
const MAX_LABELS: u64 = 5_000;
/// Corrections that come in a burst (an agent triaging a queue) are learnt in one retraining.
const DEBOUNCE: Duration = Duration::from_millis(500);

/// Fits a classifier for `categories` from `examples` (category, embedding), off the async workers.
pub async fn train(
    state: &AppState,
    categories: &[CategoryDef],
    examples: Vec<(String, Vec<f32>)>,
) -> ApiResult<Classifier> {
    let descriptions: Vec<String> = categories.iter().map(|category| category.description.clone()).collect();
    let vectors = state.ai.describe(&descriptions).await?;
    let seeds: Vec<CategorySeed> = categories
        .iter()
        .zip(vectors)
        .map(|(category, description_embedding)| CategorySeed {
            name: category.name.clone(),
            description_embedding,
        })
        .collect();
    let examples: Vec<LabelledExample> = examples
        .into_iter()
        .map(|(category, embedding)| LabelledExample { embedding, category })
        .collect();
    // The built-in categories start from what public support data taught (when it fits the
    // embedder); the workspace's own labels move them from there.
    let prior = state.ai.prior();
    tokio::task::spawn_blocking(move || {
        Classifier::train_with_prior(ClassifierConfig::default(), &seeds, &examples, prior.as_deref())
    })
    .await
    .map_err(|error| ApiError::Internal(anyhow::anyhow!("training stopped: {error}")))?
    .map_err(|error| ApiError::Internal(anyhow::anyhow!("training failed: {error}")))
}

/// Retrains the workspace's classifier from the categories people set on its tickets, and stores it.
pub async fn retrain(state: &AppState, scope: &WorkspaceScope) -> ApiResult<()> {
    let settings = repo::settings(&state.db, scope).await?;
    let mut categories = categories_of(&settings)?;
    let examples = repo::labelled_examples(&state.db, scope, state.ai.embedder(), MAX_LABELS).await?;
    // A category people use that is not in the list is one of the workspace's own all the same.
    for (category, _) in &examples {
        if !categories.iter().any(|known| known.name == *category) {
            categories.push(CategoryDef {
                name: category.clone(),
                description: category.clone(),
                builtin: false,
            });
        }
    }
    let labels = examples.len() as i64;
    let classifier = train(state, &categories, examples).await?;
    let json = serde_json::to_string(&classifier)
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("encoding a classifier: {error}")))?;
    repo::save_classifier(&state.db, scope, json, state.ai.embedder(), labels, clock::now()).await?;
    tracing::info!(workspace = %scope.id(), labels, method = ?classifier.method(), "classifier retrained");
    Ok(())
}

/// The background job's entry: retrains one workspace's classifier, acting for no user.
pub async fn retrain_workspace(state: &AppState, workspace: WorkspaceId) -> ApiResult<()> {
    retrain(state, &WorkspaceScope::for_scheduled_job(workspace)).await
}

/// Schedules a retraining of the workspace's classifier (once for a burst of corrections).
pub fn retrain_soon(state: &AppState, scope: &WorkspaceScope) {
    let workspace = scope.uuid();
    if !lock(&state.ai.retraining).insert(workspace) {
        return;
    }
    let state = state.clone();
    let scope = *scope;
    tokio::spawn(async move {
        tokio::time::sleep(DEBOUNCE).await;
        lock(&state.ai.retraining).remove(&workspace);
        if let Err(error) = retrain(&state, &scope).await {
            tracing::warn!(%error, workspace = %workspace, "retraining the classifier failed; the previous one stays");
        }
    });
}
