//! Steward: a continuous service emitting `file.created` with `cx.emit_json`, a
//! `batch-aggregator` configured to batch them by `dir`, and a lossless
//! subscriber to its `batch.closed` events.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use anyhow::{Context as _, anyhow};
use steward::{Context, Continuous, EventStream, Host, State, continuous};
use steward_builtins::batch::BatchClosed;
use tokio::sync::{mpsc, oneshot};

use super::{BATCH_BUFFER, Counted, Round, Shape};
use crate::host;

/// Emit this many events, then say when the first and the last one went out.
struct Order {
    events: u64,
    keys: u64,
    done: oneshot::Sender<(Instant, Instant)>,
}

/// Emits what it is told to, as fast as the aggregator lets it.
struct Source {
    orders: Mutex<Option<mpsc::UnboundedReceiver<Order>>>,
}

impl Continuous for Source {
    async fn run(&self, cx: &Context) -> steward::Result {
        let orders = self
            .orders
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(mut orders) = orders else {
            cx.cancelled().await;
            return Ok(());
        };
        while let Some(Some(order)) = cx.run_until_cancelled(orders.recv()).await {
            let began = Instant::now();
            for i in 0..order.events {
                cx.emit_json("file.created", super::event(i, order.keys))
                    .await?;
            }
            let _ = order.done.send((began, Instant::now()));
        }
        Ok(())
    }
}

pub(super) async fn round(shape: Shape) -> anyhow::Result<Round> {
    let Shape { events, keys, size } = shape;
    let (orders, inbox) = mpsc::unbounded_channel();
    let source = Source {
        orders: Mutex::new(Some(inbox)),
    };
    let toml = format!(
        "[services.batcher]\nkind = \"batch-aggregator\"\nsettings = {{ source = \"source:file.created\", key = \"{{dir}}\", window = \"1h\", idle_timeout = \"1h\", max_size = {size}, check_interval = \"1s\" }}\n"
    );
    let host = Host::builder()
        .kinds(steward_builtins::kinds())
        .env_prefix(None)
        .service(continuous("source", source))
        .config_toml("steward.toml", toml)
        .build()?;
    let handle = host.handle();
    let batches = handle
        .named("batcher")
        .on::<BatchClosed>()
        .buffer(BATCH_BUFFER)
        .lossless()
        .stream()
        .await?;
    let running = host.start().await?;
    // The source depends on the aggregator: once it runs, both do.
    handle.service("source")?.wait_for(State::Running).await;

    let counter = tokio::spawn(count(batches, events));
    let (done, finished) = oneshot::channel();
    orders
        .send(Order { events, keys, done })
        .map_err(|_| anyhow!("the source is gone"))?;
    let emitted = finished.await.context("the source stopped early")?;
    let (counted, report) = if shape.fills_every_batch() {
        let counted = counter.await;
        (counted, running.shutdown().await)
    } else {
        // Stopping closes the batches that are still open.
        let report = running.shutdown().await;
        (counter.await, report)
    };
    let counted = counted.context("the counter panicked")??;
    host::stopped_cleanly(&report, 2)?;
    Round::new("steward", events, emitted, counted)
}

/// Adds up batch sizes until every event is accounted for.
async fn count(mut batches: EventStream<BatchClosed>, events: u64) -> anyhow::Result<Counted> {
    let mut counted = Counted {
        events: 0,
        batches: 0,
        done: Instant::now(),
    };
    while counted.events < events {
        let batch = batches
            .recv()
            .await
            .context("the host went away before every event was batched")?;
        counted.events += batch.size as u64;
        counted.batches += 1;
    }
    counted.done = Instant::now();
    Ok(counted)
}
