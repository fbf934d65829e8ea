//! Unit tests of configuration loading: formats, layering of the environment over a
//! file, typed environment values, origins, and the errors that name key and reason.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::error::SettingsError;
use super::*;
use crate::restart::{Backoff, Restart, RestartPolicy};

fn toml(text: &str) -> ConfigSource {
    text_in(Format::Toml, text)
}

fn text_in(format: Format, text: &str) -> ConfigSource {
    ConfigSource::Text {
        name: "test.toml".to_owned(),
        format,
        text: text.to_owned(),
    }
}

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

/// Loads with the `STEWARD` prefix and these variables.
/// Loads with no registered services; any problem is an `Err`.
fn load_all(
    source: &ConfigSource,
    env: &[(String, String)],
    prefix: Option<&str>,
    sections: &[String],
) -> Result<Config, ConfigErrors> {
    let expected = Expected {
        services: &[],
        sections,
    };
    let (config, errors) = load(source, env, prefix, &expected)?;
    if errors.is_empty() {
        Ok(config)
    } else {
        Err(ConfigErrors(errors))
    }
}

fn load_with(source: &ConfigSource, env: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
    load_all(source, &vars(env), Some("STEWARD"), &[])
}

fn only_error(result: Result<Config, ConfigErrors>) -> ConfigError {
    let errors = result.expect_err("the configuration should be refused").0;
    assert_eq!(errors.len(), 1, "{errors:#?}");
    errors.into_iter().next().unwrap()
}

fn text_origin() -> Origin {
    Origin::Text("test.toml".to_owned())
}

// ---------------------------------------------------------------------------------
// Defaults and formats

#[test]
fn no_source_gives_the_defaults() {
    let config = load_with(&ConfigSource::None, &[]).unwrap();
    assert_eq!(config.host, HostConfig::default());
    assert_eq!(config.host.environment, Environment::Development);
    assert_eq!(config.host.shutdown_timeout, Duration::from_secs(30));
    assert_eq!(config.host.stop_timeout, Duration::from_secs(10));
    assert_eq!(config.host.start_timeout, Duration::from_secs(60));
    assert!(config.host.fail_fast_on_startup_failure);
    assert!(!config.host.shutdown_on_critical_failure);
    assert_eq!(config.host.restart, RestartConfig::default());
    assert!(config.services.is_empty());
    assert_eq!(config.origins.base, Origin::Code);
}

#[test]
fn a_toml_file_fills_host_and_service_tables() {
    let config = load_with(
        &toml(
            r#"
            [host]
            environment = "production"
            shutdown_timeout = "45s"
            fail_fast_on_startup_failure = false

            [services.cleanup]
            interval = "1h"
            initial_delay = "10s"
            run_on_startup = true
            order = 6
            depends_on = ["db"]
            restart = { policy = "always", max_restarts = 3, window = "2m", backoff = "500ms..5s", jitter = 0.1 }
            settings = { retention_days = 30 }
            "#,
        ),
        &[],
    )
    .unwrap();
    assert_eq!(config.host.environment, Environment::Production);
    assert_eq!(config.host.shutdown_timeout, Duration::from_secs(45));
    assert!(!config.host.fail_fast_on_startup_failure);
    // Keys the file leaves out keep their defaults.
    assert_eq!(config.host.stop_timeout, Duration::from_secs(10));

    let cleanup = &config.services["cleanup"];
    assert_eq!(cleanup.interval, Some(Duration::from_secs(3600)));
    assert_eq!(cleanup.initial_delay, Some(Duration::from_secs(10)));
    assert_eq!(cleanup.run_on_startup, Some(true));
    assert_eq!(cleanup.startup_order, Some(6), "`order` is an alias");
    assert_eq!(cleanup.depends_on, Some(vec!["db".to_owned()]));
    assert_eq!(cleanup.enabled, None);
    assert_eq!(
        cleanup.restart,
        Some(RestartConfig {
            policy: Some(RestartPolicy::Always),
            max_restarts: Some(3),
            window: Some(Duration::from_secs(120)),
            backoff: Some(Backoff::new(
                Duration::from_millis(500),
                Duration::from_secs(5)
            )),
            jitter: Some(0.1),
        })
    );
    assert_eq!(cleanup.settings, Some(json!({ "retention_days": 30 })));
    assert_eq!(config.origins.base, text_origin());
}

