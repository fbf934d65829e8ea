//! `#[derive(Service)]`, `#[steward::actions]`, `#[derive(Event)]` and discovery.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use steward::testing::TestHost;
use steward::{
    ActionError, Context, Continuous, Event, Periodic, Result, Schedule, Service, ServiceKind,
    State,
};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TranslationSettings {
    #[serde(default)]
    prefix: String,
}

/// Translates files.
#[derive(Service)]
#[service(name = "translation", critical, max_concurrency = 2, emits = [TranslationCompleted, Progress])]
struct Translation {
    settings: TranslationSettings,
    done: AtomicU64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
struct TranslationOptions {
    file_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Translated {
    text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Event, JsonSchema)]
struct TranslationCompleted {
    file_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Event)]
#[event(name = "translation.progress")]
struct Progress {
    percent: u8,
}

#[steward::actions]
impl Translation {
    /// Translates one file.
    ///
    /// Emits `translation.completed` when done.
    #[action(name = "translate")]
    async fn translate(&self, cx: &Context, opts: TranslationOptions) -> Result<Translated> {
        cx.emit(Progress { percent: 50 }).await?;
        cx.emit(TranslationCompleted {
            file_id: opts.file_id.clone(),
        })
        .await?;
        self.done.fetch_add(1, Ordering::SeqCst);
        Ok(Translated {
            text: format!("{}{}", self.settings.prefix, opts.file_id),
        })
    }

    /// How many files are done.
    #[action]
    async fn files_done(&self) -> Result<u64, std::io::Error> {
        Ok(self.done.load(Ordering::SeqCst))
    }

    /// Not an action: no `#[action]`.
    fn helper(&self) -> usize {
        1
    }
}

impl Continuous for Translation {
    async fn run(&self, cx: &Context) -> Result {
        let _ = self.helper();
        cx.cancelled().await;
        Ok(())
    }
}

/// A periodic service with no settings and no actions.
#[derive(Default, Service)]
#[service(depends_on = ["translation"])]
struct CacheSweeper;

impl Periodic for CacheSweeper {
    fn schedule(&self) -> Schedule {
        Schedule::every(Duration::from_secs(60))
    }

    async fn tick(&self, _cx: &Context) -> Result {
        Ok(())
    }
}

async fn discovered_host(config: &str) -> TestHost {
    let host = TestHost::builder()
        .with(|builder| builder.discover())
        .config_toml(config)
        .start()
        .await
        .unwrap();
    host.wait_for("translation", State::Running).await.unwrap();
    host
}

#[tokio::test(start_paused = true)]
async fn derived_services_are_discovered_with_their_options_and_settings() {
    let host = discovered_host("[services.translation.settings]\nprefix = \"fr:\"\n").await;
    let services = host.handle().services();
    let names: Vec<_> = services.iter().map(|s| (s.name.as_str(), s.kind)).collect();
    assert_eq!(
        names,
        [
            ("translation", ServiceKind::Continuous),
            ("cache-sweeper", ServiceKind::Periodic)
        ]
    );
    assert!(services[0].critical);
    assert_eq!(services[1].depends_on, ["translation"]);
    assert_eq!(Translation::NAME, "translation");
    assert_eq!(CacheSweeper::NAME, "cache-sweeper");

    let info = host.handle().of::<Translation>().info().await.unwrap();
    assert_eq!(info.max_concurrency, Some(2));
    let described: Vec<_> = info
        .actions
        .iter()
        .map(|action| (action.name.as_str(), action.description.as_str()))
        .collect();
    assert_eq!(
        described,
        [
            ("translate", "Translates one file."),
            ("files-done", "How many files are done.")
        ]
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn info_carries_json_schemas_where_the_types_have_them() {
    let host = discovered_host("").await;
    let info = host.handle().named("translation").info().await.unwrap();
    let translate = &info.actions[0];
    let params = translate
        .params_schema
        .as_ref()
        .expect("TranslationOptions derives JsonSchema");
    assert_eq!(params["properties"]["file_id"]["type"], "string");
    assert_eq!(params["required"], serde_json::json!(["file_id"]));
    assert_eq!(translate.result_schema, None, "Translated has no schema");
    let files_done = &info.actions[1];
    assert_eq!(files_done.params_schema.as_ref().unwrap()["type"], "null");
    assert_eq!(
        files_done.result_schema.as_ref().unwrap()["type"],
        "integer"
    );

    let events: Vec<_> = info
        .events
        .iter()
        .map(|event| (event.name.as_str(), event.schema.is_some()))
        .collect();
    assert_eq!(
        events,
        [
            ("translation.completed", true),
            ("translation.progress", false)
        ]
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn generated_client_methods_are_typed() {
    use self::TranslationActions as _;

    let host = discovered_host("[services.translation.settings]\nprefix = \"fr:\"\n").await;
    let translation = host.handle().of::<Translation>();
    let mut completed = translation
        .on::<TranslationCompleted>()
        .stream()
        .await
        .unwrap();

    let translated = translation
        .translate(TranslationOptions {
            file_id: "cam1/7".into(),
        })
        .priority(10)
        .timeout(Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(translated.text, "fr:cam1/7");
    assert_eq!(completed.recv().await.unwrap().file_id, "cam1/7");
    assert_eq!(translation.files_done().await.unwrap(), 1);

    // The same action by name, with JSON.
    let by_name: serde_json::Value = host
        .handle()
        .named("translation")
        .act_json("translate", serde_json::json!({"file_id": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(by_name, serde_json::json!({"text": "fr:x"}));
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn derived_events_have_stable_names() {
    assert_eq!(TranslationCompleted::NAME, "translation.completed");
    assert_eq!(Progress::NAME, "translation.progress");
}

#[tokio::test(start_paused = true)]
async fn settings_of_a_derived_service_are_checked() {
    let error = TestHost::builder()
        .with(|builder| builder.discover())
        .config_toml("[services.translation.settings]\nprefx = \"fr:\"\n")
        .start()
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("services.translation.settings.prefx"),
        "{message}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_unknown_action_by_name_lists_the_generated_ones() {
    let host = discovered_host("").await;
    let error = host
        .handle()
        .named("translation")
        .act("transalte", ())
        .submit()
        .await
        .unwrap_err();
    assert!(matches!(error, ActionError::UnknownAction { .. }));
    assert_eq!(
        error.to_string(),
        "service `translation` has no action `transalte` (it answers: translate, files-done)"
    );
    host.shutdown().await;
}
