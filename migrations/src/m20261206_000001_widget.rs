//! The embeddable widget: a workspace's widget settings (one row, absent until the owner saves),
//! the visitors the widget gave a token to (stored as SHA-256), and which tickets a visitor started
//! (an anonymous visitor sees only those).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_accounts::{Users, Workspaces};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WidgetSettings {
    Table,
    WorkspaceId,
    Enabled,
    Colour,
    Label,
    Greeting,
    Position,
    AllowedOrigins,
    IdentityRequired,
    SuggestAnswers,
    Secret,
    SecretId,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WidgetVisitors {
    Table,
    Id,
    WorkspaceId,
    TokenHash,
    UserId,
    Identified,
    SecretId,
    ExternalId,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum WidgetConversations {
    Table,
    TicketId,
    WorkspaceId,
    VisitorId,
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
                    .table(WidgetSettings::Table)
                    .col(pk_uuid(WidgetSettings::WorkspaceId))
                    .col(boolean(WidgetSettings::Enabled))
                    .col(string(WidgetSettings::Colour))
                    .col(string(WidgetSettings::Label))
                    .col(text(WidgetSettings::Greeting))
                    .col(string(WidgetSettings::Position))
                    // A JSON array of exact origins.
                    .col(text(WidgetSettings::AllowedOrigins))
                    .col(boolean(WidgetSettings::IdentityRequired))
                    .col(boolean(WidgetSettings::SuggestAnswers))
                    // The identity secret, sealed (ChaCha20-Poly1305): verifying HS256 needs it in clear.
                    .col(text_null(WidgetSettings::Secret))
                    // Names the secret; visitors it signed in carry it, so rotating ends them.
                    .col(uuid_null(WidgetSettings::SecretId))
                    .col(timestamp_with_time_zone(WidgetSettings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_widget_settings_workspace")
                            .from(WidgetSettings::Table, WidgetSettings::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WidgetVisitors::Table)
                    .col(pk_uuid(WidgetVisitors::Id))
                    .col(uuid(WidgetVisitors::WorkspaceId))
                    .col(string(WidgetVisitors::TokenHash))
                    // The customer the visitor writes as: none until it first writes in or is identified.
                    .col(uuid_null(WidgetVisitors::UserId))
                    .col(boolean(WidgetVisitors::Identified))
                    .col(uuid_null(WidgetVisitors::SecretId))
                    .col(string_null(WidgetVisitors::ExternalId))
                    .col(timestamp_with_time_zone(WidgetVisitors::CreatedAt))
                    .col(timestamp_with_time_zone(WidgetVisitors::LastSeenAt))
                    .col(timestamp_with_time_zone(WidgetVisitors::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_widget_visitors_workspace")
                            .from(WidgetVisitors::Table, WidgetVisitors::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_widget_visitors_user")
                            .from(WidgetVisitors::Table, WidgetVisitors::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Every visitor call looks its token up by hash.
        manager
            .create_index(
                Index::create()
                    .name("ux_widget_visitors_token_hash")
                    .table(WidgetVisitors::Table)
                    .col(WidgetVisitors::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WidgetConversations::Table)
                    .col(pk_uuid(WidgetConversations::TicketId))
                    .col(uuid(WidgetConversations::WorkspaceId))
                    .col(uuid(WidgetConversations::VisitorId))
                    .col(timestamp_with_time_zone(WidgetConversations::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_widget_conversations_ticket")
                            .from(WidgetConversations::Table, WidgetConversations::TicketId)
                            .to(Tickets::Table, Tickets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_widget_conversations_visitor")
                            .from(WidgetConversations::Table, WidgetConversations::VisitorId)
                            .to(WidgetVisitors::Table, WidgetVisitors::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_widget_conversations_visitor")
                    .table(WidgetConversations::Table)
                    .col(WidgetConversations::VisitorId)
                    .col(WidgetConversations::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WidgetConversations::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(WidgetVisitors::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(WidgetSettings::Table).to_owned())
            .await
    }
}
