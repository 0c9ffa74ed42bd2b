//! PostgreSQL: a ticket's staff search document is stored only when the ticket has an internal
//! note. Without one it is the customers' document word for word, and `staff` is NULL; staff search
//! `coalesce(staff, public)` (`tickets::repo::TextSearch`), and the staff GIN index holds only the
//! tickets with notes (a partial index).
//!
//! Why: a row's new version puts every word of every indexed document into its GIN index again. A
//! reply rewrote two documents that were mostly the same, so half of that work was a copy; the
//! create's first message too, and the seeding of a million tickets filled two indexes with the
//! same words. SQLite keeps its notes in their own column already (`ticket_search_docs.internal`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::m20261213_000001_ticket_search as first;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "DROP INDEX ix_ticket_search_staff",
    "ALTER TABLE ticket_search ALTER COLUMN staff DROP NOT NULL",
    "UPDATE ticket_search SET staff = NULL WHERE staff = public",
    // The short pending list of m20261215_000001_search_pending_list.
    "CREATE INDEX ix_ticket_search_staff ON ticket_search USING gin (staff) \
     WITH (gin_pending_list_limit = 256) WHERE staff IS NOT NULL",
    // A ticket's staff document only when one of its messages is internal.
    "CREATE OR REPLACE FUNCTION ticket_search_refresh(ids uuid[]) RETURNS void LANGUAGE sql AS $$
        INSERT INTO ticket_search (ticket_id, workspace_id, public, staff)
        SELECT t.id, t.workspace_id,
               setweight(ticket_search_vector(t.subject), 'A')
                   || ticket_search_vector(coalesce(string_agg(m.body, ' ') FILTER (WHERE NOT m.internal), '')),
               CASE WHEN bool_or(m.internal) THEN
                   setweight(ticket_search_vector(t.subject), 'A')
                       || ticket_search_vector(coalesce(string_agg(m.body, ' '), ''))
               END
        FROM tickets t LEFT JOIN messages m ON m.ticket_id = t.id
        WHERE t.id IN (SELECT unnest(ids))
        GROUP BY t.id, t.workspace_id, t.subject
        ON CONFLICT (ticket_id) DO UPDATE SET public = excluded.public, staff = excluded.staff
    $$",
    "CREATE OR REPLACE FUNCTION ticket_search_tickets_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO ticket_search (ticket_id, workspace_id, public, staff)
        SELECT id, workspace_id, setweight(ticket_search_vector(subject), 'A'), NULL
        FROM inserted;
        RETURN NULL;
    END $$",
    // The first internal note makes the staff document: the customers' one (what staff searched
    // until then) with the new words after it. The SET reads the row as it was.
    "CREATE OR REPLACE FUNCTION ticket_search_messages_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE ticket_search s
        SET public = s.public || added.public,
            staff = CASE WHEN s.staff IS NOT NULL OR added.internal
                         THEN coalesce(s.staff, s.public) || added.staff END
        FROM (
            SELECT ticket_id,
                   ticket_search_vector(coalesce(string_agg(body, ' ') FILTER (WHERE NOT internal), '')) AS public,
                   ticket_search_vector(string_agg(body, ' ')) AS staff,
                   bool_or(internal) AS internal
            FROM inserted GROUP BY ticket_id
        ) added
        WHERE s.ticket_id = added.ticket_id;
        RETURN NULL;
    END $$",
];

fn down() -> Vec<String> {
    let mut statements: Vec<String> = [
        "DROP INDEX ix_ticket_search_staff",
        "UPDATE ticket_search SET staff = public WHERE staff IS NULL",
        "ALTER TABLE ticket_search ALTER COLUMN staff SET NOT NULL",
        "CREATE INDEX ix_ticket_search_staff ON ticket_search USING gin (staff) WITH (gin_pending_list_limit = 256)",
    ]
    .map(str::to_owned)
    .to_vec();
    statements.extend(
        [first::REFRESH, first::TICKETS_INSERTED, first::MESSAGES_INSERTED]
            .map(|sql| sql.replacen("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)),
    );
    statements
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            for sql in UP {
                manager.get_connection().execute_unprepared(sql).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            for sql in down() {
                manager.get_connection().execute_unprepared(&sql).await?;
            }
        }
        Ok(())
    }
}
