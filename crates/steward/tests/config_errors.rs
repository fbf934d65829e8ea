//! Configuration errors, through `Host::builder()…build()`: each names where the value
//! came from (a file, a variable, the code), the dotted key and the reason, and every
//! problem is reported at once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use steward::{
    ConfigError, Context, Continuous, Host, HostBuilder, HostError, Origin, Periodic, Result,
    Schedule, Startup, continuous, continuous_with, periodic, startup,
};
use tempfile::TempDir;

// ---------------------------------------------------------------------------------
// Services and helpers

struct Idle;

impl Continuous for Idle {
    async fn run(&self, cx: &Context) -> Result {
        cx.cancelled().await;
        Ok(())
    }
}

struct Tick;

impl Periodic for Tick {
    fn schedule(&self) -> Schedule {
        Schedule::every(Duration::from_secs(60))
    }

    async fn tick(&self, _cx: &Context) -> Result {
        Ok(())
    }
}

struct Once;

impl Startup for Once {
    async fn run(&self, _cx: &Context) -> Result {
        Ok(())
    }
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read by serde; the errors are what these tests look at
struct WatchSettings {
    folder: String,
    #[serde(default)]
    recursive: bool,
    #[serde(default)]
    depth: u32,
}

struct Watcher;

impl Continuous for Watcher {
    async fn run(&self, cx: &Context) -> Result {
        cx.cancelled().await;
        Ok(())
    }
}

/// A builder that never reads the process environment, with `worker` (continuous),
/// `ticker` (periodic) and `once` (startup) registered.
fn host() -> HostBuilder {
    Host::builder()
        .env_vars(Vec::<(String, String)>::new())
        .service(continuous("worker", Idle))
        .service(periodic("ticker", Tick))
        .service(startup("once", Once))
}

fn text(toml: &str) -> HostBuilder {
    host().config_toml("steward.toml", toml)
}

fn text_origin() -> Origin {
    Origin::Text("steward.toml".to_owned())
}

/// The errors a refused build reports, and the text a user sees.
fn refused(builder: HostBuilder) -> (Vec<ConfigError>, String) {
    match builder.build() {
        Ok(_) => panic!("the configuration should have been refused"),
        Err(error @ HostError::Config(_)) => {
            let shown = error.to_string();
            let HostError::Config(errors) = error else {
                unreachable!()
            };
            (errors.0, shown)
        }
        Err(other) => panic!("expected a configuration error, got: {other}"),
    }
}

/// The single error a refused build reports.
fn only(builder: HostBuilder) -> (ConfigError, String) {
    let (errors, shown) = refused(builder);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    (errors.into_iter().next().unwrap(), shown)
}

fn error(origin: Origin, key: &str, reason: &str) -> ConfigError {
    ConfigError {
        origin,
        key: key.to_owned(),
        reason: reason.to_owned(),
    }
}

fn write(dir: &TempDir, name: &str, contents: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn file_origin(path: &Path) -> Origin {
    Origin::File(path.to_path_buf())
}

// ---------------------------------------------------------------------------------
// Keys and values inside a service table

#[test]
fn an_unknown_key_in_a_service_table_is_refused_with_a_hint() {
    let (error, shown) = only(text("[services.ticker]\nintervl = \"5s\"\n"));
    assert_eq!(error.origin, text_origin());
    assert!(
        error.key.starts_with("services.ticker.intervl"),
        "{}",
        error.key
    );
    assert!(
        error.reason.starts_with(
            "unknown key; did you mean `interval`? (expected one of: kind, enabled, environments,"
        ),
        "{}",
        error.reason
    );
    assert!(shown.starts_with("invalid configuration:\n  steward.toml: `services.ticker.intervl"));
    assert!(shown.contains("did you mean `interval`?"), "{shown}");
}

#[test]
fn an_unknown_key_is_named_exactly() {
    let (error, shown) = only(text("[services.ticker]\nintervl = \"5s\"\n"));
    assert_eq!(error.key, "services.ticker.intervl");
    assert!(
        shown.starts_with(
            "invalid configuration:\n  steward.toml: `services.ticker.intervl`: unknown key; \
             did you mean `interval`?"
        ),
        "{shown}"
    );
    let (error, _) = only(text("[host]\nshutdown_timout = \"5s\"\n"));
    assert_eq!(error.key, "host.shutdown_timout");
}

#[test]
fn a_wrong_type_names_the_key() {
    let (error, shown) = only(text(
        "[services.worker]\nrestart = { max_restarts = \"five\" }\n",
    ));
    assert_eq!(
        error,
        self::error(
            text_origin(),
            "services.worker.restart.max_restarts",
            "invalid type: string \"five\", expected u32",
        )
    );
    assert_eq!(
        shown,
        "invalid configuration:\n  steward.toml: `services.worker.restart.max_restarts`: \
         invalid type: string \"five\", expected u32"
    );
}

#[test]
fn a_bad_enum_variant_lists_the_variants() {
    let (error, _) = only(text(
        "[services.worker]\nrestart = { policy = \"sometimes\" }\n",
    ));
    assert_eq!(
        error,
        self::error(
            text_origin(),
            "services.worker.restart.policy",
            "unknown variant `sometimes`, expected one of `never`, `on-failure`, `always`",
        )
    );
    let (error, _) = only(text("[host]\nenvironment = \"staging\"\n"));
    assert_eq!(error.key, "host.environment");
    assert_eq!(
        error.reason,
        "unknown variant `staging`, expected one of `development`, `production`, `testing`"
    );
}

#[test]
fn a_bad_duration_names_the_key() {
    let (error, shown) = only(text("[services.ticker]\ninterval = \"5 parsecs\"\n"));
    assert_eq!(
        error,
        self::error(
            text_origin(),
            "services.ticker.interval",
            "`5 parsecs` is not a duration such as \"90s\", \"5m\" or \"1h 30m\": unknown time unit \"parsecs\", supported units: ns, us/µs, ms, sec, min, hours, days, weeks, months, years (and few variations)",
        )
    );
    assert!(shown.ends_with(
        "steward.toml: `services.ticker.interval`: `5 parsecs` is not a duration such as \"90s\", \"5m\" or \"1h 30m\": unknown time unit \"parsecs\", supported units: ns, us/µs, ms, sec, min, hours, days, weeks, months, years (and few variations)"
    ));
    let (error, _) = only(text("[host]\nshutdown_timeout = 5\n"));
    assert_eq!(error.key, "host.shutdown_timeout");
    assert_eq!(
        error.reason,
        "invalid type: integer `5`, expected a duration such as \"90s\", \"5m\" or \"1h 30m\""
    );
}

#[test]
fn a_bad_backoff_says_why() {
    let (error, _) = only(text(
        "[services.worker]\nrestart = { backoff = \"30s..1s\" }\n",
    ));
    assert_eq!(
        error,
        self::error(
            text_origin(),
            "services.worker.restart.backoff",
            "the minimum (30s) is above the maximum (1s)",
        )
    );
    let (error, _) = only(text("[services.worker]\nrestart = { backoff = \"30s\" }\n"));
    assert_eq!(error.key, "services.worker.restart.backoff");
    assert_eq!(
        error.reason,
        "expected `MIN..MAX` such as `1s..30s`, found `30s`"
    );
}

#[test]
fn a_jitter_outside_zero_to_one_is_refused() {
    let (error, _) = only(text("[services.worker]\nrestart = { jitter = 1.5 }\n"));
    assert_eq!(
        error,
        self::error(
            text_origin(),
            "services.worker.restart.jitter",
            "must be between 0.0 and 1.0, found 1.5",
        )
    );
    let (error, _) = only(text("[host.restart]\njitter = -0.5\n"));
    assert_eq!(error.key, "host.restart.jitter");
    assert_eq!(error.reason, "must be between 0.0 and 1.0, found -0.5");
}

#[test]
fn a_schedule_key_on_a_continuous_or_startup_service_is_refused() {
    let (error, _) = only(text("[services.worker]\ninterval = \"5s\"\n"));
    assert_eq!(
        error,
        self::error(
            text_origin(),
            "services.worker.interval",
            "only periodic services have a schedule; `worker` is a continuous service",
        )
    );
    let (error, _) = only(text("[services.once]\ncron = \"0 3 * * *\"\n"));
    assert_eq!(error.key, "services.once.cron");
    assert_eq!(
        error.reason,
        "only periodic services have a schedule; `once` is a startup service"
    );
}

#[test]
fn keys_of_another_kind_are_refused() {
    let (errors, _) = refused(text(
        "[services.worker]\ncontinue_on_failure = true\n\
         [services.once]\ndepends_on = [\"worker\"]\nrestart = { policy = \"never\" }\n",
    ));
    assert_eq!(
        errors,
        vec![
            error(
                text_origin(),
                "services.worker.continue_on_failure",
                "only startup services have this; `worker` is a continuous service",
            ),
            error(
                text_origin(),
                "services.once.depends_on",
                "startup services run one by one in `startup_order`; use that instead",
            ),
            error(
                text_origin(),
                "services.once.restart",
                "startup services run once and are not restarted",
            ),
        ]
    );
}

#[test]
fn interval_and_cron_together_are_refused() {
    let (error, _) = only(text(
        "[services.ticker]\ninterval = \"5s\"\ncron = \"0 3 * * *\"\n",
    ));
    assert_eq!(
        error,
        self::error(
            text_origin(),
            "services.ticker.cron",
            "give either `interval` or `cron`, not both",
        )
    );
}

#[test]
fn an_invalid_cron_expression_is_refused() {
    let (error, shown) = only(text("[services.ticker]\ncron = \"61 * * * *\"\n"));
    assert_eq!(
        error,
        self::error(
            text_origin(),
            "services.ticker.cron",
            "invalid cron expression `61 * * * *`: Component error: Number out of bounds.",
        )
    );
    assert!(shown.contains("`services.ticker.cron`: invalid cron expression `61 * * * *`"));
}

#[test]
fn an_unknown_time_zone_is_refused() {
    let (error, _) = only(text(
        "[services.ticker]\ncron = \"0 3 * * *\"\ntimezone = \"Mars/Olympus\"\n",
    ));
    assert_eq!(
        error,
        self::error(
            text_origin(),
            "services.ticker.timezone",
            "unknown time zone `Mars/Olympus` (expected an IANA name such as `Europe/Berlin`)",
        )
    );
}

#[test]
fn an_unknown_time_zone_beside_an_interval_is_refused() {
    let (error, _) = only(text(
        "[services.ticker]\ninterval = \"1h\"\ntimezone = \"Mars/Olympus\"\n",
    ));
    assert_eq!(error.key, "services.ticker.timezone");
}

#[test]
fn a_zero_interval_is_refused() {
    let (error, _) = only(text("[services.ticker]\ninterval = \"0s\"\n"));
    assert_eq!(
        error,
        self::error(
            text_origin(),
            "services.ticker.interval",
            "the period must be longer than zero",
        )
    );
    // The same period set in code is the code's fault.
    let (error, _) = only(
        Host::builder()
            .env_vars(Vec::<(String, String)>::new())
            .service(periodic("ticker", Tick).schedule(Schedule::every(Duration::ZERO))),
    );
    assert_eq!(
        error,
        self::error(
            Origin::Code,
            "services.ticker.schedule",
            "the period must be longer than zero",
        )
    );
}

// ---------------------------------------------------------------------------------
// Sections and service tables

#[test]
fn an_unknown_section_is_refused_with_a_suggestion() {
    let (error, shown) = only(text("[servics.worker]\nenabled = false\n"));
    assert_eq!(
        error,
        self::error(
            text_origin(),
            "servics",
            "unknown section; did you mean `services`?"
        )
    );
    assert_eq!(
        shown,
        "invalid configuration:\n  steward.toml: `servics`: unknown section; did you mean `services`?"
    );
    let (error, _) = only(text("[metrics]\npath = \"/m\"\n"));
    assert_eq!(
        error.reason,
        "unknown section (expected one of: host, journal, services)"
    );
    // A section an adapter registered is known, and suggested.
    let (error, _) = only(text("[htpp]\nbind = \"x\"\n").config_section("http"));
    assert_eq!(error.key, "htpp");
    assert_eq!(error.reason, "unknown section; did you mean `http`?");
    assert!(
        text("[http]\nbind = \"x\"\n")
            .config_section("http")
            .build()
            .is_ok()
    );
}

#[test]
fn a_table_naming_no_registered_service_is_refused() {
    let (error, _) = only(text("[services.wroker]\nenabled = false\n"));
    assert_eq!(
        error,
        self::error(
            text_origin(),
            "services.wroker",
            "no service named `wroker` is registered; did you mean `worker`?",
        )
    );
    let (error, _) = only(text("[services.zzz]\nenabled = false\n"));
    assert_eq!(
        error.reason,
        "no service named `zzz` is registered (registered: worker, ticker, once)"
    );
    let (error, _) = only(text("[services.unknown-kind]\nkind = \"teleporter\"\n"));
    assert_eq!(error.key, "services.unknown-kind");
    assert_eq!(
        error.reason,
        "unknown service kind `teleporter`: no built-in service kinds are linked into this program"
    );
    let (error, _) = only(text("[services.worker]\nkind = \"process\"\n"));
    assert_eq!(error.key, "services.worker.kind");
    assert_eq!(error.reason, "`worker` is defined in code; remove `kind`");
}

// ---------------------------------------------------------------------------------
// Typed settings

fn with_watcher(toml: &str) -> HostBuilder {
    text(toml).service(continuous_with("watcher", |_: WatchSettings| Watcher))
}

#[test]
fn a_typed_settings_error_names_the_field() {
    let (error, shown) = only(with_watcher(
        "[services.watcher.settings]\nfolder = \"inbox\"\ndepth = \"deep\"\n",
    ));
    assert_eq!(
        error,
        self::error(
            text_origin(),
            "services.watcher.settings.depth",
            "invalid type: string \"deep\", expected u32",
        )
    );
    assert_eq!(
        shown,
        "invalid configuration:\n  steward.toml: `services.watcher.settings.depth`: \
         invalid type: string \"deep\", expected u32"
    );
}

#[test]
fn missing_settings_name_the_missing_field() {
    let (error, _) = only(with_watcher(""));
    assert_eq!(error.key, "services.watcher.settings");
    assert_eq!(error.reason, "missing field `folder`");
}

#[test]
fn an_unknown_settings_field_is_refused_with_a_hint() {
    let (error, _) = only(with_watcher(
        "[services.watcher.settings]\nfolder = \"inbox\"\nrecursve = true\n",
    ));
    assert_eq!(error.origin, text_origin());
    assert!(
        error.key.starts_with("services.watcher.settings.recursve"),
        "{}",
        error.key
    );
    assert_eq!(
        error.reason,
        "unknown key; did you mean `recursive`? (expected one of: folder, recursive, depth)"
    );
}

#[test]
fn an_unknown_settings_field_is_named_exactly() {
    let (error, _) = only(with_watcher(
        "[services.watcher.settings]\nfolder = \"inbox\"\nrecursve = true\n",
    ));
    assert_eq!(error.key, "services.watcher.settings.recursve");
}

#[test]
fn a_plain_service_given_settings_is_refused() {
    let (error, shown) = only(text("[services.worker.settings]\nfolder = \"inbox\"\n"));
    assert_eq!(
        error,
        self::error(
            text_origin(),
            "services.worker.settings",
            "this service takes no settings",
        )
    );
    assert!(
        shown.ends_with("steward.toml: `services.worker.settings`: this service takes no settings")
    );
    // An empty settings table is as good as none.
    assert!(text("[services.worker]\nsettings = {}\n").build().is_ok());
}

// ---------------------------------------------------------------------------------
// Dependencies and names

#[test]
fn a_dependency_on_an_unknown_service_is_refused() {
    let (error, _) = only(text("[services.worker]\ndepends_on = [\"databse\"]\n"));
    assert_eq!(
        error,
        self::error(
            text_origin(),
            "services.worker.depends_on",
            "unknown service `databse`",
        )
    );
    // Declared in code, it is the code's fault.
    let (error, _) = only(host().service(continuous("api", Idle).depends_on(["db"])));
    assert_eq!(
        error,
        self::error(
            Origin::Code,
            "services.api.depends_on",
            "unknown service `db`"
        )
    );
}

#[test]
fn a_dependency_on_a_startup_service_is_refused() {
    let (error, _) = only(text("[services.worker]\ndepends_on = [\"once\"]\n"));
    assert_eq!(error.key, "services.worker.depends_on");
    assert_eq!(
        error.reason,
        "`once` is a startup service; every startup service finishes before other services start"
    );
}

#[test]
fn a_dependency_cycle_is_refused_and_named() {
    let (error, shown) = only(text(
        "[services.worker]\ndepends_on = [\"ticker\"]\n[services.ticker]\ndepends_on = [\"worker\"]\n",
    ));
    assert_eq!(
        error,
        self::error(
            text_origin(),
            "services.worker.depends_on",
            "dependency cycle: worker → ticker → worker",
        )
    );
    assert!(
        shown.ends_with("`services.worker.depends_on`: dependency cycle: worker → ticker → worker")
    );

    // Closed by the file: the file's key is named, where the cycle can be mended.
    let (error, _) = only(
        host()
            .service(continuous("a", Idle).depends_on(["b"]))
            .service(continuous("b", Idle))
            .config_toml("steward.toml", "[services.b]\ndepends_on = [\"a\"]\n"),
    );
    assert_eq!(
        error,
        self::error(
            text_origin(),
            "services.b.depends_on",
            "dependency cycle: b → a → b"
        )
    );

    // Three services in code.
    let (error, _) = only(
        Host::builder()
            .env_vars(Vec::<(String, String)>::new())
            .service(continuous("a", Idle).depends_on(["b"]))
            .service(continuous("b", Idle).depends_on(["c"]))
            .service(continuous("c", Idle).depends_on(["a"])),
    );
    assert_eq!(
        error,
        self::error(
            Origin::Code,
            "services.a.depends_on",
            "dependency cycle: a → b → c → a"
        )
    );
}

#[test]
fn a_duplicate_service_name_is_refused() {
    let (error, shown) = only(host().service(continuous("worker", Idle)));
    assert_eq!(
        error,
        self::error(
            Origin::Code,
            "services.worker",
            "a service with this name is registered twice",
        )
    );
    assert_eq!(
        shown,
        "invalid configuration:\n  service definitions: `services.worker`: \
         a service with this name is registered twice"
    );
}

// ---------------------------------------------------------------------------------
// Several problems at once

#[test]
fn several_problems_in_the_file_are_all_reported() {
    let (errors, shown) = refused(text(
        r#"
        [host]
        shutdown_timeout = "soon"

        [servics.a]
        x = 1

        [services.worker]
        restart = { policy = "sometimes" }

        [services.ticker]
        interval = "5 parsecs"
        "#,
    ));
    let mut keys: Vec<&str> = errors.iter().map(|error| error.key.as_str()).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "host.shutdown_timeout",
            "services.ticker.interval",
            "services.worker.restart.policy",
            "servics",
        ]
    );
    assert!(errors.iter().all(|error| error.origin == text_origin()));
    assert_eq!(shown.lines().count(), 5, "{shown}");
}

