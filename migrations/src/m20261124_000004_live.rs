//! What makes Ferrodesk live: the workspace's event log (for WebSocket replay), in-app
//! notifications, and the mail outbox with a record of every delivery attempt.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_accounts::{Users, Workspaces};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WorkspacesLive {
    #[sea_orm(iden = "workspaces")]
    Table,
    EventSeq,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    WorkspaceId,
    Seq,
    Kind,
    TicketId,
    Audience,
    UserId,
    Payload,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    WorkspaceId,
    UserId,
    Kind,
    TicketId,
    Title,
    ReadAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    WorkspaceId,
    Kind,
    ToAddress,
    ToName,
    FromName,
    Subject,
    BodyText,
    MessageId,
    InReplyTo,
    References,
    Status,
    Attempts,
    NextAttemptAt,
    ClaimedBy,
    ClaimedUntil,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum OutboxAttempts {
    Table,
    Id,
    OutboxId,
    AttemptedAt,
    Ok,
    Error,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The last event number handed out; bumped under the workspace row's lock so that ids
        // commit in order and a reconnecting client can never skip one.
        manager
            .alter_table(
                Table::alter()
                    .table(WorkspacesLive::Table)
                    .add_column(big_integer(WorkspacesLive::EventSeq).default(0))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(uuid(Events::WorkspaceId))
                    .col(big_integer(Events::Seq))
                    .col(string(Events::Kind))
                    .col(uuid_null(Events::TicketId))
                    // `staff`, `ticket` (staff and the ticket's requester) or `user` (one person).
                    .col(string(Events::Audience))
                    .col(uuid_null(Events::UserId))
                    // The ServerEvent as sent, JSON.
                    .col(text(Events::Payload))
                    .col(timestamp_with_time_zone(Events::CreatedAt))
                    .primary_key(Index::create().col(Events::WorkspaceId).col(Events::Seq))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_events_workspace")
                            .from(Events::Table, Events::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(pk_uuid(Notifications::Id))
                    .col(uuid(Notifications::WorkspaceId))
                    .col(uuid(Notifications::UserId))
                    .col(string(Notifications::Kind))
                    .col(uuid_null(Notifications::TicketId))
                    .col(string(Notifications::Title))
                    .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notifications_user")
                            .from(Notifications::Table, Notifications::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_notifications_user_created")
                    .table(Notifications::Table)
                    .col(Notifications::UserId)
                    .col(Notifications::CreatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(pk_uuid(Outbox::Id))
                    .col(uuid_null(Outbox::WorkspaceId))
                    .col(string(Outbox::Kind))
                    .col(string(Outbox::ToAddress))
                    .col(string(Outbox::ToName))
                    .col(string(Outbox::FromName))
                    .col(string(Outbox::Subject))
                    .col(text(Outbox::BodyText))
                    .col(string(Outbox::MessageId))
                    .col(string_null(Outbox::InReplyTo))
                    .col(text_null(Outbox::References))
                    // `pending`, `sent` or `dead` (gave up after too many attempts).
                    .col(string(Outbox::Status))
                    .col(integer(Outbox::Attempts).default(0))
                    .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                    // A worker's lease: another worker may take the row once it has run out.
                    .col(uuid_null(Outbox::ClaimedBy))
                    .col(timestamp_with_time_zone_null(Outbox::ClaimedUntil))
                    .col(text_null(Outbox::LastError))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(Outbox::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_due")
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OutboxAttempts::Table)
                    .col(pk_uuid(OutboxAttempts::Id))
                    .col(uuid(OutboxAttempts::OutboxId))
                    .col(timestamp_with_time_zone(OutboxAttempts::AttemptedAt))
                    .col(boolean(OutboxAttempts::Ok))
                    .col(text_null(OutboxAttempts::Error))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_outbox_attempts_outbox")
                            .from(OutboxAttempts::Table, OutboxAttempts::OutboxId)
                            .to(Outbox::Table, Outbox::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_attempts_outbox")
                    .table(OutboxAttempts::Table)
                    .col(OutboxAttempts::OutboxId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OutboxAttempts::Table.into_iden(),
            Outbox::Table.into_iden(),
            Notifications::Table.into_iden(),
            Events::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(WorkspacesLive::Table)
                    .drop_column(WorkspacesLive::EventSeq)
                    .to_owned(),
            )
            .await
    }
}
