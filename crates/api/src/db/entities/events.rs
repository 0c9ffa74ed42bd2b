use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub workspace_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub kind: String,
    pub ticket_id: Option<Uuid>,
    pub audience: String,
    pub user_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// The requester's projection of a ticket event (`audience = 'ticket'`); none otherwise.
    #[sea_orm(column_type = "Text", nullable)]
    pub requester_payload: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
