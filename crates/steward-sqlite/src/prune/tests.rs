#![allow(clippy::unwrap_used)]

use std::time::Duration;

use chrono::{TimeZone, Utc};
use rusqlite::{Connection, params};

use super::{History, prune};
use crate::row::{id_bytes, id_of, time};
use crate::schema::{MIGRATIONS, migrate};
use steward::{ActionId, ActionState};

fn journal(path: &std::path::Path) -> Connection {
    let mut conn = Connection::open(path).unwrap();
    migrate(&mut conn, path, MIGRATIONS).unwrap();
    conn
}

fn insert(conn: &Connection, id: u32, state: ActionState, updated_at: chrono::DateTime<Utc>) {
    insert_for(conn, "s", id, state, updated_at);
}

fn insert_for(
    conn: &Connection,
    service: &str,
    id: u32,
    state: ActionState,
    updated_at: chrono::DateTime<Utc>,
) {
    let service = crate::services::Numbers::default()
        .of(conn, service)
        .unwrap();
    conn.execute(
        "INSERT INTO steward_actions (id, service, action, params, priority, max_retries, state, attempts, accepted_at, updated_at) VALUES (?1, ?2, 'a', '{}', 0, 0, ?3, 1, ?4, ?4)",
        params![id_bytes(ActionId::from(u128::from(id))), service, crate::state::code(state), time(updated_at)],
    )
    .unwrap();
}

fn ids(conn: &Connection) -> Vec<u32> {
    let mut statement = conn
        .prepare("SELECT id FROM steward_actions ORDER BY id")
        .unwrap();
    statement
        .query_map([], |row| row.get::<_, Vec<u8>>(0))
        .unwrap()
        .map(|id| u32::try_from(id_of(&id.unwrap()).unwrap().as_u128()).unwrap())
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
            ActionState::Succeeded,
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
    insert(&conn, 1, ActionState::Queued, long_ago);
    insert(&conn, 2, ActionState::Running, long_ago);
    insert(&conn, 3, ActionState::DeadLettered, long_ago);
    insert(&conn, 4, ActionState::Failed, long_ago);
    insert(&conn, 5, ActionState::TimedOut, long_ago);
    insert(
        &conn,
        6,
        ActionState::Cancelled,
        now - chrono::Duration::hours(2),
    );
    insert(
        &conn,
        7,
        ActionState::Succeeded,
        now - chrono::Duration::minutes(1),
    );
    let keep = History {
        keep_for: Duration::from_secs(3600),
        keep_finished: 10,
    };
    assert_eq!(prune(&mut conn, keep, now, 100).unwrap(), 3);
    assert_eq!(ids(&conn), [1, 2, 3, 7]);
}

#[test]
fn services_are_pruned_alike_and_the_oldest_go_first_whichever_service_they_are_of() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = journal(&dir.path().join("journal.db"));
    let now = Utc.with_ymd_and_hms(2026, 1, 10, 0, 0, 0).unwrap();
    let minutes = |n: i64| now - chrono::Duration::minutes(n);
    // Too old, in two services.
    insert_for(
        &conn,
        "a",
        1,
        ActionState::Succeeded,
        now - chrono::Duration::days(2),
    );
    insert_for(
        &conn,
        "b",
        2,
        ActionState::Failed,
        now - chrono::Duration::days(3),
    );
    // Within the time kept, interleaved across three services: by count, the
    // oldest two go (4 of `b`, then 6 of `c`), whichever service has most.
    insert_for(&conn, "a", 3, ActionState::Succeeded, minutes(10));
    insert_for(&conn, "b", 4, ActionState::Succeeded, minutes(50));
    insert_for(&conn, "a", 5, ActionState::Succeeded, minutes(20));
    insert_for(&conn, "c", 6, ActionState::Succeeded, minutes(40));
    insert_for(&conn, "a", 7, ActionState::Succeeded, minutes(30));
    // Never pruned, old as they are.
    insert_for(
        &conn,
        "c",
        8,
        ActionState::DeadLettered,
        now - chrono::Duration::days(9),
    );
    insert_for(
        &conn,
        "b",
        9,
        ActionState::Queued,
        now - chrono::Duration::days(9),
    );
    let keep = History {
        keep_for: Duration::from_secs(24 * 3600),
        keep_finished: 3,
    };
    assert_eq!(prune(&mut conn, keep, now, 100).unwrap(), 4);
    assert_eq!(ids(&conn), [3, 5, 7, 8, 9]);
}
