//! HTTP for `/notifications`: every signed-in user has their own.

use actix_web::web::{self, Json, Path, Query};
use ferrodesk_shared::notifications::{NotificationPage, NotificationQuery, UnreadCount};
use ferrodesk_shared::{ErrorBody, NotificationId};

use crate::auth::Member;
use crate::error::ApiResult;
use crate::state::AppState;

use super::service;

/// Your notifications: unread first, then newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", operation_id = "listNotifications", params(NotificationQuery),
    responses((status = 200, body = NotificationPage), (status = 422, body = ErrorBody)),
    security(("session" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    member: Member,
    query: Query<NotificationQuery>,
) -> ApiResult<Json<NotificationPage>> {
    Ok(Json(service::list(&state, &member, query.into_inner()).await?))
}

#[utoipa::path(get, path = "/api/v1/notifications/unread-count", tag = "notifications", operation_id = "countUnreadNotifications",
    responses((status = 200, body = UnreadCount)), security(("session" = [])))]
pub async fn unread_count(state: web::Data<AppState>, member: Member) -> ApiResult<Json<UnreadCount>> {
    Ok(Json(service::unread_count(&state, &member).await?))
}

/// Mark one notification read; answers the new unread count.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", operation_id = "markNotificationRead",
    params(("id" = NotificationId, Path, description = "The notification")),
    responses((status = 200, body = UnreadCount), (status = 404, body = ErrorBody)),
    security(("session" = [])))]
pub async fn read(
    state: web::Data<AppState>,
    member: Member,
    id: Path<NotificationId>,
) -> ApiResult<Json<UnreadCount>> {
    Ok(Json(service::read(&state, &member, id.into_inner()).await?))
}

/// Mark all your notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications", operation_id = "markAllNotificationsRead",
    responses((status = 200, body = UnreadCount)), security(("session" = [])))]
pub async fn read_all(state: web::Data<AppState>, member: Member) -> ApiResult<Json<UnreadCount>> {
    Ok(Json(service::read_all(&state, &member).await?))
}
