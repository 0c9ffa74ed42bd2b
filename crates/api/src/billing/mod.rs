//! Billing: what the workspace's plan includes and how much is in use, for its owner. The plans
//! themselves (limits and their enforcement) are `workspaces::plans`.

pub mod handlers;

use actix_web::web;

use crate::routes::resource;

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(resource("/billing").get(handlers::overview));
}
