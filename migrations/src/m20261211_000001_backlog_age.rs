//! `/metrics` reads each queue's backlog (rows pending, the oldest one's age) at every scrape,
//! across workspaces. The workers' indexes are (status, next_attempt_at): a retried row's next
//! attempt is not its age. With (status, created_at) the count and the oldest are one range of
//! one index, read without the rows.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Status,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Status,
    CreatedAt,
}

const OUTBOX: &str = "ix_outbox_pending_age";
const DELIVERIES: &str = "ix_webhook_deliveries_pending_age";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(OUTBOX)
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(DELIVERIES)
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::Status)
                    .col(WebhookDeliveries::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(DELIVERIES)
                    .table(WebhookDeliveries::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name(OUTBOX).table(Outbox::Table).to_owned())
            .await
    }
}
