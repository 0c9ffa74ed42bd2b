//! The team's note about a person (a customer, usually): one per person, shown beside their
//! tickets to staff only.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PersonNotes {
    Table,
    UserId,
    WorkspaceId,
    Body,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PersonNotes::Table)
                    .col(pk_uuid(PersonNotes::UserId))
                    .col(uuid(PersonNotes::WorkspaceId))
                    .col(text(PersonNotes::Body))
                    .col(uuid_null(PersonNotes::UpdatedBy))
                    .col(timestamp_with_time_zone(PersonNotes::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_person_notes_user")
                            .from(PersonNotes::Table, PersonNotes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PersonNotes::Table).to_owned())
            .await
    }
}