#[test]
fn several_problems_with_services_are_all_reported() {
    let (errors, shown) = refused(
        text(
            r#"
            [services.wroker]
            enabled = false

            [services.worker]
            interval = "5s"

            [services.ticker]
            cron = "not cron"

            [services.watcher.settings]
            folder = 3
            "#,
        )
        .service(continuous_with("watcher", |_: WatchSettings| Watcher))
        .service(continuous("worker", Idle)),
    );
    let expected = [
        error(
            text_origin(),
            "services.wroker",
            "no service named `wroker` is registered; did you mean `worker`?",
        ),
        error(
            Origin::Code,
            "services.worker",
            "a service with this name is registered twice",
        ),
        error(
            text_origin(),
            "services.worker.interval",
            "only periodic services have a schedule; `worker` is a continuous service",
        ),
        error(
            text_origin(),
            "services.ticker.cron",
            "invalid cron expression `not cron`: Invalid pattern: Pattern must have between 5 and 7 fields.",
        ),
        error(
            text_origin(),
            "services.watcher.settings.folder",
            "invalid type: integer `3`, expected a string",
        ),
    ];
    for problem in &expected {
        assert!(
            errors.contains(problem),
            "missing {problem:?} in {errors:#?}"
        );
    }
    assert_eq!(errors.len(), 5, "{errors:#?}");
    assert_eq!(shown.lines().count(), 6, "{shown}");
}

