//! Configuration layers, through `Host::builder()` and `steward::testing::TestHost`:
//! defaults ← file ← environment, environment gating, typed settings reaching a
//! running service, and configuration overriding what the code says about a service
//! (schedule, enabled, order, dependencies, restart policy).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use steward::testing::TestHost;
use steward::{
    ConfigError, Context, Continuous, ControlError, Environment, Host, HostBuilder, HostError,
    Origin, Periodic, Restart, RestartPolicy, Result, Schedule, State, continuous, continuous_with,
    periodic,
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

/// Ticks every minute unless configuration says otherwise.
struct Minutely;

impl Periodic for Minutely {
    fn schedule(&self) -> Schedule {
        Schedule::every(Duration::from_secs(60))
    }

    async fn tick(&self, _cx: &Context) -> Result {
        Ok(())
    }
}

/// Fails as soon as it runs, counting its runs.
struct Failing {
    runs: Arc<AtomicU32>,
}

impl Continuous for Failing {
    async fn run(&self, _cx: &Context) -> Result {
        self.runs.fetch_add(1, Ordering::SeqCst);
        Err("boom".into())
    }
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct GreeterSettings {
    label: String,
    limit: u32,
    verbose: bool,
}

/// Publishes the settings it was built with once it runs.
struct Greeter {
    settings: GreeterSettings,
    seen: Arc<Mutex<Option<GreeterSettings>>>,
}

impl Continuous for Greeter {
    async fn run(&self, cx: &Context) -> Result {
        *self.seen.lock().unwrap() = Some(self.settings.clone());
        cx.cancelled().await;
        Ok(())
    }
}

type Seen = Arc<Mutex<Option<GreeterSettings>>>;

fn greeter(seen: &Seen) -> steward::ServiceDef {
    let seen = seen.clone();
    continuous_with("greeter", move |settings: GreeterSettings| Greeter {
        settings,
        seen,
    })
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn mins(n: u64) -> Duration {
    Duration::from_secs(60 * n)
}

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn no_env() -> Vec<(String, String)> {
    Vec::new()
}

fn write(dir: &TempDir, name: &str, contents: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn refused(builder: HostBuilder) -> Vec<ConfigError> {
    match builder.build() {
        Ok(_) => panic!("the configuration should have been refused"),
        Err(HostError::Config(errors)) => errors.0,
        Err(other) => panic!("expected a configuration error, got: {other}"),
    }
}

fn only(builder: HostBuilder) -> ConfigError {
    let errors = refused(builder);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    errors.into_iter().next().unwrap()
}

/// The services in the order they began starting.
fn start_order(host: &TestHost) -> Vec<String> {
    host.transitions()
        .into_iter()
        .filter(|transition| transition.to == State::Starting)
        .map(|transition| transition.service.to_string())
        .collect()
}

// ---------------------------------------------------------------------------------
// defaults ← file ← environment

const HOST_FILE: &str = r#"
[host]
shutdown_timeout = "45s"
stop_timeout = "20s"
"#;

#[test]
fn a_file_overrides_defaults_and_the_environment_overrides_the_file() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "steward.toml", HOST_FILE);

    let defaults = Host::builder().env_vars(no_env()).build().unwrap();
    assert_eq!(defaults.config().host.shutdown_timeout, secs(30));
    assert_eq!(defaults.config().host.stop_timeout, secs(10));

    let file = Host::builder()
        .config_file(&path)
        .env_vars(no_env())
        .build()
        .unwrap();
    assert_eq!(file.config().host.shutdown_timeout, secs(45));
    assert_eq!(file.config().host.stop_timeout, secs(20));
    assert_eq!(file.config().host.start_timeout, secs(60), "default kept");

    let env = Host::builder()
        .config_file(&path)
        .env_vars([("STEWARD__HOST__SHUTDOWN_TIMEOUT", "5s")])
        .build()
        .unwrap();
    assert_eq!(env.config().host.shutdown_timeout, secs(5));
    assert_eq!(env.config().host.stop_timeout, secs(20), "file value kept");
    assert_eq!(env.config().host.start_timeout, secs(60), "default kept");
}

#[test]
fn the_environment_overrides_json_and_yaml_files_too() {
    let dir = TempDir::new().unwrap();
    for path in [
        write(
            &dir,
            "steward.json",
            r#"{"host": {"shutdown_timeout": "45s", "stop_timeout": "20s"}}"#,
        ),
        write(
            &dir,
            "steward.yaml",
            "host:\n  shutdown_timeout: 45s\n  stop_timeout: 20s\n",
        ),
    ] {
        let host = Host::builder()
            .config_file(&path)
            .env_vars([("STEWARD__HOST__STOP_TIMEOUT", "3s")])
            .build()
            .unwrap();
        assert_eq!(host.config().host.shutdown_timeout, secs(45), "{path:?}");
        assert_eq!(host.config().host.stop_timeout, secs(3), "{path:?}");
    }
}

#[test]
fn the_environment_is_ignored_without_a_prefix_and_read_with_another() {
    let vars = [
        ("STEWARD__HOST__SHUTDOWN_TIMEOUT", "5s"),
        ("MYAPP__HOST__SHUTDOWN_TIMEOUT", "7s"),
    ];
    let none = Host::builder()
        .env_vars(vars)
        .env_prefix(None)
        .build()
        .unwrap();
    assert_eq!(none.config().host.shutdown_timeout, secs(30));
    let mine = Host::builder()
        .env_vars(vars)
        .env_prefix(Some("MYAPP"))
        .build()
        .unwrap();
    assert_eq!(mine.config().host.shutdown_timeout, secs(7));
}

#[tokio::test(start_paused = true)]
async fn an_underscore_variable_finds_a_hyphenated_service_table() {
    let host = TestHost::builder()
        .service(continuous("ai-health", Idle))
        .config_toml("[services.ai-health]\nenabled = true\n")
        .env_vars([("STEWARD__SERVICES__AI_HEALTH__ENABLED", "false")])
        .start()
        .await
        .unwrap();
    let status = host.handle().service("ai-health").unwrap().status();
    assert_eq!(status.state, State::Disabled);
    assert_eq!(status.reason.as_deref(), Some("disabled by configuration"));
    assert_eq!(host.states("ai-health"), [State::Disabled]);
    host.shutdown().await;
}

#[test]
fn an_underscore_variable_finds_a_hyphenated_service_without_a_table() {
    let host = Host::builder()
        .service(continuous("ai-health", Idle))
        .env_vars([("STEWARD__SERVICES__AI_HEALTH__ENABLED", "false")])
        .build()
        .unwrap();
    assert_eq!(
        host.handle().service("ai-health").unwrap().state(),
        State::Disabled
    );
}

#[tokio::test(start_paused = true)]
async fn typed_settings_from_a_file_reach_the_running_service() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "steward.toml",
        "[services.greeter.settings]\nlabel = \"abc\"\nlimit = 10\nverbose = true\n",
    );
    let seen = Seen::default();
    let host = TestHost::builder()
        .with(|builder| builder.config_file(&path))
        .service(greeter(&seen))
        .start()
        .await
        .unwrap();
    host.wait_for("greeter", State::Running).await.unwrap();
    host.advance(Duration::from_millis(1)).await;
    assert_eq!(
        *seen.lock().unwrap(),
        Some(GreeterSettings {
            label: "abc".to_owned(),
            limit: 10,
            verbose: true,
        })
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn environment_values_take_the_type_of_the_file_value() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "steward.toml",
        "[services.greeter.settings]\nlabel = \"abc\"\nlimit = 10\nverbose = true\n",
    );
    let seen = Seen::default();
    let host = TestHost::builder()
        .with(|builder| builder.config_file(&path))
        .env_vars([
            // A string in the file: stays a string even though it looks like a number.
            ("STEWARD__SERVICES__GREETER__SETTINGS__LABEL", "123"),
            // A number in the file: read as a number.
            ("STEWARD__SERVICES__GREETER__SETTINGS__LIMIT", "25"),
            // A boolean in the file: `no` reads as false.
            ("STEWARD__SERVICES__GREETER__SETTINGS__VERBOSE", "no"),
        ])
        .service(greeter(&seen))
        .start()
        .await
        .unwrap();
    host.wait_for("greeter", State::Running).await.unwrap();
    host.advance(Duration::from_millis(1)).await;
    assert_eq!(
        *seen.lock().unwrap(),
        Some(GreeterSettings {
            label: "123".to_owned(),
            limit: 25,
            verbose: false,
        })
    );
    host.shutdown().await;
}

