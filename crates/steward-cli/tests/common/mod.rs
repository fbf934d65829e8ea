//! What the `steward` binary's end-to-end tests share: the binary, a running host
//! and its log, and waiting on conditions with a deadline.
// Each test file uses its own share of these.
#![allow(dead_code)]

pub(crate) mod load;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

/// How long a condition may take to hold before the test fails.
pub(crate) const DEADLINE: Duration = Duration::from_secs(15);

/// How often a condition is checked.
const POLL: Duration = Duration::from_millis(20);

/// The `steward` binary, with no `STEWARD_URL` or `STEWARD_TOKEN` from outside.
pub(crate) fn steward() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_steward"));
    command
        .env_remove("STEWARD_URL")
        .env_remove("STEWARD_TOKEN");
    command
}

/// A finished command's stdout and stderr.
pub(crate) fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// An example of this package: `cargo test -p steward-cli` builds them next to the
/// test binaries' `deps` folder (`cargo test --test NAME` alone does not).
pub(crate) fn example(name: &str) -> PathBuf {
    let mut path = std::env::current_exe().unwrap();
    path.pop();
    if path.ends_with("deps") {
        path.pop();
    }
    let path = path.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is not built: run `cargo test -p steward-cli` (or `cargo build -p steward-cli --example {name}` first)",
        path.display()
    );
    path
}

/// Checks `check` every 20 ms until it gives a value; fails the test, saying what
/// it waited for, after [`DEADLINE`].
pub(crate) fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {DEADLINE:?} waiting until {what}"
        );
        std::thread::sleep(POLL);
    }
}

/// Waits until `done` holds; see [`eventually`].
pub(crate) fn until(what: &str, mut done: impl FnMut() -> bool) {
    eventually(what, || done().then_some(()));
}

/// Whether a process exists and is not a zombie (nothing may reap orphans in a
/// container, so a zombie counts as gone).
pub(crate) fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Lines a child writes, read on a thread of their own.
pub(crate) struct Lines {
    receiver: mpsc::Receiver<String>,
    /// Every line received so far.
    pub(crate) seen: Vec<String>,
}

impl Lines {
    pub(crate) fn read(stream: impl Read + Send + 'static) -> Lines {
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Lines {
            receiver,
            seen: Vec::new(),
        }
    }

    /// Takes in the lines that have arrived, without waiting.
    pub(crate) fn pump(&mut self) -> &[String] {
        self.seen.extend(self.receiver.try_iter());
        &self.seen
    }

    /// Waits, up to [`DEADLINE`], for a line `wanted` accepts among all lines so
    /// far, the earliest first.
    pub(crate) fn wait_for(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + DEADLINE;
        let mut checked = 0;
        loop {
            if let Some(line) = self.seen[checked..].iter().find(|line| wanted(line)) {
                return line.clone();
            }
            checked = self.seen.len();
            let left = deadline.saturating_duration_since(Instant::now());
            match self.receiver.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!(
                    "no line {what} within {DEADLINE:?}; lines so far:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Every line until the stream ends (the child has exited), waiting at most
    /// [`DEADLINE`].
    pub(crate) fn until_closed(&mut self) -> &[String] {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.receiver.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => return &self.seen,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("the output never ended"),
            }
        }
    }
}

/// A host process (`steward run`, or an example embedding Steward), the address
/// its control plane listens on, and its log. Dropped while still running, it is
/// asked to stop, then killed.
pub(crate) struct Running {
    pub(crate) child: Child,
    pub(crate) url: String,
    pub(crate) logs: Lines,
}

impl Running {
    /// `steward run -c CONFIG`.
    pub(crate) fn start(config: &Path) -> Running {
        Self::start_with(config, &[])
    }

    /// `steward run -c CONFIG` with these variables added to its environment.
    pub(crate) fn start_with(config: &Path, env: &[(&str, &str)]) -> Running {
        let mut command = steward();
        command
            .args(["run", "-c"])
            .arg(config)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        Self::spawn(command)
    }

    /// Starts `command`, whose log goes to whichever of stdout and stderr is piped,
    /// and waits until the log says where the control plane listens.
    pub(crate) fn spawn(mut command: Command) -> Running {
        let mut child = command
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .spawn()
            .unwrap();
        let log = match (child.stderr.take(), child.stdout.take()) {
            (Some(stderr), _) => Lines::read(stderr),
            (None, Some(stdout)) => Lines::read(stdout),
            (None, None) => panic!("pipe the log of {command:?}"),
        };
        let mut running = Running {
            child,
            url: String::new(),
            logs: log,
        };
        let line = running
            .logs
            .wait_for("saying where the control plane listens", |line| {
                line.contains("http://127.0.0.1:")
            });
        let at = line.find("http://127.0.0.1:").unwrap();
        running.url = line[at..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        running
    }

    /// `steward ctl --url URL ARGS…`.
    pub(crate) fn ctl(&self, args: &[&str]) -> Output {
        self.ctl_command(args).output().unwrap()
    }

    /// The command `ctl` would run, to spawn it.
    pub(crate) fn ctl_command(&self, args: &[&str]) -> Command {
        let mut command = steward();
        command.arg("ctl").args(["--url", &self.url]).args(args);
        command
    }

    /// `ctl ARGS…`, which must succeed; its stdout.
    pub(crate) fn ctl_ok(&self, args: &[&str]) -> String {
        let output = self.ctl(args);
        let (out, err) = text(&output);
        assert!(
            output.status.success(),
            "`ctl {}` failed ({}):\n{out}{err}",
            args.join(" "),
            output.status
        );
        out
    }

    /// `ctl status SERVICE --json`.
    pub(crate) fn status(&self, service: &str) -> Value {
        let out = self.ctl_ok(&["status", service, "--json"]);
        serde_json::from_str(&out).unwrap_or_else(|error| panic!("{error}: {out}"))
    }

    /// Waits until `service` is in `state`; its status then.
    pub(crate) fn wait_state(&self, service: &str, state: &str) -> Value {
        let mut last = Value::Null;
        eventually(&format!("{service} is {state}"), || {
            last = self.status(service);
            (last["state"] == state).then(|| last.clone())
        })
    }

    /// Sends `signal` and waits, up to [`DEADLINE`], for the process to exit.
    pub(crate) fn signal_and_wait(&mut self, signal: Signal) -> ExitStatus {
        kill(Pid::from_raw(self.child.id().try_into().unwrap()), signal).unwrap();
        eventually("the host exits", || self.child.try_wait().unwrap())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        let pid = Pid::from_raw(self.child.id().try_into().unwrap_or(i32::MAX));
        let _ = kill(pid, Signal::SIGTERM);
        let deadline = Instant::now() + DEADLINE;
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(POLL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
