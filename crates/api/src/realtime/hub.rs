//! The hub owns the rooms (one per workspace with someone connected). Told that a workspace has
//! new events (after a local commit, or by PostgreSQL's NOTIFY from any instance), it reads them
//! from the log once and hands each to the connections allowed to see it. A connection that
//! cannot keep up is dropped; it reconnects with its last id and catches up from the log.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::log::{self, StoredEvent};

/// Events a connection may buffer before it is considered dead.
const CONNECTION_BUFFER: usize = 512;
/// Events read from the log per round.
const FETCH_BATCH: u64 = 500;
/// How often every room re-reads the log anyway, in case a wake-up was lost.
const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// A cloneable handle to the hub task.
#[derive(Clone)]
pub struct Hub {
    commands: mpsc::UnboundedSender<Command>,
}

/// What a joined connection receives.
pub type EventReceiver = mpsc::Receiver<Arc<StoredEvent>>;

enum Command {
    Join {
        workspace: Uuid,
        connection: u64,
        member: Member,
        /// The newest event the connection already knows of.
        from: i64,
    },
    Leave {
        workspace: Uuid,
        connection: u64,
    },
    Wake {
        workspace: Uuid,
    },
    Fetched {
        workspace: Uuid,
        events: Vec<StoredEvent>,
    },
    FetchFailed {
        workspace: Uuid,
    },
    Sweep,
}

struct Member {
    user: Uuid,
    staff: bool,
    sender: mpsc::Sender<Arc<StoredEvent>>,
}

#[derive(Default)]
struct Room {
    /// The last event read from the log and dispatched.
    cursor: i64,
    members: HashMap<u64, Member>,
    fetching: bool,
    /// Woken while a fetch was running: fetch again when it ends.
    dirty: bool,
}

impl Hub {
    pub fn start(db: DatabaseConnection) -> Hub {
        let (commands, receiver) = mpsc::unbounded_channel();
        let hub = Hub { commands };
        tokio::spawn(run(db, hub.clone(), receiver));
        let sweeper = hub.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(SWEEP_EVERY);
            loop {
                ticks.tick().await;
                if sweeper.commands.send(Command::Sweep).is_err() {
                    break;
                }
            }
        });
        hub
    }

    /// Registers a connection; events after `from` that its user may see arrive on the receiver.
    pub fn join(&self, workspace: Uuid, connection: u64, user: Uuid, staff: bool, from: i64) -> EventReceiver {
        let (sender, receiver) = mpsc::channel(CONNECTION_BUFFER);
        let member = Member { user, staff, sender };
        let _ = self.commands.send(Command::Join {
            workspace,
            connection,
            member,
            from,
        });
        receiver
    }

    pub fn leave(&self, workspace: Uuid, connection: u64) {
        let _ = self.commands.send(Command::Leave { workspace, connection });
    }

    /// Says that the workspace has committed new events.
    pub fn wake(&self, workspace: Uuid) {
        let _ = self.commands.send(Command::Wake { workspace });
    }
}

async fn run(db: DatabaseConnection, hub: Hub, mut commands: mpsc::UnboundedReceiver<Command>) {
    let mut rooms: HashMap<Uuid, Room> = HashMap::new();
    while let Some(command) = commands.recv().await {
        match command {
            Command::Join {
                workspace,
                connection,
                member,
                from,
            } => {
                let room = rooms.entry(workspace).or_insert_with(|| Room {
                    cursor: from,
                    ..Room::default()
                });
                room.members.insert(connection, member);
                // Something may have committed between the connection's read and its joining.
                fetch(&db, &hub, workspace, room);
            }
            Command::Leave { workspace, connection } => {
                if let Some(room) = rooms.get_mut(&workspace) {
                    room.members.remove(&connection);
                    if room.members.is_empty() && !room.fetching {
                        rooms.remove(&workspace);
                    }
                }
            }
            Command::Wake { workspace } => {
                if let Some(room) = rooms.get_mut(&workspace) {
                    fetch(&db, &hub, workspace, room);
                }
            }
            Command::Sweep => {
                for (workspace, room) in rooms.iter_mut() {
                    fetch(&db, &hub, *workspace, room);
                }
            }
            Command::Fetched { workspace, events } => {
                let Some(room) = rooms.get_mut(&workspace) else {
                    continue;
                };
                room.fetching = false;
                let full = events.len() as u64 >= FETCH_BATCH;
                dispatch(room, events);
                if room.members.is_empty() {
                    rooms.remove(&workspace);
                } else if full || std::mem::take(&mut room.dirty) {
                    fetch(&db, &hub, workspace, room);
                }
            }
            Command::FetchFailed { workspace } => {
                if let Some(room) = rooms.get_mut(&workspace) {
                    room.fetching = false;
                    // The sweep retries; a database restart delays events, it does not lose them.
                    room.dirty = false;
                }
            }
        }
    }
}

fn fetch(db: &DatabaseConnection, hub: &Hub, workspace: Uuid, room: &mut Room) {
    if room.fetching {
        room.dirty = true;
        return;
    }
    room.fetching = true;
    let (db, commands, cursor) = (db.clone(), hub.commands.clone(), room.cursor);
    tokio::spawn(async move {
        let command = match log::after(&db, workspace, cursor, FETCH_BATCH).await {
            Ok(events) => Command::Fetched { workspace, events },
            Err(error) => {
                tracing::warn!(%error, %workspace, "reading new events failed; will retry");
                Command::FetchFailed { workspace }
            }
        };
        let _ = commands.send(command);
    });
}

fn dispatch(room: &mut Room, events: Vec<StoredEvent>) {
    for event in events {
        if event.seq <= room.cursor {
            continue;
        }
        room.cursor = event.seq;
        let event = Arc::new(event);
        room.members.retain(|_, member| {
            if !event.audience.admits(member.user, member.staff) {
                return true;
            }
            // A full buffer means a dead or hopelessly slow client: let it go and catch up later.
            member.sender.try_send(event.clone()).is_ok()
        });
    }
}