#[test]
fn json_and_yaml_text_read_the_same_as_toml() {
    let from_toml = load_with(
        &toml("[host]\nshutdown_timeout = \"5s\"\n[services.a]\nenabled = false\n"),
        &[],
    )
    .unwrap();
    let from_json = load_with(
        &text_in(
            Format::Json,
            r#"{"host": {"shutdown_timeout": "5s"}, "services": {"a": {"enabled": false}}}"#,
        ),
        &[],
    )
    .unwrap();
    let from_yaml = load_with(
        &text_in(
            Format::Yaml,
            "host:\n  shutdown_timeout: 5s\nservices:\n  a:\n    enabled: false\n",
        ),
        &[],
    )
    .unwrap();
    for config in [&from_json, &from_yaml] {
        assert_eq!(config.host, from_toml.host);
        assert_eq!(config.services, from_toml.services);
    }
    assert_eq!(from_toml.host.shutdown_timeout, Duration::from_secs(5));
}

#[test]
fn the_format_follows_the_file_extension() {
    assert_eq!(
        Format::from_path(Path::new("steward.toml")),
        Some(Format::Toml)
    );
    assert_eq!(
        Format::from_path(Path::new("dir/steward.JSON")),
        Some(Format::Json)
    );
    assert_eq!(
        Format::from_path(Path::new("steward.yaml")),
        Some(Format::Yaml)
    );
    assert_eq!(
        Format::from_path(Path::new("steward.yml")),
        Some(Format::Yaml)
    );
    assert_eq!(Format::from_path(Path::new("steward.ini")), None);
    assert_eq!(Format::from_path(Path::new("steward")), None);
}

#[test]
fn an_empty_yaml_document_is_an_empty_configuration() {
    let config = load_with(&text_in(Format::Yaml, ""), &[]).unwrap();
    assert_eq!(config.host, HostConfig::default());
}

#[test]
fn a_file_of_unsupported_type_is_refused_before_reading() {
    let path = PathBuf::from("does-not-matter.ini");
    let error = only_error(load_with(&ConfigSource::File(path.clone()), &[]));
    assert_eq!(error.origin, Origin::File(path));
    assert_eq!(error.key, "");
    assert_eq!(
        error.reason,
        "unsupported file type (expected .toml, .json, .yaml or .yml)"
    );
    assert_eq!(
        error.to_string(),
        "does-not-matter.ini: unsupported file type (expected .toml, .json, .yaml or .yml)"
    );
}

#[test]
fn the_top_level_must_be_a_table() {
    let error = only_error(load_with(&text_in(Format::Json, "[1, 2]"), &[]));
    assert_eq!(error.key, "");
    assert_eq!(error.reason, "the top level must be a table of sections");
}

#[test]
fn services_must_be_a_table_of_tables() {
    let error = only_error(load_with(&toml("services = 3"), &[]));
    assert_eq!(error.key, "services");
    assert_eq!(
        error.reason,
        "expected a table of services, one `[services.NAME]` each"
    );
}

#[test]
fn a_syntax_error_names_the_line() {
    let error = only_error(load_with(&toml("[host]\nshutdown_timeout = \n"), &[]));
    assert_eq!(error.origin, text_origin());
    assert_eq!(error.key, "");
    assert!(error.reason.contains("line 2"), "{}", error.reason);
}

// ---------------------------------------------------------------------------------
// Errors inside sections

#[test]
fn a_wrong_type_names_the_nested_key() {
    let error = only_error(load_with(
        &toml("[services.x]\nrestart = { max_restarts = \"five\" }"),
        &[],
    ));
    assert_eq!(
        error,
        ConfigError {
            origin: text_origin(),
            key: "services.x.restart.max_restarts".to_owned(),
            reason: "invalid type: string \"five\", expected u32".to_owned(),
        }
    );
}

#[test]
fn a_bad_duration_in_host_names_the_key() {
    let error = only_error(load_with(&toml("[host]\nstop_timeout = \"soon\""), &[]));
    assert_eq!(error.key, "host.stop_timeout");
    assert_eq!(
        error.reason,
        "`soon` is not a duration such as \"90s\", \"5m\" or \"1h 30m\": expected number at 0"
    );
}

