//! A `process` service's settings: every mistake names its key and says why.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use steward::{Host, HostError};

mod common;

/// A host with one `process` service with these settings.
fn build(settings: &str) -> Result<Host, HostError> {
    common::build(&common::table("app", "process", settings))
}

fn only(settings: &str) -> (String, String) {
    common::only_problem(&common::table("app", "process", settings))
}

#[test]
fn an_empty_command_is_refused() {
    let (key, reason) = only("{ command = [] }");
    assert_eq!(key, "services.app.settings.command");
    assert!(
        reason.contains("give the program and its arguments"),
        "{reason}"
    );
}

#[test]
fn a_missing_command_is_refused() {
    let (key, reason) = only("{ cwd = \"/tmp\" }");
    assert_eq!(key, "services.app.settings");
    assert!(reason.contains("command"), "{reason}");
}

#[test]
fn an_unknown_or_uncatchable_stop_signal_is_refused() {
    let (key, reason) = only("{ command = [\"true\"], stop_signal = \"SIGFOO\" }");
    assert_eq!(key, "services.app.settings.stop_signal");
    assert!(reason.starts_with("unknown signal `SIGFOO`"), "{reason}");
    let (_, reason) = only("{ command = [\"true\"], stop_signal = \"KILL\" }");
    assert!(reason.contains("cannot be caught"), "{reason}");
}

#[test]
fn a_health_url_must_be_plain_http() {
    let (key, reason) = only("{ command = [\"true\"], health_url = \"https://example.com/\" }");
    assert_eq!(key, "services.app.settings.health_url");
    assert!(reason.contains("only http://"), "{reason}");
    let (_, reason) = only("{ command = [\"true\"], health_url = \"not a url\" }");
    assert!(reason.contains("is not a URL"), "{reason}");
}

#[test]
fn bad_durations_addresses_and_keys_are_named() {
    let (key, _) = only("{ command = [\"true\"], stop_timeout = \"soon\" }");
    assert_eq!(key, "services.app.settings.stop_timeout");
    let (key, _) = only("{ command = [\"true\"], health_tcp = \"localhost\" }");
    assert_eq!(key, "services.app.settings.health_tcp");
    let (key, reason) = only("{ command = [\"true\"], stop_signl = \"TERM\" }");
    assert_eq!(key, "services.app.settings.stop_signl");
    assert!(reason.contains("did you mean `stop_signal`?"), "{reason}");
}

#[test]
fn signal_names_are_accepted_with_or_without_sig() {
    for signal in ["SIGTERM", "TERM", "int", "SIGQUIT", "HUP"] {
        let settings = format!("{{ command = [\"true\"], stop_signal = \"{signal}\" }}");
        build(&settings).unwrap_or_else(|error| panic!("{signal}: {error}"));
    }
}
