//! A database made for one test or one benchmark run and removed after it: a fresh folder (the
//! SQLite file lives there) and, when a PostgreSQL server is named, a fresh database on it. The
//! integration tests (`tests/api/helpers.rs`) and the benchmarks (`benches/`) both start from here.

use std::path::PathBuf;

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, Database};
use uuid::Uuid;

/// A fresh folder and database, removed when dropped (a panic included) unless `keep` was called.
pub struct ThrowawayDatabase {
    /// A new folder under the system's temporary directory: the SQLite file, and anything else the
    /// caller puts there (the server's data folder).
    pub dir: PathBuf,
    /// Where the database is: SQLite at `dir/ferrodesk.db`, or the new PostgreSQL database.
    pub url: String,
    /// `(admin url, database name)` of a PostgreSQL database made here.
    postgres: Option<(String, String)>,
    keep: bool,
}

impl ThrowawayDatabase {
    /// A folder named `ferrodesk-<purpose>-<uuid>` and, with `postgres_admin_url` (a URL whose
    /// database the new one is created from, such as `postgres://postgres@127.0.0.1:5432/postgres`),
    /// a PostgreSQL database `ferrodesk_<purpose>_<uuid>`; otherwise SQLite in the folder.
    pub async fn create(purpose: &str, postgres_admin_url: Option<&str>) -> anyhow::Result<ThrowawayDatabase> {
        let unique = Uuid::now_v7().simple();
        let dir = std::env::temp_dir().join(format!("ferrodesk-{purpose}-{unique}"));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        // Built before the PostgreSQL database, so that its `Drop` removes the folder on a failure below.
        let mut database = ThrowawayDatabase {
            url: ferrodesk::config::sqlite_url(&dir.join("ferrodesk.db")),
            dir,
            postgres: None,
            keep: false,
        };
        if let Some(admin_url) = postgres_admin_url {
            let name = format!("ferrodesk_{purpose}_{unique}").replace('-', "_");
            database.url = create_database(admin_url, &name).await?;
            database.postgres = Some((admin_url.to_owned(), name));
        }
        Ok(database)
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// The SQLite file (present once something connected to `url`), when not on PostgreSQL.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        (!self.is_postgres()).then(|| self.dir.join("ferrodesk.db"))
    }

    /// The PostgreSQL database's name, when on PostgreSQL.
    pub fn postgres_name(&self) -> Option<&str> {
        self.postgres.as_ref().map(|(_, name)| name.as_str())
    }

    /// Leaves the folder and the database in place when dropped (to look at them afterwards).
    pub fn keep(&mut self) {
        self.keep = true;
    }

    /// One line for a report: the kind of database and where it is.
    pub fn describe(&self) -> String {
        match &self.postgres {
            Some((_, name)) => format!("PostgreSQL (fresh database {name} on {})", host_of(&self.url)),
            None => format!("SQLite ({}, WAL)", self.dir.join("ferrodesk.db").display()),
        }
    }
}

impl Drop for ThrowawayDatabase {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        std::fs::remove_dir_all(&self.dir).ok();
        if let Some((admin_url, name)) = self.postgres.take() {
            drop_database(admin_url, name);
        }
    }
}

/// Creates database `name` on the server of `admin_url` and returns its URL.
pub async fn create_database(admin_url: &str, name: &str) -> anyhow::Result<String> {
    if !admin_url.starts_with("postgres") {
        bail!("{admin_url:?} is not a postgres:// URL");
    }
    let Some((server, _)) = admin_url.rsplit_once('/') else {
        bail!("the PostgreSQL URL must end with a database name, like postgres://postgres@127.0.0.1:5432/postgres");
    };
    let admin = Database::connect(admin_url)
        .await
        .with_context(|| format!("connecting to PostgreSQL at {}", host_of(admin_url)))?;
    let created = admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .with_context(|| format!("creating the database {name}"));
    admin.close().await.ok();
    created?;
    Ok(format!("{server}/{name}"))
}

/// Drops database `name` through `admin_url`. Made for `Drop` impls: it never panics, works from
/// inside a runtime (on a thread of its own, since a runtime cannot block on itself) and reports a
/// failure on stderr (stdout may be the broken pipe being unwound from).
pub fn drop_database(admin_url: String, name: String) {
    let shown = name.clone();
    let dropped = std::thread::spawn(move || -> anyhow::Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        runtime.block_on(async {
            let admin = Database::connect(&admin_url).await?;
            let result = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
            admin.close().await.ok();
            result?;
            Ok(())
        })
    })
    .join();
    if !matches!(dropped, Ok(Ok(()))) {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "could not drop the throwaway database {shown}");
    }
}

/// `host:port` of a database URL, without the user and password.
fn host_of(url: &str) -> &str {
    let host = url.rsplit_once('@').map_or(url, |(_, host)| host);
    host.split_once('/').map_or(host, |(host, _)| host)
}