#[test]
fn a_quoted_environment_value_is_a_string() {
    let seen = Seen::default();
    let host = Host::builder()
        .config_toml(
            "t.toml",
            "[services.greeter.settings]\nlimit = 1\nverbose = true\n",
        )
        .env_vars([("STEWARD__SERVICES__GREETER__SETTINGS__LABEL", "\"123\"")])
        .service(greeter(&seen))
        .build()
        .unwrap();
    let settings = host.config().services["greeter"].settings.clone().unwrap();
    assert_eq!(settings["label"], serde_json::json!("123"));
}

// ---------------------------------------------------------------------------------
// Errors caused by the environment name the variable

#[test]
fn an_error_in_an_environment_value_names_the_variable() {
    let builder = Host::builder()
        .config_toml("steward.toml", "[services.ticker]\ninterval = \"1h\"\n")
        .env_vars([("STEWARD__SERVICES__TICKER__INTERVAL", "5 parsecs")])
        .service(periodic("ticker", Minutely));
    let error = match builder.build() {
        Err(error) => error,
        Ok(_) => panic!("the configuration should have been refused"),
    };
    assert_eq!(
        error.to_string(),
        "invalid configuration:\n  environment variable STEWARD__SERVICES__TICKER__INTERVAL: \
         `services.ticker.interval`: `5 parsecs` is not a duration such as \"90s\", \"5m\" or \"1h 30m\": unknown time unit \"parsecs\", supported units: ns, us/µs, ms, sec, min, hours, days, weeks, months, years (and few variations)"
    );
    let HostError::Config(errors) = error else {
        panic!("expected a configuration error");
    };
    assert_eq!(
        errors.0,
        vec![ConfigError {
            origin: Origin::Env("STEWARD__SERVICES__TICKER__INTERVAL".to_owned()),
            key: "services.ticker.interval".to_owned(),
            reason: "`5 parsecs` is not a duration such as \"90s\", \"5m\" or \"1h 30m\": unknown time unit \"parsecs\", supported units: ns, us/µs, ms, sec, min, hours, days, weeks, months, years (and few variations)".to_owned(),
        }]
    );
}

