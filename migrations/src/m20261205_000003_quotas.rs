//! Abuse limits: one row per counted action (a failed sign-in, a sign-in link asked for, a paid AI
//! call), keyed by what is limited. Counting rows in the database, not in memory, makes every
//! limit hold across instances; rows older than their window are deleted as new ones come in. Mail quotas count the outbox.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LimitHits {
    Table,
    Id,
    Key,
    CreatedAt,
}

/// Quotas on mail are counted from the outbox itself (it keeps every mail), by workspace and kind.
#[derive(DeriveIden)]
enum Outbox {
    Table,
    WorkspaceId,
    Kind,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LimitHits::Table)
                    .col(pk_uuid(LimitHits::Id))
                    // `<kind>:<sha256 of what is limited>`: no email address or IP is stored in clear.
                    .col(string(LimitHits::Key))
                    .col(timestamp_with_time_zone(LimitHits::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // Counting a key's recent rows, and dropping everyone's old rows, are both index ranges.
        manager
            .create_index(
                Index::create()
                    .name("ix_limit_hits_key_created")
                    .table(LimitHits::Table)
                    .col(LimitHits::Key)
                    .col(LimitHits::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_limit_hits_created")
                    .table(LimitHits::Table)
                    .col(LimitHits::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_quota")
                    .table(Outbox::Table)
                    .col(Outbox::WorkspaceId)
                    .col(Outbox::Kind)
                    .col(Outbox::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("ix_outbox_quota").table(Outbox::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(LimitHits::Table).to_owned())
            .await
    }
}
