//! Proven email addresses: when each user proved their address (a link sent to it was opened),
//! single-use sign-in and confirmation links stored as hashes, and who wrote each ticket's first
//! message, so an unproven customer sees only what they wrote themselves.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_accounts::Workspaces;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    EmailVerifiedAt,
}

#[derive(DeriveIden)]
enum Tickets {
    Table,
    CreatedBy,
}

#[derive(DeriveIden)]
enum SignInLinks {
    Table,
    Id,
    WorkspaceId,
    UserId,
    TokenHash,
    Purpose,
    PasswordStamp,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(timestamp_with_time_zone_null(Users::EmailVerifiedAt))
                    .to_owned(),
            )
            .await?;
        // Staff who joined by invitation opened a link sent to their address: proven. Owners and
        // customers so far are not (anyone could type any address at sign-up).
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE users SET email_verified_at = (SELECT MIN(invitations.accepted_at) FROM invitations \
                 WHERE invitations.workspace_id = users.workspace_id AND invitations.email = users.email \
                 AND invitations.accepted_at IS NOT NULL) WHERE users.role <> 'customer'",
            )
            .await?;

        // Nullable: rows written by bulk tools without it are simply nobody's own.
        manager
            .alter_table(
                Table::alter()
                    .table(Tickets::Table)
                    .add_column(uuid_null(Tickets::CreatedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE tickets SET created_by = (SELECT messages.author_id FROM messages \
                 WHERE messages.ticket_id = tickets.id ORDER BY messages.created_at, messages.id LIMIT 1)",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SignInLinks::Table)
                    .col(pk_uuid(SignInLinks::Id))
                    .col(uuid(SignInLinks::WorkspaceId))
                    .col(uuid(SignInLinks::UserId))
                    // SHA-256 of the token: the link itself is only in the email.
                    .col(string(SignInLinks::TokenHash))
                    // `sign_in` or `confirm_email`.
                    .col(string(SignInLinks::Purpose))
                    // A confirmation confirms one password: a digest of the hash it was sent for.
                    .col(string_null(SignInLinks::PasswordStamp))
                    .col(timestamp_with_time_zone(SignInLinks::CreatedAt))
                    .col(timestamp_with_time_zone(SignInLinks::ExpiresAt))
                    // Set when opened; a link works once.
                    .col(timestamp_with_time_zone_null(SignInLinks::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sign_in_links_workspace")
                            .from(SignInLinks::Table, SignInLinks::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sign_in_links_user")
                            .from(SignInLinks::Table, SignInLinks::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_sign_in_links_token_hash")
                    .table(SignInLinks::Table)
                    .col(SignInLinks::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sign_in_links_user")
                    .table(SignInLinks::Table)
                    .col(SignInLinks::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SignInLinks::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Tickets::Table)
                    .drop_column(Tickets::CreatedBy)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::EmailVerifiedAt)
                    .to_owned(),
            )
            .await
    }
}
