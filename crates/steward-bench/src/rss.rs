//! Resident memory of this process, from `/proc/self/status`.

use anyhow::Context as _;

/// The process's resident set size (`VmRSS`), in bytes.
pub(crate) fn resident_bytes() -> anyhow::Result<u64> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .context("no VmRSS line in /proc/self/status")?;
    let kib: u64 = line
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .with_context(|| format!("unreadable VmRSS value `{}`", line.trim()))?;
    Ok(kib * 1024)
}
