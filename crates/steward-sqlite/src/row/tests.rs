#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde_json::json;
use steward::{ActionId, ActionRecord, ActionState, Backoff};

use super::Row;

fn record() -> ActionRecord {
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
        + chrono::Duration::microseconds(123_456);
    ActionRecord {
        id: ActionId::from(0x0192_a5e3_c1f0_7d2b_9a4e_0000_0000_0001),
        service: Arc::from("translation"),
        action: Arc::from("translate"),
        params: json!({"file_id": "cam1/7", "langs": ["fr", "de"]}),
        priority: -3,
        timeout: Some(Duration::from_millis(1500)),
        max_retries: 4,
        retry_backoff: Some(
            Backoff::new(Duration::from_millis(250), Duration::from_secs(90)).jitter(0.5),
        ),
        correlation_id: Some(Arc::from("req-9")),
        state: ActionState::TimedOut,
        attempts: 2,
        result: Some(json!(null)),
        error: Some("took too long".to_owned()),
        accepted_at: at,
        started_at: Some(at + chrono::Duration::milliseconds(88_500)),
        updated_at: at + chrono::Duration::seconds(90),
        not_before: Some(at + chrono::Duration::seconds(120)),
    }
}

#[test]
fn every_field_survives_a_round_trip() {
    let record = record();
    let row = Row::from_record(&record).unwrap();
    assert_eq!(row.into_record().unwrap(), record);
}

#[test]
fn a_timeout_is_kept_in_whole_milliseconds_rounded_up() {
    let mut record = record();
    record.timeout = Some(Duration::from_micros(1));
    let back = Row::from_record(&record).unwrap().into_record().unwrap();
    assert_eq!(back.timeout, Some(Duration::from_millis(1)));
}

#[test]
fn no_retry_backoff_stays_none() {
    let mut record = record();
    record.retry_backoff = None;
    let back = Row::from_record(&record).unwrap().into_record().unwrap();
    assert_eq!(back.retry_backoff, None);
}

#[test]
fn times_are_kept_to_the_microsecond_up_to_the_year_9999() {
    let new_year = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    assert_eq!(super::time(new_year), 1_767_225_600_000_000);
    let mut record = record();
    record.accepted_at = new_year + chrono::Duration::nanoseconds(1_999);
    record.not_before = Some(Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap());
    let back = Row::from_record(&record).unwrap().into_record().unwrap();
    assert_eq!(
        back.accepted_at,
        new_year + chrono::Duration::microseconds(1)
    );
    assert_eq!(back.not_before, record.not_before);
}

#[test]
fn ids_are_stored_as_bytes_that_sort_as_the_ids_do() {
    let (low, high) = (ActionId::from(0xff), ActionId::from(1 << 64));
    assert!(super::id_bytes(low) < super::id_bytes(high));
    assert_eq!(super::id_of(&super::id_bytes(high)), Ok(high));
    assert!(super::id_of(&[1, 2, 3]).unwrap_err().contains("3 bytes"));
}

#[test]
fn a_row_a_newer_crate_wrote_is_an_error_naming_the_action() {
    let mut row = Row::from_record(&record()).unwrap();
    row.state = 7;
    let error = row.into_record().unwrap_err();
    assert!(
        error.contains("0192a5e3c1f07d2b9a4e000000000001"),
        "{error}"
    );
    assert!(error.contains("state: 7 is not a state's code"), "{error}");
}
