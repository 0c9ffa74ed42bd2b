//! Macros (canned replies): a workspace's texts with placeholders, and what to set on the ticket
//! when a reply written from one is sent. Their use is counted on the row.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Macros {
    Table,
    Id,
    WorkspaceId,
    Title,
    /// The title lower-cased: unique per workspace ("Refund" and "refund" are one macro).
    TitleKey,
    Body,
    SetStatus,
    SetPriority,
    /// A JSON array of tags, like `tickets.tags`.
    AddTags,
    UsageCount,
    LastUsedAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Workspaces {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Macros::Table)
                    .col(pk_uuid(Macros::Id))
                    .col(uuid(Macros::WorkspaceId))
                    .col(string(Macros::Title))
                    .col(string(Macros::TitleKey))
                    .col(text(Macros::Body))
                    .col(string_null(Macros::SetStatus))
                    .col(string_null(Macros::SetPriority))
                    .col(text(Macros::AddTags))
                    .col(big_integer(Macros::UsageCount).default(0))
                    .col(timestamp_with_time_zone_null(Macros::LastUsedAt))
                    .col(uuid_null(Macros::CreatedBy))
                    .col(timestamp_with_time_zone(Macros::CreatedAt))
                    .col(timestamp_with_time_zone(Macros::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_macros_workspace")
                            .from(Macros::Table, Macros::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_macros_workspace_title")
                    .table(Macros::Table)
                    .col(Macros::WorkspaceId)
                    .col(Macros::TitleKey)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Macros::Table).to_owned()).await
    }
}
