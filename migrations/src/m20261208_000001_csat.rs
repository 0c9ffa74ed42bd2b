//! Customer satisfaction: one survey per ticket, offered by mail when the ticket is first solved
//! (a link with an unguessable token, kept hashed), rated once good or bad with an optional
//! comment. The agent is the assignee at the moment it was solved, for the dashboard. A workspace
//! setting turns the surveys off.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_accounts::Workspaces;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CsatSurveys {
    Table,
    Id,
    WorkspaceId,
    TicketId,
    RequesterId,
    AgentId,
    TokenHash,
    SentAt,
    ExpiresAt,
    Rating,
    Comment,
    RatedAt,
}

#[derive(DeriveIden)]
enum Tickets {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Setting {
    CsatEnabled,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CsatSurveys::Table)
                    .col(pk_uuid(CsatSurveys::Id))
                    .col(uuid(CsatSurveys::WorkspaceId))
                    .col(uuid_uniq(CsatSurveys::TicketId))
                    .col(uuid(CsatSurveys::RequesterId))
                    .col(uuid_null(CsatSurveys::AgentId))
                    .col(string_uniq(CsatSurveys::TokenHash))
                    .col(timestamp_with_time_zone(CsatSurveys::SentAt))
                    .col(timestamp_with_time_zone(CsatSurveys::ExpiresAt))
                    .col(string_null(CsatSurveys::Rating))
                    .col(text_null(CsatSurveys::Comment))
                    .col(timestamp_with_time_zone_null(CsatSurveys::RatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_csat_surveys_ticket")
                            .from(CsatSurveys::Table, CsatSurveys::TicketId)
                            .to(Tickets::Table, Tickets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The dashboard reads a workspace's ratings by when they were given, and offers by when sent.
        manager
            .create_index(
                Index::create()
                    .name("ix_csat_surveys_workspace_rated")
                    .table(CsatSurveys::Table)
                    .col(CsatSurveys::WorkspaceId)
                    .col(CsatSurveys::RatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_csat_surveys_workspace_sent")
                    .table(CsatSurveys::Table)
                    .col(CsatSurveys::WorkspaceId)
                    .col(CsatSurveys::SentAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Workspaces::Table)
                    .add_column(boolean(Setting::CsatEnabled).default(true).to_owned())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Workspaces::Table)
                    .drop_column(Setting::CsatEnabled)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(CsatSurveys::Table).to_owned())
            .await
    }
}
