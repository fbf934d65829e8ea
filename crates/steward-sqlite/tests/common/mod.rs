//! Records, journals in temporary folders, and bounded waits.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{Value, json};
use steward::{ActionId, ActionRecord};
use tempfile::TempDir;

/// How long a test waits for something it expects before it fails.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A temporary folder and the journal path in it (under a folder that does not
/// exist yet).
pub fn journal_path() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("data").join("steward.db");
    (dir, path)
}

/// A queued action for `worker`'s `work`, numbered `n`, accepted at `at`.
pub fn record_at(n: u128, at: DateTime<Utc>) -> ActionRecord {
    let params = json!({ "label": format!("job-{n}") });
    ActionRecord {
        timeout: Some(Duration::from_secs(30)),
        max_retries: 2,
        correlation_id: Some(Arc::from(format!("corr-{n}").as_str())),
        ..ActionRecord::queued(ActionId::from(n), "worker", "work", params, at)
    }
}

/// Now, to the microsecond: the journal keeps times to the microsecond.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A queued action numbered `n`, accepted [`now`].
pub fn record(n: u128) -> ActionRecord {
    record_at(n, now())
}

/// A queued action numbered `n` with 6,000 bytes of parameters: more than a page
/// of the file.
pub fn big_record(n: u128) -> ActionRecord {
    let mut record = record(n);
    record.params = json!({ "blob": "x".repeat(6_000) });
    record
}

/// The ids of `records`, as numbers.
pub fn ids(records: &[ActionRecord]) -> Vec<u128> {
    records.iter().map(|record| record.id.as_u128()).collect()
}

/// `value` as the JSON a result is stored as.
pub fn result(value: &str) -> Value {
    json!({ "done": value })
}

/// Waits for `future`, failing the test if it takes longer than [`PATIENCE`].
pub async fn within<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(PATIENCE, future).await {
        Ok(value) => value,
        Err(_) => panic!("timed out waiting for {what}"),
    }
}
