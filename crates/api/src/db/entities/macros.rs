use sea_orm::entity::prelude::*;

use crate::db::stored::{StoredPriority, StoredStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "macros")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub title: String,
    /// `title` lower-cased: unique per workspace.
    pub title_key: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub set_status: Option<StoredStatus>,
    pub set_priority: Option<StoredPriority>,
    /// A JSON array of strings.
    #[sea_orm(column_type = "Text")]
    pub add_tags: String,
    pub usage_count: i64,
    pub last_used_at: Option<DateTimeUtc>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
