//! The categorisation benchmark (a report, not a test):
//!
//! ```text
//! ai-eval --train TRAIN.csv [--test TEST.csv] [--model models/all-MiniLM-L6-v2]
//!         [--text-column text] [--label-column category] [--bitext] [--tfidf] [--seed 7]
//!         [--l2 1.0] [--cache /tmp/embeddings.bin]
//! ```
//! Prints the zero-shot score, the few-shot curve, latencies, and as its last line
//! `accuracy=<0..1> macro_f1=<0..1>` for the classifier trained on the whole training set.
//! Without `--test`, a deterministic 80/20 split of the training file is used.

// A report for a person: printing to stdout is its job.
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use ferrodesk_ai::{
    AiError, CategorySeed, Classifier, ClassifierConfig, Embedder, LabelledExample, MiniLmEmbedder, TfIdfEmbedder,
};

const FEW_SHOT: [usize; 4] = [3, 5, 10, 20];
/// Draws averaged per few-shot size, so one lucky sample does not decide the curve.
const FEW_SHOT_DRAWS: u64 = 3;
const LATENCY_TICKETS: usize = 200;

struct Args {
    train: PathBuf,
    test: Option<PathBuf>,
    model: PathBuf,
    text_column: String,
    label_column: String,
    force_tfidf: bool,
    seed: u64,
    l2: Option<f32>,
    cache: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        train: PathBuf::new(),
        test: None,
        model: PathBuf::from("models/all-MiniLM-L6-v2"),
        text_column: "text".into(),
        label_column: "category".into(),
        force_tfidf: false,
        seed: 7,
        l2: None,
        cache: None,
    };
    let mut train = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--train" => train = Some(PathBuf::from(value()?)),
            "--test" => args.test = Some(PathBuf::from(value()?)),
            "--model" => args.model = PathBuf::from(value()?),
            "--text-column" => args.text_column = value()?,
            "--label-column" => args.label_column = value()?,
            "--bitext" => {
                args.text_column = "instruction".into();
                args.label_column = "category".into();
            }
            "--tfidf" => args.force_tfidf = true,
            "--seed" => args.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--l2" => args.l2 = Some(value()?.parse().map_err(|e| format!("--l2: {e}"))?),
            "--cache" => args.cache = Some(PathBuf::from(value()?)),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    args.train = train.ok_or("--train is required")?;
    Ok(args)
}

struct Row {
    text: String,
    label: String,
}

fn read_rows(path: &Path, text_column: &str, label_column: &str) -> Result<Vec<Row>, String> {
    Ok(ferrodesk_ai::eval::read_columns(path, &[text_column, label_column])?
        .into_iter()
        .map(|mut row| {
            let label = row.pop().unwrap_or_default();
            let text = row.pop().unwrap_or_default();
            Row { text, label }
        })
        .collect())
}

/// SplitMix64: a tiny deterministic generator, so every run draws the same samples.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

struct Scores {
    accuracy: f64,
    macro_f1: f64,
}

fn score(truth: &[usize], predicted: &[usize], classes: usize) -> Scores {
    let mut true_positive = vec![0usize; classes];
    let mut false_positive = vec![0usize; classes];
    let mut false_negative = vec![0usize; classes];
    for (&t, &p) in truth.iter().zip(predicted) {
        if t == p {
            true_positive[t] += 1;
        } else {
            false_positive[p] += 1;
            false_negative[t] += 1;
        }
    }
    let correct: usize = true_positive.iter().sum();
    let mut f1_sum = 0.0;
    let mut present = 0usize;
    for k in 0..classes {
        if true_positive[k] + false_positive[k] + false_negative[k] == 0 {
            continue;
        }
        present += 1;
        let tp = true_positive[k] as f64;
        let denominator = 2.0 * tp + false_positive[k] as f64 + false_negative[k] as f64;
        f1_sum += if denominator > 0.0 { 2.0 * tp / denominator } else { 0.0 };
    }
    Scores {
        accuracy: correct as f64 / truth.len().max(1) as f64,
        macro_f1: f1_sum / present.max(1) as f64,
    }
}

