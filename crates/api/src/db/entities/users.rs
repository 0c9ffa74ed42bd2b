use sea_orm::entity::prelude::*;

use crate::db::stored::StoredRole;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: StoredRole,
    pub password_hash: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When the user proved the address (opened a link sent to it); until then the account sees
    /// only what it wrote itself.
    pub email_verified_at: Option<DateTimeUtc>,
    /// The backing user of an API key (`auth::api_keys`): an author, never a person who signs in,
    /// and never part of the team, the assignee choices or notifications.
    pub integration: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
