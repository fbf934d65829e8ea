//! `steward run` supervising real programs (`sh`, `sleep`), driven by `ctl`: list,
//! status, stop, start, restart, a crash loop given up on, live events, and SIGTERM
//! leaving nothing behind. Then `ctl trigger` and `ctl act` against the embedded
//! example, which has Rust services with a schedule and an action.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde_json::{Value, json};

use common::{Lines, Running, alive, eventually, example, text, until};

/// A `steward run` config in `dir`: the control plane on a free port, then
/// `services`.
fn config(dir: &Path, services: &str) -> PathBuf {
    let path = dir.join("steward.toml");
    let config = format!("[http]\nbind = \"127.0.0.1:0\"\n{services}");
    std::fs::write(&path, config).unwrap();
    path
}

/// A `process` service table: `command`, with `settings` added to its settings and
/// `options` to the table.
fn process(name: &str, command: &[&str], settings: &str, options: &str) -> String {
    let command = json!(command);
    format!(
        "\n[services.{name}]\nkind = \"process\"\n{options}\nsettings = {{ command = {command}, stop_timeout = \"5s\"{settings} }}\n"
    )
}

/// The pids of `service`'s programs, in the order they started, from the log.
fn started_pids(logs: &[String], service: &str) -> Vec<i32> {
    let span = format!("service{{name={service}}}");
    logs.iter()
        .filter(|line| line.contains(&span) && line.contains("program started"))
        .map(|line| {
            let pid = line
                .split_whitespace()
                .find_map(|field| field.strip_prefix("pid="))
                .unwrap_or_else(|| panic!("no pid in {line:?}"));
            pid.parse().unwrap()
        })
        .collect()
}

/// The pid of `service`'s `nth` program (the first is 1), once the log has it.
fn nth_start(running: &mut Running, service: &str, nth: usize) -> i32 {
    let what = format!("{service} starts its program for the {nth}th time");
    eventually(&what, || {
        started_pids(running.logs.pump(), service)
            .get(nth - 1)
            .copied()
    })
}

/// The pid in `file`, once a program has written it and it is not `old`.
fn pid_in(file: &Path, old: Option<i32>) -> i32 {
    let what = format!("{} holds a new pid", file.display());
    eventually(&what, || {
        let text = std::fs::read_to_string(file).ok()?;
        let pid = text.strip_suffix('\n')?.trim().parse().ok()?;
        (Some(pid) != old).then_some(pid)
    })
}

fn gone(what: &str, pids: &[i32]) {
    until(&format!("{what} {pids:?} are gone"), || {
        pids.iter().all(|&pid| !alive(pid))
    });
}

/// The cells of `service`'s row in `ctl list`'s table.
fn row<'a>(table: &'a str, service: &str) -> Vec<&'a str> {
    table
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .find(|cells| cells.first() == Some(&service))
        .unwrap_or_else(|| panic!("no row for {service} in:\n{table}"))
}

