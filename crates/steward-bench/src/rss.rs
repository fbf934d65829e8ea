//! Resident memory of this process, from `/proc/self/status`.

use anyhow::Context as _;

/// The process's resident set size (`VmRSS`), in bytes.
pub(crate) fn resident_bytes() -> anyhow::Result<u64> {
    status_kib("VmRSS").map(|kib| kib * 1024)
}

/// The most the process's resident set has been since it started (`VmHWM`), in
/// bytes.
pub(crate) fn peak_bytes() -> anyhow::Result<u64> {
    status_kib("VmHWM").map(|kib| kib * 1024)
}

/// Starts the peak resident set (`VmHWM`) over from the resident set now, so
/// that [`peak_bytes`] reports the peak since this call; fails where the kernel
/// does not allow it (before Linux 4.0, or `/proc` read-only).
pub(crate) fn reset_peak() -> anyhow::Result<()> {
    std::fs::write("/proc/self/clear_refs", "5").context("writing 5 to /proc/self/clear_refs")
}

/// A `NAME:   123 kB` line of `/proc/self/status`, in KiB.
fn status_kib(name: &str) -> anyhow::Result<u64> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .with_context(|| format!("no {name} line in /proc/self/status"))?;
    line.trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .with_context(|| format!("unreadable {name} value `{}`", line.trim()))
}
