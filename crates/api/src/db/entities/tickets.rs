use sea_orm::entity::prelude::*;

use crate::db::stored::{StoredCategorySource, StoredPriority, StoredStatus};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tickets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub number: i64,
    pub subject: String,
    pub status: StoredStatus,
    pub priority: StoredPriority,
    pub category: Option<String>,
    /// A JSON array of strings.
    #[sea_orm(column_type = "Text")]
    pub tags: String,
    pub requester_id: Uuid,
    pub assignee_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub first_response_at: Option<DateTimeUtc>,
    pub solved_at: Option<DateTimeUtc>,
    pub preview: Option<String>,
    pub first_response_due_at: Option<DateTimeUtc>,
    pub resolution_due_at: Option<DateTimeUtc>,
    /// The next target still to meet: the scheduler's scan and "sort by due" use it.
    pub next_due_at: Option<DateTimeUtc>,
    pub pending_since: Option<DateTimeUtc>,
    pub paused_seconds: i64,
    pub breached_first_response: bool,
    pub breached_resolution: bool,
    pub escalated: bool,
    /// Who set `category`.
    pub category_source: Option<StoredCategorySource>,
    /// The classifier's best guess on arrival, kept when it abstained.
    pub ai_category: Option<String>,
    pub ai_confidence: Option<f64>,
    /// Whether that guess was confident enough to set `category`.
    pub ai_assigned: bool,
    /// The author of the first message (the requester, or the staff member who opened it for them).
    pub created_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
