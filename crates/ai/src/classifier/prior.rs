//! What a new workspace knows about the built-in categories before anyone labels a ticket: a
//! logistic model learnt from public labelled support requests (Bitext's intents and some of
//! Banking77's, mapped onto billing, technical, shipping, account and other; `prior` builds it),
//! shipped as weights in this crate. It belongs to one embedder: its weights mean nothing in
//! another's space, so it carries a probe sentence and that sentence's vector, and is used only
//! where the embedder in use gives the same vector again.

use serde::{Deserialize, Serialize};

use super::LogisticModel;
use crate::vector::dot;
use crate::{AiError, Embedder};

/// The prior for all-MiniLM-L6-v2, as `prior --build` wrote it.
const MINILM: &str = include_str!("../../prior/all-MiniLM-L6-v2.json");

/// What the built-in categories are about, for zero-shot classification and as one more example of
/// each in training. Unknown names are "other".
pub fn builtin_description(name: &str) -> &'static str {
    match name {
        // Singular and plural both: the TF-IDF fallback matches words, not meanings.
        "billing" => {
            "billing: an invoice or invoices, a charge, charged twice, payment, refund, subscription, price, \
             credit card"
        }
        "technical" => {
            "technical problem: an error, a bug, a crash, the app is not working, broken, setup, configuration"
        }
        "shipping" => {
            "shipping and delivery: my order, tracking, a package or parcel, delayed delivery, address, return"
        }
        "account" => {
            "account access: login, log in, sign in, password reset, sign up, profile, change email, delete account"
        }
        _ => "other: a general question, feedback or anything else",
    }
}

/// How closely the probe's vector must come back for the prior to apply: the same model on another
/// CPU differs in the last bits, another model differs entirely.
const SAME_EMBEDDER: f32 = 0.999;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prior {
    /// Names it so a stored classifier can say what it was built on (bumped when rebuilt).
    pub id: String,
    /// The categories it knows, in the order of the model's classes.
    pub categories: Vec<String>,
    pub probe_text: String,
    pub probe_vector: Vec<f32>,
    /// How many labels' worth of evidence the prior counts for in a workspace's training
    /// (`Anchor::strength`).
    pub strength: f32,
    /// Where the weights were learnt from, for people reading the file.
    pub sources: String,
    pub model: LogisticModel,
}

impl Prior {
    /// The shipped prior, if it applies to `embedder`.
    pub fn builtin_for(embedder: &dyn Embedder) -> Result<Option<Prior>, AiError> {
        let prior = Self::parse(MINILM)?;
        Ok(prior.fits(embedder)?.then_some(prior))
    }

    pub fn parse(json: &str) -> Result<Prior, AiError> {
        let prior: Prior =
            serde_json::from_str(json).map_err(|e| AiError::ModelFormat(format!("category prior: {e}")))?;
        if prior.categories.len() != prior.model.classes() || prior.probe_vector.len() != prior.model.dimension() {
            return Err(AiError::ModelFormat("category prior: sizes do not agree".into()));
        }
        Ok(prior)
    }

    /// Whether `embedder` is the one the prior was learnt in: same dimension, and the probe
    /// sentence lands where it did.
    pub fn fits(&self, embedder: &dyn Embedder) -> Result<bool, AiError> {
        if embedder.dimension() != self.model.dimension() {
            return Ok(false);
        }
        let probe = embedder.embed(&self.probe_text)?;
        Ok(dot(&probe, &self.probe_vector) >= SAME_EMBEDDER)
    }

    /// The prior's class for a category name, if it knows it.
    pub fn class_of(&self, category: &str) -> Option<usize> {
        self.categories.iter().position(|known| known == category)
    }

    /// Probabilities over the prior's own categories (for the benchmark and tests).
    pub fn probabilities(&self, embedding: &[f32]) -> Vec<f32> {
        self.model.probabilities(embedding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TfIdfEmbedder;

    #[test]
    fn the_shipped_prior_loads_and_knows_the_builtin_categories() {
        let prior = Prior::parse(MINILM).unwrap();
        assert_eq!(
            prior.categories,
            ["billing", "technical", "shipping", "account", "other"].map(str::to_owned)
        );
        assert_eq!(prior.model.dimension(), 384);
        assert!(prior.strength > 0.0);
        let norm = dot(&prior.probe_vector, &prior.probe_vector);
        assert!((norm - 1.0).abs() < 1e-3, "the probe vector is unit length: {norm}");
    }

    #[test]
    fn another_embedder_does_not_get_the_prior() {
        let fallback = TfIdfEmbedder::default();
        assert_eq!(Prior::builtin_for(&fallback).unwrap(), None);
    }

    #[test]
    fn a_prior_whose_sizes_disagree_is_refused() {
        let mut prior = Prior::parse(MINILM).unwrap();
        prior.categories.pop();
        let json = serde_json::to_string(&prior).unwrap();
        assert!(matches!(Prior::parse(&json), Err(AiError::ModelFormat(_))));
    }
}