#[test]
fn a_jitter_outside_zero_to_one_is_refused_in_host_and_service_tables() {
    let errors = load_with(
        &toml("[host.restart]\njitter = -0.1\n[services.x]\nrestart = { jitter = 1.5 }"),
        &[],
    )
    .unwrap_err()
    .0;
    let found: Vec<(&str, &str)> = errors
        .iter()
        .map(|error| (error.key.as_str(), error.reason.as_str()))
        .collect();
    assert!(found.contains(&(
        "services.x.restart.jitter",
        "must be between 0.0 and 1.0, found 1.5"
    )));
    assert!(found.contains(&(
        "host.restart.jitter",
        "must be between 0.0 and 1.0, found -0.1"
    )));
    assert_eq!(errors.len(), 2);
}

#[test]
fn every_problem_of_one_restart_table_is_reported() {
    let errors = load_with(
        &toml("[services.x]\nrestart = { jitter = 2.0, window = \"0s\" }"),
        &[],
    )
    .unwrap_err()
    .0;
    let keys: Vec<&str> = errors.iter().map(|error| error.key.as_str()).collect();
    assert_eq!(
        keys,
        ["services.x.restart.jitter", "services.x.restart.window"]
    );
}

#[test]
fn an_unknown_section_is_refused_with_a_suggestion() {
    let error = only_error(load_with(&toml("[service.x]\nenabled = true"), &[]));
    assert_eq!(error.key, "service");
    assert_eq!(error.reason, "unknown section; did you mean `services`?");

    let error = only_error(load_with(&toml("[zzz]\na = 1"), &[]));
    assert_eq!(error.key, "zzz");
    assert_eq!(
        error.reason,
        "unknown section (expected one of: host, journal, services)"
    );
}

#[test]
fn registered_extra_sections_are_kept_and_read_typed() {
    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Http {
        bind: String,
        port: u16,
    }
    let source = toml("[http]\nbind = \"127.0.0.1\"\nport = 8080");
    let config = load_all(&source, &[], Some("STEWARD"), &["http".to_owned()]).unwrap();
    assert_eq!(
        config.section::<Http>("http").unwrap(),
        Some(Http {
            bind: "127.0.0.1".to_owned(),
            port: 8080
        })
    );
    assert_eq!(config.section::<Http>("metrics").unwrap(), None);

    // A bad value in it names the key, and the variable that set it.
    let env = vars(&[("STEWARD__HTTP__PORT", "eighty")]);
    let config = load_all(&source, &env, Some("STEWARD"), &["http".to_owned()]).unwrap();
    let error = config.section::<Http>("http").unwrap_err();
    assert_eq!(error.key, "http.port");
    assert_eq!(error.origin, Origin::Env("STEWARD__HTTP__PORT".to_owned()));
    assert_eq!(
        error.reason,
        "invalid type: string \"eighty\", expected u16"
    );
}

// ---------------------------------------------------------------------------------
// Unknown keys (serde's message, reworded with a suggestion)

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Watch {
    folder: String,
    #[serde(default)]
    recursive: bool,
}

#[test]
fn an_unknown_field_suggests_the_nearest_known_one() {
    let error = SettingsError::deserialize::<Watch>(json!({ "folder": "a", "recursve": true }))
        .unwrap_err();
    assert_eq!(
        error.reason,
        "unknown key; did you mean `recursive`? (expected one of: folder, recursive)"
    );
    let error =
        SettingsError::deserialize::<Watch>(json!({ "folder": "a", "zzz": 1 })).unwrap_err();
    assert_eq!(
        error.reason,
        "unknown key (expected one of: folder, recursive)"
    );
}

#[test]
fn an_unknown_field_is_named_once_in_its_path() {
    let error = SettingsError::deserialize::<Watch>(json!({ "folder": "a", "recursve": true }))
        .unwrap_err();
    assert_eq!(error.path, "recursve");
    assert_eq!(
        error.key_under("services.w.settings"),
        "services.w.settings.recursve"
    );

    let error = only_error(load_with(&toml("[services.x]\nintervl = \"5s\""), &[]));
    assert_eq!(error.key, "services.x.intervl");
    let error = only_error(load_with(&toml("[host]\nshutdown_timout = \"5s\""), &[]));
    assert_eq!(error.key, "host.shutdown_timout");
}

