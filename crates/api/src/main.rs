//! `ferrodesk`: serve the helpdesk (`--demo` seeds a demo workspace first), or print the OpenAPI
//! document with `ferrodesk openapi`.
// A command-line entry point answers on stdout; everything else logs through tracing.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use ferrodesk::config::Settings;
use ferrodesk::db;
use ferrodesk::startup::Application;
use ferrodesk::telemetry;
use ferrodesk::workspaces::plans;
use ferrodesk_shared::workspaces::Plan;

/// mimalloc over glibc's malloc: under load glibc's allocator was a quarter of the server's CPU
/// (`_int_malloc`, `_int_free`, `malloc_consolidate` in a profile of `benches/create.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let demo = args.iter().any(|arg| arg == "--demo") || demo_from_env();
    let position = args.iter().position(|arg| arg != "--demo");
    let command = position.map(|index| args[index].as_str());
    match command {
        None | Some("serve") => serve(demo).await,
        Some("openapi") => {
            print!("{}", ferrodesk::openapi::document_json());
            ExitCode::SUCCESS
        }
        Some("plan") => plan(&args[position.map_or(0, |index| index + 1)..]).await,
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

/// `ferrodesk plan set <slug> free|pro`: the operator sets a workspace's plan (without Stripe keys
/// this is how a workspace gets Pro).
async fn plan(args: &[String]) -> ExitCode {
    let [command, slug, plan] = args else {
        eprintln!("usage: ferrodesk plan set <workspace-slug> free|pro");
        return ExitCode::from(2);
    };
    let Ok(plan) = plan.parse::<Plan>() else {
        eprintln!("ferrodesk: unknown plan `{plan}`: free or pro");
        return ExitCode::from(2);
    };
    if command != "set" {
        eprintln!("usage: ferrodesk plan set <workspace-slug> free|pro");
        return ExitCode::from(2);
    }
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("ferrodesk: bad configuration: {error:#}");
            return ExitCode::from(2);
        }
    };
    let result = async {
        // An operator's command may wait for a busy server's writers: no request is waiting on it.
        let pool = db::PoolSettings {
            max_connections: 1,
            acquire_timeout: std::time::Duration::from_secs(30),
            busy_timeout: std::time::Duration::from_secs(30),
        };
        let db = db::connect_with(&settings.database_url, pool).await?;
        db::migrate(&db).await?;
        let changed = plans::set_by_slug(&db, slug, plan)
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        db.close().await.ok();
        anyhow::Ok(changed)
    }
    .await;
    match result {
        Ok(Some((before, after))) => {
            println!("{slug}: {} (was {})", plans::describe(after), before.as_str());
            ExitCode::SUCCESS
        }
        Ok(None) => {
            eprintln!("ferrodesk: no workspace `{slug}`");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("ferrodesk: could not set the plan: {error:#}");
            ExitCode::FAILURE
        }
    }
}

const HELP: &str = "\
Usage: ferrodesk [serve [--demo] | openapi | plan set <slug> free|pro]

  serve     run the helpdesk (the default); configured by FERRODESK_* environment variables
  --demo    first fill a `demo` workspace with people and tickets and print how to sign in;
            does nothing if it is already there (also FERRODESK_DEMO=1)
  openapi   print the OpenAPI document of the REST API
  plan set  put a workspace on the Free or Pro plan (what each includes: the README's Plans)
";
