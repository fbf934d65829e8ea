//! What the Steward subjects share: a host of one service started and running,
//! an idle service, and the check that a shutdown stopped everything cleanly.

use anyhow::ensure;
use steward::{Context, Continuous, Host, RunningHost, ServiceDef, ShutdownReport, State};

/// Idles until stopped.
pub(crate) struct Idle;

impl Continuous for Idle {
    async fn run(&self, cx: &Context) -> steward::Result {
        cx.cancelled().await;
        Ok(())
    }
}

/// A host of `def` alone, started, with the service running.
pub(crate) async fn start_one(def: ServiceDef) -> anyhow::Result<RunningHost> {
    let name = def.name().to_owned();
    let running = Host::builder()
        .env_prefix(None)
        .service(def)
        .build()?
        .start()
        .await?;
    running
        .handle()
        .service(&name)?
        .wait_for(State::Running)
        .await;
    Ok(running)
}

/// Fails unless the shutdown stopped all `services` and abandoned none.
pub(crate) fn stopped_cleanly(report: &ShutdownReport, services: usize) -> anyhow::Result<()> {
    ensure!(
        report.stopped.len() == services && report.abandoned.is_empty(),
        "steward stopped {} and abandoned {} of {services} services",
        report.stopped.len(),
        report.abandoned.len()
    );
    Ok(())
}
