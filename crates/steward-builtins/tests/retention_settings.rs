//! A `retention-cleanup` service's settings: the documented example builds, and
//! every mistake names its key and says why.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use steward::{Host, HostError};

fn build(settings: &str) -> Result<Host, HostError> {
    let toml = format!(
        "[services.cleanup]\nkind = \"retention-cleanup\"\ninterval = \"1h\"\nsettings = {settings}\n"
    );
    Host::builder()
        .kinds(steward_builtins::kinds())
        .env_prefix(None)
        .config_toml("steward.toml", toml)
        .build()
}

/// The one problem with these settings: its key and reason.
fn only(settings: &str) -> (String, String) {
    let error = build(settings).unwrap_err();
    let HostError::Config(errors) = error else {
        panic!("expected configuration errors, got {error}");
    };
    assert_eq!(errors.0.len(), 1, "{errors:?}");
    let error = &errors.0[0];
    (error.key.clone(), error.reason.clone())
}

#[test]
fn the_documented_example_builds_with_its_schedule() {
    let host = build(
        "{ retention_days = 30, batch_size = 1000, dry_run = false, sqlite = [{ database = \"data/app.db\", table = \"events\", column = \"created_at\" }], directories = [\"inbox\"] }",
    )
    .unwrap();
    let services = host.handle().services();
    assert_eq!(services[0].builtin, Some("retention-cleanup"));
    assert_eq!(
        services[0].schedule.as_deref(),
        Some("every 1h, on startup")
    );
    build("{}").unwrap();
}

#[test]
fn a_bad_table_or_column_name_names_its_key() {
    let (key, reason) = only(
        "{ sqlite = [{ database = \"a.db\", table = \"events; DROP TABLE x\", column = \"at\" }] }",
    );
    assert_eq!(key, "services.cleanup.settings.sqlite[0].table");
    assert!(
        reason.contains("`events; DROP TABLE x` is not a plain SQL identifier"),
        "{reason}"
    );
    let (key, _) =
        only("{ sqlite = [{ database = \"a.db\", table = \"events\", column = \"1at\" }] }");
    assert_eq!(key, "services.cleanup.settings.sqlite[0].column");
    let (key, _) =
        only("{ sqlite = [{ database = \"a.db\", table = \"e\\\"\", column = \"at\" }] }");
    assert_eq!(key, "services.cleanup.settings.sqlite[0].table");
}

#[test]
fn zero_retention_or_batch_and_unknown_keys_are_refused() {
    let (key, reason) = only("{ retention_days = 0 }");
    assert_eq!(key, "services.cleanup.settings.retention_days");
    assert!(reason.contains("at least 1"), "{reason}");
    let (key, _) = only("{ batch_size = 0 }");
    assert_eq!(key, "services.cleanup.settings.batch_size");
    let (_, reason) = only("{ retention = 3 }");
    assert!(reason.contains("retention"), "{reason}");
    let (key, _) = only("{ sqlite = [{ database = \"a.db\", table = \"events\" }] }");
    assert!(
        key.starts_with("services.cleanup.settings.sqlite[0]"),
        "{key}"
    );
}
