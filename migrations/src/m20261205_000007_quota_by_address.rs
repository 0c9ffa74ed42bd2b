//! The per-address mail quotas (ticket confirmations, sign-in links) count one address's recent
//! mails of one kind. `ix_outbox_quota` (workspace, kind, created_at) made that a walk over every
//! such mail of the workspace in the window: 4 ms per create batch at 10,000 confirmations an hour
//! on PostgreSQL, and growing. With the address in the index it is one short range per address.
//! The workspace-wide count (invitations) keeps `ix_outbox_quota`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    WorkspaceId,
    Kind,
    ToAddress,
    CreatedAt,
}

const NAME: &str = "ix_outbox_quota_address";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(Outbox::Table)
                    .col(Outbox::WorkspaceId)
                    .col(Outbox::Kind)
                    .col(Outbox::ToAddress)
                    .col(Outbox::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table(Outbox::Table).to_owned())
            .await
    }
}
