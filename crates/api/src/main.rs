//! `ferrodesk`: serve the helpdesk, or print the OpenAPI document with `ferrodesk openapi`.
// A command-line entry point answers on stdout; everything else logs through tracing.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use ferrodesk::config::Settings;
use ferrodesk::startup::Application;
use ferrodesk::telemetry;

#[actix_web::main]
async fn main() -> ExitCode {
    let command = std::env::args().nth(1);
    match command.as_deref() {
        None | Some("serve") => serve().await,
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

async fn serve() -> ExitCode {
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
    match application.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "server stopped with an error");
            ExitCode::FAILURE
        }
    }
}

const HELP: &str = "\
Usage: ferrodesk [serve | openapi]

  serve     run the helpdesk (the default); configured by FERRODESK_* environment variables
  openapi   print the OpenAPI document of the REST API
";
