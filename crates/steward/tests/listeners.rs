//! A service that listens to another's events starts before it and stops after
//! it, so it sees the first event and the last.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use steward::{
    Context, Continuous, Event, EventStream, Host, HostBuilder, HostError, Result, continuous,
    continuous_with,
};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Said(String);

impl Event for Said {
    const NAME: &'static str = "said";
}

/// Says hello as soon as it runs and goodbye as it stops.
struct Talker;

impl Continuous for Talker {
    async fn run(&self, cx: &Context) -> Result {
        cx.emit(Said("hello".into())).await?;
        cx.cancelled().await;
        cx.emit(Said("goodbye".into())).await?;
        Ok(())
    }
}

#[derive(Deserialize)]
struct ListenerSettings {
    source: String,
}

/// Writes down everything its source says. It subscribes in `start`: its source
/// starts once that returns.
struct Listener {
    source: String,
    heard: Arc<Mutex<Vec<String>>>,
    stream: Mutex<Option<EventStream<Said>>>,
}

impl Continuous for Listener {
    async fn start(&self, cx: &Context) -> Result {
        let said = cx
            .host()
            .named(&self.source)
            .on::<Said>()
            .lossless()
            .stream()
            .await?;
        *self.stream.lock().unwrap() = Some(said);
        Ok(())
    }

    async fn run(&self, cx: &Context) -> Result {
        let mut said = self
            .stream
            .lock()
            .unwrap()
            .take()
            .expect("subscribed in start");
        loop {
            tokio::select! {
                Some(event) = said.recv() => self.heard.lock().unwrap().push(event.0),
                () = cx.cancelled() => break,
            }
        }
        while let Ok(Some(event)) =
            tokio::time::timeout(std::time::Duration::ZERO, said.recv()).await
        {
            self.heard.lock().unwrap().push(event.0);
        }
        Ok(())
    }

    fn listens_to(&self) -> Vec<String> {
        vec![self.source.clone()]
    }
}

fn host(toml: &str, heard: &Arc<Mutex<Vec<String>>>) -> HostBuilder {
    let heard = heard.clone();
    Host::builder()
        .env_prefix(None)
        .config_toml("steward.toml", toml)
        .service(continuous("talker", Talker))
        .service(continuous_with(
            "listener",
            move |settings: ListenerSettings| Listener {
                source: settings.source,
                heard: heard.clone(),
                stream: Mutex::new(None),
            },
        ))
}

const LISTENING: &str = "[services.listener]\nsettings = { source = \"talker\" }\n";

#[tokio::test(start_paused = true)]
async fn a_listener_hears_its_sources_first_and_last_words() {
    let heard = Arc::new(Mutex::new(Vec::new()));
    let host = host(LISTENING, &heard).build().unwrap();
    let handle = host.handle();
    let talker = handle.service("talker").unwrap().status();
    assert_eq!(
        talker.depends_on,
        ["listener"],
        "the source waits for its listener"
    );
    let running = host.start().await.unwrap();
    handle
        .service("talker")
        .unwrap()
        .wait_for(steward::State::Running)
        .await;
    let report = running.shutdown().await;
    assert_eq!(
        report.stopped,
        ["talker", "listener"],
        "the source stops first"
    );
    assert_eq!(*heard.lock().unwrap(), ["hello", "goodbye"]);
}

#[test]
fn listening_to_an_unknown_service_is_a_configuration_error() {
    let heard = Arc::new(Mutex::new(Vec::new()));
    let error = host(
        "[services.listener]\nsettings = { source = \"nobody\" }\n",
        &heard,
    )
    .build()
    .unwrap_err();
    let HostError::Config(errors) = error else {
        panic!("expected configuration errors, got {error}");
    };
    assert_eq!(errors.0.len(), 1, "{errors}");
    assert_eq!(errors.0[0].key, "services.listener.settings");
    assert_eq!(
        errors.0[0].reason,
        "listens to `nobody`, which is not a service of this host"
    );
}

#[test]
fn a_disabled_listener_holds_its_source_back_from_nothing() {
    let heard = Arc::new(Mutex::new(Vec::new()));
    let toml = format!("{LISTENING}enabled = false\n");
    let host = host(&toml, &heard).build().unwrap();
    let talker = host.handle().service("talker").unwrap().status();
    assert!(talker.depends_on.is_empty());
    assert_eq!(talker.state, steward::State::Pending);
}