#[test]
fn problems_in_file_and_services_are_reported_together() {
    let (errors, _) = refused(text(
        "[services.worker]\nrestart = { policy = \"sometimes\" }\n\
         [services.wroker]\nenabled = false\n\
         [services.ticker]\nenabled = true\n[services.once]\ninterval = \"1s\"\n",
    ));
    let keys: Vec<&str> = errors.iter().map(|error| error.key.as_str()).collect();
    assert!(keys.contains(&"services.worker.restart.policy"), "{keys:?}");
    assert!(keys.contains(&"services.wroker"), "{keys:?}");
    assert!(keys.contains(&"services.once.interval"), "{keys:?}");
    assert_eq!(errors.len(), 3);
}

// ---------------------------------------------------------------------------------
// Real files: TOML, JSON, YAML

#[test]
fn a_toml_file_error_names_the_file_path() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "steward.toml",
        "[host]\nshutdown_timeout = \"10s\"\n\n[services.worker]\nrestart = { max_restarts = \"five\" }\n",
    );
    let (error, shown) = only(host().config_file(&path));
    assert_eq!(
        error,
        self::error(
            file_origin(&path),
            "services.worker.restart.max_restarts",
            "invalid type: string \"five\", expected u32",
        )
    );
    assert_eq!(
        shown,
        format!(
            "invalid configuration:\n  {}: `services.worker.restart.max_restarts`: \
             invalid type: string \"five\", expected u32",
            path.display()
        )
    );
}

