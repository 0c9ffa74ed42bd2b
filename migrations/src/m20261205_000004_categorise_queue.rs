//! The categorisation queue: a new ticket is enqueued in its own transaction and categorised a
//! moment later by a worker, off the request path. A row is a claim ticket, not a log: the worker
//! deletes it in the transaction that stores the verdict. `claimed_by`/`claimed_until` are a lease,
//! so a crashed worker's rows are taken again once it runs out.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CategoriseQueue {
    Table,
    TicketId,
    WorkspaceId,
    EnqueuedAt,
    Attempts,
    ClaimedBy,
    ClaimedUntil,
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
                    .table(CategoriseQueue::Table)
                    // One row per ticket: enqueueing twice is a conflict, not a second categorisation.
                    .col(pk_uuid(CategoriseQueue::TicketId))
                    .col(uuid(CategoriseQueue::WorkspaceId))
                    .col(timestamp_with_time_zone(CategoriseQueue::EnqueuedAt))
                    // Claims so far: a row that keeps failing is given up after a few.
                    .col(integer(CategoriseQueue::Attempts).default(0))
                    .col(uuid_null(CategoriseQueue::ClaimedBy))
                    .col(timestamp_with_time_zone_null(CategoriseQueue::ClaimedUntil))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_categorise_queue_ticket")
                            .from(CategoriseQueue::Table, CategoriseQueue::TicketId)
                            .to(Tickets::Table, Tickets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Oldest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_categorise_queue_enqueued")
                    .table(CategoriseQueue::Table)
                    .col(CategoriseQueue::EnqueuedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CategoriseQueue::Table).to_owned())
            .await
    }
}
