//! A host with a few services behind a real control plane on a free port.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

pub mod schema;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use steward::{
    Context, Continuous, Event, Host, HostBuilder, HostHandle, Periodic, Result, RunningHost,
    Schedule, Service, State,
};
use steward_http::{HttpConfig, Server};
use tokio::sync::Notify;

#[derive(Debug, Clone, Serialize, Deserialize, Event)]
#[event(name = "greeted")]
pub struct Greeted {
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Greeting {
    pub name: String,
}

/// Greets on request, emitting `greeted`; `crash` makes its run fail once.
#[derive(Default, Service)]
#[service(name = "greeter", emits = [Greeted])]
pub struct Greeter {
    crash: Arc<Notify>,
}

#[steward::actions]
impl Greeter {
    /// Greets someone.
    #[action(name = "greet")]
    async fn greet(&self, cx: &Context, greeting: Greeting) -> Result<String> {
        cx.emit(Greeted {
            name: greeting.name.clone(),
        })
        .await?;
        Ok(format!("hello {}", greeting.name))
    }

    /// Fails its run, so that the supervisor restarts it.
    #[action(name = "crash")]
    async fn crash(&self, _cx: &Context, _: ()) -> Result<()> {
        self.crash.notify_one();
        Ok(())
    }
}

impl Continuous for Greeter {
    async fn run(&self, cx: &Context) -> Result {
        tokio::select! {
            () = cx.cancelled() => Ok(()),
            () = self.crash.notified() => Err("asked to crash".into()),
        }
    }
}

/// Ticks hourly; counts its ticks.
#[derive(Default, Service)]
#[service(name = "ticker")]
pub struct Ticker {
    pub ticks: Arc<AtomicU32>,
}

impl Periodic for Ticker {
    fn schedule(&self) -> Schedule {
        Schedule::every(Duration::from_secs(3600))
    }

    async fn tick(&self, _cx: &Context) -> Result {
        self.ticks.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// A running host and its control plane.
pub struct Plane {
    pub host: RunningHost,
    pub server: Server,
    pub base: String,
    pub client: reqwest::Client,
}

impl Plane {
    /// Starts the host with `[http]` from `http_toml` (bind is always a free
    /// loopback port) and serves it.
    pub async fn start(http_toml: &str) -> Plane {
        Self::start_with(http_toml, |builder| builder).await
    }

    /// [`start`](Self::start), with the host's builder changed by `with` (to
    /// give it a journal, say).
    pub async fn start_with(
        http_toml: &str,
        with: impl FnOnce(HostBuilder) -> HostBuilder,
    ) -> Plane {
        let config = format!(
            "[services.greeter]\nrestart = {{ backoff = \"10ms..10ms\" }}\n\n[http]\nbind = \"127.0.0.1:0\"\n{http_toml}"
        );
        let host = with(Host::builder())
            .env_prefix(None)
            .config_toml("test.toml", config)
            .config_section(steward_http::SECTION)
            .register::<Greeter>()
            .register::<Ticker>()
            .build()
            .unwrap();
        let http = HttpConfig::from_config(host.config()).unwrap();
        let host = host.start().await.unwrap();
        for name in ["greeter", "ticker"] {
            host.handle()
                .service(name)
                .unwrap()
                .wait_for(State::Running)
                .await;
        }
        let server = steward_http::serve(host.handle(), http).await.unwrap();
        let base = format!("http://{}", server.address());
        Plane {
            host,
            server,
            base,
            client: reqwest::Client::new(),
        }
    }

    pub fn handle(&self) -> HostHandle {
        self.host.handle()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post(&self, path: &str, body: &str) -> reqwest::Response {
        let request = self.client.post(self.url(path)).body(body.to_owned());
        request.send().await.unwrap()
    }

    /// `GET path` with `Authorization: Bearer <token>`.
    pub async fn get_with_token(&self, path: &str, token: &str) -> reqwest::Response {
        let request = self.client.get(self.url(path)).bearer_auth(token);
        request.send().await.unwrap()
    }

    pub async fn stop(self) {
        self.host.shutdown().await;
        self.server.stopped().await.unwrap();
    }
}

/// The status and the JSON body of a response.
pub async fn json(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}"));
    (status, body)
}

/// The `error.code` of an error body.
pub fn code(body: &serde_json::Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}
