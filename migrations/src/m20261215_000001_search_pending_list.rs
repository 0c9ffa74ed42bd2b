//! PostgreSQL: a short pending list for the search documents' GIN indexes (256 kB instead of the
//! server's `gin_pending_list_limit`, 4 MB by default). The write that fills the list merges all of
//! it into the index inside its own transaction: with 4 MB, every second or two one create or reply
//! waited 100 ms or more for everyone else's entries. A short list is merged more often, a little
//! at a time. (Writing through, `fastupdate = off`, halved the replies per second: each reply
//! rewrites its ticket's whole document, and every word of it went into the index again.)

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [&str; 2] = ["ix_ticket_search_public", "ix_ticket_search_staff"];

/// In kilobytes, as PostgreSQL takes it.
const PENDING_LIST_KB: u32 = 256;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            for index in INDEXES {
                manager
                    .get_connection()
                    .execute_unprepared(&format!(
                        "ALTER INDEX {index} SET (gin_pending_list_limit = {PENDING_LIST_KB})"
                    ))
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            for index in INDEXES {
                manager
                    .get_connection()
                    .execute_unprepared(&format!("ALTER INDEX {index} RESET (gin_pending_list_limit)"))
                    .await?;
            }
        }
        Ok(())
    }
}
