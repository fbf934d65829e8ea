//! The child's stdout and stderr, line by line, into the host's log.

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::task::JoinHandle;
use tracing::Instrument;

/// The longest line logged whole; a longer one is logged in pieces of this size,
/// so that a child writing no newlines cannot fill the host's memory.
const MAX_LINE: u64 = 16 * 1024;

/// Which of the child's streams a line came from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// Logs every line of `pipe` in the current span (which names the service)
/// until the pipe closes.
pub(crate) fn forward(
    pipe: impl AsyncRead + Unpin + Send + 'static,
    stream: Stream,
    pid: u32,
) -> JoinHandle<()> {
    let lines = async move {
        let mut reader = BufReader::new(pipe);
        let mut line = Vec::new();
        loop {
            line.clear();
            match (&mut reader)
                .take(MAX_LINE)
                .read_until(b'\n', &mut line)
                .await
            {
                Ok(0) => break,
                Ok(_) => {
                    let text = String::from_utf8_lossy(&line);
                    let text = text.trim_end_matches(['\n', '\r']);
                    tracing::info!(target: "steward::process", pid, stream = stream.as_str(), "{text}");
                }
                Err(error) => {
                    tracing::debug!(pid, stream = stream.as_str(), %error, "stopped reading the program's output");
                    break;
                }
            }
        }
    };
    tokio::spawn(lines.in_current_span())
}
