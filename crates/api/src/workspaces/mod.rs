//! Workspaces: one company's helpdesk, made at sign-up together with its owner.

pub mod domain;
pub mod handlers;
pub mod repo;

use actix_web::web;
use ferrodesk_shared::workspaces::Plan;

use crate::routes::resource;

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(resource("/workspaces/{slug}").get(handlers::public));
}

/// What a workspace's plan lets it use. The single place plan gating asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    pub ai: bool,
}

/// The capabilities of a plan. Every plan has AI for now: billing (plans and limits) is where
/// Free loses it; the AI endpoints already ask here. No `_` arm: a new plan must say what it gets.
pub fn capabilities(plan: Plan) -> Capabilities {
    match plan {
        Plan::Free | Plan::Pro => Capabilities { ai: true },
    }
}
