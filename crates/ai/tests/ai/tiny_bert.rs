//! A tiny randomly initialised BERT (2 layers, hidden 32) with a hand-made WordPiece tokenizer, saved
//! to disk and loaded through the same code path as the real model.

use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::bert::{BertModel, Config};
use ferrodesk_ai::{Embedder, EmbedderKind, MiniLmEmbedder, load_embedder};

use crate::{norm, scratch_dir};

const VOCAB: [&str; 24] = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "my", "card", "payment", "was", "declined", "where", "is", "parcel",
    "the", "refund", "please", "help", "##s", "##ed", "pay", "delivery", "late", ".", "?",
];

fn tokenizer_json() -> String {
    let vocab: serde_json::Map<String, serde_json::Value> = VOCAB
        .iter()
        .enumerate()
        .map(|(i, token)| ((*token).to_owned(), serde_json::Value::from(i)))
        .collect();
    let added: Vec<serde_json::Value> = VOCAB[..5]
        .iter()
        .enumerate()
        .map(|(id, content)| {
            serde_json::json!({"id": id, "content": content, "single_word": false, "lstrip": false,
                "rstrip": false, "normalized": false, "special": true})
        })
        .collect();
    serde_json::json!({
        "version": "1.0",
        "truncation": null,
        // Deliberately set: the embedder must override it and pad per batch itself.
        "padding": {"strategy": {"Fixed": 40}, "direction": "Right", "pad_to_multiple_of": null,
            "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"},
        "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
            "strip_accents": null, "lowercase": true},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100, "vocab": vocab}
    })
    .to_string()
}

fn config_json() -> String {
    serde_json::json!({
        "architectures": ["BertModel"],
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": 32,
        "initializer_range": 0.02,
        "intermediate_size": 64,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 64,
        "model_type": "bert",
        "num_attention_heads": 2,
        "num_hidden_layers": 2,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "type_vocab_size": 2,
        "vocab_size": VOCAB.len()
    })
    .to_string()
}

/// Writes config, tokenizer and random weights into a folder shaped like `models/all-MiniLM-L6-v2`.
fn tiny_model_dir(name: &str) -> std::path::PathBuf {
    let dir = scratch_dir(name);
    std::fs::write(dir.join("config.json"), config_json()).unwrap();
    std::fs::write(dir.join("tokenizer.json"), tokenizer_json()).unwrap();
    let config: Config = serde_json::from_str(&config_json()).unwrap();
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    BertModel::load(vb, &config).unwrap();
    varmap.save(dir.join("model.safetensors")).unwrap();
    dir
}

fn tiny_embedder(name: &str) -> MiniLmEmbedder {
    MiniLmEmbedder::load(&tiny_model_dir(name)).unwrap()
}

#[test]
fn tiny_bert_gives_one_unit_vector_of_the_hidden_size_per_text() {
    let embedder = tiny_embedder("shape");
    assert_eq!(embedder.dimension(), 32);
    assert_eq!(embedder.kind(), EmbedderKind::Model);
    let texts = [
        "my card payment was declined",
        "where is the parcel?",
        "",
        "zzz unknown words",
    ];
    let vectors = embedder.embed_batch(&texts).unwrap();
    assert_eq!(vectors.len(), texts.len());
    for v in &vectors {
        assert_eq!(v.len(), 32);
        assert!((norm(v) - 1.0).abs() < 1e-5, "norm {}", norm(v));
        assert!(v.iter().all(|x| x.is_finite()));
    }
    assert_ne!(vectors[0], vectors[1]);
    assert!(embedder.embed_batch(&[]).unwrap().is_empty());
}

#[test]
fn tiny_bert_vector_does_not_depend_on_padding_or_batch_company() {
    let embedder = tiny_embedder("padding");
    let short = "card payment declined";
    let long = "where is my parcel please help the delivery was late and my refund was declined too";
    let alone = embedder.embed(short).unwrap();
    let batched = embedder.embed_batch(&[long, short, long]).unwrap();
    for (a, b) in alone.iter().zip(&batched[1]) {
        assert!((a - b).abs() < 1e-5, "alone {alone:?}\nbatched {:?}", batched[1]);
    }
    // Order in the batch does not matter either.
    let reversed = embedder.embed_batch(&[short, long]).unwrap();
    for (a, b) in batched[0].iter().zip(&reversed[1]) {
        assert!((a - b).abs() < 1e-5);
    }
}

#[test]
fn tiny_bert_truncates_very_long_texts_instead_of_failing() {
    let embedder = tiny_embedder("truncate");
    // 64 positions in this config: far longer texts must still embed.
    let long = "card payment ".repeat(200);
    let v = embedder.embed(&long).unwrap();
    assert!((norm(&v) - 1.0).abs() < 1e-5);
}

#[test]
fn missing_model_files_fall_back_to_tfidf_with_a_reason() {
    let dir = scratch_dir("missing");
    let loaded = load_embedder(&dir);
    assert_eq!(loaded.embedder.kind(), EmbedderKind::Fallback);
    let reason = loaded.fallback_reason.unwrap();
    assert!(reason.contains("model.safetensors"), "{reason}");

    let loaded = load_embedder(&tiny_model_dir("present"));
    assert_eq!(loaded.embedder.kind(), EmbedderKind::Model);
    assert!(loaded.fallback_reason.is_none());
}

#[test]
fn corrupt_weights_are_an_error_not_a_panic() {
    let dir = tiny_model_dir("corrupt");
    std::fs::write(dir.join("model.safetensors"), b"not safetensors").unwrap();
    assert!(MiniLmEmbedder::load(&dir).is_err());
    assert_eq!(load_embedder(&dir).embedder.kind(), EmbedderKind::Fallback);
}
