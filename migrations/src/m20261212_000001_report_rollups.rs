//! Kept counters, so the inbox counts and the dashboard read a few rows instead of every ticket:
//! `ticket_counts` (tickets per status and assignee, now), `report_quarters` (created and solved per
//! UTC quarter hour: every time zone's midnight falls on one), `report_days` (per UTC day and agent:
//! counts and duration sums) and `report_bins` (per UTC day and agent, histograms of durations for
//! medians, with each bin's sum). Each is the sum of every ticket's contribution (`reports::rollup`), moved in the
//! change's own transaction; `rollup_builds` marks the workspaces whose counters were computed from
//! their tickets (at start-up, once, or by `ferrodesk reports rebuild`).
//!
//! Keys are spelled out so the tables are clustered by them on SQLite (WITHOUT ROWID): a range of
//! days is one contiguous read.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 5] = [
    "ticket_counts",
    "report_quarters",
    "report_days",
    "report_bins",
    "rollup_builds",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let (time, clustered) = match backend {
            DbBackend::Postgres => ("timestamptz", ""),
            _ => ("text", " WITHOUT ROWID"),
        };
        let statements = [
            // The nil uuid stands for "no assignee": a key column cannot be NULL.
            format!(
                "CREATE TABLE ticket_counts (workspace_id uuid NOT NULL, status text NOT NULL, \
                 assignee_id uuid NOT NULL, n bigint NOT NULL, \
                 PRIMARY KEY (workspace_id, status, assignee_id)){clustered}"
            ),
            format!(
                "CREATE TABLE report_quarters (workspace_id uuid NOT NULL, quarter {time} NOT NULL, \
                 created bigint NOT NULL, solved bigint NOT NULL, \
                 PRIMARY KEY (workspace_id, quarter)){clustered}"
            ),
            // Durations in milliseconds: integer sums add up exactly, whatever the order.
            format!(
                "CREATE TABLE report_days (workspace_id uuid NOT NULL, day {time} NOT NULL, \
                 agent_id uuid NOT NULL, created bigint NOT NULL, breached bigint NOT NULL, \
                 solved bigint NOT NULL, first_responses bigint NOT NULL, first_response_ms bigint NOT NULL, \
                 resolutions bigint NOT NULL, resolution_ms bigint NOT NULL, \
                 PRIMARY KEY (workspace_id, day, agent_id)){clustered}"
            ),
            format!(
                "CREATE TABLE report_bins (workspace_id uuid NOT NULL, metric smallint NOT NULL, \
                 day {time} NOT NULL, agent_id uuid NOT NULL, bin smallint NOT NULL, n bigint NOT NULL, ms bigint NOT NULL, \
                 PRIMARY KEY (workspace_id, metric, day, agent_id, bin)){clustered}"
            ),
            format!("CREATE TABLE rollup_builds (workspace_id uuid NOT NULL PRIMARY KEY, built_at {time} NOT NULL)"),
        ];
        for statement in statements {
            manager.get_connection().execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .get_connection()
                .execute_unprepared(&format!("DROP TABLE IF EXISTS {table}"))
                .await?;
        }
        Ok(())
    }
}
