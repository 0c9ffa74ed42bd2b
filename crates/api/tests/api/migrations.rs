//! Every migration's `down()` undoes its `up()`, on the database under test.

use ferrodesk_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, Statement};

use crate::helpers::TestDatabase;

async fn table_names(db: &sea_orm::DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations' ORDER BY name"
        }
        _ => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'seaql_migrations' ORDER BY table_name"
        }
    };
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.try_get::<String>("", "name").unwrap())
        .collect()
}

#[tokio::test]
async fn migrations_go_up_down_and_up_again() {
    let database = TestDatabase::create().await;
    let db = Database::connect(&database.url).await.unwrap();

    Migrator::up(&db, None).await.unwrap();
    let tables = table_names(&db).await;
    for expected in [
        "invitations",
        "messages",
        "refresh_tokens",
        "sessions",
        "tickets",
        "users",
        "workspaces",
    ] {
        assert!(
            tables.contains(&expected.to_owned()),
            "{expected} missing from {tables:?}"
        );
    }

    Migrator::down(&db, None).await.unwrap();
    assert_eq!(
        table_names(&db).await,
        Vec::<String>::new(),
        "down() must remove every table"
    );

    Migrator::up(&db, None).await.unwrap();
    assert_eq!(table_names(&db).await, tables);
    assert!(Migrator::get_pending_migrations(&db).await.unwrap().is_empty());
    db.close().await.unwrap();
    let _ = database.is_postgres();
}
