//! Widget storage: the settings row, visitors (by token hash) and the conversations each started.
//! Settings and visitors of one workspace are reached through its scope; a visitor's token is looked
//! up by hash and then must belong to the workspace the call names.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::db::entities::{widget_conversations, widget_settings, widget_visitors};
use crate::db::stored::StoredWidgetPosition;
use crate::error::ApiResult;

use super::domain::{DEFAULT_COLOUR, DEFAULT_GREETING, DEFAULT_LABEL};

/// The workspace's widget settings, or the defaults (off, embeddable nowhere) until first saved.
pub async fn settings(conn: &impl ConnectionTrait, scope: &WorkspaceScope) -> ApiResult<widget_settings::Model> {
    Ok(widget_settings::Entity::find_by_id(scope.uuid())
        .one(conn)
        .await?
        .unwrap_or_else(|| defaults(scope.uuid())))
}

pub fn defaults(workspace: Uuid) -> widget_settings::Model {
    widget_settings::Model {
        workspace_id: workspace,
        enabled: false,
        colour: DEFAULT_COLOUR.to_owned(),
        label: DEFAULT_LABEL.to_owned(),
        greeting: DEFAULT_GREETING.to_owned(),
        position: StoredWidgetPosition::BottomRight,
        allowed_origins: "[]".to_owned(),
        identity_required: false,
        suggest_answers: true,
        secret: None,
        secret_id: None,
        updated_at: DateTime::<Utc>::UNIX_EPOCH,
    }
}

/// Writes the whole row (insert or update, one statement).
pub async fn save_settings(conn: &impl ConnectionTrait, row: widget_settings::Model) -> ApiResult<()> {
    use widget_settings::Column;
    widget_settings::Entity::insert(widget_settings::ActiveModel::from(row))
        .on_conflict(
            OnConflict::column(Column::WorkspaceId)
                .update_columns([
                    Column::Enabled,
                    Column::Colour,
                    Column::Label,
                    Column::Greeting,
                    Column::Position,
                    Column::AllowedOrigins,
                    Column::IdentityRequired,
                    Column::SuggestAnswers,
                    Column::Secret,
                    Column::SecretId,
                    Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

pub async fn insert_visitor(conn: &impl ConnectionTrait, row: widget_visitors::Model) -> ApiResult<()> {
    widget_visitors::ActiveModel::from(row).insert(conn).await?;
    Ok(())
}

/// The visitor holding this token, of any workspace (the caller checks it is the one it expects).
pub async fn visitor_by_hash(
    conn: &impl ConnectionTrait,
    token_hash: &str,
) -> ApiResult<Option<widget_visitors::Model>> {
    Ok(widget_visitors::Entity::find()
        .filter(widget_visitors::Column::TokenHash.eq(token_hash))
        .one(conn)
        .await?)
}

/// Records who an anonymous visitor writes as, the first time it writes in.
pub async fn set_visitor_user(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    visitor: Uuid,
    user: Uuid,
) -> ApiResult<()> {
    widget_visitors::Entity::update_many()
        .col_expr(widget_visitors::Column::UserId, Expr::value(user))
        .filter(widget_visitors::Column::WorkspaceId.eq(scope.uuid()))
        .filter(widget_visitors::Column::Id.eq(visitor))
        .exec(conn)
        .await?;
    Ok(())
}

/// Keeps `last_seen_at` roughly right: written at most once a minute per visitor.
pub async fn touch_visitor(
    conn: &impl ConnectionTrait,
    visitor: &widget_visitors::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    if now - visitor.last_seen_at < chrono::Duration::minutes(1) {
        return Ok(());
    }
    widget_visitors::Entity::update_many()
        .col_expr(widget_visitors::Column::LastSeenAt, Expr::value(now))
        .filter(widget_visitors::Column::Id.eq(visitor.id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Links new tickets to the visitors that started them (in the create's transaction).
pub async fn link_conversations(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    links: Vec<(Uuid, Uuid)>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    if links.is_empty() {
        return Ok(());
    }
    widget_conversations::Entity::insert_many(links.into_iter().map(|(ticket_id, visitor_id)| {
        widget_conversations::ActiveModel {
            ticket_id: Set(ticket_id),
            workspace_id: Set(scope.uuid()),
            visitor_id: Set(visitor_id),
            created_at: Set(now),
        }
    }))
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// A retried start: the conversation goes to the visitor that retried (the first attempt's visitor
/// never received its token, as its answer was lost).
pub async fn relink(conn: &impl ConnectionTrait, scope: &WorkspaceScope, ticket: Uuid, visitor: Uuid) -> ApiResult<()> {
    widget_conversations::Entity::update_many()
        .col_expr(widget_conversations::Column::VisitorId, Expr::value(visitor))
        .filter(widget_conversations::Column::WorkspaceId.eq(scope.uuid()))
        .filter(widget_conversations::Column::TicketId.eq(ticket))
        .exec(conn)
        .await?;
    Ok(())
}

/// The tickets a visitor started, newest first.
pub async fn conversations_of(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    visitor: Uuid,
    limit: u64,
) -> ApiResult<Vec<Uuid>> {
    Ok(widget_conversations::Entity::find()
        .select_only()
        .column(widget_conversations::Column::TicketId)
        .filter(widget_conversations::Column::WorkspaceId.eq(scope.uuid()))
        .filter(widget_conversations::Column::VisitorId.eq(visitor))
        .order_by_desc(widget_conversations::Column::CreatedAt)
        .limit(limit)
        .into_tuple::<Uuid>()
        .all(conn)
        .await?)
}

/// Whether this visitor started this ticket.
pub async fn started(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    visitor: Uuid,
    ticket: Uuid,
) -> ApiResult<bool> {
    Ok(widget_conversations::Entity::find_by_id(ticket)
        .filter(widget_conversations::Column::WorkspaceId.eq(scope.uuid()))
        .filter(widget_conversations::Column::VisitorId.eq(visitor))
        .one(conn)
        .await?
        .is_some())
}
