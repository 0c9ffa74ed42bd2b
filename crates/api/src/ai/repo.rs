//! AI storage, always within one workspace: its settings row (with the trained classifier), ticket
//! embeddings, the labels people gave, and the solved tickets replies are drafted from.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use ferrodesk_ai::vector::{from_le_bytes, to_le_bytes};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::db::entities::{ai_settings, messages, ticket_embeddings, tickets, users};
use crate::error::ApiResult;

/// A new workspace's threshold: the classifier sets a category when at least this sure.
pub const DEFAULT_MIN_CONFIDENCE: f64 = 0.5;

/// The workspace's settings, or the defaults (not stored until changed).
pub async fn settings(conn: &impl ConnectionTrait, scope: &WorkspaceScope) -> ApiResult<ai_settings::Model> {
    Ok(ai_settings::Entity::find_by_id(scope.uuid())
        .one(conn)
        .await?
        .unwrap_or_else(|| defaults(scope.uuid())))
}

fn defaults(workspace: Uuid) -> ai_settings::Model {
    ai_settings::Model {
        workspace_id: workspace,
        enabled: true,
        min_confidence: DEFAULT_MIN_CONFIDENCE,
        custom_categories: "[]".to_owned(),
        provider_base_url: None,
        provider_model: None,
        provider_key: None,
        classifier: None,
        classifier_embedder: None,
        classifier_labels: 0,
        classifier_version: 0,
        trained_at: None,
        updated_at: DateTime::<Utc>::UNIX_EPOCH,
    }
}

/// The owner's part of the settings; the classifier columns are left as they are.
pub struct OwnerSettings {
    pub enabled: bool,
    pub min_confidence: f64,
    pub custom_categories: String,
    pub provider_base_url: Option<String>,
    pub provider_model: Option<String>,
    pub provider_key: Option<String>,
}

pub async fn save_owner_settings(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    owner: OwnerSettings,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let exists = ai_settings::Entity::find_by_id(scope.uuid()).one(conn).await?.is_some();
    let mut row = ai_settings::ActiveModel {
        workspace_id: Set(scope.uuid()),
        enabled: Set(owner.enabled),
        min_confidence: Set(owner.min_confidence),
        custom_categories: Set(owner.custom_categories),
        provider_base_url: Set(owner.provider_base_url),
        provider_model: Set(owner.provider_model),
        provider_key: Set(owner.provider_key),
        updated_at: Set(now),
        ..Default::default()
    };
    if exists {
        row.update(conn).await?;
    } else {
        row.classifier_labels = Set(0);
        row.classifier_version = Set(0);
        row.insert(conn).await?;
    }
    Ok(())
}

