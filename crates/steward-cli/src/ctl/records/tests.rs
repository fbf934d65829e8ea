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
        "updated_at": "2026-03-07T12:00:02.500000000Z",
        "error": format!("{}\nsecond line", "x".repeat(100)),
    }, {
        "id": "0192a5e3c1f07d2b9a4e000000000002",
        "service": "translation",
        "action": "translate",
        "state": "succeeded",
        "attempts": 1,
        "accepted_at": "2026-03-07T12:00:00.000000000Z",
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
        "2.5s",
        "12ms",
        "succeeded",
    ] {
        assert!(table.contains(expected), "no {expected:?} in\n{table}");
    }
    assert!(lines[1].ends_with('…'), "{table}");
    assert!(!table.contains("second line"), "{table}");
    assert!(lines[2].trim_end().ends_with('-'), "no error: {table}");
}

#[test]
fn no_records_say_so() {
    assert_eq!(records(&json!([]), "no dead letters"), "no dead letters");
}
