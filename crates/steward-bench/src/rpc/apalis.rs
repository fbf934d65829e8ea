//! apalis: one worker on `MemoryStorage`, apalis-core's in-memory backend, with no
//! layers.
//!
//! The in-memory backend has no way back to the pusher (`WaitForCompletion` is
//! not implemented for it), so each task carries a tokio oneshot that the handler
//! answers. The storage is built with `MemoryStorage::new_with` around a channel
//! this module keeps a sender of, so that tasks can be pushed while the worker
//! runs; each caller pushes through a `MemorySink` of its own (a sink's
//! `start_send` insists on an uncontended lock).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use apalis::prelude::{MemorySink, MemoryStorage, MemoryStorageError, Task, WorkerBuilder};
use futures_channel::mpsc::{self, UnboundedSender};
use futures_util::lock::Mutex;
use futures_util::{Sink, SinkExt as _, StreamExt as _};
use tokio::sync::oneshot;

use super::{Load, Round};

/// How long the worker may take to stop before the round fails.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A task: where to answer.
struct Call {
    reply: oneshot::Sender<()>,
}

async fn answer(call: Call) {
    let _ = call.reply.send(());
}

type Queue = UnboundedSender<Task<Call>>;

struct Caller {
    queue: Queue,
    sink: MemorySink<Call>,
}

impl Caller {
    fn new(queue: Queue) -> Self {
        Self {
            sink: sink(queue.clone()),
            queue,
        }
    }
}

impl Clone for Caller {
    /// A clone pushes through a sink of its own.
    fn clone(&self) -> Self {
        Self::new(self.queue.clone())
    }
}

impl super::Caller for Caller {
    async fn call(&self) -> anyhow::Result<()> {
        let (reply, answered) = oneshot::channel();
        let mut sink = self.sink.clone();
        sink.send(Task::new(Call { reply })).await?;
        answered.await.context("the worker dropped a task")
    }
}

/// A memory sink over one sender of the storage's channel, as `MemoryStorage::new`
/// builds its own.
fn sink(queue: Queue) -> MemorySink<Call> {
    let sender: Box<dyn Sink<Task<Call>, Error = MemoryStorageError> + Send + Sync + Unpin> =
        Box::new(queue.sink_map_err(MemoryStorageError::from));
    MemorySink::new(Arc::new(Mutex::new(sender)))
}

pub(super) async fn round(load: Load) -> anyhow::Result<Round> {
    let (queue, tasks) = mpsc::unbounded::<Task<Call>>();
    let storage = MemoryStorage::new_with(sink(queue.clone()), tasks.boxed());
    let worker = WorkerBuilder::new("noop").backend(storage).build(answer);
    let (stop, stopped) = oneshot::channel::<()>();
    let running = tokio::spawn(worker.run_until(async move {
        let _ = stopped.await;
        Ok::<(), apalis::prelude::WorkerError>(())
    }));
    let round = super::drive(Caller::new(queue), load).await;
    let _ = stop.send(());
    tokio::time::timeout(STOP_TIMEOUT, running)
        .await
        .map_err(|_| anyhow!("the apalis worker did not stop"))?
        .context("the apalis worker panicked")?
        .map_err(|error| anyhow!("the apalis worker failed: {error}"))?;
    round
}
