use sea_orm::entity::prelude::*;

/// A file a person uploaded; tied to a message once sent with it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attachments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub uploaded_by: Uuid,
    pub ticket_id: Option<Uuid>,
    pub message_id: Option<Uuid>,
    pub filename: String,
    /// As its bytes say (`attachments::domain::sniff`), never as the uploader said.
    pub content_type: String,
    pub size_bytes: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
