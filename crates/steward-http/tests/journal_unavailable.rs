//! A journal that cannot write (here a real SQLite file at its size cap, as on a
//! full disk) refuses actions with a 503 the client may retry, not a 500; the
//! actions already accepted stay readable, and once there is room again actions
//! are accepted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Plane, code, json};
use steward_sqlite::SqliteJournal;

const GREET: &str = "/api/services/greeter/actions/greet";

#[tokio::test]
async fn a_full_journal_answers_503_journal_unavailable_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    // Capped at about its size when new: a small action fits in its pages, a
    // large one does not.
    let journal = SqliteJournal::builder(dir.path().join("steward.db"))
        .max_size(64 * 1024)
        .open()
        .unwrap();
    let plane = Plane::start_with("", |builder| builder.journal(journal)).await;

    let (status, accepted) = json(plane.post(GREET, r#"{"name":"ann"}"#).await).await;
    assert_eq!(status, 202, "{accepted}");

    let large = format!(r#"{{"name":"{}"}}"#, "x".repeat(200_000));
    let refused = plane.post(GREET, &large).await;
    let retry_after = refused.headers().get("retry-after").cloned();
    let (status, body) = json(refused).await;
    assert_eq!(
        (status, code(&body)),
        (503, "journal_unavailable"),
        "{body}"
    );
    assert_eq!(retry_after.unwrap(), "5");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("try again later"), "{message}");
    assert!(
        !message.contains("steward.db"),
        "the file stays private: {message}"
    );

    // What was accepted before is still there, and a small action still fits.
    let id = accepted["id"].as_str().unwrap();
    let (status, record) = json(plane.get(&format!("/api/actions/{id}")).await).await;
    assert_eq!(status, 200, "{record}");
    let (status, again) = json(plane.post(GREET, r#"{"name":"bob"}"#).await).await;
    assert_eq!(status, 202, "{again}");
    plane.stop().await;
}
