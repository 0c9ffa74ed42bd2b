//! The hub owns the rooms (one per workspace with someone connected). Told that a workspace has
//! new events (after a local commit, or by PostgreSQL's NOTIFY from any instance), it reads them
//! from the log once and hands each to the connections allowed to see it. A connection that
//! cannot keep up is dropped; it reconnects with its last id and catches up from the log.
//! Told of a revocation, it closes the sockets of that session or user at once; told to shut
//! down, every socket says goodbye with 1001.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ferrodesk_shared::events::CloseReason;
use sea_orm::DatabaseConnection;
use tokio::sync::{Notify, mpsc, watch};
use uuid::Uuid;

use crate::config::RealtimeSettings;

use super::limits::SocketLimits;
use super::log::{self, StoredEvent};
use super::revoke::Revocation;

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
    /// Becomes true when the server stops; every socket watches it.
    stopping: Arc<watch::Sender<bool>>,
    limits: SocketLimits,
    /// Rung on every wake: workers that act on new events (webhook deliveries) wait on it, so
    /// they hear of local commits and, through the listener, of every instance's.
    committed: Arc<Notify>,
}

/// What the hub hands a joined connection.
#[derive(Debug)]
pub enum Delivery {
    Event(Arc<StoredEvent>),
    /// Close the socket with this reason; nothing follows.
    Close(CloseReason),
}

/// What a joined connection receives.
pub type EventReceiver = mpsc::Receiver<Delivery>;

/// Who a connection is, as far as delivery and revocation go.
#[derive(Debug, Clone, Copy)]
pub struct Listener {
    pub user: Uuid,
    pub session: Uuid,
    pub staff: bool,
}

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
    Revoke {
        workspace: Uuid,
        revocation: Revocation,
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
    who: Listener,
    sender: mpsc::Sender<Delivery>,
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
    pub fn start(db: DatabaseConnection, settings: &RealtimeSettings) -> Hub {
        let (commands, receiver) = mpsc::unbounded_channel();
        let hub = Hub {
            commands,
            stopping: Arc::new(watch::Sender::new(false)),
            limits: SocketLimits::new(settings),
            committed: Arc::new(Notify::new()),
        };
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
    pub fn join(&self, workspace: Uuid, connection: u64, who: Listener, from: i64) -> EventReceiver {
        let (sender, receiver) = mpsc::channel(CONNECTION_BUFFER);
        let member = Member { who, sender };
        let _ = self.commands.send(Command::Join {
            workspace,
            connection,
            member,
            from,
        });
        receiver
    }

    /// The caps on open sockets per user and per client address.
    pub fn limits(&self) -> &SocketLimits {
        &self.limits
    }

    pub fn leave(&self, workspace: Uuid, connection: u64) {
        let _ = self.commands.send(Command::Leave { workspace, connection });
    }

    /// Says that the workspace has committed new events.
    pub fn wake(&self, workspace: Uuid) {
        let _ = self.commands.send(Command::Wake { workspace });
        self.committed.notify_one();
    }

    /// Rung whenever some workspace has committed new events (here or on another instance).
    pub fn committed(&self) -> Arc<Notify> {
        self.committed.clone()
    }

    /// Closes the sockets this revocation ends (on this instance; `revoke::revoke` reaches the others).
    pub fn revoke(&self, workspace: Uuid, revocation: Revocation) {
        let _ = self.commands.send(Command::Revoke { workspace, revocation });
    }

    /// Tells every socket, open or still authenticating, to close with 1001 going away.
    pub fn shut_down(&self) {
        self.stopping.send_replace(true);
    }

    /// Resolves once `shut_down` has been called (at once if it already was).
    pub async fn stopping(&self) {
        let mut stopping = self.stopping.subscribe();
        // An error means the sender is gone, which only happens when the hub is: stop too.
        let _ = stopping.wait_for(|stopping| *stopping).await;
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
            Command::Revoke { workspace, revocation } => {
                if let Some(room) = rooms.get_mut(&workspace) {
                    room.members.retain(|_, member| {
                        if !revocation.ends(member.who.user, member.who.session) {
                            return true;
                        }
                        // Events already queued were allowed when they were sent; nothing after
                        // this. A full buffer drops the sender, which closes the socket as well.
                        let _ = member.sender.try_send(Delivery::Close(revocation.close_reason()));
                        false
                    });
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
            if !event.audience.admits(member.who.user, member.who.staff) {
                return true;
            }
            // A full buffer means a dead or hopelessly slow client: let it go and catch up later.
            member.sender.try_send(Delivery::Event(event.clone())).is_ok()
        });
    }
}
