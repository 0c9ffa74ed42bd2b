use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tickets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub number: i64,
    pub subject: String,
    pub status: Status,
    pub priority: Priority,
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
    pub category_source: Option<CategorySource>,
    /// The classifier's best guess on arrival, kept when it abstained.
    pub ai_category: Option<String>,
    pub ai_confidence: Option<f64>,
    /// Whether that guess was confident enough to set `category`.
    pub ai_assigned: bool,
    /// The author of the first message (the requester, or the staff member who opened it for them).
    pub created_by: Option<Uuid>,
}

// The typed columns: the stored strings are the wire names (`ferrodesk_shared`), and the contract
// crate stays free of sea-orm, so each has a stored twin here with lossless conversions both ways.

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Status {
    #[sea_orm(string_value = "new")]
    New,
    #[sea_orm(string_value = "open")]
    Open,
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "solved")]
    Solved,
    #[sea_orm(string_value = "closed")]
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Priority {
    #[sea_orm(string_value = "low")]
    Low,
    #[sea_orm(string_value = "normal")]
    Normal,
    #[sea_orm(string_value = "high")]
    High,
    #[sea_orm(string_value = "urgent")]
    Urgent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum CategorySource {
    #[sea_orm(string_value = "ai")]
    Ai,
    #[sea_orm(string_value = "agent")]
    Agent,
}

macro_rules! twins {
    ($stored:ident, $wire:ty, [$($variant:ident),+]) => {
        impl From<$stored> for $wire {
            fn from(stored: $stored) -> $wire {
                match stored {
                    $($stored::$variant => <$wire>::$variant),+
                }
            }
        }
        impl From<$wire> for $stored {
            fn from(wire: $wire) -> $stored {
                match wire {
                    $(<$wire>::$variant => $stored::$variant),+
                }
            }
        }
    };
}

twins!(
    Status,
    ferrodesk_shared::tickets::TicketStatus,
    [New, Open, Pending, Solved, Closed]
);
twins!(
    Priority,
    ferrodesk_shared::tickets::Priority,
    [Low, Normal, High, Urgent]
);
twins!(CategorySource, ferrodesk_shared::ai::CategorySource, [Ai, Agent]);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