#[test]
fn a_misplaced_or_badly_typed_environment_value_names_the_variable() {
    let seen = Seen::default();
    let errors = refused(
        Host::builder()
            .config_toml(
                "steward.toml",
                "[services.greeter.settings]\nlabel = \"a\"\nlimit = 1\nverbose = true\n",
            )
            .env_vars([
                ("STEWARD__SERVICES__WORKER__INTERVAL", "5s"),
                ("STEWARD__SERVICES__GREETER__SETTINGS__LIMIT", "many"),
            ])
            .service(continuous("worker", Idle))
            .service(greeter(&seen)),
    );
    assert!(
        errors.contains(&ConfigError {
            origin: Origin::Env("STEWARD__SERVICES__WORKER__INTERVAL".to_owned()),
            key: "services.worker.interval".to_owned(),
            reason: "only periodic services have a schedule; `worker` is a continuous service"
                .to_owned(),
        }),
        "{errors:#?}"
    );
    assert!(
        errors.contains(&ConfigError {
            origin: Origin::Env("STEWARD__SERVICES__GREETER__SETTINGS__LIMIT".to_owned()),
            key: "services.greeter.settings.limit".to_owned(),
            reason: "invalid type: string \"many\", expected u32".to_owned(),
        }),
        "{errors:#?}"
    );
    assert_eq!(errors.len(), 2);
}

#[test]
fn a_variable_naming_an_unknown_service_names_the_variable() {
    let error = only(
        Host::builder()
            .config_toml("steward.toml", "[host]\nstop_timeout = \"5s\"\n")
            .env_vars([("STEWARD__SERVICES__WORKR__ENABLED", "false")])
            .service(continuous("worker", Idle)),
    );
    assert_eq!(error.key, "services.workr");
    assert_eq!(
        error.reason,
        "no service named `workr` is registered; did you mean `worker`?"
    );
    assert_eq!(
        error.origin,
        Origin::Env("STEWARD__SERVICES__WORKR__ENABLED".to_owned())
    );
}

// ---------------------------------------------------------------------------------
// Environment gating and `enabled`

const PRODUCTION_ONLY: &str = "[services.gpu]\nenvironments = [\"production\"]\n";

