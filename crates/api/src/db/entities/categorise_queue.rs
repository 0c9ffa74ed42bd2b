use sea_orm::entity::prelude::*;

/// A ticket waiting for its category (see `ai::categorise`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "categorise_queue")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub ticket_id: Uuid,
    pub workspace_id: Uuid,
    pub enqueued_at: DateTimeUtc,
    pub attempts: i32,
    pub claimed_by: Option<Uuid>,
    pub claimed_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