#[test]
fn an_unknown_key_in_a_service_table_keeps_origin_and_hint() {
    let error = only_error(load_with(&toml("[services.x]\nintervl = \"5s\""), &[]));
    assert_eq!(error.origin, text_origin());
    assert!(error.key.starts_with("services.x.intervl"), "{}", error.key);
    assert!(
        error
            .reason
            .starts_with("unknown key; did you mean `interval`? (expected one of: kind, enabled,"),
        "{}",
        error.reason
    );
}

/// Settings whose type lets unknown fields through.
#[derive(Debug, serde::Deserialize)]
struct Lenient {
    #[allow(dead_code)]
    retention_days: u32,
    #[serde(default)]
    #[allow(dead_code)]
    limits: Limits,
}

#[derive(Debug, Default, serde::Deserialize)]
struct Limits {
    #[serde(default)]
    #[allow(dead_code)]
    rows: u32,
}

#[test]
fn an_unknown_key_is_refused_even_where_the_type_would_ignore_it() {
    let error =
        SettingsError::deserialize::<Lenient>(json!({ "retention_days": 30, "dry_rnu": true }))
            .unwrap_err();
    assert_eq!(error.path, "dry_rnu");
    assert_eq!(error.reason, "unknown key: nothing reads it");
    assert_eq!(
        error.key_under("services.cleanup.settings"),
        "services.cleanup.settings.dry_rnu"
    );
    let error = SettingsError::deserialize::<Lenient>(
        json!({ "retention_days": 30, "limits": { "rws": 5 } }),
    )
    .unwrap_err();
    assert_eq!(error.path, "limits.rws");
    let settings = SettingsError::deserialize::<Lenient>(
        json!({ "retention_days": 30, "limits": { "rows": 5 } }),
    )
    .unwrap();
    assert_eq!((settings.retention_days, settings.limits.rows), (30, 5));
}

#[test]
fn a_missing_field_and_a_wrong_type_keep_serdes_path() {
    let error = SettingsError::deserialize::<Watch>(json!({})).unwrap_err();
    assert_eq!(
        (error.path.as_str(), error.reason.as_str()),
        ("", "missing field `folder`")
    );
    assert_eq!(
        error.key_under("services.w.settings"),
        "services.w.settings"
    );

    let error = SettingsError::deserialize::<Watch>(json!({ "folder": 3 })).unwrap_err();
    assert_eq!(error.path, "folder");
    assert_eq!(error.reason, "invalid type: integer `3`, expected a string");
}

#[test]
fn key_under_joins_prefix_and_path() {
    let error = |path: &str| SettingsError {
        path: path.to_owned(),
        reason: String::new(),
    };
    assert_eq!(error("").key_under("services.x"), "services.x");
    assert_eq!(error("a.b").key_under("services.x"), "services.x.a.b");
    assert_eq!(
        error("[2].name").key_under("services.x.settings.targets"),
        "services.x.settings.targets[2].name"
    );
    assert_eq!(error("a").key_under(""), "a");
}

#[test]
fn closest_name_only_suggests_near_names() {
    let known = ["interval", "cron", "timezone"];
    assert_eq!(closest("intervl", &known), Some("interval"));
    assert_eq!(closest("timezon", &known), Some("timezone"));
    assert_eq!(closest("xyz", &known), None);
    assert_eq!(closest("interval", &[]), None);
}

// ---------------------------------------------------------------------------------
// The environment over the file

#[test]
fn an_environment_variable_overrides_a_file_value() {
    let source = toml("[host]\nshutdown_timeout = \"45s\"\nstop_timeout = \"20s\"");
    let config = load_with(&source, &[("STEWARD__HOST__SHUTDOWN_TIMEOUT", "5s")]).unwrap();
    assert_eq!(config.host.shutdown_timeout, Duration::from_secs(5));
    assert_eq!(
        config.host.stop_timeout,
        Duration::from_secs(20),
        "file value kept"
    );
    assert_eq!(
        config.host.start_timeout,
        Duration::from_secs(60),
        "default kept"
    );
    assert_eq!(
        config.origins.env,
        vec![(
            "host.shutdown_timeout".to_owned(),
            "STEWARD__HOST__SHUTDOWN_TIMEOUT".to_owned()
        )]
    );
}

