//! A `health-monitor` service's settings: every mistake names its key and says why.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use steward::{Host, HostError};

mod common;

/// A host with a `process` service `detector` and a `health-monitor` with these
/// settings.
fn build(settings: &str) -> Result<Host, HostError> {
    let toml = format!(
        "[services.detector]\nkind = \"process\"\nsettings = {{ command = [\"sleep\", \"60\"] }}\n\n{}",
        common::table("mon", "health-monitor", settings)
    );
    common::build(&toml)
}

/// The one problem with these settings: its key and reason.
fn only(settings: &str) -> (String, String) {
    let toml = format!(
        "[services.detector]\nkind = \"process\"\nsettings = {{ command = [\"sleep\", \"60\"] }}\n\n{}",
        common::table("mon", "health-monitor", settings)
    );
    common::only_problem(&toml)
}

/// The problem with one target written as `target`.
fn target(target: &str) -> (String, String) {
    only(&format!("{{ targets = [{target}] }}"))
}

#[test]
fn the_documented_example_builds() {
    let host = build(
        "{ interval = \"15s\", timeout = \"5s\", targets = [{ name = \"detector\", http = \"http://127.0.0.1:9001/health\", failures = 3, successes = 1, remedy = { restart = \"detector\" } }] }",
    )
    .unwrap();
    let services = host.handle().services();
    assert_eq!(services[1].builtin, Some("health-monitor"));
    assert_eq!(
        services[1].schedule.as_deref(),
        Some("every 15s, on startup")
    );
    build("{ remedy_backoff = \"1m..10m\", targets = [{ name = \"db\", tcp = \"localhost:5432\" }, { name = \"disk\", command = [\"test\", \"-w\", \"/tmp\"], remedy = { command = [\"true\"], timeout = \"10s\" } }] }")
        .unwrap();
}

#[test]
fn a_target_needs_exactly_one_check() {
    let (key, reason) = target("{ name = \"api\" }");
    assert_eq!(key, "services.mon.settings.targets[0]");
    assert_eq!(
        reason,
        "target `api` has nothing to check: give one of `http`, `tcp` or `command`"
    );
    let (key, reason) =
        target("{ name = \"api\", http = \"http://127.0.0.1:1/\", tcp = \"127.0.0.1:1\" }");
    assert_eq!(key, "services.mon.settings.targets[0]");
    assert!(
        reason.contains("give only one of `http`, `tcp` or `command`"),
        "{reason}"
    );
    let (_, reason) = target("{ name = \"api\", tcp = \"127.0.0.1:1\", body = \"ok\" }");
    assert!(
        reason.contains("`body` applies only to an `http` check"),
        "{reason}"
    );
}

#[test]
fn a_bad_check_names_its_key() {
    let (key, reason) = target("{ name = \"api\", http = \"https://example.com/\" }");
    assert_eq!(key, "services.mon.settings.targets[0].http");
    assert!(reason.contains("only http://"), "{reason}");
    let (key, reason) = target("{ name = \"db\", tcp = \"localhost\" }");
    assert_eq!(key, "services.mon.settings.targets[0].tcp");
    assert!(reason.contains("is not `host:port`"), "{reason}");
    let (key, _) = target("{ name = \"x\", command = [] }");
    assert_eq!(key, "services.mon.settings.targets[0].command");
    let (key, reason) = target("{ name = \"db\", tcp = \"db:5432\", failures = 0 }");
    assert_eq!(key, "services.mon.settings.targets[0].failures");
    assert_eq!(reason, "must be at least 1");
    let (key, reason) = target("{ name = \"db\", tcp = \"db:5432\", failure = 3 }");
    assert_eq!(key, "services.mon.settings.targets[0].failure");
    assert!(reason.contains("did you mean `failures`?"), "{reason}");
}

#[test]
fn a_remedy_is_a_restart_or_a_command() {
    let remedy = |remedy: &str| {
        target(&format!(
            "{{ name = \"db\", tcp = \"db:5432\", remedy = {remedy} }}"
        ))
    };
    let (key, reason) = remedy("{}");
    assert_eq!(key, "services.mon.settings.targets[0].remedy");
    assert!(reason.starts_with("a remedy needs `restart"), "{reason}");
    let (_, reason) = remedy("{ restart = \"detector\", command = [\"true\"] }");
    assert!(reason.contains("not both"), "{reason}");
    let (_, reason) = remedy("{ restart = \"detector\", timeout = \"5s\" }");
    assert!(
        reason.contains("`timeout` applies only to a `command`"),
        "{reason}"
    );
    let (key, reason) = remedy("{ reboot = true }");
    assert_eq!(key, "services.mon.settings.targets[0].remedy.reboot");
    assert!(reason.starts_with("unknown key"), "{reason}");
}

#[test]
fn targets_are_required_and_named_apart() {
    let (key, reason) = only("{ interval = \"5s\" }");
    assert_eq!(key, "services.mon.settings");
    assert!(reason.contains("targets"), "{reason}");
    let (key, reason) = only("{ targets = [] }");
    assert_eq!(key, "services.mon.settings.targets");
    assert!(reason.starts_with("give at least one target"), "{reason}");
    let (key, reason) = only(
        "{ targets = [{ name = \"db\", tcp = \"db:5432\" }, { name = \"db\", tcp = \"db:5433\" }] }",
    );
    assert_eq!(key, "services.mon.settings.targets");
    assert_eq!(reason, "two targets are named `db`");
}

#[test]
fn durations_and_backoff_name_their_key() {
    let targets = "targets = [{ name = \"db\", tcp = \"db:5432\" }]";
    let (key, reason) = only(&format!("{{ interval = \"0s\", {targets} }}"));
    assert_eq!(key, "services.mon.settings.interval");
    assert_eq!(reason, "must be longer than zero");
    let (key, _) = only(&format!("{{ timeout = \"soon\", {targets} }}"));
    assert_eq!(key, "services.mon.settings.timeout");
    let (key, reason) = only(&format!("{{ remedy_backoff = \"5s\", {targets} }}"));
    assert_eq!(key, "services.mon.settings.remedy_backoff");
    assert!(reason.contains("MIN..MAX"), "{reason}");
}
