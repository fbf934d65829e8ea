//! systemd's notify protocol: `READY=1` once the host has started, `STOPPING=1`
//! when shutdown begins, and `WATCHDOG=1` at half the watchdog interval. Nothing
//! is sent when `NOTIFY_SOCKET` is not set.

use sd_notify::NotifyState;
use steward::HostHandle;
use tokio::task::JoinHandle;

/// Tells systemd how the host is doing, for as long as it runs; the task ends
/// once `STOPPING=1` is sent, so awaiting it before exit makes sure it was.
pub(crate) fn spawn(host: HostHandle) -> Option<JoinHandle<()>> {
    std::env::var_os("NOTIFY_SOCKET")?;
    let watchdog = sd_notify::watchdog_enabled();
    let task = tokio::spawn(async move {
        if host.started().await {
            send(&[NotifyState::Ready]);
        }
        match watchdog {
            Some(interval) => {
                let mut ticks = tokio::time::interval(interval / 2);
                loop {
                    tokio::select! {
                        _ = ticks.tick() => send(&[NotifyState::Watchdog]),
                        () = host.shutdown_requested() => break,
                    }
                }
            }
            None => host.shutdown_requested().await,
        }
        send(&[NotifyState::Stopping]);
    });
    Some(task)
}

fn send(states: &[NotifyState<'_>]) {
    if let Err(error) = sd_notify::notify(states) {
        tracing::warn!(%error, "cannot notify systemd");
    }
}
