use ferrodesk_ai::{Embedder, EmbedderKind, TfIdfEmbedder};

use crate::{cosine, norm};

#[test]
fn tfidf_is_deterministic_and_unit_length() {
    let texts = ["My card payment was declined", "Where is my parcel?", "", "!!!"];
    let a = TfIdfEmbedder::default().embed_batch(&texts).unwrap();
    let b = TfIdfEmbedder::default().embed_batch(&texts).unwrap();
    assert_eq!(a, b);
    for v in &a {
        assert_eq!(v.len(), 4096);
        assert!((norm(v) - 1.0).abs() < 1e-5);
    }
    assert_eq!(TfIdfEmbedder::default().kind(), EmbedderKind::Fallback);
}

#[test]
fn fitted_tfidf_is_deterministic_serialisable_and_favours_shared_rare_words() {
    let corpus = [
        "my card payment was declined",
        "card payment failed at the shop",
        "where is my parcel",
        "the parcel has not arrived",
        "my refund is missing",
    ];
    let fitted = TfIdfEmbedder::fit(1024, &corpus);
    assert_eq!(fitted, TfIdfEmbedder::fit(1024, &corpus));
    let restored: TfIdfEmbedder = serde_json::from_str(&serde_json::to_string(&fitted).unwrap()).unwrap();
    assert_eq!(restored, fitted);

    let v = fitted
        .embed_batch(&["declined card payment", "card payment failed", "parcel arrived"])
        .unwrap();
    assert!(cosine(&v[0], &v[1]) > cosine(&v[0], &v[2]));
    // Case and punctuation do not matter.
    assert_eq!(
        fitted.embed("Card, PAYMENT!").unwrap(),
        fitted.embed("card payment").unwrap()
    );
}
