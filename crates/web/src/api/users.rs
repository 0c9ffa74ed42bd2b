//! The team: who is in the workspace, and role changes (owners); a person's profile and the
//! team's note about them (staff).

use ferrodesk_shared::UserId;
use ferrodesk_shared::users::{
    PersonNote, PersonNoteInput, PersonProfile, UpdateUserRequest, User, UserList, UserListQuery,
};

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

    /// The people a ticket can be assigned to (staff; from `list`), or none when it fails: the
    /// choices of an assignee select.
    pub async fn assignable(self) -> Vec<User> {
        self.list(UserListQuery::default())
            .await
            .map(|list| list.items.into_iter().filter(|user| user.role.is_staff()).collect())
            .unwrap_or_default()
    }

    /// `PATCH /api/v1/users/{id}` (owner): a new role.
    pub async fn update(self, id: UserId, request: UpdateUserRequest) -> Result<User, ApiError> {
        self.0.patch(&format!("/api/v1/users/{id}"), &request).await
    }

    /// `GET /api/v1/users/{id}/profile` (staff): their tickets per status, first arrival, latest ten,
    /// and the team's note.
    pub async fn profile(self, id: UserId) -> Result<PersonProfile, ApiError> {
        self.0.get(&format!("/api/v1/users/{id}/profile")).await
    }

    /// `PUT /api/v1/users/{id}/note` (staff): the whole note; an empty one deletes it (`None`).
    pub async fn set_note(self, id: UserId, body: String) -> Result<Option<PersonNote>, ApiError> {
        self.0
            .put(&format!("/api/v1/users/{id}/note"), &PersonNoteInput { body })
            .await
    }
}
