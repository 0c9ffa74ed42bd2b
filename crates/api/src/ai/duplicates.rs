//! "Possible duplicate of #N": when a new ticket is categorised, its embedding is compared with
//! those of its requester's older tickets that are still open; one that reads very like it is
//! recorded (`ticket_duplicates`) for staff to merge in one click or dismiss.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use ferrodesk_ai::EmbedderKind;
use ferrodesk_ai::vector::{dot, from_le_bytes};
use ferrodesk_shared::TicketId;
use ferrodesk_shared::tickets::{PossibleDuplicate, TicketStatus};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    Statement,
};
use uuid::Uuid;

use crate::auth::WorkspaceScope;
use crate::db::entities::{ticket_duplicates, tickets};
use crate::db::stored::StoredStatus;
use crate::error::ApiResult;

/// The similarity from which MiniLM's vectors of two tickets are taken for the same request.
/// Calibrated on eight hand-written groups of one customer's tickets (a first ticket, the same
/// problem reworded, another problem of theirs; tests/api/duplicates.rs,
/// `the_thresholds_tell_a_reworded_request_from_another_problem`): rewordings scored 0.72 to 0.92,
/// other problems 0.19 to 0.57, except "charged after cancelling" against "charged twice", 0.795.
/// A wrong hint costs an agent's attention and a missed one nothing more than today, so the
/// threshold sits above every other problem: it catches five rewordings of eight (those from
/// 0.816 up) and misses the loosest three (0.72 to 0.75).
pub const MODEL_THRESHOLD: f32 = 0.80;
/// The same for the TF-IDF fallback, which matches words, not meanings: on the same groups,
/// rewordings scored 0.23 to 0.36 and other problems up to 0.41 (shared words such as "charged",
/// "subscription", "this month"), so no threshold tells them apart. It is set well above every
/// other problem, to catch only a request sent again in nearly the same words (the API tests'
/// pair: 0.81); on its own scale that is a far stricter bar than the model's.
pub const FALLBACK_THRESHOLD: f32 = 0.60;

/// The most open tickets of a batch's requesters compared (newest first): far more than any
/// person keeps open, and a bound on the read for an integration that files everything as one.
const MAX_CANDIDATES: u64 = 2_000;

/// The threshold for vectors of this kind of embedder.
pub fn threshold(kind: EmbedderKind) -> f32 {
    match kind {
        EmbedderKind::Model => MODEL_THRESHOLD,
        EmbedderKind::Fallback => FALLBACK_THRESHOLD,
    }
}

/// A ticket, with its embedding, as the choice sees it.
#[derive(Clone, Debug)]
pub struct Embedded<'a> {
    pub id: Uuid,
    pub requester: Uuid,
    /// Per workspace and increasing: the order tickets came in, even within one batch of creates.
    pub number: i64,
    pub status: TicketStatus,
    pub vector: &'a [f32],
}

/// The ticket `arrival` most likely repeats, and how alike they are: the most similar of
/// `earlier` that is its requester's, came in before it and is still open, if at least
/// `threshold` alike. Ties go to the older ticket, the original report.
pub fn choose(arrival: &Embedded<'_>, earlier: &[Embedded<'_>], threshold: f32) -> Option<(Uuid, f32)> {
    let mut best: Option<(i64, Uuid, f32)> = None;
    for candidate in earlier {
        let eligible = candidate.id != arrival.id
            && candidate.requester == arrival.requester
            && candidate.number < arrival.number
            && candidate.status.is_active()
            && candidate.vector.len() == arrival.vector.len();
        if !eligible {
            continue;
        }
        let similarity = dot(arrival.vector, candidate.vector);
        if similarity < threshold {
            continue;
        }
        let better = match best {
            None => true,
            Some((number, _, score)) => similarity > score || (similarity == score && candidate.number < number),
        };
        if better {
            best = Some((candidate.number, candidate.id, similarity));
        }
    }
    best.map(|(_, id, similarity)| (id, similarity))
}

const ACTIVE: [&str; 3] = ["new", "open", "pending"];

