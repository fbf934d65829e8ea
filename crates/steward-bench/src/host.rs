//! What the Steward subjects share: a host of one service started and running,
//! an idle service, a service with a no-op action, and the check that a shutdown
//! stopped everything cleanly.

use anyhow::ensure;
use steward::{
    ActionTable, Context, Continuous, Host, RunningHost, ServiceDef, ShutdownReport, State,
};

/// Idles until stopped.
pub(crate) struct Idle;

impl Continuous for Idle {
    async fn run(&self, cx: &Context) -> steward::Result {
        cx.cancelled().await;
        Ok(())
    }
}

/// Idles until stopped; its action `noop` does nothing.
pub(crate) struct Noop;

impl Noop {
    async fn noop(&self, _cx: &Context) -> steward::Result<()> {
        Ok(())
    }
}

impl Continuous for Noop {
    async fn run(&self, cx: &Context) -> steward::Result {
        cx.cancelled().await;
        Ok(())
    }
}

/// [`Noop`]'s one action.
pub(crate) fn noop_actions() -> ActionTable<Noop> {
    ActionTable::new().action("noop", "does nothing", |svc: &Noop, cx, (): ()| {
        Box::pin(svc.noop(cx))
    })
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
