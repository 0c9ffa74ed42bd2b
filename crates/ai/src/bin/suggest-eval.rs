//! The reply-suggestion benchmark (a report, not a test):
//!
//! ```text
//! suggest-eval --data bitext.csv [--model models/all-MiniLM-L6-v2] [--tfidf] [--seed 7]
//!              [--history N (the app's cap: 5000, or 500 with --tfidf)] [--queries 1000] [--cache /tmp/suggest-embeddings.bin]
//! ```
//! Replays the app's offline suggestion (`crates/api/src/ai/suggest.rs`) on the Bitext
//! customer-support set: a seeded split gives the workspace's solved tickets (instruction, agent
//! response, intent) and held-out customer messages; each message is embedded on its own, compared
//! with every stored vector, and the best match's reply composed into a draft. Prints how often that
//! match has the message's intent, how often nothing is close enough (the template draft), and the
//! latency of one suggestion; as its last line `right_intent=<0..1> suggestion_ms_p95=<x>`.

// A report for a person: printing to stdout is its job.
#![allow(clippy::print_stdout)]

use std::collections::{BTreeSet, HashSet};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrodesk_ai::claims;
use ferrodesk_ai::draft::{adapt_answer, compose};
use ferrodesk_ai::retrieval::{self, SOURCES};
use ferrodesk_ai::vector::{from_le_bytes, to_le_bytes};
use ferrodesk_ai::{AiError, Embedder, EmbedderKind, TfIdfEmbedder, load_embedder, nearest};

/// Single embeddings run before the clock starts: the app's embedder thread is long-lived and warm.
const WARM_UP: usize = 3;
/// Customers the drafts greet, in turn (the last one gets "Hello," as a name with digits does).
const CUSTOMERS: [&str; 4] = ["Emma Larsen", "Ravi Patel", "Sofia García", "user4821"];
const AGENT: &str = "Marcus Webb";

struct Args {
    data: PathBuf,
    model: PathBuf,
    force_tfidf: bool,
    seed: u64,
    /// None: the app's cap for the embedder asked for.
    history: Option<usize>,
    queries: usize,
    cache: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        data: PathBuf::new(),
        model: PathBuf::from("models/all-MiniLM-L6-v2"),
        force_tfidf: false,
        seed: 7,
        history: None,
        queries: 1_000,
        cache: None,
    };
    let mut data = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--data" => data = Some(PathBuf::from(value()?)),
            "--model" => args.model = PathBuf::from(value()?),
            "--tfidf" => args.force_tfidf = true,
            "--seed" => args.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--history" => args.history = Some(value()?.parse().map_err(|e| format!("--history: {e}"))?),
            "--queries" => args.queries = value()?.parse().map_err(|e| format!("--queries: {e}"))?,
            "--cache" => args.cache = Some(PathBuf::from(value()?)),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    args.data = data.ok_or("--data is required")?;
    Ok(args)
}

/// One Bitext row: a customer's message, the agent's answer, and its intent.
struct Row {
    instruction: String,
    intent: String,
    response: String,
}

fn read_rows(path: &Path) -> Result<Vec<Row>, String> {
    Ok(
        ferrodesk_ai::eval::read_columns(path, &["instruction", "intent", "response"])?
            .into_iter()
            .filter_map(|row| match <[String; 3]>::try_from(row) {
                Ok([instruction, intent, response]) if !instruction.trim().is_empty() && !intent.trim().is_empty() => {
                    Some(Row {
                        instruction,
                        intent,
                        response,
                    })
                }
                _ => None,
            })
            .collect(),
    )
}

