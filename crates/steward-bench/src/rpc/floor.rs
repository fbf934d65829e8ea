//! The floor: a tokio task reading an mpsc channel of (request, oneshot sender)
//! and answering each at once — a request/response with nothing else.

use anyhow::{Context as _, anyhow};
use tokio::sync::{mpsc, oneshot};

use super::{Load, Round};

/// The request: nothing to say.
#[derive(Debug)]
struct Request;

type Envelope = (Request, oneshot::Sender<()>);

/// As many requests may wait as in Steward's default mailbox.
const CAPACITY: usize = 1024;

#[derive(Debug, Clone)]
struct Caller(mpsc::Sender<Envelope>);

impl super::Caller for Caller {
    async fn call(&self) -> anyhow::Result<()> {
        let (reply, answer) = oneshot::channel();
        self.0
            .send((Request, reply))
            .await
            .map_err(|_| anyhow!("the floor's server is gone"))?;
        answer.await.context("the floor's server dropped a request")
    }
}

pub(super) async fn round(load: Load) -> anyhow::Result<Round> {
    let (requests, mut inbox) = mpsc::channel::<Envelope>(CAPACITY);
    let server = tokio::spawn(async move {
        while let Some((Request, reply)) = inbox.recv().await {
            let _ = reply.send(());
        }
    });
    let round = super::drive(Caller(requests), load).await;
    // Every sender is gone now: the server ends.
    server.await.context("the floor's server panicked")?;
    round
}