#[tokio::test(start_paused = true)]
async fn the_test_harness_runs_in_testing_unless_the_configuration_names_another() {
    let host = TestHost::builder()
        .service(continuous("api", Idle))
        .start()
        .await
        .unwrap();
    assert_eq!(host.handle().environment(), Environment::Testing);
    host.shutdown().await;

    let host = TestHost::builder()
        .service(continuous("api", Idle))
        .config_toml("[host]\nenvironment = \"production\"\n")
        .start()
        .await
        .unwrap();
    assert_eq!(host.handle().environment(), Environment::Production);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_service_gated_on_production_is_disabled_in_development() {
    let host = TestHost::builder()
        .service(continuous("gpu", Idle))
        .service(continuous("api", Idle))
        .config_toml(PRODUCTION_ONLY)
        .environment(Environment::Development)
        .start()
        .await
        .unwrap();
    assert_eq!(host.handle().environment(), Environment::Development);
    let gpu = host.handle().service("gpu").unwrap();
    assert_eq!(gpu.state(), State::Disabled);
    assert_eq!(
        gpu.status().reason.as_deref(),
        Some("not enabled in the `development` environment")
    );
    assert_eq!(
        gpu.start().await,
        Err(ControlError::Disabled("gpu".to_owned()))
    );
    host.wait_for("api", State::Running).await.unwrap();
    assert_eq!(host.states("gpu"), [State::Disabled]);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_service_gated_on_production_runs_in_production() {
    // Production from the environment…
    let host = TestHost::builder()
        .service(continuous("gpu", Idle))
        .config_toml(PRODUCTION_ONLY)
        .env_vars([("STEWARD__HOST__ENVIRONMENT", "production")])
        .start()
        .await
        .unwrap();
    assert_eq!(host.handle().environment(), Environment::Production);
    host.wait_for("gpu", State::Running).await.unwrap();
    host.shutdown().await;

    // …or from the file.
    let host = TestHost::builder()
        .service(continuous("gpu", Idle))
        .config_toml(&format!(
            "[host]\nenvironment = \"production\"\n{PRODUCTION_ONLY}"
        ))
        .start()
        .await
        .unwrap();
    host.wait_for("gpu", State::Running).await.unwrap();
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_builder_environment_wins_over_the_file() {
    let host = TestHost::builder()
        .service(continuous("gpu", Idle))
        .config_toml(&format!(
            "[host]\nenvironment = \"production\"\n{PRODUCTION_ONLY}"
        ))
        .environment(Environment::Testing)
        .start()
        .await
        .unwrap();
    assert_eq!(host.handle().environment(), Environment::Testing);
    let status = host.handle().service("gpu").unwrap().status();
    assert_eq!(status.state, State::Disabled);
    assert_eq!(
        status.reason.as_deref(),
        Some("not enabled in the `testing` environment")
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn configured_environments_replace_the_codes() {
    let host = TestHost::builder()
        .service(continuous("gpu", Idle).environments([Environment::Production]))
        .config_toml("[services.gpu]\nenvironments = [\"development\", \"testing\"]\n")
        .start()
        .await
        .unwrap();
    host.wait_for("gpu", State::Running).await.unwrap();
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_dependent_of_a_gated_service_is_disabled_with_it() {
    let host = TestHost::builder()
        .service(continuous("gpu", Idle))
        .service(continuous("detector", Idle).depends_on(["gpu"]))
        .config_toml(PRODUCTION_ONLY)
        .start()
        .await
        .unwrap();
    let detector = host.handle().service("detector").unwrap().status();
    assert_eq!(detector.state, State::Disabled);
    assert_eq!(
        detector.reason.as_deref(),
        Some("depends on disabled service `gpu`")
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn enabled_in_config_overrides_the_code() {
    let host = TestHost::builder()
        .service(continuous("on-in-code", Idle))
        .service(continuous("off-in-code", Idle).disabled())
        .config_toml(
            "[services.on-in-code]\nenabled = false\n[services.off-in-code]\nenabled = true\n",
        )
        .start()
        .await
        .unwrap();
    let off = host.handle().service("on-in-code").unwrap().status();
    assert_eq!(off.state, State::Disabled);
    assert_eq!(off.reason.as_deref(), Some("disabled by configuration"));
    host.wait_for("off-in-code", State::Running).await.unwrap();
    host.shutdown().await;
}

// ---------------------------------------------------------------------------------
// Schedules from configuration

#[tokio::test(start_paused = true)]
async fn a_configured_interval_replaces_the_codes() {
    let host = TestHost::builder()
        .service(periodic("minutely", Minutely))
        .config_toml("[services.minutely]\ninterval = \"10m\"\n")
        .start()
        .await
        .unwrap();
    let service = host.handle().service("minutely").unwrap();
    assert_eq!(service.status().schedule.as_deref(), Some("every 10m"));
    host.wait_for("minutely", State::Running).await.unwrap();
    host.advance(mins(35)).await;
    let runs = service.status().runs.unwrap();
    assert_eq!(runs.succeeded, 3, "ticks at 10, 20 and 30 minutes");
    assert_eq!(runs.last_run, Some(host.started_at() + mins(30)));
    assert_eq!(runs.next_run, Some(host.started_at() + mins(40)));
    assert_eq!(runs.skipped, 0);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn configured_initial_delay_and_run_on_startup_apply() {
    let host = TestHost::builder()
        .service(periodic("minutely", Minutely))
        .config_toml(
            "[services.minutely]\ninterval = \"1h\"\ninitial_delay = \"10m\"\nrun_on_startup = true\n",
        )
        .start()
        .await
        .unwrap();
    let service = host.handle().service("minutely").unwrap();
    assert_eq!(
        service.status().schedule.as_deref(),
        Some("every 1h, first after 10m, on startup")
    );
    host.wait_for("minutely", State::Running).await.unwrap();
    host.advance(mins(9)).await;
    assert_eq!(service.status().runs.unwrap().succeeded, 0);
    host.advance(mins(2)).await;
    let runs = service.status().runs.unwrap();
    assert_eq!(runs.succeeded, 1);
    assert_eq!(runs.last_run, Some(host.started_at() + mins(10)));
    assert_eq!(runs.next_run, Some(host.started_at() + mins(70)));
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_configured_cron_fires_after_the_spring_forward_gap() {
    // 2026-03-07 07:00 EST; 02:30 does not exist in New York on 2026-03-08, so the
    // tick runs at 03:00 EDT (07:00Z), then at 02:30 EDT (06:30Z) the next day.
    let host = TestHost::builder()
        .service(periodic("nightly", Minutely))
        .config_toml(
            "[services.nightly]\ncron = \"0 30 2 * * *\"\ntimezone = \"America/New_York\"\n",
        )
        .wall_clock(utc("2026-03-07T12:00:00Z"))
        .start()
        .await
        .unwrap();
    let service = host.handle().service("nightly").unwrap();
    assert_eq!(
        service.status().schedule.as_deref(),
        Some("cron `0 30 2 * * *` (America/New_York)")
    );
    host.wait_for("nightly", State::Running).await.unwrap();
    host.advance(Duration::from_millis(1)).await;
    assert_eq!(
        service.status().runs.unwrap().next_run,
        Some(utc("2026-03-08T07:00:00Z"))
    );
    host.advance(Duration::from_secs(19 * 3600)).await;
    let runs = service.status().runs.unwrap();
    assert_eq!(runs.succeeded, 1);
    assert_eq!(runs.last_run, Some(utc("2026-03-08T07:00:00Z")));
    assert_eq!(runs.next_run, Some(utc("2026-03-09T06:30:00Z")));
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_configured_cron_fires_once_in_the_repeated_fall_back_hour() {
    // 01:30 happens twice in New York on 2026-11-01 (05:30Z EDT, 06:30Z EST): one tick.
    let host = TestHost::builder()
        .service(periodic("nightly", Minutely))
        .config_toml(
            "[services.nightly]\ncron = \"0 30 1 * * *\"\ntimezone = \"America/New_York\"\n",
        )
        .wall_clock(utc("2026-10-31T12:00:00Z"))
        .start()
        .await
        .unwrap();
    let service = host.handle().service("nightly").unwrap();
    host.wait_for("nightly", State::Running).await.unwrap();
    // Until 2026-11-01T12:00Z: only the first 01:30.
    host.advance(Duration::from_secs(24 * 3600)).await;
    let runs = service.status().runs.unwrap();
    assert_eq!(runs.succeeded, 1);
    assert_eq!(runs.last_run, Some(utc("2026-11-01T05:30:00Z")));
    assert_eq!(runs.next_run, Some(utc("2026-11-02T06:30:00Z")));
    host.shutdown().await;
}

// ---------------------------------------------------------------------------------
// Order and dependencies from configuration

#[tokio::test(start_paused = true)]
async fn a_configured_order_changes_the_start_order() {
    let host = TestHost::builder()
        .service(continuous("a", Idle).order(0))
        .service(continuous("b", Idle).order(1))
        .service(continuous("c", Idle).order(2))
        .config_toml("[services.a]\norder = 10\n[services.c]\nstartup_order = -1\n")
        .start()
        .await
        .unwrap();
    for name in ["a", "b", "c"] {
        host.wait_for(name, State::Running).await.unwrap();
    }
    let names: Vec<String> = host
        .handle()
        .services()
        .into_iter()
        .map(|status| status.name)
        .collect();
    assert_eq!(names, ["c", "b", "a"]);
    assert_eq!(start_order(&host), ["c", "b", "a"]);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_configured_dependency_starts_after_what_it_depends_on() {
    let host = TestHost::builder()
        .service(continuous("api", Idle).order(0))
        .service(continuous("db", Idle).order(5))
        .config_toml("[services.api]\ndepends_on = [\"db\"]\n")
        .start()
        .await
        .unwrap();
    host.wait_for("api", State::Running).await.unwrap();
    assert_eq!(start_order(&host), ["db", "api"]);
    let transitions = host.transitions();
    let db_running = transitions
        .iter()
        .position(|t| &*t.service == "db" && t.to == State::Running)
        .unwrap();
    let api_starting = transitions
        .iter()
        .position(|t| &*t.service == "api" && t.to == State::Starting)
        .unwrap();
    assert!(db_running < api_starting, "{transitions:#?}");
    assert_eq!(
        host.handle().service("api").unwrap().status().depends_on,
        ["db"]
    );
    host.shutdown().await;
}

// ---------------------------------------------------------------------------------
// Restart policy from configuration

fn failing(runs: &Arc<AtomicU32>) -> Failing {
    Failing { runs: runs.clone() }
}

/// Offsets from start at which `service` entered `state`.
fn offsets(host: &TestHost, service: &str, state: State) -> Vec<Duration> {
    host.transitions()
        .iter()
        .filter(|t| &*t.service == service && t.to == state)
        .map(|t| host.offset(t))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_configured_policy_never_overrides_the_codes_always() {
    let runs = Arc::new(AtomicU32::new(0));
    let host = TestHost::builder()
        .service(
            continuous("flaky", failing(&runs))
                .restart(Restart::default().policy(RestartPolicy::Always)),
        )
        .config_toml("[services.flaky]\nrestart = { policy = \"never\" }\n")
        .start()
        .await
        .unwrap();
    host.wait_for("flaky", State::Failed).await.unwrap();
    host.advance(secs(60)).await;
    let status = host.handle().service("flaky").unwrap().status();
    assert_eq!(status.state, State::Failed);
    assert_eq!(status.restarts, 0);
    assert_eq!(status.reason.as_deref(), Some("boom"));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn configured_intensity_and_backoff_decide_restarts() {
    let runs = Arc::new(AtomicU32::new(0));
    let host = TestHost::builder()
        .service(continuous("flaky", failing(&runs)))
        .config_toml(
            "[services.flaky]\nrestart = { max_restarts = 3, window = \"1m\", backoff = \"2s..8s\", jitter = 0.0 }\n",
        )
        .start()
        .await
        .unwrap();
    host.wait_for("flaky", State::Failed).await.unwrap();
    let status = host.handle().service("flaky").unwrap().status();
    assert_eq!(status.restarts, 3);
    assert_eq!(
        status.reason.as_deref(),
        Some("restart intensity exceeded: 3 restarts within 1m")
    );
    assert_eq!(runs.load(Ordering::SeqCst), 4);
    // Backoff 2 s, 4 s, 8 s between the four runs.
    assert_eq!(
        offsets(&host, "flaky", State::Starting),
        [secs(0), secs(2), secs(6), secs(14)]
    );
    assert_eq!(offsets(&host, "flaky", State::Failed), [secs(14)]);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn host_restart_defaults_apply_to_every_service_unless_it_says_otherwise() {
    let first = Arc::new(AtomicU32::new(0));
    let second = Arc::new(AtomicU32::new(0));
    let host = TestHost::builder()
        .service(continuous("plain", failing(&first)))
        .service(continuous("custom", failing(&second)))
        .config_toml(
            "[host.restart]\npolicy = \"never\"\n\
             [services.custom]\nrestart = { policy = \"on-failure\", max_restarts = 1, backoff = \"1s..1s\", jitter = 0.0 }\n",
        )
        .start()
        .await
        .unwrap();
    host.wait_for("plain", State::Failed).await.unwrap();
    host.wait_for("custom", State::Failed).await.unwrap();
    assert_eq!(first.load(Ordering::SeqCst), 1, "host default: never");
    assert_eq!(
        second.load(Ordering::SeqCst),
        2,
        "one restart, then exceeded"
    );
    assert_eq!(
        offsets(&host, "custom", State::Starting),
        [secs(0), secs(1)]
    );
    assert_eq!(host.handle().service("plain").unwrap().status().restarts, 0);
    assert_eq!(
        host.handle().service("custom").unwrap().status().restarts,
        1
    );
    host.shutdown().await;
}
