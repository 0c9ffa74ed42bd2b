//! Tickets, their threads, and the idempotency keys that make ticket creation safe to retry.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_accounts::{Users, Workspaces};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Tickets {
    Table,
    Id,
    WorkspaceId,
    Number,
    Subject,
    Status,
    Priority,
    Category,
    Tags,
    RequesterId,
    AssigneeId,
    CreatedAt,
    UpdatedAt,
    FirstResponseAt,
    SolvedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    WorkspaceId,
    TicketId,
    AuthorId,
    Body,
    Internal,
    CreatedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    WorkspaceId,
    UserId,
    Key,
    RequestHash,
    TicketId,
    CreatedAt,
}

fn index(name: &str, table: Tickets, columns: &[Tickets]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(*column);
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tickets::Table)
                    .col(pk_uuid(Tickets::Id))
                    .col(uuid(Tickets::WorkspaceId))
                    .col(big_integer(Tickets::Number))
                    .col(string(Tickets::Subject))
                    .col(string(Tickets::Status))
                    .col(string(Tickets::Priority))
                    .col(string_null(Tickets::Category))
                    // A JSON array of lower-case tags.
                    .col(text(Tickets::Tags))
                    .col(uuid(Tickets::RequesterId))
                    .col(uuid_null(Tickets::AssigneeId))
                    .col(timestamp_with_time_zone(Tickets::CreatedAt))
                    .col(timestamp_with_time_zone(Tickets::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Tickets::FirstResponseAt))
                    .col(timestamp_with_time_zone_null(Tickets::SolvedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tickets_workspace")
                            .from(Tickets::Table, Tickets::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tickets_requester")
                            .from(Tickets::Table, Tickets::RequesterId)
                            .to(Users::Table, Users::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tickets_assignee")
                            .from(Tickets::Table, Tickets::AssigneeId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_tickets_workspace_number",
                    Tickets::Table,
                    &[Tickets::WorkspaceId, Tickets::Number],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        // The inbox pages by (updated_at, id) or (created_at, id) inside one workspace, optionally narrowed
        // to a status, an assignee or a requester (a customer's own list).
        for (name, columns) in [
            (
                "ix_tickets_ws_updated",
                vec![Tickets::WorkspaceId, Tickets::UpdatedAt, Tickets::Id],
            ),
            (
                "ix_tickets_ws_created",
                vec![Tickets::WorkspaceId, Tickets::CreatedAt, Tickets::Id],
            ),
            (
                "ix_tickets_ws_status_updated",
                vec![Tickets::WorkspaceId, Tickets::Status, Tickets::UpdatedAt],
            ),
            (
                "ix_tickets_ws_assignee_updated",
                vec![Tickets::WorkspaceId, Tickets::AssigneeId, Tickets::UpdatedAt],
            ),
            (
                "ix_tickets_ws_requester_updated",
                vec![Tickets::WorkspaceId, Tickets::RequesterId, Tickets::UpdatedAt],
            ),
        ] {
            manager.create_index(index(name, Tickets::Table, &columns)).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .col(pk_uuid(Messages::Id))
                    .col(uuid(Messages::WorkspaceId))
                    .col(uuid(Messages::TicketId))
                    .col(uuid(Messages::AuthorId))
                    .col(text(Messages::Body))
                    .col(boolean(Messages::Internal))
                    .col(timestamp_with_time_zone(Messages::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_messages_ticket")
                            .from(Messages::Table, Messages::TicketId)
                            .to(Tickets::Table, Tickets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_messages_author")
                            .from(Messages::Table, Messages::AuthorId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_messages_ticket_created")
                    .table(Messages::Table)
                    .col(Messages::TicketId)
                    .col(Messages::CreatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(uuid(IdempotencyKeys::WorkspaceId))
                    .col(uuid(IdempotencyKeys::UserId))
                    .col(string(IdempotencyKeys::Key))
                    // SHA-256 of the request body: the same key with another body is a client bug.
                    .col(string(IdempotencyKeys::RequestHash))
                    .col(uuid(IdempotencyKeys::TicketId))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKeys::WorkspaceId)
                            .col(IdempotencyKeys::UserId)
                            .col(IdempotencyKeys::Key),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_idempotency_keys_ticket")
                            .from(IdempotencyKeys::Table, IdempotencyKeys::TicketId)
                            .to(Tickets::Table, Tickets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            IdempotencyKeys::Table.into_iden(),
            Messages::Table.into_iden(),
            Tickets::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
