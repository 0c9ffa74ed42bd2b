//! Full-text search over each ticket's subject and messages: one search document per ticket, kept
//! in step by triggers, so every writer (the services, merges moving messages, the bulk seeding of
//! `crates/dev/src/scale.rs`) updates it in its own transaction without knowing it exists.
//!
//! Text is cut into runs of letters and digits on both databases, so a word found on one is found
//! on the other: PostgreSQL's parser would otherwise keep `a@b.com`, `example.com` or `1.2.3` whole.
//!
//! PostgreSQL: `ticket_search` holds two `tsvector`s per ticket, what customers may search
//! (subject, weight A, and public messages) and what staff may (with internal notes too), each
//! with a GIN index. New messages are appended (`staff || new words`), which re-reads the latest
//! row under its lock, so two concurrent replies never lose each other's words; moved, edited or
//! deleted messages recompute their tickets' documents. Triggers are per statement with transition
//! tables, so a 1,000-row INSERT costs one trigger run.
//!
//! SQLite: FTS5, which the SQLite that libsqlite3-sys bundles (3.51) is compiled with
//! (`-DSQLITE_ENABLE_FTS5` in its build script). `ticket_search_docs` holds the text per ticket
//! in three columns (subject, public, internal) and is the external content of the FTS5 table
//! `ticket_search`; customers' queries are limited to the first two columns. The integer `doc` is
//! the FTS rowid: the tickets table's own rowid is not stable across VACUUM.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The whole document of some tickets, from their subject and every message (as first made here;
/// `m20261216_000001_search_staff_notes` replaces it).
pub(crate) const REFRESH: &str = "CREATE FUNCTION ticket_search_refresh(ids uuid[]) RETURNS void LANGUAGE sql AS $$
        INSERT INTO ticket_search (ticket_id, workspace_id, public, staff)
        SELECT t.id, t.workspace_id,
               setweight(ticket_search_vector(t.subject), 'A')
                   || ticket_search_vector(coalesce(string_agg(m.body, ' ') FILTER (WHERE NOT m.internal), '')),
               setweight(ticket_search_vector(t.subject), 'A')
                   || ticket_search_vector(coalesce(string_agg(m.body, ' '), ''))
        FROM tickets t LEFT JOIN messages m ON m.ticket_id = t.id
        WHERE t.id IN (SELECT unnest(ids))
        GROUP BY t.id, t.workspace_id, t.subject
        ON CONFLICT (ticket_id) DO UPDATE SET public = excluded.public, staff = excluded.staff
    $$";

/// A new ticket's documents: its subject (as first made here; replaced by
/// `m20261216_000001_search_staff_notes`).
pub(crate) const TICKETS_INSERTED: &str =
    "CREATE FUNCTION ticket_search_tickets_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO ticket_search (ticket_id, workspace_id, public, staff)
        SELECT id, workspace_id, setweight(ticket_search_vector(subject), 'A'),
               setweight(ticket_search_vector(subject), 'A')
        FROM inserted;
        RETURN NULL;
    END $$";

/// New messages appended to their tickets' documents (as first made here; replaced by
/// `m20261216_000001_search_staff_notes`).
pub(crate) const MESSAGES_INSERTED: &str =
    "CREATE FUNCTION ticket_search_messages_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE ticket_search s
        SET public = s.public || added.public, staff = s.staff || added.staff
        FROM (
            SELECT ticket_id,
                   ticket_search_vector(coalesce(string_agg(body, ' ') FILTER (WHERE NOT internal), '')) AS public,
                   ticket_search_vector(string_agg(body, ' ')) AS staff
            FROM inserted GROUP BY ticket_id
        ) added
        WHERE s.ticket_id = added.ticket_id;
        RETURN NULL;
    END $$";