#[test]
fn ctl_stops_starts_and_restarts_programs_and_sigterm_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let script = "sleep 300 & echo $! > grandchild.pid; echo \"worker $$ says hello\"; wait";
    let cwd = format!(", cwd = {}", json!(dir.path()));
    let services = process("worker", &["sh", "-c", script], &cwd, "")
        + &process("sleeper", &["sleep", "300"], "", "");
    let mut running = Running::start(&config(dir.path(), &services));
    let grandchild_file = dir.path().join("grandchild.pid");

    running.wait_state("worker", "running");
    running.wait_state("sleeper", "running");
    let list = running.ctl_ok(&["list"]);
    assert_eq!(row(&list, "NAME")[..3], ["NAME", "KIND", "STATE"], "{list}");
    assert_eq!(row(&list, "worker")[1..3], ["process", "running"], "{list}");
    assert_eq!(
        row(&list, "sleeper")[1..3],
        ["process", "running"],
        "{list}"
    );
    let status = running.status("worker");
    assert_eq!(status["name"], "worker", "{status}");
    assert_eq!(status["builtin"], "process", "{status}");
    assert_eq!(status["state"], "running", "{status}");
    assert_eq!(status["restarts"], 0, "{status}");
    let shown = running.ctl_ok(&["status", "sleeper"]);
    assert!(shown.contains("kind:      process"), "{shown}");
    assert!(shown.contains("state:     running"), "{shown}");

    let worker = nth_start(&mut running, "worker", 1);
    let grandchild = pid_in(&grandchild_file, None);
    let sleeper = nth_start(&mut running, "sleeper", 1);
    assert!(alive(worker) && alive(grandchild) && alive(sleeper));
    // The program's stdout is in the host's log, under the service's name.
    let said =
        format!("steward::process: worker {worker} says hello pid={worker} stream=\"stdout\"");
    let line = running
        .logs
        .wait_for("with the worker's stdout", |line| line.contains(&said));
    assert!(line.contains(" INFO service{name=worker}: "), "{line}");

    // Stopped: the program and what it started are gone; the other one runs on.
    let stopped = running.ctl_ok(&["stop", "worker"]);
    assert!(stopped.contains("state:     stopped"), "{stopped}");
    gone("the worker and its grandchild", &[worker, grandchild]);
    assert_eq!(running.status("worker")["state"], "stopped");
    let ended = format!("pid={worker} ");
    let line = running.logs.wait_for("saying the worker ended", |line| {
        line.contains("program ended") && line.contains(&ended)
    });
    assert!(line.contains("stopped=true"), "{line}");
    assert!(alive(sleeper));
    assert_eq!(running.status("sleeper")["state"], "running");

    // Started again: a new program, with a new grandchild.
    // `start` and `restart` answer once the service is launched, not yet running.
    running.ctl_ok(&["start", "worker"]);
    running.wait_state("worker", "running");
    let second = nth_start(&mut running, "worker", 2);
    let second_grandchild = pid_in(&grandchild_file, Some(grandchild));
    assert_ne!(second, worker);
    assert!(alive(second) && alive(second_grandchild));

    // Restarted: the old pair is gone, a new one runs.
    running.ctl_ok(&["restart", "worker"]);
    running.wait_state("worker", "running");
    let third = nth_start(&mut running, "worker", 3);
    let third_grandchild = pid_in(&grandchild_file, Some(second_grandchild));
    assert_ne!(third, second);
    gone(
        "the restarted worker and its grandchild",
        &[second, second_grandchild],
    );
    assert!(alive(third) && alive(third_grandchild));
    assert_eq!(
        running.status("worker")["restarts"],
        0,
        "asked for, not failures"
    );

    // SIGTERM: a clean exit that takes every program and grandchild with it.
    let exit = running.signal_and_wait(Signal::SIGTERM);
    assert_eq!(exit.code(), Some(0), "a clean exit on SIGTERM");
    let logs = running.logs.until_closed();
    assert!(logs.iter().any(|line| line.contains("host stopped")));
    assert_eq!(started_pids(logs, "worker"), [worker, second, third]);
    assert_eq!(started_pids(logs, "sleeper"), [sleeper]);
    gone(
        "the programs",
        &[
            worker,
            grandchild,
            second,
            second_grandchild,
            third,
            third_grandchild,
            sleeper,
        ],
    );
}

#[test]
fn a_crash_looping_program_is_restarted_then_given_up_on() {
    let dir = tempfile::tempdir().unwrap();
    let restart = "restart = { policy = \"on-failure\", max_restarts = 2, window = \"1m\", backoff = \"50ms..100ms\" }";
    let services = process("crasher", &["sh", "-c", "exit 3"], "", restart);
    let mut running = Running::start(&config(dir.path(), &services));

    let status = running.wait_state("crasher", "failed");
    assert_eq!(status["restarts"], 2, "{status}");
    assert_eq!(status["last_error"], "exited with code 3", "{status}");
    let shown = running.ctl_ok(&["status", "crasher"]);
    assert!(shown.contains("error:     exited with code 3"), "{shown}");
    let list = running.ctl_ok(&["list"]);
    assert_eq!(row(&list, "crasher")[1..3], ["process", "failed"], "{list}");

    let exit = running.signal_and_wait(Signal::SIGTERM);
    assert_eq!(exit.code(), Some(0));
    let logs = running.logs.until_closed();
    assert_eq!(
        started_pids(logs, "crasher").len(),
        3,
        "a start and two restarts"
    );
}

/// A line of `ctl events` (`AT SERVICE:EVENT DATA`): `SERVICE:EVENT` and the data.
fn shown_event(line: &str) -> Option<(String, Value)> {
    let mut parts = line.splitn(3, ' ');
    let (_at, name, data) = (parts.next()?, parts.next()?, parts.next()?);
    Some((name.to_owned(), serde_json::from_str(data).ok()?))
}

/// A `ctl events --follow` child and the lines it prints; killed when dropped.
struct Follower {
    child: Child,
    lines: Lines,
}

