//! Supervision: a service that fails is restarted with exponential backoff; after
//! too many restarts in the window it is `failed`, and its neighbour never notices.
//!
//! ```sh
//! cargo run --example 03_restart
//! ```

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use steward::{Backoff, Context, Continuous, Host, Restart, Result, State, continuous};
use tracing::info;

/// Fails a little later each time, and panics on its third run.
#[derive(Default)]
struct Flaky {
    runs: AtomicU32,
}

impl Continuous for Flaky {
    async fn run(&self, _cx: &Context) -> Result {
        let run = self.runs.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(Duration::from_millis(200 * u64::from(run))).await;
        if run == 3 {
            panic!("run {run} hit a bug");
        }
        Err(format!("run {run} lost its connection").into())
    }
}

struct Steady;

impl Continuous for Steady {
    async fn run(&self, cx: &Context) -> Result {
        cx.cancelled().await;
        Ok(())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().init();
    let restart = Restart::default()
        .intensity(4, Duration::from_secs(60))
        .backoff(Backoff::new(
            Duration::from_millis(250),
            Duration::from_secs(2),
        ));
    let host = Host::builder()
        .service(continuous("flaky", Flaky::default()).restart(restart))
        .service(continuous("steady", Steady))
        .build()?;
    let handle = host.handle();
    let running = host.start().await?;

    handle.service("flaky")?.wait_for(State::Failed).await;
    for status in handle.services() {
        info!(service = %status.name, state = %status.state, restarts = status.restarts, last_error = ?status.last_error, "final");
    }
    running.shutdown().await;
    Ok(())
}
