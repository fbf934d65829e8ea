//! The floor: `tokio::sync::broadcast`, one receiver per subscriber task.

use std::time::Instant;

use anyhow::Context as _;
use tokio::sync::broadcast::{self, error::RecvError};

use super::{Heard, Round, Tick};

pub(super) async fn round(events: u64, subscribers: usize, buffer: usize) -> anyhow::Result<Round> {
    let (sender, _) = broadcast::channel::<Tick>(buffer);
    let listeners = (0..subscribers)
        .map(|_| tokio::spawn(listen(sender.subscribe())))
        .collect();
    let emitter = tokio::spawn(async move {
        let began = Instant::now();
        for seq in 0..events {
            // Fails only without receivers; each counts what it misses.
            let _ = sender.send(Tick { seq });
        }
        // The sender is dropped here: receivers end once drained.
        (began, Instant::now())
    });
    let (began, ended) = emitter.await.context("the emitter panicked")?;
    super::gather("floor", events, began, ended - began, listeners).await
}

/// Counts events until the sender is gone and the buffer drained.
async fn listen(mut receiver: broadcast::Receiver<Tick>) -> anyhow::Result<Heard> {
    let (mut received, mut lagged) = (0, 0);
    loop {
        match receiver.recv().await {
            Ok(_) => received += 1,
            Err(RecvError::Lagged(skipped)) => lagged += skipped,
            Err(RecvError::Closed) => break,
        }
    }
    Ok(Heard {
        received,
        dropped: lagged,
        done: Instant::now(),
    })
}
