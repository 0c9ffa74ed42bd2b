//! Attachments: a file uploaded by a person of a workspace, kept in the blob store under its id,
//! then tied to the message that carries it (until then only its uploader may read it).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Attachments {
    Table,
    Id,
    WorkspaceId,
    UploadedBy,
    TicketId,
    MessageId,
    Filename,
    ContentType,
    SizeBytes,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Attachments::Table)
                    .col(pk_uuid(Attachments::Id))
                    .col(uuid(Attachments::WorkspaceId))
                    .col(uuid(Attachments::UploadedBy))
                    .col(uuid_null(Attachments::TicketId))
                    .col(uuid_null(Attachments::MessageId))
                    .col(string(Attachments::Filename))
                    .col(string(Attachments::ContentType))
                    .col(big_integer(Attachments::SizeBytes))
                    .col(timestamp_with_time_zone(Attachments::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // A ticket's thread reads its files in one range.
        manager
            .create_index(
                Index::create()
                    .name("ix_attachments_workspace_ticket")
                    .table(Attachments::Table)
                    .col(Attachments::WorkspaceId)
                    .col(Attachments::TicketId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Attachments::Table).to_owned())
            .await
    }
}