#[test]
fn an_unknown_key_in_a_toml_file_names_file_key_and_hint() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "steward.toml",
        "[services.ticker]\nintervl = \"5s\"\n",
    );
    let (error, shown) = only(host().config_file(&path));
    assert_eq!(error.origin, file_origin(&path));
    assert!(
        error.key.starts_with("services.ticker.intervl"),
        "{}",
        error.key
    );
    assert!(
        shown.starts_with(&format!(
            "invalid configuration:\n  {}: `services.ticker.intervl",
            path.display()
        )),
        "{shown}"
    );
    assert!(shown.contains("did you mean `interval`?"), "{shown}");
}

#[test]
fn a_json_file_error_names_the_file_path() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "steward.json",
        r#"{ "services": { "ticker": { "interval": "5 parsecs" } } }"#,
    );
    let (error, shown) = only(host().config_file(&path));
    assert_eq!(
        error,
        self::error(
            file_origin(&path),
            "services.ticker.interval",
            "`5 parsecs` is not a duration such as \"90s\", \"5m\" or \"1h 30m\": unknown time unit \"parsecs\", supported units: ns, us/µs, ms, sec, min, hours, days, weeks, months, years (and few variations)",
        )
    );
    assert!(shown.contains(&format!("{}: `services.ticker.interval`", path.display())));
}

