//! Why a supervised program did not run, or stopped.

use std::path::PathBuf;
use std::process::ExitStatus;

/// Why a `process` service's run ended in failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProcessError {
    /// The program could not be started.
    #[error("cannot start `{program}`{}", in_dir(cwd))]
    Spawn {
        /// The program.
        program: String,
        /// The directory it was to run in.
        cwd: Option<PathBuf>,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The operating system gave the child no process id.
    #[error("the started program has no process id")]
    NoPid,
    /// Waiting for the program failed.
    #[error("cannot wait for the program")]
    Wait(#[source] std::io::Error),
    /// The program exited unsuccessfully by itself.
    #[error("{}", describe(*.0))]
    Exited(ExitStatus),
}

fn in_dir(cwd: &Option<PathBuf>) -> String {
    cwd.as_ref()
        .map(|cwd| format!(" in `{}`", cwd.display()))
        .unwrap_or_default()
}

/// An exit status in words: `exited with code 3`, `killed by SIGSEGV`.
pub(crate) fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with code {code}"),
        (None, Some(signal)) => match nix::sys::signal::Signal::try_from(signal) {
            Ok(signal) => format!("killed by {signal}"),
            Err(_) => format!("killed by signal {signal}"),
        },
        (None, None) => format!("ended ({status})"),
    }
}
