//! Why a triggered run of an `exec` service failed.

/// A run that the `trigger` command asked for, and that failed; the run's
/// [`ExecCompleted`](super::ExecCompleted) is in the log and in `exec.completed`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExecError {
    /// The command ran and did not exit with code 0.
    #[error("the command {status}{}", if *timed_out { " when it ran out of time" } else { "" })]
    Failed {
        /// The exit status in words (`exited with code 3`).
        status: String,
        /// Whether it ran past its timeout and was killed.
        timed_out: bool,
    },
}
