//! Indexes for the dashboard: tickets solved in a date range, per workspace.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tickets {
    Table,
    WorkspaceId,
    SolvedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_tickets_ws_solved")
                    .table(Tickets::Table)
                    .col(Tickets::WorkspaceId)
                    .col(Tickets::SolvedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_tickets_ws_solved")
                    .table(Tickets::Table)
                    .to_owned(),
            )
            .await
    }
}
