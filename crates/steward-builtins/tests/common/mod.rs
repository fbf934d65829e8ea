//! What the `process` tests share: a host from TOML, shell programs, waiting.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use serde_json::json;
use steward::Host;

pub mod watch;

/// A host with the built-in kinds and this TOML.
pub fn host(toml: &str) -> Host {
    Host::builder()
        .kinds(steward_builtins::kinds())
        .env_prefix(None)
        .config_toml("steward.toml", toml)
        .build()
        .expect("the configuration is valid")
}

/// A `process` service table running `sh -c SCRIPT`.
pub fn shell(name: &str, script: &str, extra: &str) -> String {
    let command = json!(["sh", "-c", script]);
    format!(
        "[services.{name}]\nkind = \"process\"\n{extra}\nsettings = {{ command = {command}, stop_timeout = \"5s\" }}\n"
    )
}

/// Waits, up to ten seconds, until `done` holds.
pub async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Whether a process exists and is not a zombie waiting for a reaper.
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}
