//! Runs user code so that its errors and panics become plain failure messages.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;

use crate::error::{BoxError, panic_message, render_error};

/// Awaits user code; an error or a panic becomes its message.
pub(crate) async fn guarded<F>(work: F) -> Result<(), String>
where
    F: Future<Output = Result<(), BoxError>>,
{
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(render_error(error.as_ref())),
        Err(payload) => Err(panic_message(payload.as_ref())),
    }
}

/// [`guarded`] with a time limit; running out of time is a failure too.
pub(crate) async fn guarded_within<F>(limit: Duration, what: &str, work: F) -> Result<(), String>
where
    F: Future<Output = Result<(), BoxError>>,
{
    match tokio::time::timeout(limit, guarded(work)).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "{what} timed out after {}",
            humantime::format_duration(limit)
        )),
    }
}
