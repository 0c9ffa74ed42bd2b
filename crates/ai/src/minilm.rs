//! all-MiniLM-L6-v2 (a 6-layer BERT) run with candle on the CPU, pooled the way sentence-transformers
//! pools it: mean of the token vectors under the attention mask, then L2 normalisation. Other BERT
//! sentence models load too when their folder says how they pool (bge-small-en-v1.5: the first token).

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use serde::Deserialize;
use tokenizers::{Tokenizer, TruncationParams};

use crate::vector::l2_normalize;
use crate::{AiError, Embedder, EmbedderKind};

/// The files `load` reads from the model folder (what `scripts/fetch-model` installs).
pub const MODEL_FILES: [&str; 3] = ["model.safetensors", "tokenizer.json", "config.json"];

/// sentence-transformers' `max_seq_length` for this model: longer texts are cut.
pub const MAX_TOKENS: usize = 256;

/// Texts per forward pass: big enough to use both cores, small enough that padding stays cheap.
const BATCH_SIZE: usize = 32;

/// At most this many (texts x tokens x tokens) in one forward pass. A pass's attention matrices
/// are that times the heads, in `f32`, several at once: 32 long emails (256 tokens each) in one
/// pass took the process from 190 MB to 1.2 GB with two embedder threads. Passes of 32 texts up to
/// 90 tokens (most tickets) are unchanged; 256-token texts go 4 at a time.
const ATTENTION_BUDGET: usize = 4 * MAX_TOKENS * MAX_TOKENS;

/// sentence-transformers' own pooling file, kept at this path in every model folder it publishes.
pub const POOLING_FILE: &str = "1_Pooling/config.json";

/// How the token vectors of one text become its sentence vector (before L2 normalisation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pooling {
    /// Mean of the token vectors under the attention mask (all-MiniLM-L6-v2).
    Mean,
    /// The first token's vector, `[CLS]` (the BGE models).
    Cls,
}

/// The fields of `1_Pooling/config.json` that choose the mode; the others (dimension...) are not needed.
#[derive(Deserialize)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
    #[serde(default)]
    pooling_mode_mean_sqrt_len_tokens: bool,
}

impl Pooling {
    /// Reads the pooling from the model folder's `1_Pooling/config.json`, the file sentence-transformers
    /// itself reads, rather than guessing from the folder's name. Without that file it is `Mean`: the
    /// folder `scripts/fetch-model` installs holds only three files, and mean is how all-MiniLM-L6-v2 pools.
    pub fn from_model_dir(dir: &Path) -> Result<Self, AiError> {
        let path = dir.join(POOLING_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => Self::from_config(&bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::Mean),
            Err(e) => Err(AiError::io(path, e)),
        }
    }

    /// Parses a `1_Pooling/config.json`. Any mode but exactly one of CLS or mean is refused: embedding
    /// with the wrong pooling gives vectors that look fine and rank badly.
    pub fn from_config(json: &[u8]) -> Result<Self, AiError> {
        let config: PoolingConfig =
            serde_json::from_slice(json).map_err(|e| AiError::ModelFormat(format!("{POOLING_FILE}: {e}")))?;
        match (
            config.pooling_mode_cls_token,
            config.pooling_mode_mean_tokens,
            config.pooling_mode_max_tokens || config.pooling_mode_mean_sqrt_len_tokens,
        ) {
            (true, false, false) => Ok(Self::Cls),
            (false, true, false) => Ok(Self::Mean),
            _ => Err(AiError::ModelFormat(format!(
                "{POOLING_FILE}: only CLS or mean pooling, alone, is supported"
            ))),
        }
    }
}

pub struct MiniLmEmbedder {
    name: String,
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
    dimension: usize,
    pad_id: u32,
    pooling: Pooling,
}

