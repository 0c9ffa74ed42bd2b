//! Uploads never sent are swept after a day (`attachments::jobs::sweep`): this index finds the
//! oldest unsent ones without reading every file's row.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Attachments {
    Table,
    MessageId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_attachments_message_created")
                    .table(Attachments::Table)
                    .col(Attachments::MessageId)
                    .col(Attachments::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_attachments_message_created")
                    .table(Attachments::Table)
                    .to_owned(),
            )
            .await
    }
}
