//! The team: who is in the workspace, and role changes (owners).

use ferrodesk_shared::UserId;
use ferrodesk_shared::users::{UpdateUserRequest, User, UserList, UserListQuery};

use super::{Api, ApiError, query_string};

#[derive(Clone, Copy)]
pub struct Users(Api);

impl Api {
    pub fn users(&self) -> Users {
        Users(*self)
    }
}

impl Users {
    /// `GET /api/v1/users` (staff).
    pub async fn list(self, query: UserListQuery) -> Result<UserList, ApiError> {
        self.0.get(&format!("/api/v1/users{}", query_string(&query))).await
    }

    /// `PATCH /api/v1/users/{id}` (owner): a new role.
    pub async fn update(self, id: UserId, request: UpdateUserRequest) -> Result<User, ApiError> {
        self.0.patch(&format!("/api/v1/users/{id}"), &request).await
    }
}
