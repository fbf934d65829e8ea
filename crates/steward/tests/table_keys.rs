//! Keys of a `[services.NAME]` table that a service reads itself
//! (`ServiceDef::table_keys`): handed to it inside its settings, their problems
//! told at the table's key, and refused on a service that does not read them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde::{Deserialize, Deserializer};
use steward::{
    BuiltinKind, Context, Continuous, Host, HostBuilder, HostError, Result, ServiceDef, TableKey,
};

/// What a `relay` is handed: its source and its own schedule.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RelaySettings {
    #[serde(deserialize_with = "source")]
    on: String,
    #[serde(default, with = "steward::duration::option")]
    interval: Option<Duration>,
    #[serde(default)]
    cron: Option<String>,
}

fn source<'de, D: Deserializer<'de>>(deserializer: D) -> std::result::Result<String, D::Error> {
    let text = String::deserialize(deserializer)?;
    if text.contains(':') {
        Ok(text)
    } else {
        Err(serde::de::Error::custom("give it as `SERVICE:EVENT`"))
    }
}

/// A continuous kind that shows what it was handed in its health.
struct Relay(RelaySettings);

impl Continuous for Relay {
    async fn start(&self, cx: &Context) -> Result {
        let settings = &self.0;
        let told = format!(
            "on {} every {:?} cron {:?}",
            settings.on, settings.interval, settings.cron
        );
        cx.set_health(steward::Health::healthy().with_detail("handed", told));
        Ok(())
    }

    async fn run(&self, cx: &Context) -> Result {
        cx.cancelled().await;
        Ok(())
    }
}

fn relay(name: &str) -> ServiceDef {
    steward::continuous_with(name, Relay).table_keys([
        TableKey::On,
        TableKey::Interval,
        TableKey::Cron,
    ])
}

struct Idle;

impl Continuous for Idle {
    async fn run(&self, cx: &Context) -> Result {
        cx.cancelled().await;
        Ok(())
    }
}

fn idle(name: &str) -> ServiceDef {
    steward::continuous(name, Idle)
}

fn host(toml: &str) -> HostBuilder {
    Host::builder()
        .kind(BuiltinKind::new("relay", relay))
        .kind(BuiltinKind::new("idle", idle))
        .env_prefix(None)
        .config_toml("steward.toml", toml)
}

fn reasons(toml: &str) -> Vec<(String, String)> {
    match host(toml).build() {
        Err(HostError::Config(errors)) => errors.0.into_iter().map(|e| (e.key, e.reason)).collect(),
        Err(other) => panic!("expected configuration errors, got {other}"),
        Ok(_) => panic!("expected configuration errors, the host was built"),
    }
}

/// What `r` was handed, once it has started.
async fn handed(running: &steward::RunningHost) -> steward::Health {
    let service = running.handle().service("r").unwrap();
    service.wait_for(steward::State::Running).await;
    service.health()
}

#[tokio::test]
async fn keys_beside_kind_reach_the_service_in_its_settings() {
    let toml =
        "[services.r]\nkind = \"relay\"\non = \"batcher:batch.closed\"\ninterval = \"90s\"\n";
    let running = host(toml).build().unwrap().start().await.unwrap();
    let health = handed(&running).await;
    assert_eq!(
        health.details["handed"],
        "on batcher:batch.closed every Some(90s) cron None"
    );
    let config = running.handle().named("r").info().await.unwrap().config;
    assert_eq!(config["on"], "batcher:batch.closed", "{config}");
    assert_eq!(config["interval"], "1m 30s", "{config}");
    running.shutdown().await;

    let toml =
        "[services.r]\nkind = \"relay\"\ncron = \"0 3 * * *\"\nsettings = { on = \"a:b\" }\n";
    let running = host(toml).build().unwrap().start().await.unwrap();
    let health = handed(&running).await;
    assert_eq!(
        health.details["handed"], "on a:b every None cron Some(\"0 3 * * *\")",
        "inside `settings` the key is read as ever"
    );
    running.shutdown().await;
}

#[test]
fn a_problem_with_a_handed_key_is_told_at_the_tables_key() {
    assert_eq!(
        reasons("[services.r]\nkind = \"relay\"\non = \"batches\"\n"),
        [(
            "services.r.on".to_owned(),
            "give it as `SERVICE:EVENT`".to_owned()
        )]
    );
    assert_eq!(
        reasons("[services.r]\nkind = \"relay\"\non = \"a:b\"\nsettings = { on = \"c:d\" }\n"),
        [(
            "services.r.on".to_owned(),
            "given twice, here and as `settings.on`; keep this one".to_owned()
        )]
    );
    // Inside `settings`, it is told there.
    assert_eq!(
        reasons("[services.r]\nkind = \"relay\"\nsettings = { on = \"batches\" }\n"),
        [(
            "services.r.settings.on".to_owned(),
            "give it as `SERVICE:EVENT`".to_owned()
        )]
    );
}

#[test]
fn a_service_that_does_not_read_a_key_refuses_it_by_file_key_and_reason() {
    let error = host("[services.i]\nkind = \"idle\"\non = \"a:b\"\ninterval = \"1m\"\n")
        .build()
        .unwrap_err()
        .to_string();
    for expected in [
        "steward.toml: `services.i.on`: `i` (kind `idle`) does not run per event of another service; remove `on`",
        "steward.toml: `services.i.interval`: only periodic services have a schedule; `i` is a continuous service",
    ] {
        assert!(error.contains(expected), "no {expected:?} in:\n{error}");
    }
    let zone = reasons("[services.r]\nkind = \"relay\"\non = \"a:b\"\ntimezone = \"UTC\"\n");
    assert_eq!(
        zone,
        [(
            "services.r.timezone".to_owned(),
            "`r` keeps a schedule of its own and reads only `interval` and `cron`".to_owned()
        )]
    );
}

#[test]
fn a_periodic_service_cannot_hand_over_its_schedule() {
    struct Tick;
    impl steward::Periodic for Tick {
        fn schedule(&self) -> steward::Schedule {
            steward::Schedule::on_demand()
        }
        async fn tick(&self, _cx: &Context) -> Result {
            Ok(())
        }
    }
    let error = Host::builder()
        .env_prefix(None)
        .service(steward::periodic("tick", Tick).table_keys([TableKey::Interval]))
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("a periodic service's `interval` and `cron` are its schedule"),
        "{error}"
    );
}
