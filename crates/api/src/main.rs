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
        Some("reports") => reports(&args[position.map_or(0, |index| index + 1)..]).await,
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
    let Some(settings) = operator_settings() else {
        return ExitCode::from(2);
    };
    let result = async {
        let db = operator_db(&settings).await?;
        let changed = while_busy(|| plans::set_by_slug(&db, slug, plan))
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

fn operator_settings() -> Option<Settings> {
    Settings::from_env()
        .map_err(|error| eprintln!("ferrodesk: bad configuration: {error:#}"))
        .ok()
}

/// The database for an operator's command, migrated (which also counts what was never counted).
async fn operator_db(settings: &Settings) -> anyhow::Result<sea_orm::DatabaseConnection> {
    // An operator's command may wait for a busy server's writers: no request is waiting on it.
    let pool = db::PoolSettings {
        max_connections: 1,
        acquire_timeout: std::time::Duration::from_secs(30),
        busy_timeout: std::time::Duration::from_secs(30),
    };
    let db = db::connect_with(&settings.database_url, pool).await?;
    db::migrate(&db).await?;
    Ok(db)
}

/// Runs an operator's change again while the database says it is busy, for up to a minute: a
/// running server's writers come first (a request is waiting on them), and a busy SQLite file can
/// refuse a second process at once, whatever its busy timeout (stop 30's CI saw `plan set` refused
/// once beside a test server's background writers).
async fn while_busy<T, F, Fut>(mut change: F) -> ferrodesk::error::ApiResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ferrodesk::error::ApiResult<T>>,
{
    let patience = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut pause = std::time::Duration::from_millis(50);
    loop {
        match change().await {
            Err(ferrodesk::error::ApiError::Unavailable(_)) if std::time::Instant::now() < patience => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(2));
            }
            done => return done,
        }
    }
}

/// `ferrodesk reports rebuild <slug>`: counts the inbox and dashboard counters again from the
/// workspace's tickets (after rows were changed by hand, or to check them: it prints what it read).
async fn reports(args: &[String]) -> ExitCode {
    let [command, slug] = args else {
        eprintln!("usage: ferrodesk reports rebuild <workspace-slug>");
        return ExitCode::from(2);
    };
    if command != "rebuild" {
        eprintln!("usage: ferrodesk reports rebuild <workspace-slug>");
        return ExitCode::from(2);
    }
    let Some(settings) = operator_settings() else {
        return ExitCode::from(2);
    };
    let result = async {
        let db = operator_db(&settings).await?;
        let Some(workspace) = ferrodesk::workspaces::repo::find_by_slug(&db, slug)
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?
        else {
            return Ok(None);
        };
        let started = std::time::Instant::now();
        let read = while_busy(|| {
            ferrodesk::reports::rollup::rebuild_workspace(&db, workspace.id, ferrodesk::clock::now(), false)
        })
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
        db.close().await.ok();
        anyhow::Ok(Some((read, started.elapsed())))
    }
    .await;
    match result {
        Ok(Some((read, took))) => {
            println!(
                "{slug}: counters rebuilt from {read} tickets in {:.1} s",
                took.as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Ok(None) => {
            eprintln!("ferrodesk: no workspace `{slug}`");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("ferrodesk: could not rebuild the counters: {error:#}");
            ExitCode::FAILURE
        }
    }
}

const HELP: &str = "\
Usage: ferrodesk [serve [--demo] | openapi | plan set <slug> free|pro | reports rebuild <slug>]

  serve     run the helpdesk (the default); configured by FERRODESK_* environment variables
  --demo    first fill a `demo` workspace with people and tickets and print how to sign in;
            does nothing if it is already there (also FERRODESK_DEMO=1)
  openapi   print the OpenAPI document of the REST API
  plan set  put a workspace on the Free or Pro plan (what each includes: the README's Plans)
  reports rebuild
            count a workspace's inbox and dashboard counters again from its tickets
";
