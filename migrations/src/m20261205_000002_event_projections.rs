//! One payload per audience in the event log: beside the staff payload, a ticket event stores the
//! requester's projection (no AI guess, tags or SLA state), so the socket sends each person the
//! same view of a ticket that REST gives them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    RequesterPayload,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Events logged before this have no projection: they are not replayed to requesters.
        manager
            .alter_table(
                Table::alter()
                    .table(Events::Table)
                    .add_column(text_null(Events::RequesterPayload))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Events::Table)
                    .drop_column(Events::RequesterPayload)
                    .to_owned(),
            )
            .await
    }
}
