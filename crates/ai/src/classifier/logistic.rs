//! Multinomial logistic regression with an L2 penalty, fitted by L-BFGS, on standardised features.

use std::collections::VecDeque;

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::AiError;
use crate::vector::{axpy, dot, softmax_in_place};

/// L-BFGS memory: how many past steps shape the curvature estimate.
const HISTORY: usize = 10;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    classes: usize,
    dimension: usize,
    /// Per-feature mean and 1/std, so one penalty fits every feature's scale.
    mean: Vec<f32>,
    inverse_std: Vec<f32>,
    /// `classes` rows of `dimension` weights, then `classes` biases.
    parameters: Vec<f32>,
}

impl LogisticModel {
    /// Fits on `features[i]` labelled `labels[i] < classes`. The caller checks dimensions and labels.
    pub fn fit(
        features: &[&[f32]],
        labels: &[usize],
        classes: usize,
        l2: f32,
        max_iterations: usize,
    ) -> Result<Self, AiError> {
        Self::fit_anchored(features, labels, classes, l2, max_iterations, None)
    }

    /// As [`LogisticModel::fit`], with the rows of some classes pulled towards a model learnt
    /// elsewhere instead of towards zero: a Gaussian prior centred on `anchor`'s rows (weights and
    /// bias) with precision `anchor.strength`, so its classes start where it left them and the
    /// examples move them only as far as they outweigh it. Features are standardised as the anchor
    /// standardised them, since its weights mean something only in its own scale.
    pub fn fit_anchored(
        features: &[&[f32]],
        labels: &[usize],
        classes: usize,
        l2: f32,
        max_iterations: usize,
        anchor: Option<Anchor<'_>>,
    ) -> Result<Self, AiError> {
        if let Some(anchor) = &anchor {
            if anchor.rows.len() != classes {
                return Err(AiError::InvalidInput("an anchor row per class is needed".into()));
            }
            if features.iter().any(|f| f.len() != anchor.model.dimension) {
                return Err(AiError::InvalidInput("features and anchor differ in dimension".into()));
            }
        }
        let dimension = features
            .first()
            .map_or_else(|| anchor.as_ref().map_or(0, |a| a.model.dimension), |f| f.len());
        let n = features.len().max(1) as f32;
        let mut mean = vec![0.0f32; dimension];
        for x in features {
            axpy(1.0 / n, x, &mut mean);
        }
        let mut variance = vec![0.0f32; dimension];
        for x in features {
            for ((v, xi), m) in variance.iter_mut().zip(*x).zip(&mean) {
                *v += (xi - m) * (xi - m) / n;
            }
        }
        let inverse_std: Vec<f32> = variance.iter().map(|v| 1.0 / (v.sqrt() + 1e-6)).collect();
        let weights_len = classes * dimension;
        // Unanchored rows: weights pulled to zero by `l2`, biases free (as without an anchor).
        let mut centre = vec![0.0f32; weights_len + classes];
        let mut strength: Vec<f32> = (0..weights_len + classes)
            .map(|i| if i < weights_len { l2 } else { 0.0 })
            .collect();
        let (mean, inverse_std) = match &anchor {
            Some(anchor) => {
                for (class, row) in anchor.rows.iter().enumerate() {
                    let Some(row) = *row else { continue };
                    let (weights, bias) = anchor.model.row(row);
                    let at = class * dimension;
                    centre[at..at + dimension].copy_from_slice(weights);
                    strength[at..at + dimension].fill(anchor.strength);
                    centre[weights_len + class] = bias;
                    strength[weights_len + class] = anchor.strength;
                }
                (anchor.model.mean.clone(), anchor.model.inverse_std.clone())
            }
            None => (mean, inverse_std),
        };
        let mut model = Self {
            classes,
            dimension,
            mean,
            inverse_std,
            // Starting at the prior's rows: with few examples the optimum is near them.
            parameters: centre.clone(),
        };
        let standardised: Vec<f32> = features.iter().flat_map(|x| model.standardise(x)).collect();
        let problem = Problem {
            features: Tensor::from_vec(standardised, (features.len(), dimension), &Device::Cpu)?,
            labels,
            classes,
            dimension,
            centre,
            strength,
        };
        let mut parameters = std::mem::take(&mut model.parameters);
        minimise(&mut parameters, max_iterations, |p, g| problem.loss_and_gradient(p, g))?;
        model.parameters = parameters;
        Ok(model)
    }

    /// The same model with every weight and bias times `factor`: the same choices, sharper
    /// (`factor` > 1) or softer probabilities. Calibrates a model whose penalty was tuned for
    /// accuracy, which leaves its probabilities too flat to be taken as confidence.
    pub fn sharpened(&self, factor: f32) -> Self {
        Self {
            parameters: self.parameters.iter().map(|p| p * factor).collect(),
            ..self.clone()
        }
    }

