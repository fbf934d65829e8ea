//! Steward: a continuous service emitting with `cx.emit`, and subscribers taking
//! `on::<Tick>().buffer(n).stream()`, each read by its own task.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use anyhow::{Context as _, anyhow};
use steward::{Context, Continuous, Event, EventStream, continuous};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::{Heard, Round, Tick};
use crate::host;

impl Event for Tick {
    const NAME: &'static str = "bench.tick";
}

/// Emit this many events, then say when the first and the last one went out.
struct Order {
    events: u64,
    done: oneshot::Sender<(Instant, Instant)>,
}

/// Emits what it is told to, as fast as it can.
struct Emitter {
    orders: Mutex<Option<mpsc::UnboundedReceiver<Order>>>,
}

impl Continuous for Emitter {
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
            for seq in 0..order.events {
                cx.emit(Tick { seq }).await?;
            }
            let _ = order.done.send((began, Instant::now()));
        }
        Ok(())
    }
}

pub(super) async fn round(events: u64, subscribers: usize, buffer: usize) -> anyhow::Result<Round> {
    let (orders, inbox) = mpsc::unbounded_channel();
    let emitter = Emitter {
        orders: Mutex::new(Some(inbox)),
    };
    let running = host::start_one(continuous("emitter", emitter)).await?;
    let handle = running.handle();

    let emitted = CancellationToken::new();
    let mut listeners = Vec::with_capacity(subscribers);
    for _ in 0..subscribers {
        let stream = handle
            .named("emitter")
            .on::<Tick>()
            .buffer(buffer)
            .stream()
            .await?;
        listeners.push(tokio::spawn(listen(stream, events, emitted.clone())));
    }
    let (done, finished) = oneshot::channel();
    orders
        .send(Order { events, done })
        .map_err(|_| anyhow!("the emitter is gone"))?;
    let (began, ended) = finished.await.context("the emitter stopped early")?;
    emitted.cancel();
    let round = super::gather("steward", events, began, ended - began, listeners).await;
    let report = running.shutdown().await;
    let round = round?;
    host::stopped_cleanly(&report, 1)?;
    Ok(round)
}

/// Counts events until each one is received or counted as missed. Once the
/// emitter is done the missed count is final, so a subscriber whose last events
/// were all missed is woken by `emitted` instead of waiting for more.
async fn listen(
    mut stream: EventStream<Tick>,
    events: u64,
    emitted: CancellationToken,
) -> anyhow::Result<Heard> {
    let all_emitted = emitted.cancelled();
    tokio::pin!(all_emitted);
    let mut emitter_done = false;
    let mut received = 0;
    while received + stream.missed() < events {
        tokio::select! {
            biased;
            event = stream.recv() => {
                event.context("the host went away")?;
                received += 1;
            }
            () = &mut all_emitted, if !emitter_done => emitter_done = true,
        }
    }
    Ok(Heard {
        received,
        dropped: stream.missed(),
        done: Instant::now(),
    })
}
