//! The team list and role changes.

use ferrodesk_shared::users::{User, UserList};
use ferrodesk_shared::{ErrorCode, Role};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestWorkspace, expect_error, expect_json, spawn_app};

#[tokio::test]
async fn staff_list_the_workspace_and_filter_by_role() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 2).await;
    let all: UserList = expect_json(app.get("/api/v1/users", &acme.agent().token).await, StatusCode::OK).await;
    assert_eq!(all.items.len(), 6, "owner, supervisor, two agents, two customers");
    let mut names: Vec<_> = all.items.iter().map(|user| user.name.clone()).collect();
    let sorted = {
        let mut sorted = names.clone();
        sorted.sort();
        sorted
    };
    assert_eq!(names, sorted, "ordered by name");
    names.clear();
    let agents: UserList = expect_json(
        app.get("/api/v1/users?role=agent", &acme.agent().token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(agents.items.len(), 2);
    assert!(agents.items.iter().all(|user| user.role == Role::Agent));
}

#[tokio::test]
async fn owners_change_roles_but_never_remove_the_last_owner() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 1).await;
    let promoted: User = expect_json(
        app.patch(
            &format!("/api/v1/users/{}", acme.agent().id()),
            &acme.owner.token,
            &json!({"role": "supervisor"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(promoted.role, Role::Supervisor);

    let last_owner = app
        .patch(
            &format!("/api/v1/users/{}", acme.owner.id()),
            &acme.owner.token,
            &json!({"role": "agent"}),
        )
        .await;
    expect_error(last_owner, StatusCode::CONFLICT, ErrorCode::Conflict).await;

    // With a second owner, the first may step down.
    expect_json::<User>(
        app.patch(
            &format!("/api/v1/users/{}", acme.supervisor.id()),
            &acme.owner.token,
            &json!({"role": "owner"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let stepped_down: User = expect_json(
        app.patch(
            &format!("/api/v1/users/{}", acme.owner.id()),
            &acme.owner.token,
            &json!({"role": "agent"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(stepped_down.role, Role::Agent);
    // ... and is now an agent: role changes are refused to them.
    let refused = app
        .patch(
            &format!("/api/v1/users/{}", acme.supervisor.id()),
            &acme.owner.token,
            &json!({"role": "agent"}),
        )
        .await;
    expect_error(refused, StatusCode::FORBIDDEN, ErrorCode::Forbidden).await;

    let bad_role = app
        .patch(
            &format!("/api/v1/users/{}", acme.agent().id()),
            &acme.supervisor.token,
            &json!({"role": "admin"}),
        )
        .await;
    expect_error(bad_role, StatusCode::BAD_REQUEST, ErrorCode::BadRequest).await;
}

#[tokio::test]
async fn two_owners_demoting_each_other_at_once_leave_one_owner() {
    let app = spawn_app().await;
    let acme = TestWorkspace::create(&app, "acme", 0).await;
    expect_json::<User>(
        app.patch(
            &format!("/api/v1/users/{}", acme.supervisor.id()),
            &acme.owner.token,
            &json!({"role": "owner"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let demote = json!({"role": "agent"});
    let (supervisor_path, owner_path) = (
        format!("/api/v1/users/{}", acme.supervisor.id()),
        format!("/api/v1/users/{}", acme.owner.id()),
    );
    let (a, b) = tokio::join!(
        app.patch(&supervisor_path, &acme.owner.token, &demote),
        app.patch(&owner_path, &acme.supervisor.token, &demote),
    );
    let statuses = [a.status(), b.status()];
    assert!(statuses.contains(&StatusCode::OK), "{statuses:?}");
    let owners: UserList = expect_json(
        app.get("/api/v1/users?role=owner", &acme.owner.token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(owners.items.len(), 1, "exactly one owner is left: {statuses:?}");
}