#[test]
fn environment_variables_work_without_a_file() {
    let config = load_with(
        &ConfigSource::None,
        &[
            ("STEWARD__HOST__ENVIRONMENT", "production"),
            ("STEWARD__HOST__FAIL_FAST_ON_STARTUP_FAILURE", "false"),
            ("STEWARD__SERVICES__WORKER__STARTUP_ORDER", "3"),
        ],
    )
    .unwrap();
    assert_eq!(config.host.environment, Environment::Production);
    assert!(!config.host.fail_fast_on_startup_failure);
    assert_eq!(config.services["worker"].startup_order, Some(3));
}

#[test]
fn a_variable_under_the_prefix_with_an_empty_part_is_named_in_an_error() {
    let error = only_error(load_with(
        &ConfigSource::None,
        &[("STEWARD__HOST____SHUTDOWN_TIMEOUT", "4s")],
    ));
    assert_eq!(
        error.origin,
        Origin::Env("STEWARD__HOST____SHUTDOWN_TIMEOUT".to_owned())
    );
    assert_eq!(error.key, "host.shutdown_timeout");
    assert!(
        error.reason.starts_with("the name has an empty part"),
        "{}",
        error.reason
    );
}

#[test]
fn other_prefixes_are_ignored() {
    let config = load_with(
        &ConfigSource::None,
        &[
            ("STEWARDX__HOST__SHUTDOWN_TIMEOUT", "1s"),
            ("OTHER__HOST__SHUTDOWN_TIMEOUT", "2s"),
            ("STEWARD_HOST_SHUTDOWN_TIMEOUT", "3s"),
            ("PATH", "/usr/bin"),
        ],
    )
    .unwrap();
    assert_eq!(config.host.shutdown_timeout, Duration::from_secs(30));
    assert!(config.origins.env.is_empty());
}

#[test]
fn no_prefix_ignores_the_environment_and_another_prefix_is_honoured() {
    let env = vars(&[
        ("STEWARD__HOST__SHUTDOWN_TIMEOUT", "5s"),
        ("APP__HOST__SHUTDOWN_TIMEOUT", "7s"),
    ]);
    let ignored = load_all(&ConfigSource::None, &env, None, &[]).unwrap();
    assert_eq!(ignored.host.shutdown_timeout, Duration::from_secs(30));
    let app = load_all(&ConfigSource::None, &env, Some("APP"), &[]).unwrap();
    assert_eq!(app.host.shutdown_timeout, Duration::from_secs(7));
}

#[test]
fn an_underscore_in_a_variable_finds_a_hyphenated_table() {
    let source = toml("[services.ai-health]\nenabled = true\ncritical = true");
    let config = load_with(
        &source,
        &[("STEWARD__SERVICES__AI_HEALTH__ENABLED", "false")],
    )
    .unwrap();
    assert_eq!(config.services.len(), 1, "{:?}", config.services.keys());
    let table = &config.services["ai-health"];
    assert_eq!(table.enabled, Some(false));
    assert_eq!(table.critical, Some(true));
    assert_eq!(
        config.origins.env,
        vec![(
            "services.ai-health.enabled".to_owned(),
            "STEWARD__SERVICES__AI_HEALTH__ENABLED".to_owned()
        )]
    );
}

#[test]
fn an_environment_value_takes_the_type_of_the_file_value() {
    let source = toml(
        r#"
        [services.x]
        enabled = true
        startup_order = 1
        settings = { label = "abc", ratio = 0.5, tags = ["a"], flag = false }
        "#,
    );
    let config = load_with(
        &source,
        &[
            ("STEWARD__SERVICES__X__ENABLED", "off"),
            ("STEWARD__SERVICES__X__STARTUP_ORDER", "7"),
            ("STEWARD__SERVICES__X__SETTINGS__LABEL", "123"),
            ("STEWARD__SERVICES__X__SETTINGS__RATIO", "0.25"),
            ("STEWARD__SERVICES__X__SETTINGS__TAGS", "[\"b\", \"c\"]"),
            ("STEWARD__SERVICES__X__SETTINGS__FLAG", "YES"),
        ],
    )
    .unwrap();
    let table = &config.services["x"];
    assert_eq!(table.enabled, Some(false));
    assert_eq!(table.startup_order, Some(7));
    assert_eq!(
        table.settings,
        Some(json!({ "label": "123", "ratio": 0.25, "tags": ["b", "c"], "flag": true }))
    );
}

