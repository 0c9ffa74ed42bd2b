//! Small dense-vector helpers shared by the embedders and the classifier.

/// Dot product with eight independent accumulators, so the compiler can use SIMD lanes
/// (a plain `zip().sum()` is kept sequential by floating-point ordering rules).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let chunks_a = a.chunks_exact(8);
    let chunks_b = b.chunks_exact(8);
    let tail: f32 = chunks_a
        .remainder()
        .iter()
        .zip(chunks_b.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (ca, cb) in chunks_a.zip(chunks_b) {
        for i in 0..8 {
            lanes[i] += ca[i] * cb[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// `y += alpha * x`.
pub fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

pub fn norm(v: &[f32]) -> f32 {
    dot(v, v).sqrt()
}

/// Scales `v` to unit length; a zero vector stays zero.
pub fn l2_normalize(mut v: Vec<f32>) -> Vec<f32> {
    let n = norm(&v);
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
    v
}

/// Softmax of `scores` in place (numerically stable).
pub fn softmax_in_place(scores: &mut [f32]) {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for s in scores.iter_mut() {
        *s = (*s - max).exp();
        sum += *s;
    }
    if sum > 0.0 {
        scores.iter_mut().for_each(|s| *s /= sum);
    }
}

/// A vector as stored (the app's `ticket_embeddings.vector`, caches): little-endian f32s.
pub fn to_le_bytes(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|value| value.to_le_bytes()).collect()
}

/// The inverse of [`to_le_bytes`]; a trailing partial value is ignored.
pub fn from_le_bytes(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|chunk| f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_matches_naive_for_odd_lengths() {
        let a: Vec<f32> = (0..19).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..19).map(|i| 1.0 - i as f32 * 0.1).collect();
        let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-4);
    }

    #[test]
    fn bytes_round_trip() {
        let vector = vec![0.5, -1.25, f32::MAX, 0.0];
        let bytes = to_le_bytes(&vector);
        assert_eq!(bytes.len(), 16);
        assert_eq!(from_le_bytes(&bytes), vector);
    }

    #[test]
    fn normalize_gives_unit_length_and_keeps_zero() {
        assert!((norm(&l2_normalize(vec![3.0, 4.0])) - 1.0).abs() < 1e-6);
        assert_eq!(l2_normalize(vec![0.0, 0.0]), vec![0.0, 0.0]);
    }
}
