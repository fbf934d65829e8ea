//! One run of the command: input in, output captured and logged, a time limit.

use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use super::events::{Cause, ExecCompleted};
use super::settings::ExecSettings;
use crate::process::group::{Group, Launch};
use crate::process::{ProcessError, describe};

/// Time the group gets after SIGTERM, once the run's time is up.
const KILL_GRACE: Duration = Duration::from_secs(2);

/// Runs the command once with `input` on its stdin (nothing when `None`).
pub(crate) async fn run_once(
    settings: &ExecSettings,
    cause: Cause,
    input: Option<Vec<u8>>,
) -> Result<ExecCompleted, ProcessError> {
    let launch = Launch {
        command: &settings.command,
        cwd: settings.cwd.as_deref(),
        env: &settings.env,
        stdin: input.is_some(),
    };
    let mut group = Group::launch(&launch)?;
    let began = Instant::now();
    let stdin = group.child.stdin.take();
    let feed = async move {
        if let (Some(mut stdin), Some(input)) = (stdin, input) {
            // A program that does not read its input closes the pipe: not an error.
            let _ = stdin.write_all(&input).await;
        }
    };
    let max = settings.max_output;
    let stdout = capture(group.child.stdout.take(), max);
    let stderr = capture(group.child.stderr.take(), max);
    let wait = async {
        match tokio::time::timeout(settings.timeout, group.child.wait()).await {
            Ok(status) => status.map(|status| (status, false)),
            Err(_) => {
                tracing::warn!(timeout = ?settings.timeout, "the command ran out of time; stopping it");
                group
                    .stop(Signal::SIGTERM, KILL_GRACE)
                    .await
                    .map(|status| (status, true))
            }
        }
    };
    let ((), stdout, stderr, ended) = tokio::join!(feed, stdout, stderr, wait);
    group.sweep();
    let (status, timed_out) = ended.map_err(ProcessError::Wait)?;
    let completed = ExecCompleted {
        cause,
        code: status.code(),
        status: describe(status),
        timed_out,
        stdout,
        stderr,
        ran_ms: u64::try_from(began.elapsed().as_millis()).unwrap_or(u64::MAX),
    };
    log(&completed);
    Ok(completed)
}

/// Reads a pipe to its end, keeping the first `max` bytes.
async fn capture(pipe: Option<impl AsyncRead + Unpin>, max: usize) -> String {
    let Some(mut pipe) = pipe else {
        return String::new();
    };
    let mut kept = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        match pipe.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => {
                let room = max.saturating_sub(kept.len());
                kept.extend_from_slice(&buffer[..read.min(room)]);
            }
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
}

fn log(completed: &ExecCompleted) {
    for (stream, text) in [("stdout", &completed.stdout), ("stderr", &completed.stderr)] {
        for line in text.lines() {
            tracing::info!(target: "steward::exec", stream, "{line}");
        }
    }
    if completed.succeeded() {
        tracing::info!(cause = ?completed.cause, ran_ms = completed.ran_ms, "command done");
    } else {
        tracing::warn!(cause = ?completed.cause, status = %completed.status, ran_ms = completed.ran_ms, "command failed");
    }
}
