//! What starts an `exec`, said as DESIGN.md says it: `on`, `interval` or `cron`
//! beside `kind`; mistakes named by file, key and reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{build, host, problems};

/// A `process` service the `exec` can listen to, then `[services.analyze]` with
/// these lines beside `kind`.
fn with_source(keys: &str, settings: &str) -> String {
    format!(
        "[services.sleeper]\nkind = \"process\"\nsettings = {{ command = [\"sleep\", \"60\"] }}\n\n[services.analyze]\nkind = \"exec\"\n{keys}\nsettings = {settings}\n"
    )
}

/// The services `sleeper` waits for: a listener starts before its source.
fn sleeper_waits_for(toml: &str) -> Vec<String> {
    let host = host(toml);
    let status = host.handle().service("sleeper").unwrap().status();
    status.depends_on
}

#[test]
fn on_beside_kind_makes_the_exec_listen() {
    let toml = with_source(
        r#"on = "sleeper:process.started""#,
        r#"{ command = ["true"] }"#,
    );
    assert_eq!(sleeper_waits_for(&toml), ["analyze"]);
    let nothing = with_source("", r#"{ command = ["true"] }"#);
    assert!(sleeper_waits_for(&nothing).is_empty());
}

#[test]
fn on_inside_settings_is_still_read() {
    let toml = with_source(
        "",
        r#"{ on = "sleeper:process.started", command = ["true"] }"#,
    );
    assert_eq!(sleeper_waits_for(&toml), ["analyze"]);
}

#[test]
fn a_schedule_beside_kind_is_the_execs_own() {
    for keys in [r#"interval = "10m""#, r#"cron = "0 3 * * *""#] {
        let toml = with_source(keys, r#"{ command = ["true"] }"#);
        assert!(build(&toml).is_ok(), "{keys}: {:?}", build(&toml).err());
    }
    // The exec reads them: its own checks name the table's keys.
    let cron = problems(&with_source(
        r#"cron = "61 * * * *""#,
        r#"{ command = ["true"] }"#,
    ));
    assert_eq!(cron.len(), 1, "{cron:?}");
    assert_eq!(cron[0].0, "services.analyze.cron");
    let zero = problems(&with_source(
        r#"interval = "0s""#,
        r#"{ command = ["true"] }"#,
    ));
    assert_eq!(
        zero,
        [(
            "services.analyze.interval".to_owned(),
            "must be longer than zero".to_owned()
        )]
    );
}

#[test]
fn on_is_named_at_its_key_when_it_is_wrong() {
    let cases = [
        (
            r#"on = "ghost:batch.closed""#,
            "listens to `ghost`, which is not a service of this host",
        ),
        (
            r#"on = "batches""#,
            "`batches`: give the service and its event as `SERVICE:EVENT`, such as `watcher:file.created`",
        ),
    ];
    for (keys, reason) in cases {
        let found = problems(&with_source(keys, r#"{ command = ["true"] }"#));
        assert_eq!(
            found,
            [("services.analyze.on".to_owned(), reason.to_owned())],
            "{keys}"
        );
    }
}

#[test]
fn a_key_given_beside_kind_and_in_settings_is_an_error() {
    let found = problems(&with_source(
        r#"on = "sleeper:process.started""#,
        r#"{ on = "sleeper:process.exited", command = ["true"] }"#,
    ));
    assert_eq!(
        found,
        [(
            "services.analyze.on".to_owned(),
            "given twice, here and as `settings.on`; keep this one".to_owned()
        )]
    );
}

#[test]
fn on_for_a_kind_that_takes_no_events_names_file_key_and_reason() {
    let toml = with_source("", r#"{ command = ["true"] }"#)
        + "\n[services.watcher]\nkind = \"file-watcher\"\non = \"sleeper:process.started\"\nsettings = { paths = [\"inbox\"] }\n";
    let error = build(&toml).unwrap_err().to_string();
    assert!(
        error.contains(
            "steward.toml: `services.watcher.on`: `watcher` (kind `file-watcher`) does not run per event of another service; remove `on`"
        ),
        "{error}"
    );
}

#[test]
fn schedule_keys_the_exec_does_not_read_and_unknown_keys_are_errors() {
    let zone = problems(&with_source(
        "cron = \"0 3 * * *\"\ntimezone = \"Europe/Berlin\"",
        r#"{ command = ["true"] }"#,
    ));
    assert_eq!(
        zone,
        [(
            "services.analyze.timezone".to_owned(),
            "`analyze` keeps a schedule of its own and reads only `interval` and `cron`".to_owned()
        )]
    );
    let both = problems(&with_source(
        "interval = \"1h\"\ncron = \"0 3 * * *\"",
        r#"{ command = ["true"] }"#,
    ));
    assert_eq!(both[0].0, "services.analyze.cron");
    let typo = problems(&with_source(
        r#"onn = "sleeper:process.started""#,
        r#"{ command = ["true"] }"#,
    ));
    assert_eq!(typo.len(), 1, "{typo:?}");
    assert_eq!(typo[0].0, "services.analyze.onn");
    assert!(
        typo[0].1.starts_with("unknown key; did you mean `on`?"),
        "{typo:?}"
    );
}
