//! Steward: one continuous service with one action, `noop`, that does nothing;
//! called typed through a kept `ServiceRef<Noop>`, or by name with JSON.

use anyhow::ensure;
use serde_json::Value;
use steward::{ActionTable, Context, Continuous, ServiceRef, continuous};

use super::{Load, Round};
use crate::host;

/// Which client path the calls take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Path {
    /// `act("noop", ())` → `send::<()>()`: Rust values in and out.
    Typed,
    /// `act_json("noop", null)` → `send::<Value>()`: JSON in and out, by name.
    Json,
}

/// Idles until stopped; its action does nothing.
struct Noop;

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

/// The typed path.
#[derive(Debug, Clone)]
struct Typed(ServiceRef<Noop>);

impl super::Caller for Typed {
    async fn call(&self) -> anyhow::Result<()> {
        self.0.act("noop", ()).send::<()>().await?;
        Ok(())
    }
}

/// The JSON path, by name.
#[derive(Debug, Clone)]
struct Json(ServiceRef);

impl super::Caller for Json {
    async fn call(&self) -> anyhow::Result<()> {
        let answer = self.0.act_json("noop", Value::Null).send::<Value>().await?;
        ensure!(answer.is_null(), "noop answered {answer}");
        Ok(())
    }
}

pub(super) async fn round(load: Load, path: Path) -> anyhow::Result<Round> {
    let actions = ActionTable::new().action("noop", "does nothing", |svc: &Noop, cx, (): ()| {
        Box::pin(svc.noop(cx))
    });
    let def = continuous("noop", Noop)
        .actions(actions)
        .max_concurrency(load.in_flight_total())
        .mailbox(1024);
    let running = host::start_one(def).await?;
    let handle = running.handle();
    let round = match path {
        Path::Typed => super::drive(Typed(handle.of::<Noop>()), load).await,
        Path::Json => super::drive(Json(handle.named("noop")), load).await,
    };
    let report = running.shutdown().await;
    let round = round?;
    host::stopped_cleanly(&report, 1)?;
    Ok(round)
}
