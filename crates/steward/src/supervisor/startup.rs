//! Running a startup service once, under its timeout.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::cell::ServiceCell;
use super::guard::guarded_within;
use crate::context::Context;
use crate::host::HostShared;
use crate::service::Body;
use crate::state::State;

/// Runs a startup service to completion; `Err` carries the failure.
pub(crate) async fn run_startup(
    host: &Arc<HostShared>,
    cell: &Arc<ServiceCell>,
) -> Result<(), String> {
    let Body::Startup(service) = &cell.body else {
        return Ok(());
    };
    host.transition(cell, State::Starting, None);
    let token = CancellationToken::new();
    // Cancelled when the run ends, times out, or is dropped (a signal during start-up).
    let _cancel_when_done = token.clone().drop_guard();
    let cx = Context::new(host.clone(), cell.clone(), token.clone());
    let span = tracing::info_span!("service", name = %cell.name);
    let result = guarded_within(cell.spec.timeout, "run", service.run(&cx))
        .instrument(span)
        .await;
    match result {
        Ok(()) => {
            cell.record().has_run = true;
            host.transition(cell, State::Stopped, Some("completed".to_owned()));
            Ok(())
        }
        Err(error) => {
            cell.record().last_error = Some(error.clone());
            host.transition(cell, State::Failed, Some(error.clone()));
            Err(error)
        }
    }
}