#[test]
fn a_new_environment_value_is_inferred() {
    let config = load_with(
        &toml("[services.x.settings]\nkeep = 1"),
        &[
            ("STEWARD__SERVICES__X__SETTINGS__COUNT", "42"),
            ("STEWARD__SERVICES__X__SETTINGS__ON", "true"),
            ("STEWARD__SERVICES__X__SETTINGS__LIST", "[1, 2]"),
            ("STEWARD__SERVICES__X__SETTINGS__NAME", "hello world"),
            ("STEWARD__SERVICES__X__SETTINGS__QUOTED", "\"text\""),
        ],
    )
    .unwrap();
    assert_eq!(
        config.services["x"].settings,
        Some(json!({
            "keep": 1,
            "count": 42,
            "on": true,
            "list": [1, 2],
            "name": "hello world",
            "quoted": "text",
        }))
    );
}

#[test]
fn a_value_that_does_not_fit_the_file_type_stays_text_and_is_refused() {
    let error = only_error(load_with(
        &toml("[services.x]\nenabled = true"),
        &[("STEWARD__SERVICES__X__ENABLED", "maybe")],
    ));
    assert_eq!(
        error,
        ConfigError {
            origin: Origin::Env("STEWARD__SERVICES__X__ENABLED".to_owned()),
            key: "services.x.enabled".to_owned(),
            reason: "invalid type: string \"maybe\", expected a boolean".to_owned(),
        }
    );
}

#[test]
fn an_error_caused_by_a_variable_names_the_variable() {
    let error = only_error(load_with(
        &toml("[services.x]\ninterval = \"1h\""),
        &[("STEWARD__SERVICES__X__INTERVAL", "5 parsecs")],
    ));
    assert_eq!(
        error.origin,
        Origin::Env("STEWARD__SERVICES__X__INTERVAL".to_owned())
    );
    assert_eq!(error.key, "services.x.interval");
    assert_eq!(
        error.to_string(),
        "environment variable STEWARD__SERVICES__X__INTERVAL: `services.x.interval`: \
         `5 parsecs` is not a duration such as \"90s\", \"5m\" or \"1h 30m\": unknown time unit \"parsecs\", supported units: ns, us/µs, ms, sec, min, hours, days, weeks, months, years (and few variations)"
    );
}

#[test]
fn a_duration_past_a_hundred_years_is_refused_at_its_key() {
    let error = only_error(load_with(
        &toml("[host]\nshutdown_timeout = \"10000000000000000000s\""),
        &[],
    ));
    assert_eq!(error.key, "host.shutdown_timeout");
    assert_eq!(
        error.reason,
        "`10000000000000000000s` is longer than a hundred years, the longest a setting may be"
    );
    let fine = load_with(&toml("[host]\nshutdown_timeout = \"100y\""), &[]);
    assert!(fine.is_ok(), "{fine:?}");
}

#[test]
fn an_error_beside_a_variable_names_the_file() {
    // The variable set `interval`; the error is in `restart`, which came from the file.
    let error = only_error(load_with(
        &toml("[services.x]\nrestart = { policy = \"sometimes\" }"),
        &[("STEWARD__SERVICES__X__INTERVAL", "5s")],
    ));
    assert_eq!(error.origin, text_origin());
    assert_eq!(error.key, "services.x.restart.policy");
}

#[test]
fn origins_locate_the_latest_variable_covering_a_key() {
    let config = load_with(
        &ConfigSource::None,
        &[
            ("STEWARD__SERVICES__X__RESTART", "{\"policy\": \"never\"}"),
            ("STEWARD__SERVICES__X__RESTART__MAX_RESTARTS", "2"),
        ],
    )
    .unwrap();
    let origins = &config.origins;
    assert_eq!(
        origins.locate("services.x.restart.max_restarts"),
        Origin::Env("STEWARD__SERVICES__X__RESTART__MAX_RESTARTS".to_owned())
    );
    assert_eq!(
        origins.locate("services.x.restart.policy"),
        Origin::Env("STEWARD__SERVICES__X__RESTART".to_owned())
    );
    assert_eq!(origins.locate("services.x.restart_extra"), Origin::Code);
    assert_eq!(origins.locate("services.x.interval"), Origin::Code);
    let restart = config.services["x"].restart.clone().unwrap();
    assert_eq!(restart.policy, Some(RestartPolicy::Never));
    assert_eq!(restart.max_restarts, Some(2));
}

