//! State transitions as the log shows them. A test binary of its own: the
//! subscriber is the process's, so no other test's callsites race with it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::log_capture::Lines;
use common::{Crasher, secs};
use steward::testing::TestHost;
use steward::{Backoff, Restart, State, continuous};

fn restart(max: u32, jitter: f64) -> Restart {
    Restart::default()
        .intensity(max, secs(600))
        .backoff(Backoff::new(secs(1), secs(30)).jitter(jitter))
}

#[tokio::test(start_paused = true)]
async fn every_transition_is_logged_with_the_service_its_states_and_why() {
    let lines = Lines::capture();

    let host = TestHost::builder()
        .service(continuous("flaky", Crasher::default()).restart(restart(1, 0.0)))
        .start()
        .await
        .unwrap();
    host.wait_for("flaky", State::Failed).await.unwrap();
    let transitions = host.transitions().len();
    host.shutdown().await;

    let text = lines.text();
    let logged: Vec<&str> = text
        .lines()
        .map(str::trim_start)
        .filter(|line| line.contains("service state changed"))
        .collect();
    assert_eq!(logged.len(), transitions, "{text}");
    for (level, from, to) in [
        ("INFO", "pending", "starting"),
        ("INFO", "starting", "running"),
        ("WARN", "running", "backing-off"),
        ("INFO", "backing-off", "starting"),
        ("WARN", "running", "failed"),
    ] {
        assert!(
            logged.iter().any(|line| line.starts_with(level)
                && line.contains("service=flaky")
                && line.contains(&format!("from={from}"))
                && line.contains(&format!("to={to}"))),
            "no {level} line for {from} → {to} in:\n{text}"
        );
    }
    assert!(
        logged
            .iter()
            .any(|line| line.contains("to=failed") && line.contains("reason=")),
        "{text}"
    );
}
