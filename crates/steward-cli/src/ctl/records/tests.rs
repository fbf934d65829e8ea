use serde_json::json;

use super::records;

#[test]
fn a_record_shows_who_what_when_how_long_outcome_and_error() {
    let body = json!([{
        "id": "0192a5e3c1f07d2b9a4e000000000001",
        "service": "translation",
        "action": "translate",
        "state": "dead-lettered",
        "attempts": 3,
        "accepted_at": "2026-03-07T12:00:00.000000000Z",
        "started_at": "2026-03-07T12:00:02.250000000Z",
        "updated_at": "2026-03-07T12:00:02.500000000Z",
        "error": format!("{}\nsecond line", "x".repeat(100)),
    }, {
        "id": "0192a5e3c1f07d2b9a4e000000000002",
        "service": "translation",
        "action": "translate",
        "state": "succeeded",
        "attempts": 1,
        "accepted_at": "2026-03-07T12:00:00.000000000Z",
        "started_at": "2026-03-07T12:00:00.009000000Z",
        "updated_at": "2026-03-07T12:00:00.012000000Z",
        "error": null,
    }]);
    let table = records(&body, "none");
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("ID"), "{table}");
    for expected in [
        "translation",
        "translate",
        "dead-lettered",
        "2026-03-07T12:00:00.000Z",
        "RAN",
        "TOOK",
        "250ms",
        "2.5s",
        "3ms",
        "12ms",
        "succeeded",
    ] {
        assert!(table.contains(expected), "no {expected:?} in\n{table}");
    }
    // Each row shows how long its last attempt ran, then the whole time taken.
    let ran_took = |line: &str| -> Vec<String> {
        let cells: Vec<&str> = line.split_whitespace().collect();
        cells[6..8].iter().map(|cell| (*cell).to_owned()).collect()
    };
    assert_eq!(ran_took(lines[1]), ["250ms", "2.5s"], "{table}");
    assert_eq!(ran_took(lines[2]), ["3ms", "12ms"], "{table}");
    assert!(lines[1].ends_with('…'), "{table}");
    assert!(!table.contains("second line"), "{table}");
    assert!(lines[2].trim_end().ends_with('-'), "no error: {table}");
}

#[test]
fn only_an_attempts_outcome_shows_how_long_it_ran() {
    let record = |state: &str, started: Option<&str>| {
        json!({
            "id": "0192a5e3c1f07d2b9a4e000000000003",
            "service": "s",
            "action": "a",
            "state": state,
            "attempts": 1,
            "accepted_at": "2026-03-07T12:00:00.000000000Z",
            "started_at": started,
            "updated_at": "2026-03-07T12:00:05.000000000Z",
            "error": null,
        })
    };
    let started = Some("2026-03-07T12:00:01.000000000Z");
    // RAN, then TOOK.
    for (record, ran) in [
        (record("timed-out", started), "4.0s"),
        (record("succeeded", None), "-"),
        (record("cancelled", started), "-"),
        (record("running", started), "-"),
    ] {
        let table = records(&json!([record]), "none");
        let row = table.lines().nth(1).unwrap_or_default();
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells[6..8], [ran, "5.0s"], "{table}");
    }
}

#[test]
fn no_records_say_so() {
    assert_eq!(records(&json!([]), "no dead letters"), "no dead letters");
}