#[test]
fn a_yaml_file_error_names_the_file_path() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "steward.yaml",
        "services:\n  worker:\n    restart:\n      policy: sometimes\n",
    );
    let (error, _) = only(host().config_file(&path));
    assert_eq!(
        error,
        self::error(
            file_origin(&path),
            "services.worker.restart.policy",
            "unknown variant `sometimes`, expected one of `never`, `on-failure`, `always`",
        )
    );
    // `.yml` reads as YAML too.
    let short = write(
        &dir,
        "steward.yml",
        "services:\n  zzz:\n    enabled: false\n",
    );
    let (error, _) = only(host().config_file(&short));
    assert_eq!(error.origin, file_origin(&short));
    assert_eq!(error.key, "services.zzz");
}

#[test]
fn good_files_in_every_format_build() {
    let dir = TempDir::new().unwrap();
    for (name, contents) in [
        ("a.toml", "[services.ticker]\ninterval = \"5s\"\n"),
        ("a.json", r#"{"services": {"ticker": {"interval": "5s"}}}"#),
        ("a.yaml", "services:\n  ticker:\n    interval: 5s\n"),
    ] {
        let path = write(&dir, name, contents);
        let built = host().config_file(&path).build().unwrap();
        assert_eq!(
            built.config().services["ticker"].interval,
            Some(Duration::from_secs(5)),
            "{name}"
        );
    }
}

#[test]
fn a_missing_file_is_refused_with_its_path() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("absent.toml");
    let (error, shown) = only(host().config_file(&path));
    assert_eq!(error.origin, file_origin(&path));
    assert_eq!(error.key, "");
    assert!(
        error.reason.starts_with("cannot read the file: "),
        "{}",
        error.reason
    );
    assert!(
        shown.starts_with(&format!(
            "invalid configuration:\n  {}: cannot read the file: ",
            path.display()
        )),
        "{shown}"
    );
}

