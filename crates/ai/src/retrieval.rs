//! Nearest neighbours by cosine: which solved tickets are most like this one.

use crate::EmbedderKind;
use crate::vector::dot;

/// How many similar solved tickets a reply draft draws on.
pub const SOURCES: usize = 3;

/// An earlier reply is offered only for a ticket at least this similar (cosine). The TF-IDF
/// fallback's scores run lower than the model's for the same closeness.
pub fn min_similarity(kind: EmbedderKind) -> f32 {
    match kind {
        EmbedderKind::Model => 0.45,
        EmbedderKind::Fallback => 0.2,
    }
}

/// How many recently solved tickets a suggestion compares with: about 7.5 MB of model vectors
/// (384 floats). The fallback's vectors are ten times larger (4,096 floats), so it reads fewer.
pub fn candidate_limit(kind: EmbedderKind) -> usize {
    match kind {
        EmbedderKind::Model => 5_000,
        EmbedderKind::Fallback => 500,
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Neighbour {
    /// Position in the candidates given.
    pub index: usize,
    /// Cosine similarity (the vectors are unit length).
    pub similarity: f32,
}

/// The `k` candidates most similar to `query` with a similarity of at least `min_similarity`, best
/// first; ties keep the earlier candidate first. Candidates of another dimension are skipped (a
/// vector stored by another embedder is not comparable).
pub fn nearest<'a>(
    query: &[f32],
    candidates: impl IntoIterator<Item = &'a [f32]>,
    k: usize,
    min_similarity: f32,
) -> Vec<Neighbour> {
    let mut best: Vec<Neighbour> = Vec::with_capacity(k + 1);
    if k == 0 {
        return best;
    }
    for (index, candidate) in candidates.into_iter().enumerate() {
        if candidate.len() != query.len() {
            continue;
        }
        let similarity = dot(query, candidate);
        if similarity < min_similarity || similarity.is_nan() {
            continue;
        }
        if best.len() == k && best.last().is_some_and(|worst| worst.similarity >= similarity) {
            continue;
        }
        let at = best.partition_point(|kept| kept.similarity >= similarity);
        best.insert(at, Neighbour { index, similarity });
        best.truncate(k);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_first_thresholded_and_dimension_checked() {
        let query = [1.0, 0.0];
        let candidates: Vec<Vec<f32>> = vec![
            vec![0.0, 1.0],
            vec![0.8, 0.6],
            vec![1.0, 0.0],
            vec![1.0, 0.0, 0.0],
            vec![0.6, 0.8],
            vec![1.0, 0.0],
        ];
        let found = nearest(&query, candidates.iter().map(Vec::as_slice), 3, 0.5);
        let indices: Vec<usize> = found.iter().map(|n| n.index).collect();
        assert_eq!(indices, vec![2, 5, 1]);
        assert!((found[2].similarity - 0.8).abs() < 1e-6);
        assert!(nearest(&query, candidates.iter().map(Vec::as_slice), 0, 0.0).is_empty());
        let loose = nearest(&query, candidates.iter().map(Vec::as_slice), 10, 0.0);
        assert_eq!(loose.len(), 5, "all but the other dimension: {loose:?}");
    }
}
