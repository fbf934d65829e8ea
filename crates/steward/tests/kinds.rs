//! Built-in kinds: `[services.NAME] kind = "…"` makes an instance of a registered
//! kind, with its own settings; unknown kinds are refused with the known ones.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use steward::{BuiltinKind, Context, Continuous, Host, HostBuilder, HostError, Result, ServiceDef};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct EchoSettings {
    word: String,
    /// How long it keeps going once cancelled.
    #[serde(default, with = "steward::duration::option")]
    linger: Option<Duration>,
    /// How long it says it needs to stop.
    #[serde(default, with = "steward::duration::option")]
    needs_to_stop: Option<Duration>,
}

/// A kind whose instances say their word and know how long they take to stop.
struct Echo(EchoSettings);

impl Continuous for Echo {
    async fn run(&self, cx: &Context) -> Result {
        tracing::info!(word = %self.0.word, "echo");
        cx.cancelled().await;
        if let Some(linger) = self.0.linger {
            tokio::time::sleep(linger).await;
        }
        Ok(())
    }

    fn stop_timeout(&self) -> Option<Duration> {
        self.0.needs_to_stop
    }
}

fn echo(name: &str) -> ServiceDef {
    steward::continuous_with(name, Echo)
}

const ECHO: BuiltinKind = BuiltinKind::new("echo", echo);

fn host(toml: &str) -> HostBuilder {
    Host::builder()
        .kind(ECHO)
        .env_prefix(None)
        .config_toml("steward.toml", toml)
}

fn reasons(error: HostError) -> Vec<(String, String)> {
    match error {
        HostError::Config(errors) => errors.0.into_iter().map(|e| (e.key, e.reason)).collect(),
        other => panic!("expected configuration errors, got {other}"),
    }
}

#[test]
fn each_table_naming_a_kind_is_an_instance_of_it() {
    let host = host(
        "[services.first]\nkind = \"echo\"\nsettings = { word = \"one\" }\n\
         [services.second]\nkind = \"echo\"\ncritical = true\nsettings = { word = \"two\" }\n",
    )
    .build()
    .unwrap();
    let services = host.handle().services();
    let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["first", "second"]);
    assert!(services.iter().all(|s| s.builtin == Some("echo")));
    assert!(
        services[1].critical,
        "the table's keys apply as to any service"
    );
}

#[test]
fn an_instances_settings_are_checked_under_its_own_key() {
    let errors = reasons(
        host("[services.loud]\nkind = \"echo\"\nsettings = { wrod = \"x\" }\n")
            .build()
            .unwrap_err(),
    );
    assert_eq!(
        errors,
        [(
            "services.loud.settings.wrod".to_owned(),
            "unknown key; did you mean `word`? (expected one of: word, linger, needs_to_stop)"
                .to_owned()
        )]
    );
}

#[test]
fn an_unknown_kind_is_refused_naming_the_known_ones() {
    let errors = reasons(host("[services.x]\nkind = \"ecko\"\n").build().unwrap_err());
    assert_eq!(
        errors,
        [(
            "services.x".to_owned(),
            "unknown service kind `ecko`; did you mean `echo`?".to_owned()
        )]
    );
    let errors = reasons(
        host("[services.x]\nkind = \"rsync\"\n")
            .build()
            .unwrap_err(),
    );
    assert_eq!(
        errors[0].1,
        "unknown service kind `rsync` (known kinds: echo)"
    );
}

#[test]
fn a_service_defined_in_code_wins_over_a_kind_of_the_same_name() {
    let errors = reasons(
        host("[services.mine]\nkind = \"echo\"\n")
            .service(steward::continuous(
                "mine",
                Echo(EchoSettings {
                    word: "w".into(),
                    linger: None,
                    needs_to_stop: None,
                }),
            ))
            .build()
            .unwrap_err(),
    );
    assert_eq!(
        errors,
        [(
            "services.mine.kind".to_owned(),
            "`mine` is defined in code; remove `kind`".to_owned()
        )]
    );
}

#[tokio::test(start_paused = true)]
async fn a_service_may_say_how_long_it_needs_to_stop_and_configuration_may_overrule_it() {
    // Each lingers after it is cancelled; the host gives services 1s by default.
    let running = host(
        "[host]\nstop_timeout = \"1s\"\n\
         [services.patient]\nkind = \"echo\"\nsettings = { word = \"w\", linger = \"2s\", needs_to_stop = \"7s\" }\n\
         [services.overruled]\nkind = \"echo\"\nstop_timeout = \"3s\"\nsettings = { word = \"w\", linger = \"1h\", needs_to_stop = \"7s\" }\n\
         [services.plain]\nkind = \"echo\"\nsettings = { word = \"w\", linger = \"1h\" }\n",
    )
    .build()
    .unwrap()
    .start()
    .await
    .unwrap();
    let handle = running.handle();
    for name in ["patient", "overruled", "plain"] {
        handle
            .service(name)
            .unwrap()
            .wait_for(steward::State::Running)
            .await;
    }
    let mut report = running.shutdown().await;
    report.abandoned.sort();
    assert_eq!(report.stopped, ["patient"]);
    assert_eq!(report.abandoned, ["overruled", "plain"]);
}
