//! CPU time this process has used (user + system, all threads), from `getrusage`.

use std::time::Duration;

use nix::sys::resource::{UsageWho, getrusage};
use nix::sys::time::TimeVal;

/// User plus system CPU time used so far by the whole process.
pub(crate) fn used() -> anyhow::Result<Duration> {
    let usage = getrusage(UsageWho::RUSAGE_SELF)?;
    Ok(duration(usage.user_time()) + duration(usage.system_time()))
}

fn duration(time: TimeVal) -> Duration {
    let micros = time.tv_sec() as i128 * 1_000_000 + time.tv_usec() as i128;
    Duration::from_micros(u64::try_from(micros).unwrap_or(0))
}
