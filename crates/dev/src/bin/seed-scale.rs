//! `seed-scale`: fills a workspace with N tickets by bulk INSERTs, for measuring (see
//! `ferrodesk_dev::scale`). A development tool: `cargo run --release -p ferrodesk-dev --bin seed-scale -- --tickets N`.
// A command-line entry point answers on stdout.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use ferrodesk::config::Settings;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    seed_scale(&args).await
}

async fn seed_scale(args: &[String]) -> ExitCode {
    if args.iter().any(|arg| matches!(arg.as_str(), "--help" | "-h")) {
        print!("{HELP}");
        return ExitCode::SUCCESS;
    }
    let options = match scale_options(args) {
        Ok(options) => options,
        Err(error) => {
            eprintln!("seed-scale: {error}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("seed-scale: bad configuration: {error:#}");
            return ExitCode::from(2);
        }
    };
    let started = std::time::Instant::now();
    let mut progress = |done: u64, total: u64| {
        let seconds = started.elapsed().as_secs_f64();
        eprintln!(
            "  {done} / {total} tickets ({:.0}%), {seconds:.1} s, {:.0} tickets/s",
            100.0 * done as f64 / total.max(1) as f64,
            done as f64 / seconds.max(1e-9)
        );
    };
    match ferrodesk_dev::scale::run(&settings.database_url, &options, &mut progress).await {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("seed-scale failed: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn scale_options(args: &[String]) -> Result<ferrodesk_dev::scale::ScaleOptions, String> {
    let mut options = ferrodesk_dev::scale::ScaleOptions::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_owned())),
            None => (arg.as_str(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next().cloned())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag {
            "--tickets" => {
                let raw = value("--tickets")?;
                options.tickets = raw
                    .replace('_', "")
                    .parse()
                    .map_err(|_| format!("--tickets must be a whole number, not `{raw}`"))?;
            }
            "--workspace" => options.slug = value("--workspace")?,
            "--seed" => {
                let raw = value("--seed")?;
                options.seed = raw
                    .parse()
                    .map_err(|_| format!("--seed must be a whole number, not `{raw}`"))?;
            }
            "--messages" => options.messages = true,
            "--replace" => options.replace = true,
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok(options)
}

const HELP: &str = "\
Usage: seed-scale [--tickets N] [--workspace SLUG] [--messages] [--replace] [--seed N]

Fills a workspace (default `scale`) with N tickets (default 1000000) over the last 365 days, an owner,
a supervisor, 20 agents and 2000 customers, by bulk INSERTs into the database the server would use
(DATABASE_URL, FERRODESK_DATA_DIR); --messages also writes each ticket's opening message; --replace
deletes the workspace's tickets first; --seed N varies the data.
";
