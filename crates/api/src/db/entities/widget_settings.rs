use sea_orm::entity::prelude::*;

use crate::db::stored::StoredWidgetPosition;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "widget_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub workspace_id: Uuid,
    pub enabled: bool,
    pub colour: String,
    pub label: String,
    #[sea_orm(column_type = "Text")]
    pub greeting: String,
    pub position: StoredWidgetPosition,
    /// A JSON array of exact origins (`["https://shop.example"]`).
    #[sea_orm(column_type = "Text")]
    pub allowed_origins: String,
    pub identity_required: bool,
    pub suggest_answers: bool,
    /// The `fdw_` identity secret, sealed with the deployment's encryption key.
    #[sea_orm(column_type = "Text", nullable)]
    pub secret: Option<String>,
    pub secret_id: Option<Uuid>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
