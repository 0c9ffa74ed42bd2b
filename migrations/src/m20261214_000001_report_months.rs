//! The dashboard's kept counters per UTC calendar month as well as per day (`reports::rollup`):
//! `report_months` and `report_month_bins` have the columns of `report_days` and `report_bins` with
//! `month` for `day`. A year then reads twelve months of rows and the days at its two ends, instead
//! of ~358,000 daily bin rows at a million tickets a year.
//!
//! The new tables start empty, so every workspace is marked unbuilt (`rollup_builds` emptied): the
//! next start computes all its counters again from the tickets, months included.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let (time, clustered) = match manager.get_database_backend() {
            DbBackend::Postgres => ("timestamptz", ""),
            _ => ("text", " WITHOUT ROWID"),
        };
        let statements = [
            format!(
                "CREATE TABLE report_months (workspace_id uuid NOT NULL, month {time} NOT NULL, \
                 agent_id uuid NOT NULL, created bigint NOT NULL, breached bigint NOT NULL, \
                 solved bigint NOT NULL, first_responses bigint NOT NULL, first_response_ms bigint NOT NULL, \
                 resolutions bigint NOT NULL, resolution_ms bigint NOT NULL, \
                 PRIMARY KEY (workspace_id, month, agent_id)){clustered}"
            ),
            format!(
                "CREATE TABLE report_month_bins (workspace_id uuid NOT NULL, metric smallint NOT NULL, \
                 month {time} NOT NULL, agent_id uuid NOT NULL, bin smallint NOT NULL, n bigint NOT NULL, ms bigint NOT NULL, \
                 PRIMARY KEY (workspace_id, metric, month, agent_id, bin)){clustered}"
            ),
            "DELETE FROM rollup_builds".to_owned(),
        ];
        for statement in statements {
            manager.get_connection().execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["report_months", "report_month_bins"] {
            manager
                .get_connection()
                .execute_unprepared(&format!("DROP TABLE IF EXISTS {table}"))
                .await?;
        }
        Ok(())
    }
}
