//! SLA: per-workspace targets by priority, each ticket's due times (with the time spent pending,
//! which pauses the resolution clock), and the breaches the scheduler acted on. A breach row is
//! also the claim that makes each breach act once, whatever the number of instances.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_accounts::Workspaces;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SlaPolicies {
    Table,
    WorkspaceId,
    Priority,
    FirstResponseMinutes,
    ResolutionMinutes,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Tickets {
    Table,
    WorkspaceId,
    FirstResponseDueAt,
    ResolutionDueAt,
    NextDueAt,
    PendingSince,
    PausedSeconds,
    BreachedFirstResponse,
    BreachedResolution,
    Escalated,
}

#[derive(DeriveIden)]
enum SlaBreaches {
    Table,
    Id,
    WorkspaceId,
    TicketId,
    Kind,
    DueAt,
    Action,
    AssigneeId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SlaPolicies::Table)
                    .col(uuid(SlaPolicies::WorkspaceId))
                    .col(string(SlaPolicies::Priority))
                    .col(integer(SlaPolicies::FirstResponseMinutes))
                    .col(integer(SlaPolicies::ResolutionMinutes))
                    .col(timestamp_with_time_zone(SlaPolicies::UpdatedAt))
                    .primary_key(Index::create().col(SlaPolicies::WorkspaceId).col(SlaPolicies::Priority))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sla_policies_workspace")
                            .from(SlaPolicies::Table, SlaPolicies::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per ALTER TABLE.
        for column in [
            timestamp_with_time_zone_null(Tickets::FirstResponseDueAt),
            timestamp_with_time_zone_null(Tickets::ResolutionDueAt),
            timestamp_with_time_zone_null(Tickets::NextDueAt),
            timestamp_with_time_zone_null(Tickets::PendingSince),
            big_integer(Tickets::PausedSeconds).default(0).to_owned(),
            boolean(Tickets::BreachedFirstResponse).default(false).to_owned(),
            boolean(Tickets::BreachedResolution).default(false).to_owned(),
            boolean(Tickets::Escalated).default(false).to_owned(),
        ] {
            let mut column = column;
            manager
                .alter_table(Table::alter().table(Tickets::Table).add_column(&mut column).to_owned())
                .await?;
        }
        // The scheduler's scan and the inbox's "sort by due" both walk this index.
        manager
            .create_index(
                Index::create()
                    .name("ix_tickets_next_due")
                    .table(Tickets::Table)
                    .col(Tickets::NextDueAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_tickets_ws_next_due")
                    .table(Tickets::Table)
                    .col(Tickets::WorkspaceId)
                    .col(Tickets::NextDueAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SlaBreaches::Table)
                    .col(pk_uuid(SlaBreaches::Id))
                    .col(uuid(SlaBreaches::WorkspaceId))
                    .col(uuid(SlaBreaches::TicketId))
                    // `first_response` or `resolution`.
                    .col(string(SlaBreaches::Kind))
                    .col(timestamp_with_time_zone(SlaBreaches::DueAt))
                    // `assigned` or `escalated`.
                    .col(string(SlaBreaches::Action))
                    .col(uuid_null(SlaBreaches::AssigneeId))
                    .col(timestamp_with_time_zone(SlaBreaches::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_sla_breaches_once")
                    .table(SlaBreaches::Table)
                    .col(SlaBreaches::TicketId)
                    .col(SlaBreaches::Kind)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SlaBreaches::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_tickets_ws_next_due")
                    .table(Tickets::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_tickets_next_due")
                    .table(Tickets::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Tickets::Escalated,
            Tickets::BreachedResolution,
            Tickets::BreachedFirstResponse,
            Tickets::PausedSeconds,
            Tickets::PendingSince,
            Tickets::NextDueAt,
            Tickets::ResolutionDueAt,
            Tickets::FirstResponseDueAt,
        ] {
            manager
                .alter_table(Table::alter().table(Tickets::Table).drop_column(column).to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table(SlaPolicies::Table).to_owned())
            .await
    }
}