impl MiniLmEmbedder {
    /// Loads `config.json`, `tokenizer.json` and `model.safetensors` from `dir`, and the pooling from
    /// its `1_Pooling/config.json` when there is one (see [`Pooling::from_model_dir`]).
    pub fn load(dir: &Path) -> Result<Self, AiError> {
        for file in MODEL_FILES {
            let path = dir.join(file);
            if !path.is_file() {
                return Err(AiError::io(
                    path,
                    std::io::Error::new(std::io::ErrorKind::NotFound, "model file missing"),
                ));
            }
        }
        let read = |file: &str| {
            let path = dir.join(file);
            std::fs::read(&path).map_err(|e| AiError::io(path, e))
        };
        let pooling = Pooling::from_model_dir(dir)?;
        let config: Config = serde_json::from_slice(&read("config.json")?)
            .map_err(|e| AiError::ModelFormat(format!("config.json: {e}")))?;
        let tokenizer = Tokenizer::from_bytes(read("tokenizer.json")?)
            .map_err(|e| AiError::ModelFormat(format!("tokenizer.json: {e}")))?;
        let device = Device::Cpu;
        // Read into memory rather than mmap: mapping a file needs `unsafe`, which the workspace forbids.
        let weights = VarBuilder::from_buffered_safetensors(read("model.safetensors")?, DType::F32, &device)?;
        let name = dir
            .file_name()
            .map_or_else(|| "minilm".to_owned(), |n| n.to_string_lossy().into_owned());
        Ok(Self::from_parts(name, &config, weights, tokenizer)?.with_pooling(pooling))
    }

    /// Builds the embedder from already-loaded parts (the tests pass a tiny random BERT), pooling by mean.
    pub fn from_parts(
        name: String,
        config: &Config,
        weights: VarBuilder,
        mut tokenizer: Tokenizer,
    ) -> Result<Self, AiError> {
        let device = weights.device().clone();
        let model =
            BertModel::load(weights, config).map_err(|e| AiError::ModelFormat(format!("model.safetensors: {e}")))?;
        // We pad ourselves (per batch, to its longest text); any padding set in tokenizer.json would
        // pad every text to a fixed length and waste compute.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS.min(config.max_position_embeddings),
                ..TruncationParams::default()
            }))
            .map_err(|e| AiError::Tokenizer(e.to_string()))?;
        let pad_id =
            u32::try_from(config.pad_token_id).map_err(|_| AiError::ModelFormat("pad_token_id out of range".into()))?;
        Ok(Self {
            name,
            model,
            tokenizer,
            device,
            dimension: config.hidden_size,
            pad_id,
            pooling: Pooling::Mean,
        })
    }

    #[must_use]
    pub fn with_pooling(mut self, pooling: Pooling) -> Self {
        self.pooling = pooling;
        self
    }

    fn token_ids(&self, text: &str) -> Result<Vec<u32>, AiError> {
        let encoding = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| AiError::Tokenizer(e.to_string()))?;
        Ok(encoding.get_ids().to_vec())
    }

    /// One forward pass over texts padded to the longest; returns one pooled, normalised vector each.
    fn forward_padded(&self, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>, AiError> {
        let longest = batch.iter().map(|ids| ids.len()).max().unwrap_or(0);
        if longest == 0 {
            return Ok(Vec::new());
        }
        let mut input = Vec::with_capacity(batch.len() * longest);
        let mut mask = Vec::with_capacity(batch.len() * longest);
        for ids in batch {
            let padding = longest - ids.len();
            input.extend_from_slice(ids);
            input.extend(std::iter::repeat_n(self.pad_id, padding));
            mask.extend(std::iter::repeat_n(1u32, ids.len()));
            mask.extend(std::iter::repeat_n(0u32, padding));
        }
        let shape = (batch.len(), longest);
        let input = Tensor::from_vec(input, shape, &self.device)?;
        let mask = Tensor::from_vec(mask, shape, &self.device)?;
        let token_types = input.zeros_like()?;
        let hidden = self.model.forward(&input, &token_types, Some(&mask))?; // (batch, tokens, hidden)
        if self.pooling == Pooling::Cls {
            // Every text starts with [CLS] and padding only follows, so token 0 is never padding.
            let first = hidden.narrow(1, 0, 1)?.squeeze(1)?; // (batch, hidden)
            return Ok(first.to_vec2::<f32>()?.into_iter().map(l2_normalize).collect());
        }
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?; // (batch, tokens, 1)
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?; // (batch, hidden)
        let counts = mask.sum(1)?; // (batch, 1)
        let mean = summed.broadcast_div(&counts)?;
        Ok(mean.to_vec2::<f32>()?.into_iter().map(l2_normalize).collect())
    }
}

