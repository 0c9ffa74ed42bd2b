//! A workspace's ticket classifier over embeddings: zero-shot against category descriptions while no
//! ticket is labelled, nearest centroid while labels are few, logistic regression (with each
//! description as one more example) once every category has enough. With a prior for some of the
//! categories (`prior`), logistic regression from the first ticket, its rows for those categories
//! starting from the prior and moved by the workspace's labels as they come. Pure data in, pure data
//! out; the app stores the serialised state per workspace.

mod logistic;
mod prior;

use serde::{Deserialize, Serialize};

use crate::AiError;
use crate::vector::{axpy, dot, l2_normalize, softmax_in_place};

pub use logistic::{Anchor, LogisticModel};
pub use prior::{Prior, builtin_description};

/// The number of examples at which the logistic regression's penalty reaches half of `l2`.
const L2_RAMP: f32 = 1000.0;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassifierConfig {
    /// Below this confidence the classifier abstains and the ticket is left for a human.
    pub min_confidence: f32,
    /// Logistic regression replaces centroids once every category has at least this many labels.
    /// With the descriptions as extra examples it beats centroids from about two labels per category
    /// (Banking77: 0.78 against 0.76 at three, 0.82 against 0.79 at five).
    pub min_labels_for_logistic: usize,
    /// Cosine similarities are multiplied by this before the softmax that turns them into
    /// confidences (zero-shot and centroid modes); higher means more peaked.
    pub similarity_scale: f32,
    /// L2 penalty of the logistic regression, as in `sum(losses) + l2 / 2 * |W|^2` (on standardised
    /// features), reached as examples accumulate: with `n` examples the penalty is
    /// `l2 * n / (n + 1000)`, so a handful of labels is not drowned by it. The default is what 3-fold
    /// cross-validation on Banking77's training split (10,000 examples) picks from 1, 3, 10 and 30.
    pub l2: f32,
    /// Iteration cap of the L-BFGS optimiser.
    pub max_iterations: usize,
}

impl Default for ClassifierConfig {
    fn default() -> Self {
        Self {
            min_confidence: 0.5,
            min_labels_for_logistic: 3,
            similarity_scale: 20.0,
            l2: 30.0,
            max_iterations: 300,
        }
    }
}

/// A category the classifier may choose, with the embedding of its short description
/// (e.g. "billing: invoices, charges, refunds, payment methods").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategorySeed {
    pub name: String,
    pub description_embedding: Vec<f32>,
}

/// A ticket whose category an agent set or confirmed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelledExample {
    pub embedding: Vec<f32>,
    pub category: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    ZeroShot,
    Centroid,
    Logistic,
    /// No labels yet, and a prior for (some of) the categories.
    Prior,
}

/// The outcome for one ticket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Assign {
        category: String,
        confidence: f32,
    },
    /// Not sure enough: the best guess is kept for display, but a human decides.
    Abstain {
        best_guess: String,
        confidence: f32,
    },
}

impl Verdict {
    /// The chosen category, whether or not the classifier committed to it.
    pub fn best(&self) -> (&str, f32) {
        match self {
            Self::Assign { category, confidence } => (category, *confidence),
            Self::Abstain { best_guess, confidence } => (best_guess, *confidence),
        }
    }

