//! Periodic services: a fixed period with an initial delay, and a cron schedule in a
//! time zone. A tick that overruns its period makes the schedule skip, never overlap.
//!
//! ```sh
//! cargo run --example 02_periodic
//! ```

use std::time::Duration;

use steward::{Context, Host, Periodic, Result, Schedule, periodic};
use tracing::info;

struct Poll;

impl Periodic for Poll {
    fn schedule(&self) -> Schedule {
        Schedule::every(Duration::from_secs(2))
            .initial_delay(Duration::from_secs(1))
            .run_on_startup()
    }

    async fn tick(&self, cx: &Context) -> Result {
        info!(at = %cx.now(), "polling the device");
        Ok(())
    }
}

struct Report;

impl Periodic for Report {
    fn schedule(&self) -> Schedule {
        // Every 5 seconds (six fields: seconds first), read in Berlin time.
        Schedule::cron("*/5 * * * * *")
            .and_then(|schedule| schedule.in_timezone("Europe/Berlin"))
            .unwrap_or_else(|_| Schedule::every(Duration::from_secs(5)))
    }

    async fn tick(&self, cx: &Context) -> Result {
        let status = cx.host().service("poll")?.status();
        let runs = status.runs.unwrap_or_default();
        info!(polls = runs.succeeded, next = ?runs.next_run, "report");
        Ok(())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().init();
    Host::builder()
        .service(periodic("poll", Poll))
        .service(periodic("report", Report))
        .build()?
        .run()
        .await?;
    Ok(())
}
