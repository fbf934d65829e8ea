//! What the `retention-cleanup` tests share: a host running one cleanup called
//! `cleanup`, databases with old and new rows, files with old and new times.

use std::path::Path;
use std::time::{Duration, SystemTime};

use rusqlite::Connection;
use steward::{EventStream, HostHandle, RunningHost, State};
use steward_builtins::retention::CleanupCompleted;

/// Seconds in a day.
pub const DAY: i64 = 24 * 60 * 60;

/// A running host with the cleanup and its events, subscribed before it started.
pub struct Cleanup {
    pub running: RunningHost,
    pub handle: HostHandle,
    pub events: EventStream<CleanupCompleted>,
}

/// Starts a cleanup with these settings (the inside of `settings = { … }`),
/// which runs only when asked.
pub async fn start(settings: &str) -> Cleanup {
    let toml = format!(
        "[services.cleanup]\nkind = \"retention-cleanup\"\nrun_on_startup = false\nsettings = {{ {settings} }}\n"
    );
    let host = super::host(&toml);
    let handle = host.handle();
    let events = handle
        .named("cleanup")
        .on::<CleanupCompleted>()
        .stream()
        .await
        .expect("the cleanup exists");
    let running = host.start().await.expect("the host starts");
    let service = handle.service("cleanup").expect("the cleanup exists");
    tokio::time::timeout(Duration::from_secs(10), service.wait_for(State::Running))
        .await
        .expect("the cleanup is running within 10 s");
    Cleanup {
        running,
        handle,
        events,
    }
}

impl Cleanup {
    /// Runs a full cleanup now and answers its event.
    pub async fn run(&mut self) -> CleanupCompleted {
        self.handle
            .named("cleanup")
            .trigger()
            .await
            .expect("the cleanup runs");
        self.next().await
    }

    /// The next event, within ten seconds.
    pub async fn next(&mut self) -> CleanupCompleted {
        tokio::time::timeout(Duration::from_secs(10), self.events.recv())
            .await
            .expect("an event within 10 s")
            .expect("the stream is open")
    }
}

/// Now in unix seconds.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// `days` ago as ISO-8601 text: `2026-11-01T10:00:00Z` with `t`, else
/// `2026-11-01 10:00:00`.
pub fn iso(days: i64, t: bool) -> String {
    let at = chrono::Utc::now() - chrono::TimeDelta::seconds(days * DAY);
    if t {
        at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        at.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// A database file with `table(id INTEGER PRIMARY KEY, column TYPE)`.
pub fn database(path: &Path, table: &str, column: &str, kind: &str) -> Connection {
    let connection = Connection::open(path).expect("the database opens");
    connection
        .execute_batch(&format!(
            "CREATE TABLE {table} (id INTEGER PRIMARY KEY, {column} {kind}, body TEXT);"
        ))
        .expect("the table is created");
    connection
}

/// Inserts a row with this timestamp.
pub fn insert(connection: &Connection, table: &str, value: rusqlite::types::Value) {
    connection
        .execute(
            &format!("INSERT INTO {table} VALUES (NULL, ?1, 'x')"),
            [value],
        )
        .expect("the row is inserted");
}

/// How many rows `table` holds.
pub fn rows(connection: &Connection, table: &str) -> i64 {
    connection
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
            row.get(0)
        })
        .expect("the rows are counted")
}

/// Writes a file of `size` bytes modified `days` ago.
pub fn file(path: &Path, size: usize, days: u64) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("the directory is made");
    }
    std::fs::write(path, vec![b'x'; size]).expect("the file is written");
    let modified = SystemTime::now() - Duration::from_secs(days * 86_400);
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|file| file.set_modified(modified))
        .expect("the time is set");
}

/// A TOML string for a path.
pub fn toml_path(path: &Path) -> String {
    format!("{:?}", path.display().to_string())
}