    pub fn assigned(&self) -> Option<&str> {
        match self {
            Self::Assign { category, .. } => Some(category),
            Self::Abstain { .. } => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
enum Model {
    /// One unit vector per category, compared by cosine: the descriptions' embeddings.
    ZeroShot {
        prototypes: Vec<Vec<f32>>,
    },
    /// Centroids of the labelled examples (and the description), after subtracting the examples'
    /// mean: sentence embeddings share a common direction that otherwise dominates every cosine.
    Centroid {
        mean: Vec<f32>,
        prototypes: Vec<Vec<f32>>,
    },
    Logistic(LogisticModel),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Classifier {
    config: ClassifierConfig,
    categories: Vec<String>,
    dimension: usize,
    model: Model,
    /// The prior it started from (`Prior::id`), if any. Absent in classifiers stored before priors.
    #[serde(default)]
    prior: Option<String>,
    /// How many labelled examples it learnt from.
    #[serde(default)]
    labels: usize,
}

impl Classifier {
    /// Fits a classifier for `categories` from the `examples` labelled so far (possibly none).
    /// Every example's category must be one of `categories`; all vectors must share one dimension.
    pub fn train(
        config: ClassifierConfig,
        categories: &[CategorySeed],
        examples: &[LabelledExample],
    ) -> Result<Self, AiError> {
        let Some(first) = categories.first() else {
            return Err(AiError::InvalidInput("no categories to choose from".into()));
        };
        let dimension = first.description_embedding.len();
        let names: Vec<String> = categories.iter().map(|c| c.name.clone()).collect();
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(AiError::InvalidInput(format!("category {name:?} given twice")));
            }
        }
        let check_dimension = |v: &[f32]| {
            if v.len() == dimension {
                Ok(())
            } else {
                Err(AiError::InvalidInput(format!(
                    "vector of dimension {} where {dimension} was expected",
                    v.len()
                )))
            }
        };
        for category in categories {
            check_dimension(&category.description_embedding)?;
        }
        let mut labels = Vec::with_capacity(examples.len());
        for example in examples {
            check_dimension(&example.embedding)?;
            let label = names
                .iter()
                .position(|n| *n == example.category)
                .ok_or_else(|| AiError::InvalidInput(format!("unknown category {:?}", example.category)))?;
            labels.push(label);
        }

        let mut counts = vec![0usize; names.len()];
        for &label in &labels {
            counts[label] += 1;
        }
        let model = if examples.is_empty() {
            Model::ZeroShot {
                prototypes: categories
                    .iter()
                    .map(|c| l2_normalize(c.description_embedding.clone()))
                    .collect(),
            }
        } else if counts.iter().all(|&n| n >= config.min_labels_for_logistic.max(1)) {
            // Each description is one more labelled example, as in the centroid mode: a prior that
            // matters with a few labels per category and fades as labels accumulate.
            let features: Vec<&[f32]> = examples
                .iter()
                .map(|e| e.embedding.as_slice())
                .chain(categories.iter().map(|c| c.description_embedding.as_slice()))
                .collect();
            let labels: Vec<usize> = labels.iter().copied().chain(0..names.len()).collect();
            let n = features.len() as f32;
            Model::Logistic(LogisticModel::fit(
                &features,
                &labels,
                names.len(),
                config.l2 * n / (n + L2_RAMP),
                config.max_iterations,
            )?)
        } else {
            // Each description counts as one more example, so a category nobody labelled yet
            // still has a prototype, and a category with one label is not judged on it alone.
            let mut centroids: Vec<Vec<f32>> = categories.iter().map(|c| c.description_embedding.clone()).collect();
            for (example, &label) in examples.iter().zip(&labels) {
                axpy(1.0, &example.embedding, &mut centroids[label]);
            }
            for (centroid, &count) in centroids.iter_mut().zip(&counts) {
                let scale = 1.0 / (count + 1) as f32;
                centroid.iter_mut().for_each(|value| *value *= scale);
            }
            // The common direction removed is the mean of the categories' centroids, not of the
            // examples: early labels are often all of one category, and subtracting their own mean
            // would cancel exactly the category they teach.
            let mut mean = vec![0.0f32; dimension];
            for centroid in &centroids {
                axpy(1.0 / centroids.len() as f32, centroid, &mut mean);
            }
            let prototypes = centroids
                .into_iter()
                .map(|mut centroid| {
                    axpy(-1.0, &mean, &mut centroid);
                    l2_normalize(centroid)
                })
                .collect();
            Model::Centroid { mean, prototypes }
        };
        Ok(Self {
            config,
            categories: names,
            dimension,
            model,
            prior: None,
            labels: examples.len(),
        })
    }

    /// As [`Classifier::train`], starting from `prior` for the categories it knows (by name): the
    /// examples move those categories' rows only as far as they outweigh it (`Prior::strength`),
    /// so a workspace's own labels take over gradually, and categories it does not know are
    /// learnt from their description and labels alone. Without a prior for any of `categories`,
    /// exactly [`Classifier::train`].
    pub fn train_with_prior(
        config: ClassifierConfig,
        categories: &[CategorySeed],
        examples: &[LabelledExample],
        prior: Option<&Prior>,
    ) -> Result<Self, AiError> {
        let rows: Vec<Option<usize>> = categories
            .iter()
            .map(|category| prior.and_then(|prior| prior.class_of(&category.name)))
            .collect();
        let Some(prior) = prior.filter(|_| rows.iter().any(Option::is_some)) else {
            return Self::train(config, categories, examples);
        };
        // Checks names and dimensions the same way, and gives the labels as indices.
        let checked = Self::train(config.clone(), categories, &[])?;
        if checked.dimension != prior.model.dimension() {
            return Err(AiError::InvalidInput(format!(
                "a prior of dimension {} for vectors of dimension {}",
                prior.model.dimension(),
                checked.dimension
            )));
        }
        let mut labels = Vec::with_capacity(examples.len() + categories.len());
        let mut features: Vec<&[f32]> = Vec::with_capacity(examples.len() + categories.len());
        for example in examples {
            if example.embedding.len() != checked.dimension {
                return Err(AiError::InvalidInput(format!(
                    "vector of dimension {} where {} was expected",
                    example.embedding.len(),
                    checked.dimension
                )));
            }
            let label = checked
                .categories
                .iter()
                .position(|n| *n == example.category)
                .ok_or_else(|| AiError::InvalidInput(format!("unknown category {:?}", example.category)))?;
            labels.push(label);
            features.push(&example.embedding);
        }
        // The descriptions as one example each, as without a prior: they are all a category the
        // prior does not know has.
        features.extend(categories.iter().map(|c| c.description_embedding.as_slice()));
        labels.extend(0..categories.len());
        let n = features.len() as f32;
        let model = LogisticModel::fit_anchored(
            &features,
            &labels,
            categories.len(),
            config.l2 * n / (n + L2_RAMP),
            config.max_iterations,
            Some(Anchor {
                model: &prior.model,
                rows,
                strength: prior.strength,
            }),
        )?;
        Ok(Self {
            model: Model::Logistic(model),
            prior: Some(prior.id.clone()),
            labels: examples.len(),
            ..checked
        })
    }

    pub fn method(&self) -> Method {
        match &self.model {
            Model::ZeroShot { .. } => Method::ZeroShot,
            Model::Centroid { .. } => Method::Centroid,
            Model::Logistic(_) if self.prior.is_some() && self.labels == 0 => Method::Prior,
            Model::Logistic(_) => Method::Logistic,
        }
    }

    /// The prior it started from, if any (`Prior::id`).
    pub fn prior(&self) -> Option<&str> {
        self.prior.as_deref()
    }

    pub fn categories(&self) -> &[String] {
        &self.categories
    }

    pub fn config(&self) -> &ClassifierConfig {
        &self.config
    }

    /// A probability per category, in the order of [`Classifier::categories`].
    pub fn probabilities(&self, embedding: &[f32]) -> Result<Vec<f32>, AiError> {
        if embedding.len() != self.dimension {
            return Err(AiError::InvalidInput(format!(
                "vector of dimension {} where {} was expected",
                embedding.len(),
                self.dimension
            )));
        }
        Ok(match &self.model {
            Model::ZeroShot { prototypes } => self.similarities(prototypes, embedding),
            Model::Centroid { mean, prototypes } => {
                let mut centred = embedding.to_vec();
                axpy(-1.0, mean, &mut centred);
                self.similarities(prototypes, &l2_normalize(centred))
            }
            Model::Logistic(model) => model.probabilities(embedding),
        })
    }

    /// Softmax over scaled cosine similarities to each prototype.
    fn similarities(&self, prototypes: &[Vec<f32>], embedding: &[f32]) -> Vec<f32> {
        let mut scores: Vec<f32> = prototypes
            .iter()
            .map(|p| dot(p, embedding) * self.config.similarity_scale)
            .collect();
        softmax_in_place(&mut scores);
        scores
    }

    /// The category of one ticket, or an abstention below `min_confidence`.
    pub fn predict(&self, embedding: &[f32]) -> Result<Verdict, AiError> {
        let probabilities = self.probabilities(embedding)?;
        let (best, confidence) =
            probabilities
                .iter()
                .copied()
                .enumerate()
                .fold(
                    (0, f32::NEG_INFINITY),
                    |acc, (i, p)| if p > acc.1 { (i, p) } else { acc },
                );
        let category = self.categories[best].clone();
        Ok(if confidence >= self.config.min_confidence {
            Verdict::Assign { category, confidence }
        } else {
            Verdict::Abstain {
                best_guess: category,
                confidence,
            }
        })
    }
}