/// SplitMix64 of the seed and a row's index: where the row falls in the split, the same on every run.
fn split_key(seed: u64, index: usize) -> u64 {
    let mut z = seed
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add((index as u64).wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// FNV-1a over the embedder's name and the texts: a cache made for other data or another embedder
/// is not read back.
fn fingerprint(embedder: &str, texts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in std::iter::once(embedder)
        .chain(texts.iter().copied())
        .flat_map(|text| text.bytes().chain([0]))
    {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The history's embeddings of a previous run (`--cache`): the count, the dimension and the
/// fingerprint, then the vectors, as little-endian u64, u64, u64, f32s.
fn read_cache(path: &Path, count: usize, key: u64) -> Option<Vec<Vec<f32>>> {
    let bytes = std::fs::read(path).ok()?;
    let word = |at: usize| -> Option<u64> { Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?)) };
    let (stored, dimension, stored_key) = (word(0)? as usize, word(8)? as usize, word(16)?);
    if stored != count || stored_key != key || bytes.len() != 24 + 4 * count * dimension {
        return None;
    }
    Some(
        bytes[24..]
            .chunks_exact(4 * dimension.max(1))
            .map(from_le_bytes)
            .collect(),
    )
}

fn write_cache(path: &Path, key: u64, vectors: &[Vec<f32>]) -> std::io::Result<()> {
    let dimension = vectors.first().map_or(0, Vec::len);
    let mut bytes = Vec::with_capacity(24 + 4 * vectors.len() * dimension);
    bytes.extend((vectors.len() as u64).to_le_bytes());
    bytes.extend((dimension as u64).to_le_bytes());
    bytes.extend(key.to_le_bytes());
    for vector in vectors {
        bytes.extend(to_le_bytes(vector));
    }
    std::fs::write(path, bytes)
}

/// Batched, as the app's embedder thread embeds tickets at arrival.
fn embed_all(embedder: &dyn Embedder, texts: &[&str]) -> Result<Vec<Vec<f32>>, AiError> {
    let mut vectors = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(512) {
        vectors.extend(embedder.embed_batch(chunk)?);
    }
    Ok(vectors)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn mean_ms(durations: &[Duration]) -> f64 {
    millis(durations.iter().sum::<Duration>()) / durations.len().max(1) as f64
}

/// Mean, p50, p95 and max, in milliseconds.
fn spread(durations: &[Duration]) -> (f64, f64, f64, f64) {
    let mut sorted = durations.to_vec();
    sorted.sort();
    let at = |q: f64| {
        sorted
            .get(((sorted.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or_default()
    };
    (
        mean_ms(&sorted),
        millis(at(0.5)),
        millis(at(0.95)),
        millis(sorted.last().copied().unwrap_or_default()),
    )
}

struct Outcome {
    right_intent: f64,
    p95_ms: f64,
}

fn run(args: &Args) -> Result<Outcome, String> {
    let rows = read_rows(&args.data)?;
    let intents: BTreeSet<&str> = rows.iter().map(|r| r.intent.as_str()).collect();
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| (split_key(args.seed, i), i));
    let cap = args.history.unwrap_or(retrieval::candidate_limit(if args.force_tfidf {
        EmbedderKind::Fallback
    } else {
        EmbedderKind::Model
    }));
    let queries: Vec<&Row> = order.iter().take(args.queries).map(|&i| &rows[i]).collect();
    let history: Vec<&Row> = order.iter().skip(args.queries).take(cap).map(|&i| &rows[i]).collect();
    if queries.is_empty() || history.is_empty() {
        return Err(format!(
            "{} rows cannot give both queries and a history; lower --queries",
            rows.len()
        ));
    }
    println!(
        "data: {} rows, {} intents; history {} solved tickets (cap {}), {} held-out queries (seed {})",
        rows.len(),
        intents.len(),
        history.len(),
        cap,
        queries.len(),
        args.seed
    );
    // Bitext phrases one request many ways; a held-out message that is word for word in the history
    // would flatter the score.
    let known: HashSet<String> = history.iter().map(|r| r.instruction.trim().to_lowercase()).collect();
    let repeated = queries
        .iter()
        .filter(|r| known.contains(&r.instruction.trim().to_lowercase()))
        .count();
    println!("queries whose exact text (case aside) is also in the history: {repeated}");

    let loaded_at = Instant::now();
    // The app's fallback is the unfitted TF-IDF (`load_embedder`): it never fits idf on a workspace.
    let embedder: Arc<dyn Embedder> = if args.force_tfidf {
        Arc::new(TfIdfEmbedder::default())
    } else {
        let loaded = load_embedder(&args.model);
        if let Some(reason) = &loaded.fallback_reason {
            println!("{reason}");
        }
        loaded.embedder
    };
    let min_similarity = retrieval::min_similarity(embedder.kind());
    println!(
        "embedder: {} ({:?}, dimension {}), loaded in {:.0} ms; top {SOURCES}, min similarity {min_similarity} (as the app)",
        embedder.name(),
        embedder.kind(),
        embedder.dimension(),
        millis(loaded_at.elapsed())
    );

    let history_texts: Vec<&str> = history.iter().map(|r| r.instruction.as_str()).collect();
    let key = fingerprint(embedder.name(), &history_texts);
    let started = Instant::now();
    let history_vectors = match args
        .cache
        .as_ref()
        .and_then(|path| read_cache(path, history.len(), key))
    {
        Some(vectors) => {
            println!("history embeddings read from the cache");
            vectors
        }
        None => {
            let vectors = embed_all(embedder.as_ref(), &history_texts).map_err(|e| e.to_string())?;
            if let Some(path) = &args.cache {
                write_cache(path, key, &vectors).map_err(|e| format!("{}: {e}", path.display()))?;
            }
            println!(
                "history embedded in {:.1} s (batched, as at ticket arrival; not part of a suggestion)",
                started.elapsed().as_secs_f64()
            );
            vectors
        }
    };

    for text in history_texts.iter().take(WARM_UP) {
        embedder.embed(text).map_err(|e| e.to_string())?;
    }
    let mut right = 0usize;
    let mut suggested = 0usize;
    let mut in_top = 0usize;
    // Drafts that tell the customer something was done which their own message does not show.
    let (mut claimed_before, mut claimed_after) = (0usize, 0usize);
    let mut totals = Vec::with_capacity(queries.len());
    let (mut embeds, mut scans, mut composes) = (Vec::new(), Vec::new(), Vec::new());
    for (at, query) in queries.iter().enumerate() {
        // One message at a time, as the app embeds a ticket's text when an agent asks for a draft.
        let started = Instant::now();
        let vector = embedder.embed(&query.instruction).map_err(|e| e.to_string())?;
        let embedded = Instant::now();
        let neighbours = nearest(
            &vector,
            history_vectors.iter().map(Vec::as_slice),
            SOURCES,
            min_similarity,
        );
        let scanned = Instant::now();
        let best = neighbours.first().map(|n| history[n.index]);
        let supported = claims::supported_actions([query.instruction.as_str()]);
        let draft = compose(
            CUSTOMERS[at % CUSTOMERS.len()],
            AGENT,
            best.map(|row| row.response.as_str()),
            &supported,
        );
        let draft = black_box(draft);
        let composed = Instant::now();
        totals.push(composed - started);
        embeds.push(embedded - started);
        scans.push(scanned - embedded);
        composes.push(composed - scanned);

        if let Some(best) = best {
            let adapted = adapt_answer(&best.response);
            claimed_before += usize::from(claims::has_unsupported_claim(&adapted, &supported));
            let still = claims::has_unsupported_claim(&draft.text, &supported);
            if still && std::env::var_os("SHOW_CLAIMS").is_some() {
                println!("STILL: {:?}", draft.text);
            }
            claimed_after += usize::from(still);
            suggested += 1;
            right += usize::from(best.intent == query.intent);
        }
        in_top += usize::from(neighbours.iter().any(|n| history[n.index].intent == query.intent));
    }

    let count = queries.len() as f64;
    let right_intent = right as f64 / count;
    println!(
        "right intent (top neighbour's = the query's): {right_intent:.4} of all {} queries, {:.4} of the {suggested} with a suggestion",
        queries.len(),
        right as f64 / suggested.max(1) as f64
    );
    println!(
        "top-{SOURCES} contains the intent: {:.4} of all queries",
        in_top as f64 / count
    );
    println!(
        "template (nothing at {min_similarity} or above): {:.4} ({} of them)",
        (queries.len() - suggested) as f64 / count,
        queries.len() - suggested
    );
    println!(
        "completed-action claims the query's own message does not support: {:.4} of drafts before the claim check ({claimed_before} of {suggested}), {:.4} after ({claimed_after}; target 0)",
        claimed_before as f64 / suggested.max(1) as f64,
        claimed_after as f64 / suggested.max(1) as f64
    );
    let (mean, p50, p95, max) = spread(&totals);
    println!(
        "latency per suggestion, one query at a time ({} queries, after {WARM_UP} warm-up embeds): mean {mean:.2} ms, p50 {p50:.2} ms, p95 {p95:.2} ms, max {max:.2} ms",
        totals.len()
    );
    println!(
        "  of which (means): embed {:.3} ms, scan of {} vectors {:.3} ms, compose {:.3} ms",
        mean_ms(&embeds),
        history_vectors.len(),
        mean_ms(&scans),
        mean_ms(&composes)
    );

    // The app reads the candidates' vectors from the database as bytes on every suggestion: the
    // decoding is measured here but left out of the figures above, and the read itself is not measured.
    let stored: Vec<Vec<u8>> = history_vectors.iter().map(|v| to_le_bytes(v)).collect();
    let mut decodes = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let vectors: Vec<Vec<f32>> = stored.iter().map(|bytes| from_le_bytes(bytes)).collect();
        black_box(vectors);
        decodes.push(started.elapsed());
    }
    println!(
        "not counted above: decoding the {} stored vectors ({:.1} MB) the app loads per suggestion, {:.2} ms mean; the database read itself",
        stored.len(),
        stored.iter().map(Vec::len).sum::<usize>() as f64 / 1e6,
        mean_ms(&decodes)
    );
    Ok(Outcome {
        right_intent,
        p95_ms: p95,
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            eprintln!(
                "usage: suggest-eval --data bitext.csv [--model DIR] [--tfidf] [--seed N] [--history N] [--queries N] [--cache FILE]"
            );
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(outcome) => {
            println!(
                "right_intent={:.4} suggestion_ms_p95={:.2}",
                outcome.right_intent, outcome.p95_ms
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("suggest-eval: {message}");
            ExitCode::FAILURE
        }
    }
}