impl Embedder for MiniLmEmbedder {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> EmbedderKind {
        EmbedderKind::Model
    }

    fn dimension(&self) -> usize {
        self.dimension
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, AiError> {
        let ids = texts
            .iter()
            .map(|text| self.token_ids(text))
            .collect::<Result<Vec<_>, _>>()?;
        // Batch texts of similar length together so little compute goes into padding.
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| ids[i].len());
        let mut vectors = vec![Vec::new(); ids.len()];
        for chunk in passes(&order, |i| ids[i].len()) {
            let batch: Vec<&[u32]> = chunk.iter().map(|&i| ids[i].as_slice()).collect();
            for (&i, vector) in chunk.iter().zip(self.forward_padded(&batch)?) {
                vectors[i] = vector;
            }
        }
        Ok(vectors)
    }
}

/// `order` (texts sorted by their length in tokens, shortest first) cut into forward passes: at
/// most `BATCH_SIZE` texts, and at most `ATTENTION_BUDGET` for the pass's texts times its longest
/// squared (a text longer than the budget allows still gets a pass of its own).
fn passes(order: &[usize], tokens: impl Fn(usize) -> usize) -> Vec<&[usize]> {
    let mut passes = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && end - start < BATCH_SIZE {
            // Sorted: the next text is the pass's longest if it joins.
            let longest = tokens(order[end]);
            if (end - start + 1) * longest * longest > ATTENTION_BUDGET {
                break;
            }
            end += 1;
        }
        passes.push(&order[start..end]);
        start = end;
    }
    passes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_keep_short_texts_together_and_long_ones_few_at_a_time() {
        // 40 short texts, then 10 at the model's limit.
        let lengths: Vec<usize> = (0..40).map(|_| 60).chain((0..10).map(|_| MAX_TOKENS)).collect();
        let order: Vec<usize> = (0..lengths.len()).collect();
        let sizes: Vec<usize> = passes(&order, |i| lengths[i]).iter().map(|pass| pass.len()).collect();
        assert_eq!(sizes, [32, 8, 4, 4, 2]);
        // Every text once, in order.
        let flat: Vec<usize> = passes(&order, |i| lengths[i]).concat();
        assert_eq!(flat, order);
        // Nothing fits the budget: still one text per pass.
        assert_eq!(passes(&[0, 1], |_| 10 * MAX_TOKENS).len(), 2);
        assert!(passes(&[], |_| 1).is_empty());
    }

    #[test]
    fn pooling_follows_the_sentence_transformers_file() {
        // As bge-small-en-v1.5 and all-MiniLM-L6-v2 ship it.
        let bge = br#"{"word_embedding_dimension": 384, "pooling_mode_cls_token": true,
            "pooling_mode_mean_tokens": false, "pooling_mode_max_tokens": false,
            "pooling_mode_mean_sqrt_len_tokens": false}"#;
        let minilm = br#"{"word_embedding_dimension": 384, "pooling_mode_cls_token": false,
            "pooling_mode_mean_tokens": true, "pooling_mode_max_tokens": false,
            "pooling_mode_mean_sqrt_len_tokens": false}"#;
        assert_eq!(Pooling::from_config(bge).unwrap(), Pooling::Cls);
        assert_eq!(Pooling::from_config(minilm).unwrap(), Pooling::Mean);
    }

    #[test]
    fn pooling_modes_it_cannot_honour_are_refused() {
        for json in [
            &br#"{"pooling_mode_max_tokens": true}"#[..],
            br#"{"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": true}"#,
            br#"{}"#,
            b"not json",
        ] {
            assert!(matches!(Pooling::from_config(json), Err(AiError::ModelFormat(_))));
        }
    }

    #[test]
    fn a_folder_without_the_pooling_file_pools_by_mean() {
        let dir = std::env::temp_dir().join(format!("ferrodesk-pooling-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("1_Pooling")).unwrap();
        assert_eq!(Pooling::from_model_dir(&dir).unwrap(), Pooling::Mean);
        std::fs::write(dir.join(POOLING_FILE), br#"{"pooling_mode_cls_token": true}"#).unwrap();
        assert_eq!(Pooling::from_model_dir(&dir).unwrap(), Pooling::Cls);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
