//! The schema of Ferrodesk, one migration per change. Both SQLite and PostgreSQL run every file, so
//! only portable column types are used; each `down()` really undoes its `up()` (CI runs up, down, up).

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_accounts;
mod m20261124_000002_tickets;
mod m20261124_000003_ticket_preview;
mod m20261124_000004_live;
mod m20261124_000005_sla;
mod m20261124_000006_report_indexes;
mod m20261124_000007_scale_indexes;
mod m20261124_000008_ai;
mod m20261205_000001_identity;
mod m20261205_000002_event_projections;
mod m20261205_000003_quotas;
mod m20261205_000004_categorise_queue;
mod m20261205_000005_api_keys;
mod m20261205_000006_webhooks;
mod m20261205_000007_quota_by_address;
mod m20261206_000001_widget;
mod m20261206_000002_widget_deflections;
mod m20261206_000003_billing;
mod m20261207_000001_macros;
mod m20261207_000002_assign_on_reply;
mod m20261207_000003_customer_notes;
mod m20261208_000001_csat;
mod m20261208_000002_attachments;
mod m20261209_000001_unsent_uploads;
mod m20261210_000001_ticket_duplicates;
mod m20261211_000001_backlog_age;
mod m20261212_000001_report_rollups;
mod m20261213_000001_ticket_search;
mod m20261214_000001_report_months;
mod m20261214_000002_ticket_search_newest;
mod m20261215_000001_search_pending_list;
mod m20261216_000001_search_staff_notes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_accounts::Migration),
            Box::new(m20261124_000002_tickets::Migration),
            Box::new(m20261124_000003_ticket_preview::Migration),
            Box::new(m20261124_000004_live::Migration),
            Box::new(m20261124_000005_sla::Migration),
            Box::new(m20261124_000006_report_indexes::Migration),
            Box::new(m20261124_000007_scale_indexes::Migration),
            Box::new(m20261124_000008_ai::Migration),
            Box::new(m20261205_000001_identity::Migration),
            Box::new(m20261205_000002_event_projections::Migration),
            Box::new(m20261205_000003_quotas::Migration),
            Box::new(m20261205_000004_categorise_queue::Migration),
            Box::new(m20261205_000005_api_keys::Migration),
            Box::new(m20261205_000006_webhooks::Migration),
            Box::new(m20261205_000007_quota_by_address::Migration),
            Box::new(m20261206_000001_widget::Migration),
            Box::new(m20261206_000002_widget_deflections::Migration),
            Box::new(m20261206_000003_billing::Migration),
            Box::new(m20261207_000001_macros::Migration),
            Box::new(m20261207_000002_assign_on_reply::Migration),
            Box::new(m20261207_000003_customer_notes::Migration),
            Box::new(m20261208_000001_csat::Migration),
            Box::new(m20261208_000002_attachments::Migration),
            Box::new(m20261209_000001_unsent_uploads::Migration),
            Box::new(m20261210_000001_ticket_duplicates::Migration),
            Box::new(m20261211_000001_backlog_age::Migration),
            Box::new(m20261212_000001_report_rollups::Migration),
            Box::new(m20261213_000001_ticket_search::Migration),
            Box::new(m20261214_000001_report_months::Migration),
            Box::new(m20261214_000002_ticket_search_newest::Migration),
            Box::new(m20261215_000001_search_pending_list::Migration),
            Box::new(m20261216_000001_search_staff_notes::Migration),
        ]
    }
}