    pub fn classes(&self) -> usize {
        self.classes
    }

    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// The weights and bias of one class.
    fn row(&self, class: usize) -> (&[f32], f32) {
        let at = class * self.dimension;
        (
            &self.parameters[at..at + self.dimension],
            self.parameters[self.classes * self.dimension + class],
        )
    }

    fn standardise(&self, x: &[f32]) -> Vec<f32> {
        x.iter()
            .zip(&self.mean)
            .zip(&self.inverse_std)
            .map(|((xi, m), s)| (xi - m) * s)
            .collect()
    }

    pub fn probabilities(&self, x: &[f32]) -> Vec<f32> {
        let x = self.standardise(x);
        let (weights, bias) = self.parameters.split_at(self.classes * self.dimension);
        let mut scores: Vec<f32> = weights
            .chunks_exact(self.dimension.max(1))
            .zip(bias)
            .map(|(w, b)| b + dot(w, &x))
            .collect();
        scores.resize(self.classes, 0.0);
        softmax_in_place(&mut scores);
        scores
    }
}

/// A model learnt elsewhere that some classes' rows are pulled towards (`fit_anchored`).
pub struct Anchor<'a> {
    pub model: &'a LogisticModel,
    /// For each class being fitted, the anchor's class it starts from, if any.
    pub rows: Vec<Option<usize>>,
    /// The precision of the pull, in the units of `l2`: about how many examples' worth of
    /// evidence it takes to move an anchored row as far as one example moves an unanchored one.
    pub strength: f32,
}

struct Problem<'a> {
    /// The standardised examples, one row each: `(n, dimension)`.
    features: Tensor,
    labels: &'a [usize],
    classes: usize,
    dimension: usize,
    /// Per parameter: where the penalty pulls it, and how hard.
    centre: Vec<f32>,
    strength: Vec<f32>,
}

impl Problem<'_> {
    /// Mean cross-entropy plus `sum(strength * (p - centre)^2) / (2 n)`: without an anchor,
    /// `l2 / (2 n) |W|^2`. Writes the gradient into `gradient`.
    /// The two products with the examples are matrix multiplications, which candle runs blocked and
    /// on every core: computed one dot product at a time they made training take tens of seconds.
    fn loss_and_gradient(&self, parameters: &[f32], gradient: &mut [f32]) -> Result<f64, AiError> {
        let n = self.labels.len();
        let weights_len = self.classes * self.dimension;
        let (weights, bias) = parameters.split_at(weights_len);
        let device = self.features.device();
        let weights_tensor = Tensor::from_slice(weights, (self.classes, self.dimension), device)?;
        let scores = self.features.matmul(&weights_tensor.t()?)?; // (n, classes)
        let mut residuals = scores.flatten_all()?.to_vec1::<f32>()?;
        let mut loss = 0.0f64;
        let (gradient_weights, gradient_bias) = gradient.split_at_mut(weights_len);
        gradient_bias.iter_mut().for_each(|g| *g = 0.0);
        for (row, &label) in residuals.chunks_exact_mut(self.classes.max(1)).zip(self.labels) {
            axpy(1.0, bias, row);
            softmax_in_place(row);
            loss -= f64::from(row[label].max(1e-30)).ln();
            row[label] -= 1.0;
            axpy(1.0, row, gradient_bias);
        }
        let residuals = Tensor::from_vec(residuals, (n, self.classes), device)?;
        let products = residuals.t()?.matmul(&self.features)?; // (classes, dimension)
        gradient_weights.copy_from_slice(&products.flatten_all()?.to_vec1::<f32>()?);
        for (((p, c), s), g) in parameters
            .iter()
            .zip(&self.centre)
            .zip(&self.strength)
            .zip(gradient.iter_mut())
        {
            let offset = p - c;
            loss += 0.5 * f64::from(*s) * f64::from(offset).powi(2);
            *g += s * offset;
        }
        let scale = 1.0 / n.max(1) as f32;
        gradient.iter_mut().for_each(|g| *g *= scale);
        Ok(loss / n.max(1) as f64)
    }
}

fn dot64(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum()
}