struct Data {
    categories: Vec<String>,
    train_vectors: Vec<Vec<f32>>,
    train_labels: Vec<usize>,
    test_vectors: Vec<Vec<f32>>,
    test_labels: Vec<usize>,
    seeds: Vec<CategorySeed>,
}

impl Data {
    fn evaluate(&self, classifier: &Classifier) -> Result<Scores, AiError> {
        let mut predicted = Vec::with_capacity(self.test_vectors.len());
        for vector in &self.test_vectors {
            let verdict = classifier.predict(vector)?;
            let (best, _) = verdict.best();
            predicted.push(self.categories.iter().position(|c| c == best).unwrap_or(0));
        }
        Ok(score(&self.test_labels, &predicted, self.categories.len()))
    }

    fn examples(&self, indices: &[usize]) -> Vec<LabelledExample> {
        indices
            .iter()
            .map(|&i| LabelledExample {
                embedding: self.train_vectors[i].clone(),
                category: self.categories[self.train_labels[i]].clone(),
            })
            .collect()
    }
}

fn embed_all(embedder: &dyn Embedder, texts: &[&str]) -> Result<Vec<Vec<f32>>, AiError> {
    let mut vectors = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(512) {
        vectors.extend(embedder.embed_batch(chunk)?);
    }
    Ok(vectors)
}

/// Embeddings of a previous run (`--cache`), to tune the classifier without re-embedding: the count,
/// the dimension, then the vectors, as little-endian u64, u64, f32s.
fn read_cache(path: &PathBuf, count: usize) -> Option<Vec<Vec<f32>>> {
    let bytes = std::fs::read(path).ok()?;
    let word = |at: usize| -> Option<u64> { Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?)) };
    let (stored, dimension) = (word(0)? as usize, word(8)? as usize);
    if stored != count || bytes.len() != 16 + 4 * count * dimension {
        return None;
    }
    let floats: Vec<f32> = bytes[16..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Some(floats.chunks(dimension.max(1)).map(<[f32]>::to_vec).collect())
}

