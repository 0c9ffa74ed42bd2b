//! Workspaces: one company's helpdesk, made at sign-up together with its owner.

pub mod domain;
pub mod handlers;
pub mod repo;

use actix_web::web;

use crate::routes::resource;

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(resource("/workspaces/{slug}").get(handlers::public));
}

/// What a workspace's plan lets it use. The single place plan gating asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    pub ai: bool,
}

/// The capabilities of a stored plan name. Every plan has AI for now: billing (plans and limits)
/// is where Free loses it; the AI endpoints already ask here.
pub fn capabilities(plan: &str) -> Capabilities {
    match plan {
        "free" | "pro" => Capabilities { ai: true },
        // An unknown plan name gets nothing optional.
        _ => Capabilities { ai: false },
    }
}
