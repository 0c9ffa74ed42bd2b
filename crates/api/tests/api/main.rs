//! The API's integration tests: one binary; every test starts the real application (the same
//! `Application::build` as production) on a random port with its own fresh database: a SQLite
//! file, or, when `TEST_DATABASE_URL` names a PostgreSQL server, a database made for it and dropped after.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod ai;
mod api_keys;
mod assignment;
mod attachments;
mod auth;
mod billing;
mod bulk;
mod contract;
mod csat;
mod demo;
mod duplicates;
mod errors;
mod faults;
mod health;
mod helpers;
mod http_hygiene;
mod identity;
mod limits;
mod live;
mod live_guards;
mod macros;
mod mail;
mod merge;
mod metrics;
mod migrations;
mod plans;
mod profiles;
mod rate_limits;
mod reports;
mod roles;
mod rollups;
mod search;
mod sla;
mod stored;
mod tenancy;
mod tickets;
mod users;
mod webhooks;
mod widget;
