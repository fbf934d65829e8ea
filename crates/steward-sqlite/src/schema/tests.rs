#![allow(clippy::unwrap_used)]

use rusqlite::Connection;

use super::{LATEST, MIGRATIONS, Migration, migrate, recognise, user_version};
use crate::error::OpenError;
use crate::{backlog, prune, read, writer};

/// Writes `record` as the writer accepts one.
fn accept(conn: &Connection, record: &steward::ActionRecord) {
    let row = crate::row::Row::from_record(record).unwrap();
    let mut services = crate::services::Numbers::default();
    writer::Statements::new(conn, &mut services)
        .insert(&[&row], row.shape())
        .unwrap();
}

/// A fresh file brought to version 1 (the first step only).
fn at_version_1(path: &std::path::Path) -> Connection {
    let mut conn = Connection::open(path).unwrap();
    assert_eq!(recognise(&conn, path, MIGRATIONS).unwrap(), 0);
    migrate(&mut conn, path, &MIGRATIONS[..1]).unwrap();
    assert_eq!(user_version(&conn).unwrap(), 1);
    conn
}

#[test]
fn a_later_version_runs_only_its_own_step_and_keeps_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut conn = at_version_1(&path);
    conn.execute(
        "INSERT INTO steward_actions VALUES ('00000000000000000000000000000001', 's', 'a', '{}', 0, NULL, 0, NULL, 'queued', 0, NULL, NULL, '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z')",
        [],
    )
    .unwrap();
    // Step 1 would fail if it ran again (its table exists).
    let mut later = MIGRATIONS.to_vec();
    let next = LATEST + 1;
    later.push(Migration {
        version: next,
        sql: "ALTER TABLE steward_actions ADD COLUMN note TEXT NOT NULL DEFAULT 'moved'",
    });
    assert_eq!(recognise(&conn, &path, &later).unwrap(), 1);
    migrate(&mut conn, &path, &later).unwrap();
    assert_eq!(user_version(&conn).unwrap(), next);
    let note: String = conn
        .query_row(
            "SELECT note FROM steward_actions WHERE id = unhex('00000000000000000000000000000001')",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(note, "moved");
    // The crate itself no longer knows this file.
    let refused = recognise(&conn, &path, MIGRATIONS).unwrap_err();
    assert!(
        matches!(refused, OpenError::NewerSchema { found, supported, .. } if found == next && supported == LATEST)
    );
}

