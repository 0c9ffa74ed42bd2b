use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "widget_visitors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: Uuid,
    /// SHA-256 of the `fdv_` token.
    pub token_hash: String,
    /// The customer the visitor writes as; none until it first writes in or is identified.
    pub user_id: Option<Uuid>,
    /// Signed in by an identity token from the company's server.
    pub identified: bool,
    /// The widget secret that signed the identity in (rotating the secret ends the visitor).
    pub secret_id: Option<Uuid>,
    pub external_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
