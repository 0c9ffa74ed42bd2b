use sea_orm::entity::prelude::*;

/// "Possible duplicate of #N" on a ticket, until someone says it is not or merges it.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ticket_duplicates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub ticket_id: Uuid,
    pub workspace_id: Uuid,
    /// The older, still open ticket of the same requester it looks like.
    pub duplicate_of: Uuid,
    /// Cosine similarity of the two embeddings.
    pub similarity: f64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