#[test]
fn a_step_that_fails_leaves_the_file_at_the_version_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut conn = at_version_1(&path);
    let broken = [
        MIGRATIONS[0],
        MIGRATIONS[1],
        MIGRATIONS[2],
        MIGRATIONS[3],
        MIGRATIONS[4],
        Migration {
            version: 6,
            sql: "CREATE TABLE half_done (x); ALTER TABLE no_such_table ADD COLUMN y",
        },
    ];
    let error = migrate(&mut conn, &path, &broken).unwrap_err();
    assert!(
        matches!(error, OpenError::Migrate { version: 6, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("journal.db"), "{error}");
    assert_eq!(user_version(&conn).unwrap(), 5);
    let half_done: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'half_done'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(
        half_done, 0,
        "the failed step's first statement was taken back"
    );
}

#[test]
fn version_2_adds_when_an_action_may_run_and_keeps_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut conn = at_version_1(&path);
    conn.execute(
        "INSERT INTO steward_actions VALUES ('0192a5e3c1f07d2b9a4e000000000001', 's', 'a', '{}', 0, NULL, 0, NULL, 'queued', 0, NULL, NULL, '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z')",
        [],
    )
    .unwrap();
    migrate(&mut conn, &path, MIGRATIONS).unwrap();
    assert_eq!(user_version(&conn).unwrap(), LATEST);
    let record = read::get(&conn, "0192a5e3c1f07d2b9a4e000000000001".parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(record.state, steward::ActionState::Queued);
    assert_eq!(record.not_before, None);
}

#[test]
fn the_queries_use_their_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut conn = at_version_1(&path);
    migrate(&mut conn, &path, MIGRATIONS).unwrap();
    let plan = |sql: &str| -> String {
        let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let unbound = vec![rusqlite::types::Null; statement.parameter_count()];
        let details: Vec<String> = statement
            .query_map(rusqlite::params_from_iter(unbound), |row| {
                row.get::<_, String>(3)
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        details.join("; ")
    };
    let cases = [
        (backlog::FIRST_SERVICE, "steward_actions_backlog"),
        (backlog::NEXT_SERVICE, "steward_actions_backlog"),
        (backlog::TOP_PRIORITY, "steward_actions_backlog"),
        (backlog::NEXT_PRIORITY, "steward_actions_backlog"),
        (backlog::AT_PRIORITY, "steward_actions_backlog"),
        (read::DEAD_LETTERS, "steward_actions_dead_letters"),
        (prune::NEXT_SERVICE, "steward_actions_history"),
        (prune::OLDER_THAN, "steward_actions_history"),
        (prune::COUNT, "steward_actions_history"),
        (prune::OLDEST, "steward_actions_history"),
    ];
    for (sql, index) in cases {
        let plan = plan(sql);
        assert!(plan.contains(index), "{sql}\n  plan: {plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{sql} sorts\n  plan: {plan}");
    }
    // Every unfinished action at once, for inspection, is read along the backlog's
    // index and sorted by id; the newest id is the table's key's last.
    let unfinished = plan(read::UNFINISHED);
    assert!(
        unfinished.contains("steward_actions_backlog"),
        "{unfinished}"
    );
    assert!(
        plan(backlog::NEWEST).contains("sqlite_autoindex_steward_actions_1"),
        "{}",
        plan(backlog::NEWEST)
    );
    // A service's history reads the history index newest first, and its dead
    // letters along theirs; only the merged page (at most twice the limit) is
    // sorted.
    let history = plan(read::SERVICE_HISTORY);
    assert!(history.contains("steward_actions_history"), "{history}");
    assert!(
        history.contains("steward_actions_dead_letters_by_service"),
        "{history}"
    );
    // Never the whole table.
    assert!(
        !history
            .split("; ")
            .any(|step| step == "SCAN steward_actions"),
        "{history}"
    );
}

#[test]
fn version_3_keeps_the_rows_and_their_history() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut conn = at_version_1(&path);
    migrate(&mut conn, &path, &MIGRATIONS[..2]).unwrap();
    let at = "2026-01-01T00:00:00.000000000Z";
    for (id, state) in [
        ("01", "queued"),
        ("02", "succeeded"),
        ("03", "dead-lettered"),
    ] {
        conn.execute(
            "INSERT INTO steward_actions VALUES (?1, 's', 'a', '{}', 0, NULL, 0, NULL, ?2, 0, NULL, NULL, ?3, ?3, NULL)",
            rusqlite::params![format!("0192a5e3c1f07d2b9a4e0000000000{id}"), state, at],
        )
        .unwrap();
    }
    migrate(&mut conn, &path, MIGRATIONS).unwrap();
    assert_eq!(user_version(&conn).unwrap(), LATEST);
    let history: Vec<_> = read::history(&conn, "s", 10)
        .unwrap()
        .into_iter()
        .map(|record| record.state)
        .collect();
    assert_eq!(history.len(), 2, "{history:?}");
    let finished: i64 = conn.query_row(prune::COUNT, [], |row| row.get(0)).unwrap();
    assert_eq!(finished, 1);
}

#[test]
fn version_4_keeps_the_rows_with_the_default_backoff_and_stores_a_retrys_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut conn = at_version_1(&path);
    migrate(&mut conn, &path, &MIGRATIONS[..3]).unwrap();
    let at = "2026-01-01T00:00:00.000000000Z";
    conn.execute(
        "INSERT INTO steward_actions VALUES ('0192a5e3c1f07d2b9a4e000000000001', 's', 'a', '{}', 0, NULL, 3, NULL, 'queued', 1, NULL, NULL, ?1, ?1, NULL)",
        [at],
    )
    .unwrap();
    migrate(&mut conn, &path, MIGRATIONS).unwrap();
    assert_eq!(user_version(&conn).unwrap(), LATEST);
    let old = read::get(&conn, "0192a5e3c1f07d2b9a4e000000000001".parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!((old.max_retries, old.retry_backoff), (3, None));

    let mut record = old.clone();
    record.id = "0192a5e3c1f07d2b9a4e000000000002".parse().unwrap();
    let backoff = steward::Backoff::new(
        std::time::Duration::from_secs(5),
        std::time::Duration::from_secs(600),
    )
    .jitter(0.0);
    record.retry_backoff = Some(backoff);
    accept(&conn, &record);
    let back = read::get(&conn, record.id).unwrap().unwrap();
    assert_eq!(back.retry_backoff, Some(backoff));
}

#[test]
fn version_5_keeps_the_rows_without_a_start_and_keeps_when_the_last_attempt_started() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut conn = at_version_1(&path);
    migrate(&mut conn, &path, &MIGRATIONS[..4]).unwrap();
    let (accepted, finished) = (
        "2026-01-01T00:00:00.000000000Z",
        "2026-01-01T00:00:09.000000000Z",
    );
    conn.execute(
        "INSERT INTO steward_actions VALUES ('0192a5e3c1f07d2b9a4e000000000001', 's', 'a', '{}', 0, NULL, 3, NULL, 'succeeded', 1, NULL, NULL, ?1, ?2, NULL, 5000, 60000, 0.5)",
        [accepted, finished],
    )
    .unwrap();
    migrate(&mut conn, &path, MIGRATIONS).unwrap();
    assert_eq!(user_version(&conn).unwrap(), LATEST);
    let old = read::get(&conn, "0192a5e3c1f07d2b9a4e000000000001".parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(
        (old.state, old.started_at, old.retry_backoff.map(|b| b.max)),
        (
            steward::ActionState::Succeeded,
            None,
            Some(std::time::Duration::from_secs(60))
        )
    );

    // A running change sets it; a later change (a retry queued) keeps it; the
    // next attempt's start replaces it.
    let id: steward::ActionId = "0192a5e3c1f07d2b9a4e000000000002".parse().unwrap();
    let mut record = old.clone();
    (record.id, record.state) = (id, steward::ActionState::Queued);
    accept(&conn, &record);
    let at = |seconds: i64| old.accepted_at + chrono::Duration::seconds(seconds);
    let change = |state, seconds| {
        let change = steward::ActionChange::new(state, 1, at(seconds));
        let row = crate::row::ChangeRow::new(id, &change).unwrap();
        conn.execute(
            writer::UPDATE,
            rusqlite::params![
                row.id,
                row.state,
                row.attempts,
                row.at,
                row.result,
                row.error,
                row.not_before,
                row.started_at
            ],
        )
        .unwrap();
        read::get(&conn, id).unwrap().unwrap().started_at
    };
    use steward::ActionState::{Queued, Running, Succeeded};
    assert_eq!(change(Running, 2), Some(at(2)));
    assert_eq!(change(Queued, 3), Some(at(2)));
    assert_eq!(change(Running, 7), Some(at(7)));
    assert_eq!(change(Succeeded, 8), Some(at(7)));
}

/// A condition SQLite evaluates through a temporary table (a list of three values
/// in a partial index) would cost each write a table opened and closed.
#[test]
fn writes_open_no_temporary_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut conn = at_version_1(&path);
    migrate(&mut conn, &path, MIGRATIONS).unwrap();
    use crate::row::Shape::{Full, Plain};
    for sql in [
        writer::accept_sql(1, Full),
        writer::accept_sql(32, Full),
        writer::accept_sql(1, Plain),
        writer::accept_sql(32, Plain),
        writer::UPDATE,
        writer::OUTCOME,
    ] {
        let mut statement = conn.prepare(&format!("EXPLAIN {sql}")).unwrap();
        let unbound = vec![rusqlite::types::Null; statement.parameter_count()];
        let opcodes: Vec<String> = statement
            .query_map(rusqlite::params_from_iter(unbound), |row| {
                row.get::<_, String>(1)
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            !opcodes.iter().any(|opcode| opcode == "OpenEphemeral"),
            "{sql}: {opcodes:?}"
        );
    }
}

#[test]
fn version_7_keeps_every_row_with_its_id_and_times_to_the_microsecond() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut conn = at_version_1(&path);
    migrate(&mut conn, &path, &MIGRATIONS[..6]).unwrap();
    conn.execute(
        "INSERT INTO steward_actions VALUES ('0192a5e3c1f07d2b9a4e000000000001', 's', 'a', '{}', 2, 1500, 3, 'c', 'queued', 1, NULL, 'boom', \
         '2026-01-01T00:00:00.123456789Z', '2026-01-01T00:00:09.000000001Z', '9999-12-31T23:59:59.999999000Z', 5000, 60000, 0.5, NULL)",
        [],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO steward_actions VALUES ('ffffffffffffffffffffffffffffffff', 's', 'a', '{}', 0, NULL, 0, NULL, 'succeeded', 1, 'null', NULL, \
         '1970-01-01T00:00:00.000001000Z', '2026-01-01T00:00:02.000000000Z', NULL, NULL, NULL, NULL, '2026-01-01T00:00:01.500000000Z')",
        [],
    )
    .unwrap();
    migrate(&mut conn, &path, MIGRATIONS).unwrap();
    assert_eq!(user_version(&conn).unwrap(), LATEST);

    let at = |text: &str| {
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let queued = read::get(&conn, "0192a5e3c1f07d2b9a4e000000000001".parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(
        (queued.priority, queued.attempts, queued.error.as_deref()),
        (2, 1, Some("boom"))
    );
    assert_eq!(queued.accepted_at, at("2026-01-01T00:00:00.123456Z"));
    assert_eq!(queued.updated_at, at("2026-01-01T00:00:09Z"));
    assert_eq!(queued.not_before, Some(at("9999-12-31T23:59:59.999999Z")));
    assert_eq!(queued.started_at, None);
    let done = read::get(&conn, steward::ActionId::from(u128::MAX))
        .unwrap()
        .unwrap();
    assert_eq!(done.accepted_at, at("1970-01-01T00:00:00.000001Z"));
    assert_eq!(done.started_at, Some(at("2026-01-01T00:00:01.5Z")));
    // The indexes are back, and the queries still find them.
    assert_eq!(read::history(&conn, "s", 10).unwrap().len(), 1);
    let indexes: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name LIKE 'steward_actions_%'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(indexes, 4);
}

#[test]
fn a_row_version_7_cannot_convert_leaves_the_file_at_version_6_with_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut conn = at_version_1(&path);
    migrate(&mut conn, &path, &MIGRATIONS[..6]).unwrap();
    conn.execute(
        "INSERT INTO steward_actions VALUES ('0192a5e3c1f07d2b9a4e000000000001', 's', 'a', '{}', 0, NULL, 0, NULL, 'queued', 0, NULL, NULL, \
         'yesterday', 'yesterday', NULL, NULL, NULL, NULL, NULL)",
        [],
    )
    .unwrap();
    let error = migrate(&mut conn, &path, MIGRATIONS).unwrap_err();
    assert!(
        matches!(&error, OpenError::Migrate { version: 7, .. }),
        "{error}"
    );
    assert_eq!(user_version(&conn).unwrap(), 6);
    let kept: String = conn
        .query_row("SELECT accepted_at FROM steward_actions", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(kept, "yesterday");
    // Nor an optional time, or an id of another length.
    for (column, bad) in [
        ("not_before", "soon"),
        ("started_at", "then"),
        ("id", "0192"),
    ] {
        conn.execute(
            &format!(
                "UPDATE steward_actions SET accepted_at = '2026-01-01T00:00:00.000000000Z', \
                 updated_at = accepted_at, not_before = NULL, started_at = NULL, \
                 id = '0192a5e3c1f07d2b9a4e000000000001', {column} = ?1"
            ),
            [bad],
        )
        .unwrap();
        let error = migrate(&mut conn, &path, MIGRATIONS).unwrap_err();
        assert!(
            matches!(&error, OpenError::Migrate { version: 7, .. }),
            "{column}: {error}"
        );
    }
}

#[test]
fn version_8_keeps_every_state_and_service_and_refuses_a_state_it_does_not_know() {
    use steward::ActionState::{
        Cancelled, DeadLettered, Failed, Queued, Running, Succeeded, TimedOut,
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut conn = at_version_1(&path);
    migrate(&mut conn, &path, &MIGRATIONS[..7]).unwrap();
    let states = [
        Queued,
        Running,
        DeadLettered,
        Succeeded,
        Failed,
        TimedOut,
        Cancelled,
    ];
    let insert = |conn: &Connection, n: u8, state: &str| {
        conn.execute(
            "INSERT INTO steward_actions (id, service, action, params, priority, max_retries, \
             state, attempts, accepted_at, updated_at) VALUES (?1, 's', 'a', '{}', 0, 0, ?2, 1, ?3, ?3)",
            rusqlite::params![
                u128::from(n).to_be_bytes(),
                state,
                1_767_225_600_000_000_i64 + i64::from(n)
            ],
        )
        .unwrap();
    };
    insert(&conn, 99, "paused");
    let error = migrate(&mut conn, &path, MIGRATIONS).unwrap_err();
    assert!(
        matches!(&error, OpenError::Migrate { version: 8, .. }),
        "{error}"
    );
    assert_eq!(user_version(&conn).unwrap(), 7);
    conn.execute("DELETE FROM steward_actions", []).unwrap();

    for (n, state) in (1_u8..).zip(states) {
        insert(&conn, n, state.as_str());
    }
    // Another service's action, and the first again.
    conn.execute(
        "UPDATE steward_actions SET service = 't' WHERE id = ?1",
        [u128::from(4_u8).to_be_bytes()],
    )
    .unwrap();
    migrate(&mut conn, &path, MIGRATIONS).unwrap();
    assert_eq!(user_version(&conn).unwrap(), LATEST);
    for (n, state) in (1_u8..).zip(states) {
        let record = read::get(&conn, steward::ActionId::from(u128::from(n)))
            .unwrap()
            .unwrap();
        assert_eq!(record.state, state);
    }
    // Each state is where its index has it.
    let unfinished = read::all(&conn, read::UNFINISHED).unwrap();
    assert_eq!(
        unfinished.iter().map(|r| r.state).collect::<Vec<_>>(),
        [Queued, Running]
    );
    let dead = read::all(&conn, read::DEAD_LETTERS).unwrap();
    assert_eq!(
        dead.iter().map(|r| r.state).collect::<Vec<_>>(),
        [DeadLettered]
    );
    let history = read::history(&conn, "s", 10).unwrap();
    assert_eq!(history.len(), 4, "three finished and the dead letter");
    let other = read::history(&conn, "t", 10).unwrap();
    assert_eq!(
        other
            .iter()
            .map(|r| (&*r.service, r.state))
            .collect::<Vec<_>>(),
        [("t", Succeeded)]
    );
    // Each name once, numbered as first seen.
    let services: Vec<(i64, String)> = conn
        .prepare("SELECT service, name FROM steward_services ORDER BY service")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(services, [(1, "s".to_owned()), (2, "t".to_owned())]);
}
