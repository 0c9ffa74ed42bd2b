//! Questions the widget answered before they became tickets: each "This answered my question" is a
//! row, so the dashboard can show the deflection rate beside the widget's conversations.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_accounts::Workspaces;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WidgetDeflections {
    Table,
    Id,
    WorkspaceId,
    /// The solved ticket whose answer helped.
    SourceTicketId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WidgetConversations {
    Table,
    WorkspaceId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WidgetDeflections::Table)
                    .col(pk_uuid(WidgetDeflections::Id))
                    .col(uuid(WidgetDeflections::WorkspaceId))
                    .col(uuid(WidgetDeflections::SourceTicketId))
                    .col(timestamp_with_time_zone(WidgetDeflections::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_widget_deflections_workspace")
                            .from(WidgetDeflections::Table, WidgetDeflections::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The dashboard counts both by workspace and time.
        manager
            .create_index(
                Index::create()
                    .name("ix_widget_deflections_workspace_time")
                    .table(WidgetDeflections::Table)
                    .col(WidgetDeflections::WorkspaceId)
                    .col(WidgetDeflections::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_widget_conversations_workspace_time")
                    .table(WidgetConversations::Table)
                    .col(WidgetConversations::WorkspaceId)
                    .col(WidgetConversations::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_widget_conversations_workspace_time")
                    .table(WidgetConversations::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(WidgetDeflections::Table).to_owned())
            .await
    }
}
