//! Running a check or remedy program to completion, within a time limit.

use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;
use tokio::task::JoinHandle;

use crate::process::CommandLine;

/// The most output kept from each stream, for a reason to quote.
const MAX_OUTPUT: u64 = 16 * 1024;

/// How long output is still read once the program has exited: a daemon it left
/// behind may hold its pipes open.
const OUTPUT_GRACE: Duration = Duration::from_millis(200);

/// How a program that ran ended.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) status: ExitStatus,
    /// The last line it wrote, on stderr or else stdout.
    pub(crate) said: Option<String>,
}

/// Why a program did not run to completion.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CommandError {
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("`{command}` did not finish within {timeout:?}; it was killed")]
    TimedOut { command: String, timeout: Duration },
    #[error("cannot wait for `{command}`: {source}")]
    Wait {
        command: String,
        source: std::io::Error,
    },
}

/// Runs `command` in a process group of its own and waits for it, up to
/// `timeout`; then, or if the caller gives up, the whole group is killed. What it
/// leaves running after a timely exit (a daemon a remedy starts) is left alone.
pub(crate) async fn run(
    command: &CommandLine,
    timeout: Duration,
) -> Result<Finished, CommandError> {
    let mut child = Command::new(command.program())
        .args(command.args())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| CommandError::Spawn {
            program: command.program().to_owned(),
            source,
        })?;
    let mut group = Group(
        child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .map(Pid::from_raw),
    );
    let stdout = child.stdout.take().map(collect);
    let stderr = child.stderr.take().map(collect);
    let status = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) => status,
        Ok(Err(source)) => {
            let command = command.to_string();
            return Err(CommandError::Wait { command, source });
        }
        Err(_) => {
            let command = command.to_string();
            return Err(CommandError::TimedOut { command, timeout });
        }
    };
    group.0 = None;
    let stderr = output(stderr).await;
    let stdout = output(stdout).await;
    let said = last_line(&stderr).or_else(|| last_line(&stdout));
    Ok(Finished { status, said })
}

/// The program's process group until it has exited; killed when dropped before.
struct Group(Option<Pid>);

impl Drop for Group {
    fn drop(&mut self) {
        if let Some(leader) = self.0 {
            match killpg(leader, Signal::SIGKILL) {
                Ok(()) | Err(Errno::ESRCH) => {}
                Err(error) => {
                    tracing::warn!(pid = leader.as_raw(), %error, "could not kill a check's process group")
                }
            }
        }
    }
}

fn collect(pipe: impl AsyncRead + Unpin + Send + 'static) -> JoinHandle<Vec<u8>> {
    tokio::spawn(async move {
        let mut bytes = Vec::new();
        // A read error ends the output; what was read is kept.
        let _ = pipe.take(MAX_OUTPUT).read_to_end(&mut bytes).await;
        bytes
    })
}

async fn output(task: Option<JoinHandle<Vec<u8>>>) -> String {
    let Some(mut task) = task else {
        return String::new();
    };
    match tokio::time::timeout(OUTPUT_GRACE, &mut task).await {
        Ok(Ok(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        Ok(Err(_)) => String::new(),
        Err(_) => {
            task.abort();
            String::new()
        }
    }
}

fn last_line(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .rfind(|line| !line.is_empty())
        .map(str::to_owned)
}

/// An exit status in words: `exited with code 3`, `killed by SIGSEGV`.
pub(crate) fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with code {code}"),
        (None, Some(signal)) => match Signal::try_from(signal) {
            Ok(signal) => format!("killed by {signal}"),
            Err(_) => format!("killed by signal {signal}"),
        },
        (None, None) => format!("ended ({status})"),
    }
}