/// Stores a newly trained classifier; its version moves on so every instance's cache sees it.
pub async fn save_classifier(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    classifier_json: String,
    embedder: &str,
    labels: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let existing = ai_settings::Entity::find_by_id(scope.uuid()).one(conn).await?;
    if existing.is_none() {
        let mut row: ai_settings::ActiveModel = defaults(scope.uuid()).into();
        row.updated_at = Set(now);
        row.insert(conn).await?;
    }
    ai_settings::Entity::update_many()
        .col_expr(ai_settings::Column::Classifier, Expr::value(Some(classifier_json)))
        .col_expr(
            ai_settings::Column::ClassifierEmbedder,
            Expr::value(Some(embedder.to_owned())),
        )
        .col_expr(ai_settings::Column::ClassifierLabels, Expr::value(labels))
        .col_expr(
            ai_settings::Column::ClassifierVersion,
            Expr::col(ai_settings::Column::ClassifierVersion).add(1),
        )
        .col_expr(ai_settings::Column::TrainedAt, Expr::value(Some(now)))
        .filter(ai_settings::Column::WorkspaceId.eq(scope.uuid()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Stores each ticket's embedding, replacing one it had (by an older embedder, say), in one statement.
pub async fn upsert_embeddings(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    embedder: &str,
    vectors: &[(Uuid, &[f32])],
    now: DateTime<Utc>,
) -> ApiResult<()> {
    if vectors.is_empty() {
        return Ok(());
    }
    let rows = vectors
        .iter()
        .map(|(ticket_id, vector)| ticket_embeddings::ActiveModel {
            ticket_id: Set(*ticket_id),
            workspace_id: Set(scope.uuid()),
            embedder: Set(embedder.to_owned()),
            vector: Set(to_le_bytes(vector)),
            created_at: Set(now),
        });
    ticket_embeddings::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(ticket_embeddings::Column::TicketId)
                .update_columns([
                    ticket_embeddings::Column::Embedder,
                    ticket_embeddings::Column::Vector,
                    ticket_embeddings::Column::CreatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The workspace's tickets joined to their embedding by `embedder` (selecting it as `vector`):
/// both sides filtered by the workspace.
pub(super) fn with_embeddings(
    select: sea_orm::Select<tickets::Entity>,
    scope: &WorkspaceScope,
    embedder: &str,
) -> sea_orm::Select<tickets::Entity> {
    select
        .column_as(
            Expr::col((ticket_embeddings::Entity, ticket_embeddings::Column::Vector)),
            "vector",
        )
        .join(
            sea_orm::JoinType::InnerJoin,
            tickets::Entity::belongs_to(ticket_embeddings::Entity)
                .from(tickets::Column::Id)
                .to(ticket_embeddings::Column::TicketId)
                .into(),
        )
        .filter(tickets::Column::WorkspaceId.eq(scope.uuid()))
        .filter(ticket_embeddings::Column::WorkspaceId.eq(scope.uuid()))
        .filter(ticket_embeddings::Column::Embedder.eq(embedder))
}

/// The categories people set on this workspace's tickets, with those tickets' embeddings: what
/// the classifier learns from. The newest `limit` labels.
pub async fn labelled_examples(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    embedder: &str,
    limit: u64,
) -> ApiResult<Vec<(String, Vec<f32>)>> {
    let rows: Vec<(Option<String>, Vec<u8>)> = with_embeddings(
        tickets::Entity::find().select_only().column(tickets::Column::Category),
        scope,
        embedder,
    )
    .filter(tickets::Column::CategorySource.eq("agent"))
    .filter(tickets::Column::Category.is_not_null())
    .order_by_desc(tickets::Column::UpdatedAt)
    .limit(limit)
    .into_tuple()
    .all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(category, vector)| category.map(|category| (category, from_le_bytes(&vector))))
        .collect())
}

/// A solved ticket replies may be drafted from.
pub struct Candidate {
    pub ticket_id: Uuid,
    pub number: i64,
    pub subject: String,
    pub vector: Vec<f32>,
}

/// The workspace's most recently solved (or closed) tickets with an embedding by `embedder`.
pub async fn solved_candidates(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    embedder: &str,
    except: Uuid,
    limit: u64,
) -> ApiResult<Vec<Candidate>> {
    let rows: Vec<(Uuid, i64, String, Vec<u8>)> = with_embeddings(
        tickets::Entity::find()
            .select_only()
            .column(tickets::Column::Id)
            .column(tickets::Column::Number)
            .column(tickets::Column::Subject),
        scope,
        embedder,
    )
    .filter(tickets::Column::Status.is_in(["solved", "closed"]))
    .filter(tickets::Column::Id.ne(except))
    .order_by_desc(tickets::Column::SolvedAt)
    .limit(limit)
    .into_tuple()
    .all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(ticket_id, number, subject, vector)| Candidate {
            ticket_id,
            number,
            subject,
            vector: from_le_bytes(&vector),
        })
        .collect())
}

/// The last public reply staff wrote on each of `ticket_ids`: the answer that solved it. One query.
pub async fn last_staff_replies(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    ticket_ids: &[Uuid],
) -> ApiResult<HashMap<Uuid, String>> {
    let rows: Vec<(Uuid, String)> = messages::Entity::find()
        .select_only()
        .column(messages::Column::TicketId)
        .column(messages::Column::Body)
        .join(
            sea_orm::JoinType::InnerJoin,
            messages::Entity::belongs_to(users::Entity)
                .from(messages::Column::AuthorId)
                .to(users::Column::Id)
                .into(),
        )
        .filter(messages::Column::WorkspaceId.eq(scope.uuid()))
        .filter(users::Column::WorkspaceId.eq(scope.uuid()))
        .filter(messages::Column::TicketId.is_in(ticket_ids.iter().copied()))
        .filter(messages::Column::Internal.eq(false))
        .filter(users::Column::Role.ne("customer"))
        .order_by_desc(messages::Column::CreatedAt)
        .into_tuple()
        .all(conn)
        .await?;
    let mut latest = HashMap::new();
    for (ticket_id, body) in rows {
        // Newest first: the first reply seen for a ticket is its last.
        latest.entry(ticket_id).or_insert(body);
    }
    Ok(latest)
}

/// The newest public message by the ticket's requester: what a reply answers.
pub async fn latest_customer_message(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    ticket: &crate::tickets::state::TicketRecord,
) -> ApiResult<Option<String>> {
    Ok(messages::Entity::find()
        .filter(messages::Column::WorkspaceId.eq(scope.uuid()))
        .filter(messages::Column::TicketId.eq(ticket.id))
        .filter(messages::Column::AuthorId.eq(ticket.requester_id))
        .filter(messages::Column::Internal.eq(false))
        .order_by_desc(messages::Column::CreatedAt)
        .one(conn)
        .await?
        .map(|message| message.body))
}
