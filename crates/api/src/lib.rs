//! Ferrodesk, a multi-tenant helpdesk. The modules below are the product's features; `startup`
//! wires them into one actix-web application.

pub mod ai;
pub mod api_keys;
pub mod attachments;
pub mod auth;
pub mod billing;
pub mod clock;
pub mod config;
pub mod csat;
pub mod db;
pub mod demo;
pub mod edge;
pub mod error;
pub mod health;
pub mod limits;
pub mod macros;
pub mod mail;
pub mod net;
pub mod notifications;
pub mod openapi;
pub mod realtime;
pub mod reports;
pub mod routes;
pub mod scheduler;
pub mod sla;
pub mod spa;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tickets;
pub mod users;
pub mod validation;
pub mod webhooks;
pub mod widget;
pub mod worker;
pub mod workspaces;
