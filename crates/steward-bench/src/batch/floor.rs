//! The floor: bounded tokio mpsc channels and a `HashMap<String, Vec<Value>>`.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::Context as _;
use serde_json::Value;
use tokio::sync::mpsc;

use super::{BATCH_BUFFER, Counted, EVENT_BUFFER, Round, Shape};

pub(super) async fn round(shape: Shape) -> anyhow::Result<Round> {
    let Shape { events, keys, size } = shape;
    let (event_sender, event_receiver) = mpsc::channel::<Value>(EVENT_BUFFER);
    let (batch_sender, batch_receiver) = mpsc::channel::<Vec<Value>>(BATCH_BUFFER);
    let counter = tokio::spawn(count(batch_receiver, events));
    let aggregator = tokio::spawn(aggregate(event_receiver, batch_sender, size));
    let source = tokio::spawn(async move {
        let began = Instant::now();
        for i in 0..events {
            event_sender
                .send(super::event(i, keys))
                .await
                .context("the aggregator is gone")?;
        }
        // The sender is dropped here: the aggregator flushes what is open and ends.
        anyhow::Ok((began, Instant::now()))
    });
    let emitted = source.await.context("the source panicked")??;
    let counted = counter.await.context("the counter panicked")??;
    aggregator.await.context("the aggregator panicked")??;
    Round::new("floor", events, emitted, counted)
}

/// Groups events by `dir`; a batch that reaches `size` goes to the counter. When
/// the source is gone, what is still open goes too.
async fn aggregate(
    mut events: mpsc::Receiver<Value>,
    batches: mpsc::Sender<Vec<Value>>,
    size: usize,
) -> anyhow::Result<()> {
    let mut open: HashMap<String, Vec<Value>> = HashMap::new();
    while let Some(event) = events.recv().await {
        let key = event.get("dir").and_then(Value::as_str).unwrap_or_default();
        let full = match open.get_mut(key) {
            Some(batch) => {
                batch.push(event);
                (batch.len() >= size).then(|| std::mem::take(batch))
            }
            None => {
                let key = key.to_owned();
                if size <= 1 {
                    Some(vec![event])
                } else {
                    open.insert(key, vec![event]);
                    None
                }
            }
        };
        if let Some(batch) = full {
            batches.send(batch).await.context("the counter is gone")?;
        }
    }
    for batch in open.into_values().filter(|batch| !batch.is_empty()) {
        batches.send(batch).await.context("the counter is gone")?;
    }
    Ok(())
}

/// Adds up batch sizes until every event is accounted for.
async fn count(mut batches: mpsc::Receiver<Vec<Value>>, events: u64) -> anyhow::Result<Counted> {
    let mut counted = Counted {
        events: 0,
        batches: 0,
        done: Instant::now(),
    };
    while counted.events < events {
        let batch = batches
            .recv()
            .await
            .context("the aggregator ended before every event was batched")?;
        counted.events += batch.len() as u64;
        counted.batches += 1;
    }
    counted.done = Instant::now();
    Ok(counted)
}
