//! "Possible duplicate of #N": a new ticket very like an open one of the same requester, found when
//! it is categorised. One row per ticket at most; "Not a duplicate" and merging delete it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TicketDuplicates {
    Table,
    TicketId,
    WorkspaceId,
    DuplicateOf,
    Similarity,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Tickets {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TicketDuplicates::Table)
                    .col(pk_uuid(TicketDuplicates::TicketId))
                    .col(uuid(TicketDuplicates::WorkspaceId))
                    .col(uuid(TicketDuplicates::DuplicateOf))
                    // The cosine similarity of the two tickets' embeddings, 0..=1 in practice.
                    .col(double(TicketDuplicates::Similarity))
                    .col(timestamp_with_time_zone(TicketDuplicates::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ticket_duplicates_ticket")
                            .from(TicketDuplicates::Table, TicketDuplicates::TicketId)
                            .to(Tickets::Table, Tickets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ticket_duplicates_duplicate_of")
                            .from(TicketDuplicates::Table, TicketDuplicates::DuplicateOf)
                            .to(Tickets::Table, Tickets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The cascade from the older ticket's side.
        manager
            .create_index(
                Index::create()
                    .name("ix_ticket_duplicates_duplicate_of")
                    .table(TicketDuplicates::Table)
                    .col(TicketDuplicates::DuplicateOf)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TicketDuplicates::Table).to_owned())
            .await
    }
}
