//! Steward: one continuous service with one action, `noop`, that does nothing;
//! called typed through a kept `ServiceRef<Noop>`, or by name with JSON.

use anyhow::ensure;
use serde_json::Value;
use steward::{ServiceRef, continuous};

use super::{Load, Round};
use crate::host::{self, Noop};

/// Which client path the calls take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Path {
    /// `act("noop", ())` → `send::<()>()`: Rust values in and out.
    Typed,
    /// `act_json("noop", null)` → `send::<Value>()`: JSON in and out, by name.
    Json,
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
    let def = continuous("noop", Noop)
        .actions(host::noop_actions())
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
