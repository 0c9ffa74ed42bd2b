//! The fallback embedder: hashed TF-IDF over word unigrams and bigrams. Deterministic, dependency-free
//! and instant; it matches words, not meaning, so the app says when it is in use.

use serde::{Deserialize, Serialize};

use crate::vector::l2_normalize;
use crate::{AiError, Embedder, EmbedderKind};

pub const DEFAULT_DIMENSION: usize = 4096;

/// A term hashed into one of `dimension` buckets, with an idf per bucket (1 everywhere until `fit`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TfIdfEmbedder {
    dimension: usize,
    idf: Option<Vec<f32>>,
}

impl Default for TfIdfEmbedder {
    fn default() -> Self {
        Self::new(DEFAULT_DIMENSION)
    }
}

impl TfIdfEmbedder {
    /// An unfitted embedder: every term weighs its (sublinear) frequency alone.
    pub fn new(dimension: usize) -> Self {
        Self {
            dimension: dimension.max(1),
            idf: None,
        }
    }

    /// Learns smoothed idf weights, `ln((1 + n) / (1 + df)) + 1`, from `texts`.
    pub fn fit(dimension: usize, texts: &[&str]) -> Self {
        let mut embedder = Self::new(dimension);
        let mut document_frequency = vec![0u32; embedder.dimension];
        for text in texts {
            let mut buckets: Vec<usize> = embedder.term_counts(text).into_iter().map(|(b, _)| b).collect();
            buckets.dedup();
            for bucket in buckets {
                document_frequency[bucket] += 1;
            }
        }
        let n = texts.len() as f32;
        embedder.idf = Some(
            document_frequency
                .iter()
                .map(|&df| ((1.0 + n) / (1.0 + df as f32)).ln() + 1.0)
                .collect(),
        );
        embedder
    }

    /// Bucket counts of the text's terms, sorted by bucket.
    fn term_counts(&self, text: &str) -> Vec<(usize, u32)> {
        let lowered = text.to_lowercase();
        let words: Vec<&str> = lowered
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let mut buckets: Vec<usize> = Vec::with_capacity(words.len() * 2);
        for (i, word) in words.iter().enumerate() {
            buckets.push(self.bucket(&[word.as_bytes()]));
            if let Some(next) = words.get(i + 1) {
                buckets.push(self.bucket(&[word.as_bytes(), b" ", next.as_bytes()]));
            }
        }
        if buckets.is_empty() {
            // A text without words still gets a unit vector: all of its weight on one marker bucket.
            buckets.push(self.bucket(&[b"\x00empty"]));
        }
        buckets.sort_unstable();
        let mut counts: Vec<(usize, u32)> = Vec::new();
        for bucket in buckets {
            match counts.last_mut() {
                Some((last, count)) if *last == bucket => *count += 1,
                _ => counts.push((bucket, 1)),
            }
        }
        counts
    }

    /// FNV-1a: stable across platforms and releases, unlike `std`'s hasher.
    fn bucket(&self, parts: &[&[u8]]) -> usize {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in parts.iter().flat_map(|p| p.iter()) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        (hash % self.dimension as u64) as usize
    }

    fn vector(&self, text: &str) -> Vec<f32> {
        let mut vector = vec![0.0; self.dimension];
        for (bucket, count) in self.term_counts(text) {
            let idf = self.idf.as_ref().map_or(1.0, |idf| idf[bucket]);
            vector[bucket] = (1.0 + (count as f32).ln()) * idf;
        }
        l2_normalize(vector)
    }
}

impl Embedder for TfIdfEmbedder {
    fn name(&self) -> &str {
        "tf-idf"
    }

    fn kind(&self) -> EmbedderKind {
        EmbedderKind::Fallback
    }

    fn dimension(&self) -> usize {
        self.dimension
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, AiError> {
        Ok(texts.iter().map(|text| self.vector(text)).collect())
    }
}
