//! The classifier on synthetic, separable data: four clusters in 16 dimensions.

use ferrodesk_ai::classifier::LogisticModel;
use ferrodesk_ai::{AiError, CategorySeed, Classifier, ClassifierConfig, LabelledExample, Method, Prior, Verdict};

const DIMENSION: usize = 16;
const NAMES: [&str; 4] = ["billing", "technical", "shipping", "account"];

struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f32 + 0.5) / (1u64 << 24) as f32
    }

    fn gaussian(&mut self) -> f32 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f32::consts::PI * v).cos()
    }
}

fn unit(v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / n).collect()
}

/// Class `k`'s centre is the k-th axis; samples are the centre plus noise, normalised like embeddings.
fn centre(k: usize) -> Vec<f32> {
    (0..DIMENSION).map(|i| if i == k { 1.0 } else { 0.0 }).collect()
}

fn sample(rng: &mut Rng, k: usize, noise: f32) -> Vec<f32> {
    unit(centre(k).into_iter().map(|x| x + noise * rng.gaussian()).collect())
}

fn seeds() -> Vec<CategorySeed> {
    // Descriptions point roughly, not exactly, at their cluster.
    let mut rng = Rng(11);
    NAMES
        .iter()
        .enumerate()
        .map(|(k, name)| CategorySeed {
            name: (*name).to_owned(),
            description_embedding: sample(&mut rng, k, 0.05),
        })
        .collect()
}

fn examples(per_class: usize, seed: u64) -> Vec<LabelledExample> {
    let mut rng = Rng(seed);
    (0..per_class)
        .flat_map(|_| 0..NAMES.len())
        .map(|k| LabelledExample {
            embedding: sample(&mut rng, k, 0.25),
            category: NAMES[k].to_owned(),
        })
        .collect()
}

fn accuracy(classifier: &Classifier, test: &[LabelledExample]) -> f32 {
    let right = test
        .iter()
        .filter(|e| classifier.predict(&e.embedding).unwrap().best().0 == e.category)
        .count();
    right as f32 / test.len() as f32
}

#[test]
fn classifier_moves_from_zero_shot_to_centroid_to_logistic_as_labels_come_in() {
    let test = examples(50, 99);
    let config = ClassifierConfig::default();
    for (per_class, method) in [(0, Method::ZeroShot), (2, Method::Centroid), (20, Method::Logistic)] {
        let classifier = Classifier::train(config.clone(), &seeds(), &examples(per_class, 1)).unwrap();
        assert_eq!(classifier.method(), method);
        let accuracy = accuracy(&classifier, &test);
        assert!(accuracy > 0.95, "{method:?}: accuracy {accuracy}");
    }
    // By default three labels per category are enough for the logistic regression.
    let classifier = Classifier::train(config, &seeds(), &examples(3, 1)).unwrap();
    assert_eq!(classifier.method(), Method::Logistic);
}

#[test]
fn logistic_regression_learns_from_the_category_descriptions() {
    // Every label sits on the same point, so the labels alone cannot tell the categories apart:
    // only the descriptions, counted as examples, can.
    let uninformative = unit(vec![1.0; DIMENSION]);
    let labelled: Vec<LabelledExample> = (0..5)
        .flat_map(|_| NAMES)
        .map(|name| LabelledExample {
            embedding: uninformative.clone(),
            category: name.to_owned(),
        })
        .collect();
    let classifier = Classifier::train(ClassifierConfig::default(), &seeds(), &labelled).unwrap();
    assert_eq!(classifier.method(), Method::Logistic);
    for (k, name) in NAMES.iter().enumerate() {
        assert_eq!(classifier.predict(&centre(k)).unwrap().best().0, *name);
    }
}

#[test]
fn classifier_stays_on_centroids_until_every_category_has_enough_labels() {
    let mut labelled = examples(20, 3);
    labelled.retain(|e| e.category != "account");
    let classifier = Classifier::train(ClassifierConfig::default(), &seeds(), &labelled).unwrap();
    assert_eq!(classifier.method(), Method::Centroid);
    // The unlabelled category is still reachable through its description.
    let mut rng = Rng(5);
    let verdict = classifier.predict(&sample(&mut rng, 3, 0.1)).unwrap();
    assert_eq!(verdict.best().0, "account");
}

