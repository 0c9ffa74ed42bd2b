//! How fast the embedder gets through a burst of tickets, for choosing the app's embedder threads:
//! `cargo run -p ferrodesk-ai --release --example embed-throughput -- <model dir> [texts] [threads,..] [batch,..]`.
//! Each configuration embeds the same synthetic tickets (subject and body, 15 to 90 words) in batches
//! taken from a shared queue by `threads` threads, as the app's engine does with a backlog. candle's
//! matrix products also use rayon's pool (`RAYON_NUM_THREADS`, default: the physical cores).
//! `EMBED_LONG=1` makes every body 30 to 40 sentences, past the model's 256 tokens (long emails):
//! the case where a pass's attention matrices are largest. Each line ends with the process's peak
//! RSS so far. A report, not a test.

// A report for a person: printing to stdout is its job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use ferrodesk_ai::{Embedder, load_embedder};

const SUBJECTS: [&str; 12] = [
    "Charged twice on my invoice",
    "Cannot log in after the password reset",
    "Where is my parcel?",
    "The app crashes when I upload a photo",
    "Please change my billing address",
    "Refund for the cancelled order",
    "Two-factor code never arrives",
    "Export to CSV is broken",
    "Wrong item delivered",
    "How do I delete my account?",
    "Subscription renewed without notice",
    "Sync stopped working on Android",
];

const SENTENCES: [&str; 14] = [
    "I tried again this morning and it still does not work.",
    "My card was charged for the monthly plan even though I cancelled last week.",
    "The tracking page has shown the same status for ten days now.",
    "When I open the settings page the screen goes blank and the app closes.",
    "Could you please look into this as soon as possible, it is blocking my team.",
    "I have attached a screenshot of the error message that appears.",
    "The reset email lands nowhere, not even in the spam folder.",
    "We are on the pro plan and have twelve seats in the workspace.",
    "The courier says the package was delivered but nobody was at home.",
    "I need the invoice to show our company name and VAT number.",
    "This started after the last update, version 4.2 on my phone.",
    "Thanks in advance for your help, the rest of the product is great.",
    "My colleague has the same problem on a different laptop.",
    "Is there a way to get the old behaviour back until this is fixed?",
];

/// Deterministic pseudo-random tickets: the same texts for every configuration.
fn tickets(count: usize) -> Vec<String> {
    let long = std::env::var("EMBED_LONG").is_ok_and(|value| value == "1");
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    (0..count)
        .map(|_| {
            let subject = SUBJECTS[(next() % SUBJECTS.len() as u64) as usize];
            let sentences = if long {
                30 + (next() % 11) as usize
            } else {
                1 + (next() % 7) as usize
            };
            let body: Vec<&str> = (0..sentences)
                .map(|_| SENTENCES[(next() % SENTENCES.len() as u64) as usize])
                .collect();
            format!("{subject}\n{}", body.join(" "))
        })
        .collect()
}

/// CPU seconds this process has used (user and system), from `/proc/self/stat` (Linux; 0 elsewhere).
/// On a shared machine the wall clock says how busy the others were; CPU time says what a text costs.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses and may hold spaces): utime and stime
    // are the 12th and 13th, in clock ticks of 1/100 s.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |at: usize| {
        fields
            .get(at)
            .and_then(|value| value.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// The process's peak resident set (`VmHWM`), as printed by the kernel ("123456 kB").
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:").map(|value| value.trim().to_owned()))
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Texts per wall-clock second, and CPU seconds per text.
fn run(embedder: &Arc<dyn Embedder>, texts: &Arc<Vec<String>>, threads: usize, batch: usize) -> (f64, f64) {
    let next = Arc::new(AtomicUsize::new(0));
    let cpu = cpu_seconds();
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (embedder, texts, next) = (embedder.clone(), texts.clone(), next.clone());
            std::thread::spawn(move || {
                loop {
                    let from = next.fetch_add(batch, Ordering::SeqCst);
                    if from >= texts.len() {
                        return;
                    }
                    let chunk: Vec<&str> = texts[from..(from + batch).min(texts.len())]
                        .iter()
                        .map(String::as_str)
                        .collect();
                    if let Err(error) = embedder.embed_batch(&chunk) {
                        eprintln!("embedding failed: {error}");
                        return;
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    let count = texts.len() as f64;
    (count / started.elapsed().as_secs_f64(), (cpu_seconds() - cpu) / count)
}

fn list(arg: Option<&String>, default: &[usize]) -> Vec<usize> {
    arg.map(|arg| arg.split(',').filter_map(|n| n.parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(args.first().map_or("models/all-MiniLM-L6-v2", String::as_str));
    let count = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1_000);
    let thread_counts = list(args.get(2), &[1, 2]);
    let batches = list(args.get(3), &[32]);
    let loaded = load_embedder(&dir);
    if let Some(reason) = loaded.fallback_reason {
        eprintln!("not the model: {reason}");
        std::process::exit(1);
    }
    let embedder = loaded.embedder;
    println!("model loaded: peak RSS {}", peak_rss());
    let texts = Arc::new(tickets(count));
    // Warm up: the first passes allocate and page the weights in.
    let _ = run(&embedder, &Arc::new(tickets(64)), 1, 32);
    let rayon = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "default".to_owned());
    for &threads in &thread_counts {
        for &batch in &batches {
            let (rate, cpu) = run(&embedder, &texts, threads, batch);
            let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
            println!(
                "texts={count} threads={threads} batch={batch} rayon={rayon}: {rate:.0} texts/s wall, {:.2} CPU ms a text \
                 ({:.0} texts/s per free core); load {}; peak RSS {}",
                cpu * 1000.0,
                1.0 / cpu.max(1e-9),
                load.split_whitespace().next().unwrap_or("?"),
                peak_rss()
            );
        }
    }
}
