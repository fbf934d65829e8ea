//! A `file-watcher` service's settings: every mistake names its key and says why.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use steward::{Host, HostError};

mod common;

fn build(settings: &str) -> Result<Host, HostError> {
    common::build(&common::table("watcher", "file-watcher", settings))
}

fn only(settings: &str) -> (String, String) {
    common::only_problem(&common::table("watcher", "file-watcher", settings))
}

#[test]
fn the_documented_example_is_accepted() {
    let host = build(
        r#"{ paths = ["inbox"], recursive = true, include = ["*.jpg"], exclude = [], polling = false, poll_interval = "1s", initial_scan = true, coalesce = "8ms" }"#,
    )
    .unwrap();
    assert_eq!(host.handle().services()[0].builtin, Some("file-watcher"));
    build(r#"{ paths = ["a", "b/c"] }"#).unwrap();
}

#[test]
fn paths_must_be_a_list_of_at_least_one_directory() {
    let (key, reason) = only("{ }");
    assert_eq!(key, "services.watcher.settings");
    assert!(reason.contains("paths"), "{reason}");
    let (key, reason) = only("{ paths = [] }");
    assert_eq!(key, "services.watcher.settings.paths");
    assert!(reason.contains("at least one directory"), "{reason}");
    let (_, reason) = only(r#"{ paths = "inbox" }"#);
    assert!(reason.contains(r#"such as ["inbox"]"#), "{reason}");
    let (_, reason) = only(r#"{ paths = [""] }"#);
    assert!(reason.contains("empty path"), "{reason}");
}

#[test]
fn a_bad_glob_is_named_with_its_key() {
    let (key, reason) = only(r#"{ paths = ["in"], include = ["*.jpg", "[a"] }"#);
    assert_eq!(key, "services.watcher.settings.include");
    assert!(reason.starts_with("`[a` is not a glob pattern"), "{reason}");
    let (key, reason) = only(r#"{ paths = ["in"], exclude = ["tmp/"] }"#);
    assert_eq!(key, "services.watcher.settings.exclude");
    assert!(reason.contains("`tmp/**`"), "{reason}");
}

#[test]
fn the_poll_interval_must_be_a_positive_duration() {
    let (key, reason) = only(r#"{ paths = ["in"], poll_interval = "0s" }"#);
    assert_eq!(key, "services.watcher.settings.poll_interval");
    assert!(reason.contains("more than zero"), "{reason}");
    let (key, _) = only(r#"{ paths = ["in"], poll_interval = "soon" }"#);
    assert_eq!(key, "services.watcher.settings.poll_interval");
}

#[test]
fn coalescing_may_be_off_but_must_be_a_duration_of_at_most_a_second() {
    build(r#"{ paths = ["in"], coalesce = "0s" }"#).unwrap();
    let (key, reason) = only(r#"{ paths = ["in"], coalesce = 5 }"#);
    assert_eq!(key, "services.watcher.settings.coalesce");
    assert!(reason.contains("duration"), "{reason}");
    let (key, reason) = only(r#"{ paths = ["in"], coalesce = "2s" }"#);
    assert_eq!(key, "services.watcher.settings.coalesce");
    assert!(reason.contains("at most 1s"), "{reason}");
}

#[test]
fn unknown_keys_are_refused_with_a_suggestion() {
    let (key, reason) = only(r#"{ paths = ["in"], recursiv = true }"#);
    assert_eq!(key, "services.watcher.settings.recursiv");
    assert!(reason.contains("did you mean `recursive`?"), "{reason}");
}
