#![allow(clippy::unwrap_used)]

use std::time::Duration;

use chrono::{TimeZone, Utc};
use rusqlite::{Connection, params};

use super::{History, prune};
use crate::row::time;
use crate::schema::{MIGRATIONS, migrate};

fn journal(path: &std::path::Path) -> Connection {
    let mut conn = Connection::open(path).unwrap();
    migrate(&mut conn, path, MIGRATIONS).unwrap();
    conn
}

fn insert(conn: &Connection, id: u32, state: &str, updated_at: chrono::DateTime<Utc>) {
    conn.execute(
        "INSERT INTO steward_actions (id, service, action, params, priority, max_retries, state, attempts, accepted_at, updated_at) VALUES (?1, 's', 'a', '{}', 0, 0, ?2, 1, ?3, ?3)",
        params![format!("{id:032x}"), state, time(updated_at)],
    )
    .unwrap();
}

fn ids(conn: &Connection) -> Vec<u32> {
    let mut statement = conn
        .prepare("SELECT id FROM steward_actions ORDER BY id")
        .unwrap();
    statement
        .query_map([], |row| row.get::<_, String>(0))
        .unwrap()
        .map(|id| u32::from_str_radix(&id.unwrap(), 16).unwrap())
        .collect()
}

#[test]
fn a_pass_deletes_at_most_its_limit_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = journal(&dir.path().join("journal.db"));
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    for id in 1..=25 {
        // Changed in reverse order of id: the highest ids are the oldest.
        insert(
            &conn,
            id,
            "succeeded",
            start - chrono::Duration::seconds(i64::from(id)),
        );
    }
    let keep = History {
        keep_for: Duration::from_secs(3600),
        keep_finished: 3,
    };
    assert_eq!(prune(&mut conn, keep, start, 10).unwrap(), 10);
    assert_eq!(ids(&conn), (1..=15).collect::<Vec<_>>());
    assert_eq!(prune(&mut conn, keep, start, 10).unwrap(), 10);
    assert_eq!(prune(&mut conn, keep, start, 10).unwrap(), 2);
    assert_eq!(ids(&conn), [1, 2, 3]);
    assert_eq!(prune(&mut conn, keep, start, 10).unwrap(), 0);
}

#[test]
fn age_goes_first_and_unfinished_or_dead_letters_are_never_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = journal(&dir.path().join("journal.db"));
    let now = Utc.with_ymd_and_hms(2026, 1, 10, 0, 0, 0).unwrap();
    let long_ago = now - chrono::Duration::days(30);
    insert(&conn, 1, "queued", long_ago);
    insert(&conn, 2, "running", long_ago);
    insert(&conn, 3, "dead-lettered", long_ago);
    insert(&conn, 4, "failed", long_ago);
    insert(&conn, 5, "timed-out", long_ago);
    insert(&conn, 6, "cancelled", now - chrono::Duration::hours(2));
    insert(&conn, 7, "succeeded", now - chrono::Duration::minutes(1));
    let keep = History {
        keep_for: Duration::from_secs(3600),
        keep_finished: 10,
    };
    assert_eq!(prune(&mut conn, keep, now, 100).unwrap(), 3);
    assert_eq!(ids(&conn), [1, 2, 3, 7]);
}
