//! A Rust program embedding Steward: startup steps in order, a watcher, a periodic cleanup
//! with a `purge` action, a status report, and a camera driver that keeps panicking and is
//! restarted with backoff until it is given up on; its HTTP control plane on 127.0.0.1:8080.
//! Ctrl-C stops everything gracefully.
//!
//! ```sh
//! cargo run --example embedded
//! curl -s localhost:8080/api/services
//! cargo run -q -p steward-cli -- ctl trigger cleanup
//! cargo run -q -p steward-cli -- ctl act cleanup purge --params '{"older_than_days": 7}' --wait
//! ```
//!
//! The schedule and restart settings come from `examples/embedded.toml`; try
//! `STEWARD__SERVICES__CLEANUP__INTERVAL=2s cargo run --example embedded`.

use std::time::Duration;

use steward::{
    Actions, Context, Continuous, Host, HostError, Periodic, Result, Schedule, Startup, continuous,
    continuous_with, periodic, periodic_with, startup,
};
use steward_http::HttpConfig;
use tracing::info;

/// Brings the database schema up to date before anything else runs.
struct Migrate;

impl Startup for Migrate {
    async fn run(&self, _cx: &Context) -> Result {
        tokio::time::sleep(Duration::from_millis(300)).await;
        info!("schema is up to date");
        Ok(())
    }
}

/// Loads what the other services need into memory.
struct WarmCache;

impl Startup for WarmCache {
    async fn run(&self, _cx: &Context) -> Result {
        info!("cache warmed");
        Ok(())
    }
}

/// Stands in for a folder watcher: runs until asked to stop.
struct InboxWatcher;

impl Continuous for InboxWatcher {
    async fn start(&self, _cx: &Context) -> Result {
        info!("watching inbox/");
        Ok(())
    }

    async fn run(&self, cx: &Context) -> Result {
        cx.cancelled().await;
        info!("watcher closed its handles");
        Ok(())
    }
}

/// Deletes old data on a schedule; its settings come from the config file.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CleanupSettings {
    retention_days: u32,
}

struct Cleanup {
    settings: CleanupSettings,
}

impl Periodic for Cleanup {
    fn schedule(&self) -> Schedule {
        Schedule::every(Duration::from_secs(3600))
    }

    async fn tick(&self, _cx: &Context) -> Result {
        info!(
            retention_days = self.settings.retention_days,
            "cleanup pass done"
        );
        Ok(())
    }
}

/// Stands in for the stored records: their ages in days.
const RECORD_AGES: [u32; 5] = [1, 3, 8, 15, 40];

/// The `purge` action's parameters.
#[derive(serde::Serialize, serde::Deserialize)]
struct Purge {
    older_than_days: u32,
}

/// What `purge` did.
#[derive(serde::Serialize, serde::Deserialize)]
struct Purged {
    purged: usize,
}

#[steward::actions]
impl Cleanup {
    /// Deletes the records older than a number of days now, whatever the retention.
    #[action]
    async fn purge(&self, purge: Purge) -> Result<Purged> {
        let purged = RECORD_AGES
            .iter()
            .filter(|&&age| age > purge.older_than_days)
            .count();
        info!(older_than_days = purge.older_than_days, purged, "purged");
        Ok(Purged { purged })
    }
}

/// A driver for a camera that is not plugged in: it panics `fails_after` in.
struct FlakyCamera {
    settings: CameraSettings,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CameraSettings {
    #[serde(with = "steward::duration")]
    fails_after: Duration,
}

impl Continuous for FlakyCamera {
    async fn run(&self, cx: &Context) -> Result {
        // A stop before then ends the run quietly.
        let wait = tokio::time::sleep(self.settings.fails_after);
        if cx.run_until_cancelled(wait).await.is_some() {
            panic!("camera 3 is not responding");
        }
        Ok(())
    }
}

/// Logs one line about every service.
struct StatusReport;

impl Periodic for StatusReport {
    fn schedule(&self) -> Schedule {
        Schedule::every(Duration::from_secs(10))
    }

    async fn tick(&self, cx: &Context) -> Result {
        let host = cx.host();
        let health = host.health();
        for service in host.services() {
            info!(
                service = %service.name,
                state = %service.state,
                health = %service.health.status,
                restarts = service.restarts,
                "status"
            );
        }
        info!(ready = health.ready, health = %health.status, "host");
        Ok(())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();

    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/embedded.toml");
    let host = Host::builder()
        .config_file(config)
        .config_section(steward_http::SECTION)
        .service(startup("migrate", Migrate))
        .service(startup("warm-cache", WarmCache))
        .service(continuous("inbox-watcher", InboxWatcher))
        .service(
            periodic_with("cleanup", |settings| Cleanup { settings }).actions(Cleanup::actions()),
        )
        .service(continuous_with("flaky-camera", |settings| FlakyCamera {
            settings,
        }))
        .service(periodic("status-report", StatusReport))
        .build()?;
    let http = HttpConfig::from_config(host.config())?;
    let server = steward_http::serve(host.handle(), http).await?;
    info!(address = %format!("http://{}", server.address()), "control plane listening");
    let run = host.run().await;
    server.stopped().await?;
    match run {
        Ok(report) => {
            info!(stopped = ?report.stopped, abandoned = ?report.abandoned, "bye");
            Ok(())
        }
        // A second Ctrl-C: do not wait for anything that blocks a thread.
        Err(HostError::Forced(_)) => std::process::exit(130),
        Err(error) => Err(error.into()),
    }
}
