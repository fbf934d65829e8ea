//! A target's thresholds and remedy backoff, step by step.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use steward::Backoff;
use tokio::time::Instant;

use super::tracker::{Change, Tracker};

fn fail() -> Result<String, String> {
    Err("refused".to_owned())
}

fn pass() -> Result<String, String> {
    Ok("answered 200 OK".to_owned())
}

#[test]
fn unhealthy_after_failures_in_a_row_and_recovered_after_successes_in_a_row() {
    let mut tracker = Tracker::new(3, 2);
    assert_eq!(tracker.status(), "unknown");
    assert_eq!(tracker.record(pass()), None);
    assert_eq!(tracker.record(fail()), None);
    assert_eq!(tracker.record(fail()), None);
    assert_eq!(tracker.status(), "failing");
    // A pass in between starts the count again.
    assert_eq!(tracker.record(pass()), None);
    assert_eq!(tracker.record(fail()), None);
    assert_eq!(tracker.record(fail()), None);
    let change = tracker.record(fail());
    assert_eq!(
        change,
        Some(Change::Unhealthy {
            reason: "refused".into(),
            failures: 3
        })
    );
    assert!(tracker.is_unhealthy());
    // Staying down is no news.
    assert_eq!(tracker.record(fail()), None);
    assert_eq!(tracker.record(pass()), None);
    assert_eq!(tracker.status(), "recovering");
    assert_eq!(tracker.record(fail()), None);
    assert_eq!(tracker.record(pass()), None);
    let change = tracker.record(pass());
    assert_eq!(
        change,
        Some(Change::Recovered {
            reason: "answered 200 OK".into(),
            successes: 2
        })
    );
    assert_eq!(tracker.status(), "healthy");
    assert!(!tracker.is_unhealthy());
}

#[test]
fn remedies_wait_for_fresh_failures_and_a_doubling_backoff() {
    let second = Duration::from_secs(1);
    let backoff = Backoff::new(2 * second, 5 * second);
    let mut tracker = Tracker::new(2, 1);
    let start = Instant::now();
    tracker.record(fail());
    assert!(!tracker.remedy_due(start, &backoff), "still healthy");
    tracker.record(fail());
    assert!(
        tracker.remedy_due(start, &backoff),
        "due as it becomes unhealthy"
    );
    assert_eq!(tracker.remedied(start), 1);

    // Two more failures, but the backoff (2 s) has not passed.
    tracker.record(fail());
    tracker.record(fail());
    assert!(!tracker.remedy_due(start + second, &backoff));
    assert!(tracker.remedy_due(start + 2 * second, &backoff));
    let second_remedy = start + 2 * second;
    assert_eq!(tracker.remedied(second_remedy), 2);

    // The backoff has doubled to 4 s; and it needs two failures since the remedy.
    tracker.record(fail());
    assert!(!tracker.remedy_due(second_remedy + 10 * second, &backoff));
    tracker.record(fail());
    assert!(!tracker.remedy_due(second_remedy + 3 * second, &backoff));
    assert!(tracker.remedy_due(second_remedy + 4 * second, &backoff));
    let third_remedy = second_remedy + 4 * second;
    assert_eq!(tracker.remedied(third_remedy), 3);

    // Capped at 5 s.
    tracker.record(fail());
    tracker.record(fail());
    assert!(!tracker.remedy_due(third_remedy + 4 * second, &backoff));
    assert!(tracker.remedy_due(third_remedy + 5 * second, &backoff));

    // Recovery starts the next unhealthy spell from the first remedy again.
    tracker.record(pass());
    assert!(!tracker.remedy_due(third_remedy + 60 * second, &backoff));
    assert_eq!(tracker.remedies(), 0);
    tracker.record(fail());
    tracker.record(fail());
    assert!(tracker.remedy_due(third_remedy + 60 * second, &backoff));
    assert_eq!(tracker.remedied(third_remedy + 60 * second), 1);
}