#[test]
fn classifier_abstains_between_two_categories_and_commits_on_a_clear_case() {
    let config = ClassifierConfig {
        min_confidence: 0.8,
        ..ClassifierConfig::default()
    };
    for per_class in [0, 3, 30] {
        let classifier = Classifier::train(config.clone(), &seeds(), &examples(per_class, 2)).unwrap();
        let ambiguous = unit(centre(0).iter().zip(centre(1)).map(|(a, b)| a + b).collect());
        let verdict = classifier.predict(&ambiguous).unwrap();
        assert!(matches!(verdict, Verdict::Abstain { .. }), "{per_class}: {verdict:?}");
        assert!(verdict.assigned().is_none());
        let clear = classifier.predict(&centre(2)).unwrap();
        assert_eq!(clear.assigned(), Some("shipping"), "{per_class}: {clear:?}");
        let (_, confidence) = clear.best();
        assert!((0.8..=1.0).contains(&confidence));
    }
}

#[test]
fn classifier_state_round_trips_through_serde() {
    for per_class in [0, 3, 20] {
        let classifier = Classifier::train(ClassifierConfig::default(), &seeds(), &examples(per_class, 4)).unwrap();
        let json = serde_json::to_string(&classifier).unwrap();
        let restored: Classifier = serde_json::from_str(&json).unwrap();
        assert_eq!(restored, classifier);
        let probe = sample(&mut Rng(8), 1, 0.3);
        assert_eq!(restored.predict(&probe).unwrap(), classifier.predict(&probe).unwrap());
    }
}

#[test]
fn classifier_training_is_deterministic() {
    let a = Classifier::train(ClassifierConfig::default(), &seeds(), &examples(20, 6)).unwrap();
    let b = Classifier::train(ClassifierConfig::default(), &seeds(), &examples(20, 6)).unwrap();
    assert_eq!(a, b);
}

#[test]
fn classifier_probabilities_sum_to_one() {
    let classifier = Classifier::train(ClassifierConfig::default(), &seeds(), &examples(20, 7)).unwrap();
    let p = classifier.probabilities(&sample(&mut Rng(1), 0, 0.5)).unwrap();
    assert_eq!(p.len(), NAMES.len());
    assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4);
}

#[test]
fn classifier_rejects_bad_input_with_errors() {
    let config = ClassifierConfig::default();
    let invalid = |r: Result<Classifier, AiError>| matches!(r, Err(AiError::InvalidInput(_)));
    assert!(invalid(Classifier::train(config.clone(), &[], &[])));
    let unknown = vec![LabelledExample {
        embedding: centre(0),
        category: "legal".into(),
    }];
    assert!(invalid(Classifier::train(config.clone(), &seeds(), &unknown)));
    let short = vec![LabelledExample {
        embedding: vec![1.0; 3],
        category: "billing".into(),
    }];
    assert!(invalid(Classifier::train(config.clone(), &seeds(), &short)));
    let mut twice = seeds();
    twice.push(twice[0].clone());
    assert!(invalid(Classifier::train(config.clone(), &twice, &[])));
    let classifier = Classifier::train(config, &seeds(), &[]).unwrap();
    assert!(matches!(classifier.predict(&[1.0; 3]), Err(AiError::InvalidInput(_))));
}

/// A prior learnt elsewhere on the same four clusters (as the shipped one is learnt on public data).
fn prior() -> Prior {
    let public = examples(40, 21);
    let features: Vec<&[f32]> = public.iter().map(|e| e.embedding.as_slice()).collect();
    let labels: Vec<usize> = public
        .iter()
        .map(|e| NAMES.iter().position(|n| *n == e.category).unwrap())
        .collect();
    Prior {
        id: "test-prior".into(),
        categories: NAMES.map(str::to_owned).to_vec(),
        probe_text: "probe".into(),
        probe_vector: centre(0),
        strength: 30.0,
        sources: "synthetic".into(),
        model: LogisticModel::fit(&features, &labels, NAMES.len(), 10.0, 300).unwrap(),
    }
}