fn write_cache(path: &PathBuf, vectors: &[Vec<f32>]) -> std::io::Result<()> {
    let dimension = vectors.first().map_or(0, Vec::len);
    let mut bytes = Vec::with_capacity(16 + 4 * vectors.len() * dimension);
    bytes.extend((vectors.len() as u64).to_le_bytes());
    bytes.extend((dimension as u64).to_le_bytes());
    for value in vectors.iter().flatten() {
        bytes.extend(value.to_le_bytes());
    }
    std::fs::write(path, bytes)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn run(args: &Args) -> Result<Scores, String> {
    let mut train = read_rows(&args.train, &args.text_column, &args.label_column)?;
    let test = match &args.test {
        Some(path) => read_rows(path, &args.text_column, &args.label_column)?,
        None => {
            let mut rng = Rng(args.seed ^ 0x5eed);
            rng.shuffle(&mut train);
            let cut = train.len() - train.len() / 5;
            let test = train.split_off(cut);
            println!("no --test: split {} train / {} test", train.len(), test.len());
            test
        }
    };
    let categories: Vec<String> = {
        let set: BTreeMap<&str, ()> = train.iter().map(|r| (r.label.as_str(), ())).collect();
        set.into_keys().map(str::to_owned).collect()
    };
    let label_of = |label: &str| categories.iter().position(|c| c == label);
    let test: Vec<&Row> = test.iter().filter(|r| label_of(&r.label).is_some()).collect();
    println!(
        "data: {} train, {} test, {} categories",
        train.len(),
        test.len(),
        categories.len()
    );

    let train_texts: Vec<&str> = train.iter().map(|r| r.text.as_str()).collect();
    let test_texts: Vec<&str> = test.iter().map(|r| r.text.as_str()).collect();
    let loaded_at = Instant::now();
    let embedder: Box<dyn Embedder> = if args.force_tfidf {
        Box::new(TfIdfEmbedder::fit(4096, &train_texts))
    } else {
        match MiniLmEmbedder::load(&args.model) {
            Ok(model) => Box::new(model),
            Err(e) => {
                println!("model not loaded ({e}): using the TF-IDF fallback");
                Box::new(TfIdfEmbedder::fit(4096, &train_texts))
            }
        }
    };
    println!(
        "embedder: {} (dimension {}), loaded in {:.0} ms",
        embedder.name(),
        embedder.dimension(),
        millis(loaded_at.elapsed())
    );

    let started = Instant::now();
    let all_texts: Vec<&str> = train_texts.iter().chain(&test_texts).copied().collect();
    let mut vectors = match args.cache.as_ref().and_then(|path| read_cache(path, all_texts.len())) {
        Some(vectors) => {
            println!("embeddings read from the cache (delete it after changing model or data)");
            vectors
        }
        None => {
            let vectors = embed_all(embedder.as_ref(), &all_texts).map_err(|e| e.to_string())?;
            if let Some(path) = &args.cache {
                write_cache(path, &vectors).map_err(|e| format!("{}: {e}", path.display()))?;
            }
            vectors
        }
    };
    let test_vectors = vectors.split_off(train_texts.len());
    let train_vectors = vectors;
    let elapsed = started.elapsed();
    println!(
        "embedded {} texts in {:.1} s ({:.2} ms per text, batched)",
        train_texts.len() + test_texts.len(),
        elapsed.as_secs_f64(),
        millis(elapsed) / (train_texts.len() + test_texts.len()).max(1) as f64
    );
    // Zero-shot descriptions: the category's name in words ("card_arrival" -> "card arrival").
    let descriptions: Vec<String> = categories.iter().map(|c| c.replace(['_', '-'], " ")).collect();
    let description_refs: Vec<&str> = descriptions.iter().map(String::as_str).collect();
    let seeds: Vec<CategorySeed> = categories
        .iter()
        .zip(embed_all(embedder.as_ref(), &description_refs).map_err(|e| e.to_string())?)
        .map(|(name, description_embedding)| CategorySeed {
            name: name.clone(),
            description_embedding,
        })
        .collect();
    let data = Data {
        train_labels: train.iter().filter_map(|r| label_of(&r.label)).collect(),
        test_labels: test.iter().filter_map(|r| label_of(&r.label)).collect(),
        categories: categories.clone(),
        train_vectors,
        test_vectors,
        seeds,
    };
    let mut config = ClassifierConfig::default();
    if let Some(l2) = args.l2 {
        config.l2 = l2;
    }
    let fit = |examples: &[LabelledExample], config: &ClassifierConfig| {
        Classifier::train(config.clone(), &data.seeds, examples).map_err(|e| e.to_string())
    };

    let zero_shot = fit(&[], &config)?;
    let scores = data.evaluate(&zero_shot).map_err(|e| e.to_string())?;
    println!(
        "zero-shot (category names): accuracy={:.4} macro_f1={:.4}",
        scores.accuracy, scores.macro_f1
    );

    println!("few-shot curve (mean of {FEW_SHOT_DRAWS} draws; auto = the method the app would use):");
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); categories.len()];
    for (i, &label) in data.train_labels.iter().enumerate() {
        by_class[label].push(i);
    }
    let centroid_only = ClassifierConfig {
        min_labels_for_logistic: usize::MAX,
        ..config.clone()
    };
    let logistic_always = ClassifierConfig {
        min_labels_for_logistic: 1,
        ..config.clone()
    };
    for shots in FEW_SHOT {
        let mut sums = [(0.0, 0.0); 3];
        let mut method = String::new();
        for draw in 0..FEW_SHOT_DRAWS {
            let mut rng = Rng(args.seed.wrapping_mul(1000).wrapping_add(draw * 100 + shots as u64));
            let mut chosen = Vec::new();
            for members in &by_class {
                let mut members = members.clone();
                rng.shuffle(&mut members);
                chosen.extend(members.into_iter().take(shots));
            }
            let examples = data.examples(&chosen);
            for (slot, cfg) in [&config, &centroid_only, &logistic_always].into_iter().enumerate() {
                let classifier = fit(&examples, cfg)?;
                if slot == 0 {
                    method = format!("{:?}", classifier.method()).to_lowercase();
                }
                let s = data.evaluate(&classifier).map_err(|e| e.to_string())?;
                sums[slot].0 += s.accuracy / FEW_SHOT_DRAWS as f64;
                sums[slot].1 += s.macro_f1 / FEW_SHOT_DRAWS as f64;
            }
        }
        println!(
            "  {shots:>2} per class: auto({method}) accuracy={:.4} macro_f1={:.4} | centroid accuracy={:.4} macro_f1={:.4} | logistic accuracy={:.4} macro_f1={:.4}",
            sums[0].0, sums[0].1, sums[1].0, sums[1].1, sums[2].0, sums[2].1
        );
    }

    let all: Vec<usize> = (0..data.train_labels.len()).collect();
    let started = Instant::now();
    let full = fit(&data.examples(&all), &config)?;
    println!(
        "full training set: {:?}, trained in {:.1} s",
        full.method(),
        started.elapsed().as_secs_f64()
    );
    let full_scores = data.evaluate(&full).map_err(|e| e.to_string())?;

    // Abstention: how much the classifier commits to at its threshold, and how right it is then.
    let mut assigned = 0usize;
    let mut assigned_right = 0usize;
    for (vector, &label) in data.test_vectors.iter().zip(&data.test_labels) {
        if let Some(category) = full.predict(vector).map_err(|e| e.to_string())?.assigned() {
            assigned += 1;
            assigned_right += usize::from(category == categories[label]);
        }
    }
    println!(
        "abstention at confidence {:.2}: assigns {:.1}% of tickets, {:.4} accurate on those",
        config.min_confidence,
        100.0 * assigned as f64 / data.test_labels.len().max(1) as f64,
        assigned_right as f64 / assigned.max(1) as f64
    );

    // Latency of categorising one ticket the way the app does it: embed, then predict.
    let sample: Vec<&str> = test_texts.iter().copied().take(LATENCY_TICKETS).collect();
    let mut single = Vec::with_capacity(sample.len());
    for text in &sample {
        let started = Instant::now();
        let vector = embedder.embed(text).map_err(|e| e.to_string())?;
        full.predict(&vector).map_err(|e| e.to_string())?;
        single.push(started.elapsed());
    }
    single.sort();
    let mean = single.iter().sum::<Duration>().as_secs_f64() * 1000.0 / single.len().max(1) as f64;
    let at = |q: f64| {
        single
            .get(((single.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or_default()
    };
    println!(
        "latency, one ticket at a time ({} tickets): mean {:.2} ms, p50 {:.2} ms, p95 {:.2} ms",
        single.len(),
        mean,
        millis(at(0.5)),
        millis(at(0.95))
    );
    let started = Instant::now();
    for chunk in sample.chunks(16) {
        for vector in embedder.embed_batch(chunk).map_err(|e| e.to_string())? {
            full.predict(&vector).map_err(|e| e.to_string())?;
        }
    }
    println!(
        "latency, batches of 16: {:.2} ms per ticket",
        millis(started.elapsed()) / sample.len().max(1) as f64
    );
    Ok(full_scores)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            eprintln!(
                "usage: ai-eval --train TRAIN.csv [--test TEST.csv] [--model DIR] [--text-column C] [--label-column C] [--bitext] [--tfidf] [--seed N] [--l2 X] [--cache FILE]"
            );
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(scores) => {
            println!("accuracy={:.4} macro_f1={:.4}", scores.accuracy, scores.macro_f1);
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("ai-eval: {message}");
            ExitCode::FAILURE
        }
    }
}