const POSTGRES_UP: &[&str] = &[
    // Punctuation becomes a space, so only words reach the parser.
    "CREATE FUNCTION ticket_search_vector(body text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS \
     $$ SELECT to_tsvector('simple', regexp_replace(body, '[[:punct:]]+', ' ', 'g')) $$",
    "CREATE TABLE ticket_search (
        ticket_id uuid PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
        workspace_id uuid NOT NULL,
        public tsvector NOT NULL,
        staff tsvector NOT NULL
    )",
    "CREATE INDEX ix_ticket_search_public ON ticket_search USING gin (public)",
    "CREATE INDEX ix_ticket_search_staff ON ticket_search USING gin (staff)",
    REFRESH,
    TICKETS_INSERTED,
    "CREATE TRIGGER ticket_search_tickets_insert AFTER INSERT ON tickets
        REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION ticket_search_tickets_inserted()",
    "CREATE FUNCTION ticket_search_subject_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM ticket_search_refresh(ARRAY[NEW.id]);
        RETURN NULL;
    END $$",
    "CREATE TRIGGER ticket_search_subject_update AFTER UPDATE OF subject ON tickets
        FOR EACH ROW WHEN (OLD.subject IS DISTINCT FROM NEW.subject) EXECUTE FUNCTION ticket_search_subject_changed()",
    MESSAGES_INSERTED,
    "CREATE TRIGGER ticket_search_messages_insert AFTER INSERT ON messages
        REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION ticket_search_messages_inserted()",
    "CREATE FUNCTION ticket_search_messages_updated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM ticket_search_refresh(ARRAY(
            SELECT unnest(ARRAY[o.ticket_id, n.ticket_id])
            FROM before o JOIN after n ON n.id = o.id
            WHERE (o.ticket_id, o.body, o.internal) IS DISTINCT FROM (n.ticket_id, n.body, n.internal)
        ));
        RETURN NULL;
    END $$",
    "CREATE TRIGGER ticket_search_messages_update AFTER UPDATE ON messages
        REFERENCING OLD TABLE AS before NEW TABLE AS after
        FOR EACH STATEMENT EXECUTE FUNCTION ticket_search_messages_updated()",
    "CREATE FUNCTION ticket_search_messages_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM ticket_search_refresh(ARRAY(SELECT DISTINCT ticket_id FROM deleted));
        RETURN NULL;
    END $$",
    "CREATE TRIGGER ticket_search_messages_delete AFTER DELETE ON messages
        REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION ticket_search_messages_deleted()",
    // The tickets already there.
    "INSERT INTO ticket_search (ticket_id, workspace_id, public, staff)
        SELECT t.id, t.workspace_id,
               setweight(ticket_search_vector(t.subject), 'A')
                   || ticket_search_vector(coalesce(string_agg(m.body, ' ') FILTER (WHERE NOT m.internal), '')),
               setweight(ticket_search_vector(t.subject), 'A')
                   || ticket_search_vector(coalesce(string_agg(m.body, ' '), ''))
        FROM tickets t LEFT JOIN messages m ON m.ticket_id = t.id
        GROUP BY t.id, t.workspace_id, t.subject",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER ticket_search_messages_delete ON messages",
    "DROP TRIGGER ticket_search_messages_update ON messages",
    "DROP TRIGGER ticket_search_messages_insert ON messages",
    "DROP TRIGGER ticket_search_subject_update ON tickets",
    "DROP TRIGGER ticket_search_tickets_insert ON tickets",
    "DROP FUNCTION ticket_search_messages_deleted()",
    "DROP FUNCTION ticket_search_messages_updated()",
    "DROP FUNCTION ticket_search_messages_inserted()",
    "DROP FUNCTION ticket_search_subject_changed()",
    "DROP FUNCTION ticket_search_tickets_inserted()",
    "DROP FUNCTION ticket_search_refresh(uuid[])",
    "DROP TABLE ticket_search",
    "DROP FUNCTION ticket_search_vector(text)",
];

/// A ticket's public and internal text, from its messages (`{id}`: the ticket's id expression).
const SQLITE_PUBLIC: &str =
    "coalesce((SELECT group_concat(body, ' ') FROM messages WHERE ticket_id = {id} AND NOT internal), '')";
const SQLITE_INTERNAL: &str =
    "coalesce((SELECT group_concat(body, ' ') FROM messages WHERE ticket_id = {id} AND internal), '')";