/// Descriptions that point at the wrong clusters (each at the next one's): only a prior can be right.
fn misleading_seeds() -> Vec<CategorySeed> {
    NAMES
        .iter()
        .enumerate()
        .map(|(k, name)| CategorySeed {
            name: (*name).to_owned(),
            description_embedding: centre((k + 1) % NAMES.len()),
        })
        .collect()
}

#[test]
fn with_a_prior_a_new_workspace_is_right_before_any_label() {
    let test = examples(50, 99);
    let without = Classifier::train_with_prior(ClassifierConfig::default(), &misleading_seeds(), &[], None).unwrap();
    assert_eq!(without.method(), Method::ZeroShot);
    assert!(accuracy(&without, &test) < 0.1, "the descriptions alone mislead");
    let prior = prior();
    let with =
        Classifier::train_with_prior(ClassifierConfig::default(), &misleading_seeds(), &[], Some(&prior)).unwrap();
    assert_eq!(with.method(), Method::Prior);
    assert_eq!(with.prior(), Some("test-prior"));
    let accuracy = accuracy(&with, &test);
    assert!(accuracy > 0.95, "accuracy {accuracy}");
    // Labels make it an ordinary trained classifier, still built on the prior.
    let labelled = Classifier::train_with_prior(
        ClassifierConfig::default(),
        &misleading_seeds(),
        &examples(2, 1),
        Some(&prior),
    )
    .unwrap();
    assert_eq!(labelled.method(), Method::Logistic);
    let json = serde_json::to_string(&labelled).unwrap();
    assert_eq!(serde_json::from_str::<Classifier>(&json).unwrap(), labelled);
}

#[test]
fn a_workspaces_labels_take_over_from_the_prior_gradually() {
    // In this workspace "billing" and "technical" mean each other's clusters.
    let swap = |mut examples: Vec<LabelledExample>| {
        for example in &mut examples {
            example.category = match example.category.as_str() {
                "billing" => "technical".into(),
                "technical" => "billing".into(),
                other => other.into(),
            };
        }
        examples
    };
    let test = swap(examples(50, 99));
    let prior = prior();
    let fit = |per_class: usize| {
        let classifier = Classifier::train_with_prior(
            ClassifierConfig::default(),
            &seeds(),
            &swap(examples(per_class, 5)),
            Some(&prior),
        )
        .unwrap();
        accuracy(&classifier, &test)
    };
    let (none, few, many) = (fit(0), fit(1), fit(60));
    // Before any label the prior's meaning holds (half the categories wrong for this workspace).
    assert!((0.45..0.55).contains(&none), "no labels: {none}");
    // One label each does not overturn it (not a switch) ...
    assert!(few < 0.75, "one label per category: {few}");
    // ... many do: the workspace's own meaning wins.
    assert!(many > 0.95, "sixty labels per category: {many}");
}

#[test]
fn a_category_the_prior_does_not_know_is_learnt_from_its_description() {
    let mut seeds = seeds();
    seeds.push(CategorySeed {
        name: "returns".into(),
        description_embedding: centre(4),
    });
    let classifier = Classifier::train_with_prior(ClassifierConfig::default(), &seeds, &[], Some(&prior())).unwrap();
    let mut rng = Rng(3);
    assert_eq!(
        classifier.predict(&sample(&mut rng, 4, 0.1)).unwrap().best().0,
        "returns"
    );
    assert_eq!(
        classifier.predict(&sample(&mut rng, 2, 0.1)).unwrap().best().0,
        "shipping"
    );
    // The same workspace without the prior knows only the descriptions, and the prior is no other
    // workspace's data: training with it twice gives the same classifier.
    assert_eq!(
        Classifier::train_with_prior(ClassifierConfig::default(), &seeds, &[], Some(&prior())).unwrap(),
        classifier
    );
}

#[test]
fn a_prior_of_another_dimension_is_refused() {
    let mut prior = prior();
    prior.model = LogisticModel::fit(&[&[1.0, 0.0], &[0.0, 1.0]], &[0, 1], 4, 1.0, 10).unwrap();
    assert!(matches!(
        Classifier::train_with_prior(ClassifierConfig::default(), &seeds(), &[], Some(&prior)),
        Err(AiError::InvalidInput(_))
    ));
}