impl Follower {
    fn spawn(mut command: Command) -> Follower {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let lines = Lines::read(child.stdout.take().unwrap());
        Follower { child, lines }
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn ctl_events_follows_programs_starting_and_exiting() {
    let dir = tempfile::tempdir().unwrap();
    let services = process("ticker", &["sleep", "300"], "", "")
        + &process("bystander", &["sleep", "300"], "", "");
    let mut running = Running::start(&config(dir.path(), &services));
    running.wait_state("ticker", "running");
    running.wait_state("bystander", "running");

    let mut ticker =
        Follower::spawn(running.ctl_command(&["events", "--follow", "--service", "ticker"]));
    let mut starts = Follower::spawn(running.ctl_command(&[
        "events",
        "--follow",
        "--json",
        "--event",
        "process.started",
    ]));
    // Nothing says when a follower has subscribed: restart the ticker, every half
    // second, until both have printed something.
    let mut restarts = 0;
    let mut restarted: Option<Instant> = None;
    eventually("both followers print events", || {
        if !ticker.lines.pump().is_empty() && !starts.lines.pump().is_empty() {
            return Some(());
        }
        if restarted.is_none_or(|at| at.elapsed() >= Duration::from_millis(500)) {
            running.ctl_ok(&["restart", "ticker"]);
            restarts += 1;
            restarted = Some(Instant::now());
        }
        None
    });

    // From now on both are subscribed.
    running.ctl_ok(&["stop", "ticker"]);
    running.ctl_ok(&["restart", "bystander"]);
    running.ctl_ok(&["start", "ticker"]);
    let pids = eventually("the ticker's last start is logged", || {
        let pids = started_pids(running.logs.pump(), "ticker");
        (pids.len() == restarts + 2).then_some(pids)
    });
    let (old, new) = (pids[restarts], pids[restarts + 1]);
    let bystander = eventually("the bystander's restart is logged", || {
        started_pids(running.logs.pump(), "bystander")
            .get(1)
            .copied()
    });

    let new_start =
        |(name, data): &(String, Value)| name == "ticker:process.started" && data["pid"] == new;
    ticker
        .lines
        .wait_for("with the ticker's new start", |line| {
            shown_event(line).is_some_and(|event| new_start(&event))
        });
    let seen: Vec<(String, Value)> = ticker
        .lines
        .seen
        .iter()
        .map(|line| shown_event(line).unwrap_or_else(|| panic!("not an event: {line:?}")))
        .collect();
    assert!(
        seen.iter()
            .all(|(name, _)| name.starts_with("ticker:process.")),
        "only the ticker's events: {seen:#?}"
    );
    // The old program's exit comes just before the new one's start.
    let at = seen.iter().position(new_start).unwrap();
    assert_eq!(seen[at].1["command"], "sleep 300", "{seen:#?}");
    assert_eq!(seen[at - 1].0, "ticker:process.exited", "{seen:#?}");
    let exited = &seen[at - 1].1;
    assert_eq!(exited["pid"], old, "{seen:#?}");
    assert_eq!(exited["stopped"], true, "{exited}");
    assert_eq!(exited["status"], "killed by SIGTERM", "{exited}");

    let line = starts
        .lines
        .wait_for("with the bystander's new start", |line| {
            serde_json::from_str::<Value>(line).is_ok_and(|event| event["data"]["pid"] == bystander)
        });
    let event: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["service"], "bystander", "{event}");
    assert_eq!(event["event"], "process.started", "{event}");
    assert!(event["at"].is_string(), "{event}");
    starts
        .lines
        .wait_for("with the ticker's new start", |line| {
            serde_json::from_str::<Value>(line).is_ok_and(|event| event["data"]["pid"] == new)
        });
    for line in &starts.lines.seen {
        let event: Value = serde_json::from_str(line).unwrap();
        assert_eq!(event["event"], "process.started", "only starts: {line}");
    }
    drop(starts);

    // The stream ends with the host, after the last program's exit.
    let exit = running.signal_and_wait(Signal::SIGTERM);
    assert_eq!(exit.code(), Some(0));
    let ended = eventually("the follower ends with the host", || {
        ticker.child.try_wait().unwrap()
    });
    assert_eq!(ended.code(), Some(0), "{ended}");
    let last = ticker.lines.until_closed().last().unwrap();
    let (name, data) = shown_event(last).unwrap();
    assert_eq!(name, "ticker:process.exited", "{last}");
    assert_eq!(data["pid"], new, "{last}");
}

/// The embedded example, its control plane on a free port, its cleanup running
/// only when triggered (and once at startup), and without the flaky camera (which
/// holds up a stop until its next panic).
fn embedded() -> Running {
    let mut command = Command::new(example("embedded"));
    command
        .env("STEWARD__HTTP__BIND", "127.0.0.1:0")
        .env("STEWARD__SERVICES__CLEANUP__INTERVAL", "1h")
        .env("STEWARD__SERVICES__FLAKY_CAMERA__ENABLED", "false")
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    Running::spawn(command)
}

/// The cleanup's successful runs, once it is running and has run at startup.
fn cleanup_runs(host: &Running) -> u64 {
    let status = host.status("cleanup");
    let runs = status["runs"]["succeeded"].as_u64().unwrap_or(0);
    if status["state"] == "running" {
        runs
    } else {
        0
    }
}

#[test]
fn ctl_trigger_runs_a_periodic_service_now() {
    let mut host = embedded();
    let before = eventually("the cleanup has run at startup", || {
        Some(cleanup_runs(&host)).filter(|&runs| runs >= 1)
    });

    let triggered = host.ctl_ok(&["trigger", "cleanup"]);
    assert_eq!(triggered.trim(), "triggered");
    until("the triggered run is counted", || {
        cleanup_runs(&host) == before + 1
    });
    let status = host.status("cleanup");
    assert_eq!(status["runs"]["last_outcome"], "success", "{status}");

    let not_periodic = host.ctl(&["trigger", "inbox-watcher"]);
    let (out, err) = text(&not_periodic);
    assert_eq!(not_periodic.status.code(), Some(1), "{out}{err}");
    assert!(err.contains("not_supported"), "{err}");

    let exit = host.signal_and_wait(Signal::SIGTERM);
    assert!(exit.success(), "{exit}");
    let passes = host
        .logs
        .until_closed()
        .iter()
        .filter(|line| line.contains("cleanup pass done"));
    assert_eq!(passes.count(), 2, "one at startup, one triggered");
}

#[test]
fn ctl_act_sends_an_action_and_names_the_bad_field() {
    let mut host = embedded();
    host.wait_state("cleanup", "running");

    let args = ["act", "cleanup", "purge", "--params"];
    let purged = host.ctl_ok(&[&args[..], &[r#"{"older_than_days": 7}"#, "--wait"]].concat());
    assert_eq!(purged.trim(), r#"{"purged":3}"#);
    let answer = host.ctl_ok(
        &[
            &args[..],
            &[r#"{"older_than_days": 30}"#, "--wait", "--json"],
        ]
        .concat(),
    );
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["result"], json!({"purged": 1}), "{answer}");
    let accepted = host.ctl_ok(&[&args[..], &[r#"{"older_than_days": 0}"#]].concat());
    assert!(accepted.starts_with("accepted: "), "{accepted}");
    let options = [
        "--retries",
        "2",
        "--backoff",
        "5s..1m",
        "--correlation-id",
        "nightly run & more",
    ];
    let accepted = host.ctl_ok(&[&args[..], &[r#"{"older_than_days": 0}"#], &options].concat());
    let id = accepted.trim().trim_start_matches("accepted: ");
    let record: Value = serde_json::from_str(&host.ctl_ok(&["action", id, "--json"])).unwrap();
    assert_eq!(record["correlation_id"], "nightly run & more", "{record}");
    assert_eq!(record["max_retries"], 2, "{record}");
    assert_eq!(record["retry_backoff"]["min"], "5s", "{record}");
    let shown = host.ctl_ok(&["action", id]);
    assert!(shown.contains(id) && shown.contains("purge"), "{shown}");

    let bad = host.ctl(&[&args[..], &[r#"{"older_than_days": "x"}"#, "--wait"]].concat());
    let (out, err) = text(&bad);
    assert_eq!(bad.status.code(), Some(1), "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("at `older_than_days`"), "{err}");
    assert!(err.contains("expected u32"), "{err}");
    assert!(err.contains("bad_parameters"), "{err}");

    let unknown = host.ctl(&["act", "cleanup", "vacuum", "--wait"]);
    let (_, err) = text(&unknown);
    assert_eq!(unknown.status.code(), Some(1), "{err}");
    assert!(err.contains("no action `vacuum`"), "{err}");
    assert!(err.contains("unknown_action"), "{err}");

    let exit = host.signal_and_wait(Signal::SIGTERM);
    assert!(exit.success(), "{exit}");
    let logs = host.logs.until_closed();
    assert!(
        logs.iter()
            .any(|line| line.contains("purged") && line.contains("older_than_days=7")),
        "{logs:#?}"
    );
}