#[test]
fn a_table_created_by_a_variable_is_attributed_to_it() {
    let config = load_with(
        &toml("[host]\nshutdown_timeout = \"5s\""),
        &[("STEWARD__SERVICES__WORKR__ENABLED", "false")],
    )
    .unwrap();
    assert_eq!(
        config.origins.locate("services.workr"),
        Origin::Env("STEWARD__SERVICES__WORKR__ENABLED".to_owned())
    );
    // `host` came from the file even though no variable touched it.
    assert_eq!(config.origins.locate("host"), text_origin());
}

// ---------------------------------------------------------------------------------
// Small types

#[test]
fn restart_config_applies_only_its_keys() {
    let base = Restart::default()
        .policy(RestartPolicy::Always)
        .backoff(Backoff::new(Duration::from_secs(2), Duration::from_secs(8)).jitter(0.3));
    assert_eq!(RestartConfig::default().apply_to(&base), base);

    let partial = RestartConfig {
        max_restarts: Some(9),
        backoff: Some(Backoff::new(Duration::from_secs(1), Duration::from_secs(4))),
        ..RestartConfig::default()
    };
    let applied = partial.apply_to(&base);
    assert_eq!(applied.policy, RestartPolicy::Always);
    assert_eq!(applied.max_restarts, 9);
    assert_eq!(applied.window, Duration::from_secs(60));
    assert_eq!(applied.backoff.min, Duration::from_secs(1));
    assert_eq!(applied.backoff.max, Duration::from_secs(4));
    assert_eq!(
        applied.backoff.jitter, 0.3,
        "a backoff range keeps the jitter"
    );

    let full = RestartConfig {
        policy: Some(RestartPolicy::Never),
        window: Some(Duration::from_secs(5)),
        jitter: Some(0.0),
        ..RestartConfig::default()
    };
    let applied = full.apply_to(&base);
    assert_eq!(applied.policy, RestartPolicy::Never);
    assert_eq!(applied.window, Duration::from_secs(5));
    assert_eq!(applied.backoff.jitter, 0.0);
    assert_eq!(applied.backoff.min, Duration::from_secs(2));
}

#[test]
fn environments_read_and_display_in_lowercase() {
    assert_eq!(
        "production".parse::<Environment>(),
        Ok(Environment::Production)
    );
    assert_eq!("testing".parse::<Environment>(), Ok(Environment::Testing));
    assert_eq!(
        "staging".parse::<Environment>(),
        Err(
            "unknown environment `staging` (expected development, production or testing)"
                .to_owned()
        )
    );
    assert_eq!(Environment::Development.to_string(), "development");
    assert_eq!(
        serde_json::to_value(Environment::Production).unwrap(),
        Value::String("production".to_owned())
    );
}

#[test]
fn errors_display_origin_key_and_reason() {
    let with_key = ConfigError {
        origin: Origin::File(PathBuf::from("conf/steward.toml")),
        key: "services.x.interval".to_owned(),
        reason: "bad".to_owned(),
    };
    assert_eq!(
        with_key.to_string(),
        "conf/steward.toml: `services.x.interval`: bad"
    );
    let no_key = ConfigError {
        origin: Origin::Env("STEWARD__A".to_owned()),
        key: String::new(),
        reason: "worse".to_owned(),
    };
    assert_eq!(no_key.to_string(), "environment variable STEWARD__A: worse");
    let from_code = ConfigError {
        origin: Origin::Code,
        key: "services.y".to_owned(),
        reason: "twice".to_owned(),
    };
    assert_eq!(
        from_code.to_string(),
        "service definitions: `services.y`: twice"
    );
    assert_eq!(Origin::Text("inline".to_owned()).to_string(), "inline");

    let all = ConfigErrors(vec![with_key.clone(), no_key.clone()]);
    assert_eq!(
        all.to_string(),
        "  conf/steward.toml: `services.x.interval`: bad\n  environment variable STEWARD__A: worse"
    );
    assert_eq!(all.iter().count(), 2);
    assert_eq!(ConfigErrors::from(from_code.clone()).0, vec![from_code]);
}