fn sqlite_up() -> Vec<String> {
    let recompute = |id: &str| {
        format!(
            "UPDATE ticket_search_docs SET public = {}, internal = {} WHERE ticket_id = {id};",
            SQLITE_PUBLIC.replace("{id}", id),
            SQLITE_INTERNAL.replace("{id}", id),
        )
    };
    let mut statements: Vec<String> = [
        // No declared type: the ticket id is stored exactly as tickets.id is.
        "CREATE TABLE ticket_search_docs (
            doc INTEGER PRIMARY KEY,
            ticket_id NOT NULL UNIQUE,
            subject TEXT NOT NULL,
            public TEXT NOT NULL,
            internal TEXT NOT NULL
        )",
        "CREATE VIRTUAL TABLE ticket_search USING fts5(
            subject, public, internal,
            content = 'ticket_search_docs', content_rowid = 'doc',
            tokenize = 'unicode61'
        )",
        // FTS5's own recipe for an external content table.
        "CREATE TRIGGER ticket_search_docs_insert AFTER INSERT ON ticket_search_docs BEGIN
            INSERT INTO ticket_search (rowid, subject, public, internal)
                VALUES (new.doc, new.subject, new.public, new.internal);
        END",
        "CREATE TRIGGER ticket_search_docs_delete AFTER DELETE ON ticket_search_docs BEGIN
            INSERT INTO ticket_search (ticket_search, rowid, subject, public, internal)
                VALUES ('delete', old.doc, old.subject, old.public, old.internal);
        END",
        "CREATE TRIGGER ticket_search_docs_update AFTER UPDATE ON ticket_search_docs BEGIN
            INSERT INTO ticket_search (ticket_search, rowid, subject, public, internal)
                VALUES ('delete', old.doc, old.subject, old.public, old.internal);
            INSERT INTO ticket_search (rowid, subject, public, internal)
                VALUES (new.doc, new.subject, new.public, new.internal);
        END",
        "CREATE TRIGGER ticket_search_tickets_insert AFTER INSERT ON tickets BEGIN
            INSERT INTO ticket_search_docs (ticket_id, subject, public, internal) VALUES (new.id, new.subject, '', '');
        END",
        "CREATE TRIGGER ticket_search_tickets_subject AFTER UPDATE OF subject ON tickets
        WHEN old.subject IS NOT new.subject BEGIN
            UPDATE ticket_search_docs SET subject = new.subject WHERE ticket_id = new.id;
        END",
        "CREATE TRIGGER ticket_search_tickets_delete AFTER DELETE ON tickets BEGIN
            DELETE FROM ticket_search_docs WHERE ticket_id = old.id;
        END",
        "CREATE TRIGGER ticket_search_messages_insert AFTER INSERT ON messages BEGIN
            UPDATE ticket_search_docs SET
                public = CASE WHEN new.internal THEN public ELSE public || ' ' || new.body END,
                internal = CASE WHEN new.internal THEN internal || ' ' || new.body ELSE internal END
            WHERE ticket_id = new.ticket_id;
        END",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    statements.push(format!(
        "CREATE TRIGGER ticket_search_messages_update AFTER UPDATE OF ticket_id, body, internal ON messages BEGIN
            {}
            {}
        END",
        recompute("old.ticket_id"),
        recompute("new.ticket_id")
    ));
    statements.push(format!(
        "CREATE TRIGGER ticket_search_messages_delete AFTER DELETE ON messages BEGIN
            {}
        END",
        recompute("old.ticket_id")
    ));
    // The tickets already there (the FTS index is filled by the docs' insert trigger), oldest first:
    // a document's rowid orders matches by age when a search ranks only the newest.
    statements.push(format!(
        "INSERT INTO ticket_search_docs (ticket_id, subject, public, internal) SELECT id, subject, {}, {} FROM tickets ORDER BY id",
        SQLITE_PUBLIC.replace("{id}", "tickets.id"),
        SQLITE_INTERNAL.replace("{id}", "tickets.id"),
    ));
    statements
}

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER ticket_search_messages_delete",
    "DROP TRIGGER ticket_search_messages_update",
    "DROP TRIGGER ticket_search_messages_insert",
    "DROP TRIGGER ticket_search_tickets_delete",
    "DROP TRIGGER ticket_search_tickets_subject",
    "DROP TRIGGER ticket_search_tickets_insert",
    "DROP TABLE ticket_search",
    "DROP TABLE ticket_search_docs",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements: Vec<String> = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES_UP.iter().map(|sql| (*sql).to_owned()).collect(),
            _ => sqlite_up(),
        };
        for sql in statements {
            manager.get_connection().execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES_DOWN,
            _ => SQLITE_DOWN,
        };
        for sql in statements {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
