//! AI: what the classifier made of each ticket on arrival, who set its category (people's choices
//! are the labels it learns from), each ticket's embedding (for similar-ticket retrieval and
//! retraining without re-embedding), and a workspace's AI settings with its trained classifier.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_accounts::Workspaces;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Tickets {
    Table,
    Id,
    CategorySource,
    AiCategory,
    AiConfidence,
    AiAssigned,
}

#[derive(DeriveIden)]
enum AiSettings {
    Table,
    WorkspaceId,
    Enabled,
    MinConfidence,
    CustomCategories,
    ProviderBaseUrl,
    ProviderModel,
    ProviderKey,
    Classifier,
    ClassifierEmbedder,
    ClassifierLabels,
    ClassifierVersion,
    TrainedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TicketEmbeddings {
    Table,
    TicketId,
    WorkspaceId,
    Embedder,
    Vector,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [
            string_null(Tickets::CategorySource),
            string_null(Tickets::AiCategory),
            double_null(Tickets::AiConfidence),
            boolean(Tickets::AiAssigned).default(false).to_owned(),
        ] {
            let mut column = column;
            manager
                .alter_table(Table::alter().table(Tickets::Table).add_column(&mut column).to_owned())
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AiSettings::Table)
                    .col(pk_uuid(AiSettings::WorkspaceId))
                    .col(boolean(AiSettings::Enabled).default(true))
                    .col(double(AiSettings::MinConfidence))
                    // A JSON array of `{name, description}`.
                    .col(text(AiSettings::CustomCategories))
                    .col(string_null(AiSettings::ProviderBaseUrl))
                    .col(string_null(AiSettings::ProviderModel))
                    // base64 of nonce || ChaCha20-Poly1305 ciphertext; never the key in clear.
                    .col(text_null(AiSettings::ProviderKey))
                    // The serialised `ferrodesk_ai::Classifier`, trained from this workspace's labels only.
                    .col(text_null(AiSettings::Classifier))
                    .col(string_null(AiSettings::ClassifierEmbedder))
                    .col(big_integer(AiSettings::ClassifierLabels).default(0))
                    .col(big_integer(AiSettings::ClassifierVersion).default(0))
                    .col(timestamp_with_time_zone_null(AiSettings::TrainedAt))
                    .col(timestamp_with_time_zone(AiSettings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ai_settings_workspace")
                            .from(AiSettings::Table, AiSettings::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TicketEmbeddings::Table)
                    .col(pk_uuid(TicketEmbeddings::TicketId))
                    .col(uuid(TicketEmbeddings::WorkspaceId))
                    // Vectors of different embedders are not comparable: each row says whose it is.
                    .col(string(TicketEmbeddings::Embedder))
                    // Little-endian f32s.
                    .col(blob(TicketEmbeddings::Vector))
                    .col(timestamp_with_time_zone(TicketEmbeddings::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ticket_embeddings_ticket")
                            .from(TicketEmbeddings::Table, TicketEmbeddings::TicketId)
                            .to(Tickets::Table, Tickets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_ticket_embeddings_ws")
                    .table(TicketEmbeddings::Table)
                    .col(TicketEmbeddings::WorkspaceId)
                    .col(TicketEmbeddings::Embedder)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TicketEmbeddings::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AiSettings::Table).to_owned())
            .await?;
        for column in [
            Tickets::AiAssigned,
            Tickets::AiConfidence,
            Tickets::AiCategory,
            Tickets::CategorySource,
        ] {
            manager
                .alter_table(Table::alter().table(Tickets::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