/// Limited-memory BFGS with a backtracking (Armijo) line search.
fn minimise<E>(
    x: &mut [f32],
    max_iterations: usize,
    mut objective: impl FnMut(&[f32], &mut [f32]) -> Result<f64, E>,
) -> Result<(), E> {
    let mut gradient = vec![0.0f32; x.len()];
    let mut value = objective(x, &mut gradient)?;
    // (s, y, 1 / s.y) of the last steps, oldest first.
    let mut history: VecDeque<(Vec<f32>, Vec<f32>, f64)> = VecDeque::with_capacity(HISTORY);
    let mut candidate = vec![0.0f32; x.len()];
    let mut candidate_gradient = vec![0.0f32; x.len()];
    for _ in 0..max_iterations {
        let largest = gradient.iter().fold(0.0f32, |m, g| m.max(g.abs()));
        if largest < 1e-5 {
            break;
        }
        // Two-loop recursion: direction = -H * gradient.
        let mut direction = gradient.clone();
        let mut alphas = Vec::with_capacity(history.len());
        for (s, y, rho) in history.iter().rev() {
            let alpha = rho * dot64(s, &direction);
            axpy(-(alpha as f32), y, &mut direction);
            alphas.push(alpha);
        }
        let gamma = history.back().map_or_else(
            || 1.0 / f64::from(largest).max(1.0),
            |(s, y, _)| dot64(s, y) / dot64(y, y).max(1e-30),
        );
        direction.iter_mut().for_each(|d| *d *= gamma as f32);
        for ((s, y, rho), alpha) in history.iter().zip(alphas.iter().rev()) {
            let beta = rho * dot64(y, &direction);
            axpy((alpha - beta) as f32, s, &mut direction);
        }
        direction.iter_mut().for_each(|d| *d = -*d);
        let mut slope = dot64(&gradient, &direction);
        if slope >= 0.0 {
            // Not a descent direction (curvature estimate went stale): restart from the gradient.
            history.clear();
            direction = gradient.iter().map(|g| -g).collect();
            slope = dot64(&gradient, &direction);
        }

        let mut step = 1.0f32;
        let mut accepted = false;
        for _ in 0..40 {
            for ((c, xi), d) in candidate.iter_mut().zip(x.iter()).zip(&direction) {
                *c = xi + step * d;
            }
            let candidate_value = objective(&candidate, &mut candidate_gradient)?;
            if candidate_value <= value + 1e-4 * f64::from(step) * slope {
                let s: Vec<f32> = candidate.iter().zip(x.iter()).map(|(c, xi)| c - xi).collect();
                let y: Vec<f32> = candidate_gradient.iter().zip(&gradient).map(|(cg, g)| cg - g).collect();
                let sy = dot64(&s, &y);
                if sy > 1e-12 {
                    if history.len() == HISTORY {
                        history.pop_front();
                    }
                    history.push_back((s, y, 1.0 / sy));
                }
                let improvement = value - candidate_value;
                x.copy_from_slice(&candidate);
                gradient.copy_from_slice(&candidate_gradient);
                value = candidate_value;
                accepted = improvement > 1e-10 * value.abs().max(1.0);
                break;
            }
            step *= 0.5;
        }
        if !accepted {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lbfgs_finds_the_minimum_of_a_quadratic() {
        let mut x = vec![5.0f32, -3.0];
        let solved = minimise(&mut x, 100, |p, g| {
            g[0] = 2.0 * (p[0] - 1.0);
            g[1] = 20.0 * (p[1] + 2.0);
            Ok::<_, ()>(f64::from((p[0] - 1.0).powi(2) + 10.0 * (p[1] + 2.0).powi(2)))
        });
        assert_eq!(solved, Ok(()));
        assert!((x[0] - 1.0).abs() < 1e-3 && (x[1] + 2.0).abs() < 1e-3, "{x:?}");
    }

    #[test]
    fn gradient_matches_finite_differences() {
        // Five examples of three dimensions in three classes, arbitrary but fixed.
        let rows: [[f32; 3]; 5] = [
            [0.5, -1.0, 0.25],
            [1.5, 0.5, -0.75],
            [-0.5, 2.0, 1.0],
            [0.0, -0.5, -1.5],
            [1.0, 1.0, 0.5],
        ];
        let labels = [0, 1, 2, 1, 0];
        let features = Tensor::from_iter(rows.iter().flatten().copied(), &Device::Cpu)
            .and_then(|t| t.reshape((5, 3)))
            .unwrap();
        let problem = Problem {
            features,
            labels: &labels,
            classes: 3,
            dimension: 3,
            // Weights pulled to fixed points, one bias too, the others free: every kind of term.
            centre: (0..12).map(|i| (i as f32 * 0.11).cos()).collect(),
            strength: (0..12).map(|i| if i < 10 { 0.7 } else { 0.0 }).collect(),
        };
        let parameters: Vec<f32> = (0..12).map(|i| (i as f32 * 0.37).sin()).collect();
        let mut gradient = vec![0.0f32; 12];
        problem.loss_and_gradient(&parameters, &mut gradient).unwrap();
        for i in 0..12 {
            let h = 1e-2f32;
            let mut shifted = parameters.clone();
            let mut scratch = vec![0.0f32; 12];
            shifted[i] += h;
            let above = problem.loss_and_gradient(&shifted, &mut scratch).unwrap();
            shifted[i] -= 2.0 * h;
            let below = problem.loss_and_gradient(&shifted, &mut scratch).unwrap();
            let numeric = (above - below) / f64::from(2.0 * h);
            assert!(
                (numeric - f64::from(gradient[i])).abs() < 1e-3,
                "parameter {i}: analytic {}, numeric {numeric}",
                gradient[i]
            );
        }
    }
}
