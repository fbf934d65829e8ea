//! CPU time this process has used (user + system, all threads), from `getrusage`,
//! and per thread from the CPU-time clocks.

use std::time::Duration;

use nix::sys::resource::{UsageWho, getrusage};
use nix::sys::time::TimeVal;
use nix::time::{ClockId, clock_gettime};

/// User plus system CPU time used so far by the whole process.
pub(crate) fn used() -> anyhow::Result<Duration> {
    let usage = getrusage(UsageWho::RUSAGE_SELF)?;
    Ok(duration(usage.user_time()) + duration(usage.system_time()))
}

fn duration(time: TimeVal) -> Duration {
    let micros = time.tv_sec() as i128 * 1_000_000 + time.tv_usec() as i128;
    Duration::from_micros(u64::try_from(micros).unwrap_or(0))
}

/// User plus system CPU time used so far by the whole process, every thread's
/// (ended ones included), to the nanosecond: the clock [`this_thread`] reads per
/// thread.
pub(crate) fn process() -> anyhow::Result<Duration> {
    Ok(clock_gettime(ClockId::CLOCK_PROCESS_CPUTIME_ID)?.into())
}

/// User plus system CPU time used so far by the calling thread.
pub(crate) fn this_thread() -> anyhow::Result<Duration> {
    Ok(clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID)?.into())
}
