//! The embedded example as a real process: it starts, serves its control plane,
//! restarts its flaky camera, and stops gracefully on SIGINT (Ctrl-C).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use common::example;

#[test]
fn the_embedded_example_runs_and_stops_on_ctrl_c() {
    let mut child = Command::new(example("embedded"))
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .env("RUST_BACKTRACE", "0")
        .env(
            "STEWARD__SERVICES__FLAKY_CAMERA__RESTART__BACKOFF",
            "10ms..10ms",
        )
        .env(
            "STEWARD__SERVICES__FLAKY_CAMERA__SETTINGS__FAILS_AFTER",
            "10ms",
        )
        .env("STEWARD__HTTP__BIND", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (lines, seen) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let wait_for = |needle: &str| -> String {
        loop {
            let line = seen
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("no line containing {needle:?}"));
            if line.contains(needle) {
                return line;
            }
        }
    };

    let listening = wait_for("control plane listening");
    let address = listening
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_owned();
    wait_for("schema is up to date");
    wait_for("host started");
    let mut stream = TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "GET /api/services HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"flaky-camera\""), "{answer}");
    wait_for("cleanup pass done");
    wait_for("service=flaky-camera from=running to=backing-off");
    wait_for("service=flaky-camera from=running to=failed reason=restart intensity exceeded");

    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap());
    kill(pid, Signal::SIGINT).unwrap();
    wait_for("watcher closed its handles");
    wait_for("host stopped stopped=3 abandoned=0");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}
