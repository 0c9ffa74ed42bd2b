//! PostgreSQL LISTEN/NOTIFY: `log::record` queues a `pg_notify` in the change's transaction; every
//! instance listens here and wakes its hub, so a ticket created on instance B reaches a socket on A.
//! Revocations (`revoke::CHANNEL`) arrive the same way and close the sockets they end.

use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{DatabaseConnection, DbBackend};
use uuid::Uuid;

use super::Hub;
use super::revoke::{self, Revocation};

pub const CHANNEL: &str = "ferrodesk_events";

/// Starts listening when the database is PostgreSQL; SQLite runs one instance and needs none.
pub fn start(db: &DatabaseConnection, hub: Hub) {
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let pool = db.get_postgres_connection_pool().clone();
    tokio::spawn(async move {
        let mut delay = Duration::from_millis(200);
        loop {
            match PgListener::connect_with(&pool).await {
                Ok(mut listener) => {
                    if let Err(error) = listener.listen_all([CHANNEL, revoke::CHANNEL]).await {
                        tracing::warn!(%error, "LISTEN failed");
                    } else {
                        delay = Duration::from_millis(200);
                        loop {
                            match listener.recv().await {
                                Ok(notification) if notification.channel() == revoke::CHANNEL => {
                                    if let Some((workspace, revocation)) = Revocation::decode(notification.payload()) {
                                        hub.revoke(workspace, revocation);
                                    }
                                }
                                Ok(notification) => {
                                    if let Ok(workspace) = notification.payload().parse::<Uuid>() {
                                        hub.wake(workspace);
                                    }
                                }
                                Err(error) => {
                                    tracing::warn!(%error, "the event listener lost its connection; reconnecting");
                                    break;
                                }
                            }
                        }
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot connect the event listener; retrying"),
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(10));
        }
    });
}
