//! In-app notifications: the latest ones with the unread count, and read marks.

use ferrodesk_shared::NotificationId;
use ferrodesk_shared::notifications::{NotificationPage, NotificationQuery, UnreadCount};

use super::{Api, ApiError, query_string};

#[derive(Clone, Copy)]
pub struct Notifications(Api);

impl Api {
    pub fn notifications(&self) -> Notifications {
        Notifications(*self)
    }
}

impl Notifications {
    /// `GET /api/v1/notifications`: unread first, with the unread count.
    pub async fn list(self, query: NotificationQuery) -> Result<NotificationPage, ApiError> {
        self.0
            .get(&format!("/api/v1/notifications{}", query_string(&query)))
            .await
    }

    /// `POST /api/v1/notifications/read-all`.
    pub async fn read_all(self) -> Result<UnreadCount, ApiError> {
        self.0.post("/api/v1/notifications/read-all", &()).await
    }

    /// `POST /api/v1/notifications/{id}/read`.
    pub async fn read(self, id: NotificationId) -> Result<UnreadCount, ApiError> {
        self.0.post(&format!("/api/v1/notifications/{id}/read"), &()).await
    }
}