#[test]
fn a_file_of_unknown_type_is_refused() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "steward.ini", "[host]\n");
    let (error, _) = only(host().config_file(&path));
    assert_eq!(
        error,
        self::error(
            file_origin(&path),
            "",
            "unsupported file type (expected .toml, .json, .yaml or .yml)"
        )
    );
}

#[test]
fn a_toml_syntax_error_names_the_line() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "steward.toml",
        "[host]\nshutdown_timeout = \"10s\"\n\n[services.worker\nenabled = true\n",
    );
    let (error, shown) = only(host().config_file(&path));
    assert_eq!(error.origin, file_origin(&path));
    assert_eq!(error.key, "");
    assert!(
        error.reason.starts_with("TOML parse error at line 4"),
        "{}",
        error.reason
    );
    assert!(shown.contains(&format!("{}: TOML parse error at line 4", path.display())));
}

#[test]
fn a_json_syntax_error_names_the_line() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "steward.json",
        "{\n  \"host\": {\n    \"shutdown_timeout\": \"10s\",\n  }\n}\n",
    );
    let (error, _) = only(host().config_file(&path));
    assert_eq!(error.origin, file_origin(&path));
    assert!(error.reason.contains("line 4"), "{}", error.reason);
}

#[test]
fn a_yaml_syntax_error_names_the_line() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "steward.yaml",
        "host:\n  shutdown_timeout: 10s\nservices: [unclosed\n",
    );
    let (error, _) = only(host().config_file(&path));
    assert_eq!(error.origin, file_origin(&path));
    assert_eq!(error.key, "");
    assert!(error.reason.contains("line "), "{}", error.reason);
}

#[test]
fn action_options_in_code_on_a_service_without_actions_are_refused() {
    let (errors, _) = refused(
        Host::builder()
            .env_vars(Vec::<(String, String)>::new())
            .service(continuous("plain", Idle).max_concurrency(4).mailbox(0)),
    );
    assert_eq!(
        errors,
        [
            self::error(
                Origin::Code,
                "services.plain",
                "`max_concurrency` is set but the service has no actions (set it after `actions`)"
            ),
            self::error(
                Origin::Code,
                "services.plain",
                "`mailbox` must be at least 1"
            ),
        ]
    );
}
