//! The built-ins' defaults, as the issue sets them: what each settings type reads
//! from a table that gives only what is required, and the schedules the host
//! then runs the periodic kinds on.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use steward_builtins::batch::BatchSettings;
use steward_builtins::exec::ExecSettings;
use steward_builtins::file_watcher::FileWatcherSettings;
use steward_builtins::gpu_monitor::{GpuMonitorSettings, SourceChoice};
use steward_builtins::health_monitor::HealthMonitorSettings;
use steward_builtins::retention::RetentionSettings;

mod common;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Settings read from `table`, as the host reads them.
fn read<T: DeserializeOwned>(table: Value) -> T {
    serde_json::from_value(table).unwrap()
}

#[test]
fn a_batch_closes_90s_after_its_first_event_or_30s_after_its_last_checked_every_5s() {
    let batch: BatchSettings = read(json!({ "source": "watcher:file.created" }));
    assert_eq!(batch.window, secs(90));
    assert_eq!(batch.idle_timeout, secs(30));
    assert_eq!(batch.check_interval, secs(5));
    assert_eq!(batch.max_size, 100);
}

#[test]
fn gpus_are_polled_every_5s() {
    let gpu: GpuMonitorSettings = read(json!({}));
    assert_eq!(gpu.poll_interval, secs(5));
    assert_eq!(gpu.source, SourceChoice::Auto);
    assert_eq!(gpu.nvidia_smi, PathBuf::from("nvidia-smi"));
}

#[test]
fn retention_keeps_30_days() {
    let retention: RetentionSettings = read(json!({}));
    assert_eq!(retention.retention_days, 30);
    assert_eq!(retention.batch_size, 1000);
    assert!(!retention.dry_run);
}

#[test]
fn health_is_checked_every_15s_within_5s() {
    let health: HealthMonitorSettings =
        read(json!({ "targets": [{ "name": "api", "tcp": "127.0.0.1:9" }] }));
    assert_eq!(health.interval, secs(15));
    assert_eq!(health.timeout, secs(5));
    let target = &health.targets[0];
    assert_eq!((target.failures, target.successes), (3, 1));
}

#[test]
fn a_polling_watcher_looks_every_second() {
    let watcher: FileWatcherSettings = read(json!({ "paths": ["inbox"] }));
    assert_eq!(watcher.poll_interval, secs(1));
    assert_eq!(watcher.coalesce, Duration::from_millis(8));
    assert!(!watcher.polling);
    assert!(watcher.recursive && watcher.initial_scan);
}

#[test]
fn a_command_may_run_for_60s() {
    let exec: ExecSettings = read(json!({ "command": ["true"] }));
    assert_eq!(exec.timeout, secs(60));
    assert_eq!(exec.max_output, 64 * 1024);
    assert!(exec.on.is_none() && exec.interval.is_none() && exec.cron.is_none());
}

#[test]
fn the_periodic_kinds_run_on_their_defaults_from_startup() {
    let toml = r#"
[services.gpu]
kind = "gpu-monitor"

[services.cleanup]
kind = "retention-cleanup"

[services.ai-health]
kind = "health-monitor"
settings = { targets = [{ name = "api", tcp = "127.0.0.1:9" }] }
"#;
    let host = common::host(toml);
    let schedule = |name: &str| host.handle().service(name).unwrap().status().schedule;
    assert_eq!(schedule("gpu").as_deref(), Some("every 5s, on startup"));
    assert_eq!(schedule("cleanup").as_deref(), Some("every 1h, on startup"));
    assert_eq!(
        schedule("ai-health").as_deref(),
        Some("every 15s, on startup")
    );
}
