use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ai_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub workspace_id: Uuid,
    pub enabled: bool,
    pub min_confidence: f64,
    /// A JSON array of `{name, description}`.
    #[sea_orm(column_type = "Text")]
    pub custom_categories: String,
    pub provider_base_url: Option<String>,
    pub provider_model: Option<String>,
    /// base64(nonce || ciphertext) of the provider's API key.
    #[sea_orm(column_type = "Text", nullable)]
    pub provider_key: Option<String>,
    /// The serialised classifier (JSON).
    #[sea_orm(column_type = "Text", nullable)]
    pub classifier: Option<String>,
    pub classifier_embedder: Option<String>,
    pub classifier_labels: i64,
    pub classifier_version: i64,
    pub trained_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
