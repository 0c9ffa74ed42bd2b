//! The supervisor dashboard: per-day counts, response and resolution times, SLA breach rate,
//! backlog and per-agent figures for a date range in a time zone. Aggregation happens in the
//! database over the workspace's indexes; only per-hour buckets and a few numbers come back.

pub mod handlers;
pub mod repo;
pub mod rollup;
pub mod service;

use actix_web::web;

use crate::routes::resource;

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(resource("/reports/overview").get(handlers::overview));
}
