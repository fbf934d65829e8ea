//! A `health-monitor`'s checks in the host's `/metrics`: counted per target and
//! outcome, and a gauge that drops to 0 only once a target is unhealthy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use steward::{HostHandle, State};

mod common;
use common::{host, until};

/// The value of the sample `series` in the host's metrics, if it is there.
fn sample(handle: &HostHandle, series: &str) -> Option<f64> {
    let text = handle.metrics().encode();
    let prefix = format!("{series} ");
    let line = text.lines().find(|line| line.starts_with(&prefix))?;
    line[prefix.len()..].parse().ok()
}

fn checks(handle: &HostHandle, target: &str, outcome: &str) -> Option<f64> {
    let series = format!(
        "steward_health_monitor_checks_total{{service=\"monitor\",target=\"{target}\",outcome=\"{outcome}\"}}"
    );
    sample(handle, &series)
}

fn healthy(handle: &HostHandle, target: &str) -> Option<f64> {
    let series =
        format!("steward_health_monitor_target_healthy{{service=\"monitor\",target=\"{target}\"}}");
    sample(handle, &series)
}

#[tokio::test]
async fn checks_are_counted_per_target_and_outcome_and_healthy_follows_the_threshold() {
    // Checked once at start, then only when triggered: every count is exact.
    let toml = r#"
[services.monitor]
kind = "health-monitor"
interval = "1h"

[services.monitor.settings]
targets = [
    { name = "up", command = ["true"] },
    { name = "down", command = ["false"], failures = 2 },
]
"#;
    let host = host(toml);
    let handle = host.handle();
    let running = host.start().await.unwrap();
    // Counted from the first check, which runs at start; triggers wait for `running`.
    until("the monitor runs", || {
        handle.service("monitor").unwrap().state() == State::Running
    })
    .await;
    until("the first check is counted", || {
        checks(&handle, "down", "failure") == Some(1.0)
    })
    .await;
    assert_eq!(checks(&handle, "up", "success"), Some(1.0));
    assert_eq!(checks(&handle, "up", "failure"), Some(0.0));
    assert_eq!(checks(&handle, "down", "success"), Some(0.0));
    assert_eq!(healthy(&handle, "up"), Some(1.0));
    assert_eq!(
        healthy(&handle, "down"),
        Some(1.0),
        "one failure of two: not unhealthy yet"
    );

    handle.named("monitor").trigger().await.unwrap();
    assert_eq!(checks(&handle, "up", "success"), Some(2.0));
    assert_eq!(checks(&handle, "down", "failure"), Some(2.0));
    assert_eq!(healthy(&handle, "up"), Some(1.0));
    assert_eq!(healthy(&handle, "down"), Some(0.0), "two failures in a row");
    running.shutdown().await;
}
