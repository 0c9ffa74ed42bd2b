use sea_orm::entity::prelude::*;

use crate::db::stored::StoredRating;

/// One ticket's satisfaction survey: offered when it was first solved, rated once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "csat_surveys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: Uuid,
    #[sea_orm(unique)]
    pub ticket_id: Uuid,
    pub requester_id: Uuid,
    /// The assignee when the ticket was solved: whose work is rated.
    pub agent_id: Option<Uuid>,
    /// SHA-256 of the link's token; the token itself is only in the mail.
    #[sea_orm(unique)]
    pub token_hash: String,
    pub sent_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub rating: Option<StoredRating>,
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
    pub rated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
