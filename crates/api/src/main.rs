//! `ferrodesk`: serve the helpdesk (`--demo` seeds a demo workspace first), or print the OpenAPI
//! document with `ferrodesk openapi`, or fill a test workspace with a million tickets (`seed-scale`).
// A command-line entry point answers on stdout; everything else logs through tracing.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use ferrodesk::config::Settings;
use ferrodesk::startup::Application;
use ferrodesk::telemetry;

#[actix_web::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let demo = args.iter().any(|arg| arg == "--demo") || demo_from_env();
    let position = args.iter().position(|arg| arg != "--demo");
    let command = position.map(|index| args[index].as_str());
    match command {
        None | Some("serve") => serve(demo).await,
        Some("seed-scale") => seed_scale(&args[position.map_or(0, |index| index + 1)..]).await,
        Some("openapi") => {
            print!("{}", ferrodesk::openapi::document_json());
            ExitCode::SUCCESS
        }
        Some("--help" | "-h" | "help") => {
            print!("{}", HELP);
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("unknown command `{other}`\n\n{HELP}");
            ExitCode::from(2)
        }
    }
}

/// `FERRODESK_DEMO=1` (or `true`, `yes`) does what `--demo` does, for containers.
fn demo_from_env() -> bool {
    std::env::var("FERRODESK_DEMO")
        .is_ok_and(|value| matches!(value.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}

async fn serve(demo: bool) -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("ferrodesk: bad configuration: {error:#}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log);
    let application = match Application::build(settings).await {
        Ok(application) => application,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "ferrodesk could not start");
            return ExitCode::FAILURE;
        }
    };
    if demo {
        match ferrodesk::demo::seed(application.state()).await {
            Ok(report) => {
                tracing::info!(
                    workspace = %report.workspace_slug,
                    url = %report.url,
                    seeded = report.seeded.is_some(),
                    "the demo workspace is ready"
                );
                print!("{report}");
            }
            Err(error) => {
                tracing::error!(error = format!("{error:#}"), "the demo workspace could not be seeded");
                return ExitCode::FAILURE;
            }
        }
    }
    match application.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "server stopped with an error");
            ExitCode::FAILURE
        }
    }
}

/// `ferrodesk seed-scale ...`: see `ferrodesk::scale`.
async fn seed_scale(args: &[String]) -> ExitCode {
    let options = match scale_options(args) {
        Ok(options) => options,
        Err(error) => {
            eprintln!("ferrodesk seed-scale: {error}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("ferrodesk: bad configuration: {error:#}");
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
    match ferrodesk::scale::run(&settings.database_url, &options, &mut progress).await {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("ferrodesk seed-scale failed: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn scale_options(args: &[String]) -> Result<ferrodesk::scale::ScaleOptions, String> {
    let mut options = ferrodesk::scale::ScaleOptions::default();
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
Usage: ferrodesk [serve [--demo] | openapi | seed-scale [--tickets N] [--workspace SLUG] [--messages] [--replace]]

  serve     run the helpdesk (the default); configured by FERRODESK_* environment variables
  --demo    first fill a `demo` workspace with people and tickets and print how to sign in;
            does nothing if it is already there (also FERRODESK_DEMO=1)
  openapi   print the OpenAPI document of the REST API
  seed-scale
            fill a workspace (default `scale`) with N tickets (default 1000000) over the last 365 days,
            an owner, a supervisor, 20 agents and 2000 customers, by bulk INSERTs into the database the
            server would use (DATABASE_URL, FERRODESK_DATA_DIR); --messages also writes each ticket's
            opening message; --replace deletes the workspace's tickets first; --seed N varies the data
";
