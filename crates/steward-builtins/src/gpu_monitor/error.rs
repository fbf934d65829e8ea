//! Why GPUs could not be read.

pub(crate) use crate::error_chain::chain;

use std::path::PathBuf;
use std::time::Duration;

/// Why a poll found no readings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GpuError {
    /// NVML did not load, or answered with an error.
    #[error("NVML")]
    Nvml(#[source] nvml_wrapper::error::NvmlError),
    /// `nvidia-smi` did not run, failed, or wrote something unexpected.
    #[error("nvidia-smi")]
    NvidiaSmi(#[source] NvidiaSmiError),
    /// A blocking NVML call ended without an answer (it panicked).
    #[error("an NVML call did not complete")]
    Task(#[source] tokio::task::JoinError),
    /// No way of reading GPUs worked; why each one failed.
    #[error("no NVIDIA GPU found ({})", list(.0))]
    NotFound(Vec<GpuError>),
    /// A source of your own could not read (see [`GpuSource`](super::GpuSource)).
    #[error("{0}")]
    Unavailable(String),
}

/// Why `nvidia-smi` gave no readings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NvidiaSmiError {
    /// The program could not be started (most often: it is not installed).
    #[error("cannot run `{}`", program.display())]
    Spawn {
        /// The program.
        program: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// It did not finish in time; it was killed.
    #[error("`{}` did not finish within {timeout:?}", program.display())]
    TimedOut {
        /// The program.
        program: PathBuf,
        /// How long it had.
        timeout: Duration,
    },
    /// It exited unsuccessfully (such as "No devices were found").
    #[error("`{}` {status}: {output}", program.display())]
    Failed {
        /// The program.
        program: PathBuf,
        /// Its exit status in words.
        status: String,
        /// The first line it wrote, on stderr or else stdout.
        output: String,
    },
    /// A line of its output is not what `--query-gpu` writes.
    #[error("line {line} of its output: {reason}")]
    Parse {
        /// The line's number, from 1.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
}

fn list(errors: &[GpuError]) -> String {
    let mut text = String::new();
    for (n, error) in errors.iter().enumerate() {
        if n > 0 {
            text.push_str("; ");
        }
        text.push_str(&chain(error));
    }
    if text.is_empty() {
        text.push_str("nothing was tried");
    }
    text
}
