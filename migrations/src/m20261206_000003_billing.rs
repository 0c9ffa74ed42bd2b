//! Stripe billing: the workspace's Stripe customer and subscription as last read from Stripe, and
//! the webhook's events, kept by id (a replay is recognised) and processed by a durable job.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_accounts::Workspaces;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WorkspaceBilling {
    /// The customer created for the workspace before its first Checkout; events are mapped to
    /// workspaces through it (never through metadata).
    StripeCustomerId,
    StripeSubscriptionId,
    /// The subscription's status as Stripe names it (`active`, `past_due`, ...).
    BillingStatus,
    BillingPeriodEnd,
    BillingCancelAtPeriodEnd,
    /// After a failed payment, Pro until then.
    BillingGraceUntil,
}

#[derive(DeriveIden)]
enum StripeEvents {
    Table,
    /// Stripe's event id (`evt_...`).
    Id,
    Kind,
    Customer,
    Subscription,
    /// When Stripe made the event.
    CreatedAt,
    ReceivedAt,
    ProcessedAt,
    /// What processing did (`applied`, `unknown_customer`, ...).
    Outcome,
    Attempts,
    NextAttemptAt,
    LastError,
    ClaimedBy,
    ClaimedUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER: SQLite takes one change at a time.
        let columns = [
            string_null(WorkspaceBilling::StripeCustomerId),
            string_null(WorkspaceBilling::StripeSubscriptionId),
            string_null(WorkspaceBilling::BillingStatus),
            timestamp_with_time_zone_null(WorkspaceBilling::BillingPeriodEnd),
            boolean(WorkspaceBilling::BillingCancelAtPeriodEnd)
                .default(false)
                .to_owned(),
            timestamp_with_time_zone_null(WorkspaceBilling::BillingGraceUntil),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Workspaces::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ux_workspaces_stripe_customer")
                    .table(Workspaces::Table)
                    .col(WorkspaceBilling::StripeCustomerId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StripeEvents::Table)
                    .col(string(StripeEvents::Id).primary_key())
                    .col(string(StripeEvents::Kind))
                    .col(string_null(StripeEvents::Customer))
                    .col(string_null(StripeEvents::Subscription))
                    .col(timestamp_with_time_zone(StripeEvents::CreatedAt))
                    .col(timestamp_with_time_zone(StripeEvents::ReceivedAt))
                    .col(timestamp_with_time_zone_null(StripeEvents::ProcessedAt))
                    .col(string_null(StripeEvents::Outcome))
                    .col(integer(StripeEvents::Attempts).default(0))
                    .col(timestamp_with_time_zone(StripeEvents::NextAttemptAt))
                    .col(text_null(StripeEvents::LastError))
                    .col(uuid_null(StripeEvents::ClaimedBy))
                    .col(timestamp_with_time_zone_null(StripeEvents::ClaimedUntil))
                    .to_owned(),
            )
            .await?;
        // The job looks for unprocessed events that are due.
        manager
            .create_index(
                Index::create()
                    .name("ix_stripe_events_due")
                    .table(StripeEvents::Table)
                    .col(StripeEvents::ProcessedAt)
                    .col(StripeEvents::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StripeEvents::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ux_workspaces_stripe_customer")
                    .table(Workspaces::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            WorkspaceBilling::BillingGraceUntil,
            WorkspaceBilling::BillingCancelAtPeriodEnd,
            WorkspaceBilling::BillingPeriodEnd,
            WorkspaceBilling::BillingStatus,
            WorkspaceBilling::StripeSubscriptionId,
            WorkspaceBilling::StripeCustomerId,
        ] {
            manager
                .alter_table(Table::alter().table(Workspaces::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
