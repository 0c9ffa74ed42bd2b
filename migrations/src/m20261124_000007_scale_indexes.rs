//! Covering indexes for the dashboard, measured on 1,000,000 tickets (`cargo bench -p ferrodesk --bench
//! scale`). Its range queries (tickets created, or solved, between two instants) read a few more
//! columns than the range's own: the assignee, the first response, the breach flags, the creation
//! time. With those columns in the index the queries never read the table rows: on 1M tickets the
//! 30-day overview went from 2.5 s to 1.2 s on SQLite and from 1.2 s to 0.96 s on PostgreSQL. They
//! replace the narrower indexes on the same leading columns, so a ticket still has as many index
//! entries (though assigning, answering or a breach now also moves its entry in the created-at one);
//! the inbox's `sort=created` keyset still walks `(workspace_id, created_at, id)`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Tickets {
    Table,
    Id,
    WorkspaceId,
    AssigneeId,
    CreatedAt,
    FirstResponseAt,
    SolvedAt,
    BreachedFirstResponse,
    BreachedResolution,
}

fn index(name: &str, columns: &[Tickets]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(Tickets::Table);
    for column in columns {
        index.col(*column);
    }
    index.to_owned()
}

fn drop(name: &str) -> IndexDropStatement {
    Index::drop().name(name).table(Tickets::Table).to_owned()
}

/// `(new index, its columns, the index it replaces, that one's columns)`.
fn replacements() -> [(&'static str, Vec<Tickets>, &'static str, Vec<Tickets>); 2] {
    use Tickets::*;
    [
        (
            "ix_tickets_ws_created_cover",
            vec![
                WorkspaceId,
                CreatedAt,
                Id,
                AssigneeId,
                FirstResponseAt,
                BreachedFirstResponse,
                BreachedResolution,
            ],
            "ix_tickets_ws_created",
            vec![WorkspaceId, CreatedAt, Id],
        ),
        (
            "ix_tickets_ws_solved_cover",
            vec![WorkspaceId, SolvedAt, CreatedAt, AssigneeId],
            "ix_tickets_ws_solved",
            vec![WorkspaceId, SolvedAt],
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, columns, replaced, _) in replacements() {
            manager.create_index(index(name, &columns)).await?;
            manager.drop_index(drop(replaced)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _, replaced, columns) in replacements() {
            manager.create_index(index(replaced, &columns)).await?;
            manager.drop_index(drop(name)).await?;
        }
        Ok(())
    }
}
