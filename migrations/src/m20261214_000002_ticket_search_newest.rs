//! PostgreSQL: the search documents of one workspace, newest first (`tickets::repo::oldest_ranked`
//! reads a workspace's newest documents in key order and stops at the last match it needs). The
//! primary key alone serves that only where one workspace holds most tickets.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "CREATE INDEX ix_ticket_search_workspace_newest ON ticket_search (workspace_id, ticket_id)",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP INDEX IF EXISTS ix_ticket_search_workspace_newest")
                .await?;
        }
        Ok(())
    }
}
