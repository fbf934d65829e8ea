//! What the built-ins' tests share: a host from TOML, its configuration problems,
//! shell programs, waiting.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use serde_json::json;
use steward::{Host, HostError};

pub mod http;
pub mod retention;
pub mod wal;
pub mod watch;

/// A host with the built-in kinds and this TOML, or why there is none.
pub fn build(toml: &str) -> Result<Host, HostError> {
    Host::builder()
        .kinds(steward_builtins::kinds())
        .env_prefix(None)
        .config_toml("steward.toml", toml)
        .build()
}

/// A host with the built-in kinds and this TOML.
pub fn host(toml: &str) -> Host {
    build(toml).expect("the configuration is valid")
}

/// `[services.NAME]` of `KIND` with these settings (inline TOML).
pub fn table(name: &str, kind: &str, settings: &str) -> String {
    format!("[services.{name}]\nkind = \"{kind}\"\nsettings = {settings}\n")
}

/// Every configuration problem of this TOML: key and reason.
pub fn problems(toml: &str) -> Vec<(String, String)> {
    match build(toml) {
        Err(HostError::Config(errors)) => errors.0.into_iter().map(|e| (e.key, e.reason)).collect(),
        Err(other) => panic!("expected configuration errors, got {other}"),
        Ok(_) => panic!("expected configuration errors, the host was built"),
    }
}

/// The one configuration problem of this TOML.
pub fn only_problem(toml: &str) -> (String, String) {
    let mut problems = problems(toml);
    assert_eq!(problems.len(), 1, "{problems:?}");
    problems.remove(0)
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

/// Reads a pid a program wrote, once it has.
pub async fn pid_in(file: &std::path::Path) -> i32 {
    until("the program writes its pid", || {
        std::fs::read_to_string(file).is_ok_and(|text| text.ends_with('\n'))
    })
    .await;
    std::fs::read_to_string(file)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}
