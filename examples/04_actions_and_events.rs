//! Actions, events and queries: a translation service answers a typed action,
//! emits an event per file, and is looked up by type and by name.
//!
//! ```sh
//! cargo run --example 04_actions_and_events
//! ```

use std::time::Duration;

use serde::{Deserialize, Serialize};
use steward::{Context, Continuous, Event, Host, Result, Service};
use tracing::info;

/// Translates files on request.
#[derive(Default, Service)]
#[service(name = "translation", emits = [TranslationCompleted])]
struct Translation;

#[derive(Debug, Serialize, Deserialize)]
struct TranslationOptions {
    file_id: String,
    language: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Translated {
    text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Event)]
#[event(name = "translation.completed")]
struct TranslationCompleted {
    file_id: String,
}

#[steward::actions]
impl Translation {
    /// Translates one file.
    #[action(name = "translate")]
    async fn translate(&self, cx: &Context, opts: TranslationOptions) -> Result<Translated> {
        tokio::time::sleep(Duration::from_millis(50)).await; // the real work
        cx.emit(TranslationCompleted {
            file_id: opts.file_id.clone(),
        })
        .await?;
        Ok(Translated {
            text: format!("[{}] {}", opts.language, opts.file_id),
        })
    }
}

impl Continuous for Translation {
    async fn run(&self, cx: &Context) -> Result {
        cx.cancelled().await; // actions are served beside `run`
        Ok(())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    let running = Host::builder().discover().build()?.start().await?;
    let services = running.handle();
    let translation = services.of::<Translation>();

    // Every completion, wherever it came from, with the caller's correlation id.
    let _completed = translation
        .on::<TranslationCompleted>()
        .run(|event| async move { info!(file = %event.file_id, "translation completed") })
        .await?;

    // Typed: the generated method; a misspelt action does not compile.
    let translated = translation
        .translate(TranslationOptions {
            file_id: "cam1/0007.jpg".into(),
            language: "fr".into(),
        })
        .priority(10)
        .timeout(Duration::from_secs(5))
        .correlation_id("upload-7")
        .await?;
    info!(text = %translated.text, "typed call answered");

    // By name with JSON, as the HTTP API and the CLI call it; bad input names the field.
    let params = serde_json::json!({"file_id": "cam2/0001.jpg", "language": "de"});
    let answer: serde_json::Value = services
        .named("translation")
        .act_json("translate", params)
        .send()
        .await?;
    info!(%answer, "JSON call answered");
    let bad = serde_json::json!({"file_id": 7, "language": "de"});
    let bad = services.named("translation").act_json("translate", bad);
    if let Err(error) = bad.send::<serde_json::Value>().await {
        info!(%error, "bad parameters are refused");
    }

    let info = translation.info().await?;
    info!(actions = ?info.actions.iter().map(|a| &a.name).collect::<Vec<_>>(), "what the service answers");
    running.shutdown().await;
    Ok(())
}