/// Looks for a duplicate of each of `arrivals` (tickets whose embeddings by `embedder` were just
/// stored, in this transaction) among their requesters' open tickets, and records those found.
/// Tickets are categorised in parallel batches, so a later ticket can be stored before the one it
/// repeats: an arrival is also the hint of a later open ticket that has none yet, if the arrival is
/// what that ticket now reads most like. On PostgreSQL two instances (or lanes) storing at once
/// would each miss the other's uncommitted embeddings, so detection takes the workspace's advisory
/// lock first and then reads what was committed; SQLite's writers are one at a time already.
/// At most three reads and two INSERTs; how many it recorded.
pub async fn detect(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    embedder: &str,
    kind: EmbedderKind,
    arrivals: &[(Uuid, &[f32])],
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    if arrivals.is_empty() {
        return Ok(0);
    }
    lock(conn, scope).await?;
    let vectors: HashMap<Uuid, &[f32]> = arrivals.iter().copied().collect();
    let arrived: Vec<(Uuid, Uuid, i64, StoredStatus)> = tickets::Entity::find()
        .select_only()
        .column(tickets::Column::Id)
        .column(tickets::Column::RequesterId)
        .column(tickets::Column::Number)
        .column(tickets::Column::Status)
        .filter(tickets::Column::WorkspaceId.eq(scope.uuid()))
        .filter(tickets::Column::Id.is_in(vectors.keys().copied()))
        .into_tuple()
        .all(conn)
        .await?;
    // A ticket closed (or merged) before it was categorised needs no hint.
    let arrived: Vec<(Uuid, Uuid, i64, TicketStatus)> = arrived
        .into_iter()
        .map(|(id, requester, number, status)| (id, requester, number, TicketStatus::from(status)))
        .filter(|arrival| arrival.3.is_active())
        .collect();
    if arrived.is_empty() {
        return Ok(0);
    }
    let requesters: HashSet<Uuid> = arrived.iter().map(|(_, requester, _, _)| *requester).collect();
    let select = tickets::Entity::find()
        .select_only()
        .column(tickets::Column::Id)
        .column(tickets::Column::RequesterId)
        .column(tickets::Column::Number)
        .column(tickets::Column::Status);
    let rows: Vec<(Uuid, Uuid, i64, StoredStatus, Vec<u8>)> = super::repo::with_embeddings(select, scope, embedder)
        .filter(tickets::Column::RequesterId.is_in(requesters))
        .filter(tickets::Column::Status.is_in(ACTIVE))
        .order_by_desc(tickets::Column::Number)
        .limit(MAX_CANDIDATES)
        .into_tuple()
        .all(conn)
        .await?;
    let decoded: Vec<(Uuid, Uuid, i64, TicketStatus, Vec<f32>)> = rows
        .into_iter()
        .map(|(id, requester, number, status, vector)| (id, requester, number, status.into(), from_le_bytes(&vector)))
        .collect();
    let earlier: Vec<Embedded<'_>> = decoded
        .iter()
        .map(|(id, requester, number, status, vector)| Embedded {
            id: *id,
            requester: *requester,
            number: *number,
            status: *status,
            vector,
        })
        .collect();
    let threshold = threshold(kind);
    let mut found = Vec::new();
    let first_arrival: HashMap<Uuid, i64> = arrived.iter().fold(HashMap::new(), |mut first, arrival| {
        let number = first.entry(arrival.1).or_insert(arrival.2);
        *number = (*number).min(arrival.2);
        first
    });
    for (id, requester, number, status) in arrived {
        let Some(vector) = vectors.get(&id) else { continue };
        let arrival = Embedded {
            id,
            requester,
            number,
            status,
            vector,
        };
        if let Some((duplicate_of, similarity)) = choose(&arrival, &earlier, threshold) {
            found.push(ticket_duplicates::ActiveModel {
                ticket_id: Set(id),
                workspace_id: Set(scope.uuid()),
                duplicate_of: Set(duplicate_of),
                similarity: Set(f64::from(similarity)),
                created_at: Set(now),
            });
        }
    }
    // Later open tickets, already stored, that an arrival came before.
    let later: Vec<&Embedded<'_>> = earlier
        .iter()
        .filter(|ticket| !vectors.contains_key(&ticket.id))
        .filter(|ticket| {
            first_arrival
                .get(&ticket.requester)
                .is_some_and(|first| ticket.number > *first)
        })
        .collect();
    let mut repeats = Vec::new();
    if !later.is_empty() {
        let hinted: HashSet<Uuid> = ticket_duplicates::Entity::find()
            .select_only()
            .column(ticket_duplicates::Column::TicketId)
            .filter(ticket_duplicates::Column::WorkspaceId.eq(scope.uuid()))
            .filter(ticket_duplicates::Column::TicketId.is_in(later.iter().map(|ticket| ticket.id)))
            .into_tuple()
            .all(conn)
            .await?
            .into_iter()
            .collect();
        for ticket in later.into_iter().filter(|ticket| !hinted.contains(&ticket.id)) {
            match choose(ticket, &earlier, threshold) {
                Some((duplicate_of, similarity)) if vectors.contains_key(&duplicate_of) => {
                    repeats.push(ticket_duplicates::ActiveModel {
                        ticket_id: Set(ticket.id),
                        workspace_id: Set(scope.uuid()),
                        duplicate_of: Set(duplicate_of),
                        similarity: Set(f64::from(similarity)),
                        created_at: Set(now),
                    });
                }
                _ => {}
            }
        }
    }
    let recorded = found.len() + repeats.len();
    if !repeats.is_empty() {
        ticket_duplicates::Entity::insert_many(repeats)
            .on_conflict(
                OnConflict::column(ticket_duplicates::Column::TicketId)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
    }
    if !found.is_empty() {
        ticket_duplicates::Entity::insert_many(found)
            .on_conflict(
                OnConflict::column(ticket_duplicates::Column::TicketId)
                    .update_columns([
                        ticket_duplicates::Column::DuplicateOf,
                        ticket_duplicates::Column::Similarity,
                        ticket_duplicates::Column::CreatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
    }
    Ok(recorded)
}

/// Serialises detection per workspace on PostgreSQL until the transaction ends (a transaction-level
/// advisory lock, keyed by this feature and the workspace), so the reads after it see what another
/// detection committed. SQLite needs none: its write transactions are one at a time.
async fn lock(conn: &impl ConnectionTrait, scope: &WorkspaceScope) -> ApiResult<()> {
    if conn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    // The two-key form: this feature's key, then 32 bits of the workspace's id (a collision only
    // makes two workspaces take turns).
    const DUPLICATES: i32 = 0x6475_7031;
    let key = (scope.uuid().as_u128() & 0xffff_ffff) as u32 as i32;
    conn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1, $2)",
        [DUPLICATES.into(), key.into()],
    ))
    .await?;
    Ok(())
}

/// The hint on `ticket`, while the ticket it names is still open (a merged one is closed). One read.
pub async fn hint(
    conn: &impl ConnectionTrait,
    scope: &WorkspaceScope,
    ticket: Uuid,
) -> ApiResult<Option<PossibleDuplicate>> {
    let row: Option<(Uuid, i64, String, f64)> = ticket_duplicates::Entity::find()
        .select_only()
        .column(ticket_duplicates::Column::DuplicateOf)
        .column(tickets::Column::Number)
        .column(tickets::Column::Subject)
        .column(ticket_duplicates::Column::Similarity)
        .join(
            sea_orm::JoinType::InnerJoin,
            ticket_duplicates::Entity::belongs_to(tickets::Entity)
                .from(ticket_duplicates::Column::DuplicateOf)
                .to(tickets::Column::Id)
                .into(),
        )
        .filter(ticket_duplicates::Column::WorkspaceId.eq(scope.uuid()))
        .filter(tickets::Column::WorkspaceId.eq(scope.uuid()))
        .filter(ticket_duplicates::Column::TicketId.eq(ticket))
        .filter(tickets::Column::Status.is_in(ACTIVE))
        .into_tuple()
        .one(conn)
        .await?;
    Ok(row.map(|(ticket_id, number, subject, similarity)| PossibleDuplicate {
        ticket_id: TicketId(ticket_id),
        number,
        subject,
        similarity: similarity as f32,
    }))
}

/// "Not a duplicate": forgets the hint on `ticket`, if there is one.
pub async fn dismiss(conn: &impl ConnectionTrait, scope: &WorkspaceScope, ticket: Uuid) -> ApiResult<()> {
    ticket_duplicates::Entity::delete_many()
        .filter(ticket_duplicates::Column::WorkspaceId.eq(scope.uuid()))
        .filter(ticket_duplicates::Column::TicketId.eq(ticket))
        .exec(conn)
        .await?;
    Ok(())
}

/// `source` was merged into `target`: whatever either said about the other is settled.
pub async fn merged(conn: &impl ConnectionTrait, scope: &WorkspaceScope, source: Uuid, target: Uuid) -> ApiResult<()> {
    ticket_duplicates::Entity::delete_many()
        .filter(ticket_duplicates::Column::WorkspaceId.eq(scope.uuid()))
        .filter(
            Condition::any()
                .add(ticket_duplicates::Column::TicketId.eq(source))
                .add(
                    Condition::all()
                        .add(ticket_duplicates::Column::TicketId.eq(target))
                        .add(ticket_duplicates::Column::DuplicateOf.eq(source)),
                ),
        )
        .exec(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketStatus::*;

    fn ticket<'a>(id: u128, requester: u128, number: i64, status: TicketStatus, vector: &'a [f32]) -> Embedded<'a> {
        Embedded {
            id: Uuid::from_u128(id),
            requester: Uuid::from_u128(requester),
            number,
            status,
            vector,
        }
    }

    /// The earlier tickets, the one chosen (id, similarity), and why.
    type Case<'a> = (Vec<Embedded<'a>>, Option<(u128, f32)>, &'static str);

    #[test]
    fn the_most_similar_older_open_ticket_of_the_same_requester_is_chosen() {
        let new = [1.0, 0.0];
        let alike = [0.9, 0.435_89];
        let closer = [0.95, 0.312_25];
        let unlike = [0.0, 1.0];
        let short = [1.0];
        let arrival = ticket(100, 7, 10, New, &new);
        let threshold = 0.85;
        let cases: Vec<Case<'_>> = vec![
            (vec![], None, "nothing to compare with"),
            (
                vec![ticket(1, 7, 3, Open, &alike)],
                Some((1, 0.9)),
                "an open one, alike",
            ),
            (vec![ticket(1, 7, 3, New, &alike)], Some((1, 0.9)), "new is open"),
            (
                vec![ticket(1, 7, 3, Pending, &alike)],
                Some((1, 0.9)),
                "pending is open",
            ),
            (vec![ticket(1, 7, 3, Solved, &alike)], None, "solved is done"),
            (
                vec![ticket(1, 7, 3, Closed, &alike)],
                None,
                "closed (or merged away) is done",
            ),
            (vec![ticket(1, 8, 3, Open, &alike)], None, "another requester's"),
            (vec![ticket(1, 7, 11, Open, &alike)], None, "a later ticket"),
            (vec![ticket(100, 7, 10, Open, &new)], None, "itself"),
            (vec![ticket(1, 7, 3, Open, &unlike)], None, "a different problem"),
            (vec![ticket(1, 7, 3, Open, &short)], None, "another embedder's length"),
            (
                vec![ticket(1, 7, 3, Open, &alike), ticket(2, 7, 4, Open, &closer)],
                Some((2, 0.95)),
                "the closer of two",
            ),
            (
                vec![ticket(2, 7, 4, Open, &alike), ticket(1, 7, 3, Open, &alike)],
                Some((1, 0.9)),
                "a tie goes to the older",
            ),
            (
                vec![
                    ticket(1, 8, 3, Open, &closer),
                    ticket(2, 7, 4, Solved, &new),
                    ticket(3, 7, 5, Open, &alike),
                ],
                Some((3, 0.9)),
                "the only eligible one",
            ),
        ];
        for (earlier, expected, why) in cases {
            let chosen = choose(&arrival, &earlier, threshold);
            match (chosen, expected) {
                (Some((id, similarity)), Some((want, want_similarity))) => {
                    assert_eq!(id, Uuid::from_u128(want), "{why}");
                    assert!((similarity - want_similarity).abs() < 1e-3, "{why}: {similarity}");
                }
                (None, None) => {}
                (chosen, expected) => panic!("{why}: chose {chosen:?}, expected {expected:?}"),
            }
        }
    }

    #[test]
    fn the_threshold_is_inclusive() {
        let new = [1.0, 0.0];
        let alike = [0.9, 0.435_89];
        let arrival = ticket(100, 7, 10, Open, &new);
        let earlier = [ticket(1, 7, 3, Open, &alike)];
        assert!(choose(&arrival, &earlier, 0.9).is_some());
        assert!(choose(&arrival, &earlier, 0.901).is_none());
    }
}
