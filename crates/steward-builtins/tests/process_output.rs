//! A `process` service's stdout and stderr reach the host's log, line by line,
//! under the service's name.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

mod common;
use common::{host, shell, until};

/// A log writer whose text the test can read.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// One thread, so that the subscriber set for this thread sees every task.
#[tokio::test(flavor = "current_thread")]
async fn output_lines_are_logged_with_the_service_and_stream() {
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // 40,000 bytes with no newline.
    let script = "echo 'to stdout'; echo 'to stderr' >&2; head -c 40000 /dev/zero | tr '\\0' x; exec sleep 60";
    let running = host(&shell("talker", script, "")).start().await.unwrap();
    until("the program's lines are logged", || {
        let text = log.text();
        text.contains("to stdout") && text.contains("to stderr") && text.contains(&"x".repeat(100))
    })
    .await;
    running.shutdown().await;

    let text = log.text();
    let line = |needle: &str| {
        text.lines()
            .find(|line| line.contains(needle) && line.contains("stream="))
            .unwrap_or_else(|| panic!("no line with {needle:?}"))
            .to_owned()
    };
    let stdout = line("to stdout");
    assert!(stdout.contains("service{name=talker}"), "{stdout}");
    assert!(stdout.contains("stream=\"stdout\""), "{stdout}");
    assert!(line("to stderr").contains("stream=\"stderr\""));
    // A line with no end is logged in pieces, not held whole.
    let pieces: Vec<usize> = text
        .lines()
        .filter(|line| line.contains("xxxx") && line.contains("stream="))
        .map(|line| line.matches('x').count())
        .collect();
    assert_eq!(
        pieces.len(),
        3,
        "40,000 bytes in pieces of 16 KiB: {pieces:?}"
    );
}
