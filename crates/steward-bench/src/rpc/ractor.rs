//! ractor: one actor answering `Msg::Noop` on its reply port, called with
//! `ractor::call!` (no timeout).

use anyhow::{Context as _, anyhow};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};

use super::{Load, Round};

struct NoopActor;

enum Msg {
    Noop(RpcReplyPort<()>),
}

impl Actor for NoopActor {
    type Msg = Msg;
    type State = ();
    type Arguments = ();

    async fn pre_start(&self, _myself: ActorRef<Msg>, _args: ()) -> Result<(), ActorProcessingErr> {
        Ok(())
    }

    async fn handle(
        &self,
        _myself: ActorRef<Msg>,
        message: Msg,
        _state: &mut (),
    ) -> Result<(), ActorProcessingErr> {
        match message {
            Msg::Noop(reply) => {
                let _ = reply.send(());
            }
        }
        Ok(())
    }
}

#[derive(Clone)]
struct Caller(ActorRef<Msg>);

impl super::Caller for Caller {
    async fn call(&self) -> anyhow::Result<()> {
        ractor::call!(self.0, Msg::Noop).map_err(|error| anyhow!("ractor call failed: {error:?}"))
    }
}

pub(super) async fn round(load: Load) -> anyhow::Result<Round> {
    let (actor, handle) = Actor::spawn(None, NoopActor, ())
        .await
        .map_err(|error| anyhow!("spawning the actor: {error:?}"))?;
    let round = super::drive(Caller(actor.clone()), load).await;
    actor.stop(None);
    handle.await.context("the actor panicked")?;
    round
}
