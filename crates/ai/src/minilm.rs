//! all-MiniLM-L6-v2 (a 6-layer BERT) run with candle on the CPU, pooled the way sentence-transformers
//! pools it: mean of the token vectors under the attention mask, then L2 normalisation.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{Tokenizer, TruncationParams};

use crate::vector::l2_normalize;
use crate::{AiError, Embedder, EmbedderKind};

/// The files `load` reads from the model folder (what `scripts/fetch-model` installs).
pub const MODEL_FILES: [&str; 3] = ["model.safetensors", "tokenizer.json", "config.json"];

/// sentence-transformers' `max_seq_length` for this model: longer texts are cut.
pub const MAX_TOKENS: usize = 256;

/// Texts per forward pass: big enough to use both cores, small enough that padding stays cheap.
const BATCH_SIZE: usize = 32;

pub struct MiniLmEmbedder {
    name: String,
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
    dimension: usize,
    pad_id: u32,
}

impl MiniLmEmbedder {
    /// Loads `config.json`, `tokenizer.json` and `model.safetensors` from `dir`.
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
        Self::from_parts(name, &config, weights, tokenizer)
    }

    /// Builds the embedder from already-loaded parts (the tests pass a tiny random BERT).
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
        })
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
        for chunk in order.chunks(BATCH_SIZE) {
            let batch: Vec<&[u32]> = chunk.iter().map(|&i| ids[i].as_slice()).collect();
            for (&i, vector) in chunk.iter().zip(self.forward_padded(&batch)?) {
                vectors[i] = vector;
            }
        }
        Ok(vectors)
    }
}
