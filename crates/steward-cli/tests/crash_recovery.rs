//! Nothing accepted is lost. Actions pour into the durable-actions example
//! (`examples/05_durable_actions.rs`, a real process on an SQLite journal) through
//! its HTTP API from several client connections, while the process is killed with
//! SIGKILL at random moments and started again on the same files; then the same
//! with SIGTERM and a short drain timeout. The example's handler appends its
//! action's id to a ledger once per run: every action answered `202` must be in
//! it, repeats (delivery is at least once) are counted, and the restarts must
//! have replayed actions from the journal (the host logs how many).
//!
//! `STEWARD_CRASH_ACTIONS` sets how many actions each test has accepted (100,000
//! by default), `STEWARD_CRASH_SEED` replays a run's stop moments (each run prints
//! its seed). `--nocapture` shows the figures. In a debug build on 2 cores the two
//! tests run side by side in about 100 s (160 s while other builds share the
//! cores): the journal syncs each commit to disk, so the rate is set by how many
//! writes each sync carries.
//!
//! The ledger service takes at most 16 actions at once, fewer than the 32 clients
//! send, so thousands wait in its mailbox at every stop: they are what the journal
//! must bring back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod common;

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::net::SocketAddr;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use steward::Journal;
use steward_sqlite::SqliteJournal;

use common::load::{self, Target, within};
use common::{Running, eventually, example};

/// How many actions each test has accepted unless `STEWARD_CRASH_ACTIONS` says.
const ACTIONS: usize = 100_000;

/// Client threads, each on a connection of its own.
const CLIENTS: usize = 32;

/// How many times each test stops the host while actions pour in.
const STOPS: usize = 3;

/// The longest a test waits for a stretch of work (a phase between stops, or the
/// last actions to run).
const PHASE: Duration = Duration::from_secs(300);

const SEND: &str = "/api/services/ledger/actions/record";

#[test]
fn actions_accepted_before_a_sigkill_all_run_after_the_restart() {
    survive(Signal::SIGKILL, "10s");
}

#[test]
fn actions_left_by_a_sigterm_with_a_short_drain_all_run_after_the_restart() {
    survive(Signal::SIGTERM, "100ms");
}

fn survive(signal: Signal, drain_timeout: &str) {
    let total = env_or("STEWARD_CRASH_ACTIONS", ACTIONS);
    let seed = env_or("STEWARD_CRASH_SEED", fastrand::u64(..));
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut stops: Vec<usize> = (0..STOPS)
        .map(|_| rng.usize(total / 10..total * 9 / 10))
        .collect();
    stops.sort_unstable();
    println!(
        "{signal}: {total} actions, {CLIENTS} clients, stops after {stops:?} accepted (seed {seed}: STEWARD_CRASH_SEED={seed})"
    );

    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), drain_timeout);
    let began = Instant::now();
    let target = Arc::new(Target::default());
    let (mut host, _) = start(&config, &target);
    let (load, clients) = load::start(CLIENTS, &target, SEND, total);
    let (mut restarts, mut replayed) = (Vec::new(), Vec::new());
    for at in stops {
        let reached = within(PHASE, || {
            load.accepted.load(Ordering::Relaxed) >= at || load.gave_up.load(Ordering::Relaxed) > 0
        });
        assert!(reached, "{at} actions were not accepted within {PHASE:?}");
        target.down();
        let stopping = Instant::now();
        let status = if signal == Signal::SIGKILL {
            host.child.kill().unwrap();
            host.child.wait().unwrap()
        } else {
            host.signal_and_wait(signal)
        };
        if signal == Signal::SIGKILL {
            assert_eq!(status.signal(), Some(9), "{status}");
        } else {
            assert!(status.success(), "a clean exit on {signal}: {status}");
        }
        let (next, from_journal) = start(&config, &target);
        host = next;
        restarts.push(stopping.elapsed());
        replayed.push(from_journal);
    }
    for client in clients {
        client.join().unwrap();
    }
    let accepted_in = began.elapsed();
    assert_eq!(load.gave_up.load(Ordering::Relaxed), 0, "a client gave up");
    let unexpected = load.unexpected.lock().unwrap().clone();
    assert!(
        unexpected.is_empty(),
        "answers no request should get: {unexpected:?}"
    );
    let accepted: HashSet<String> = load.ids.lock().unwrap().iter().cloned().collect();
    assert_eq!(
        accepted.len(),
        total,
        "each accepted action has an id of its own"
    );

    let mut ledger = Ledger::new(dir.path().join("ledger.log"));
    let mut waiting = accepted.clone();
    let all_ran = within(PHASE, || {
        for id in ledger.read() {
            waiting.remove(&id);
        }
        waiting.is_empty()
    });
    let exit = host.signal_and_wait(Signal::SIGTERM);
    assert!(exit.success(), "{exit}");
    ledger.read();
    let missing = accepted
        .iter()
        .filter(|id| !ledger.runs.contains_key(*id))
        .count();
    let repeats: usize = accepted
        .iter()
        .filter_map(|id| ledger.runs.get(id))
        .map(|attempts| attempts.len().saturating_sub(1))
        .sum();
    let told: usize = accepted
        .iter()
        .filter_map(|id| ledger.runs.get(id))
        .map(|attempts| attempts.iter().filter(|&&attempt| attempt > 1).count())
        .sum();
    // A repeat knows it may be one: only an action's first run has attempt 1.
    let unaware = accepted
        .iter()
        .filter_map(|id| ledger.runs.get(id))
        .filter(|attempts| attempts.iter().filter(|&&attempt| attempt == 1).count() > 1)
        .count();
    let unanswered = ledger
        .runs
        .keys()
        .filter(|id| !accepted.contains(*id))
        .count();
    println!(
        "{signal}: {total} accepted in {accepted_in:.1?} ({} stops, restarts took up to {:.1?}, \
         replayed from the journal after each: {replayed:?}); \
         missing {missing}, duplicates {repeats} (runs with attempt > 1: {told}); \
         ran without a 202 (the answer died with the process) {unanswered}; \
         requests lost on the wire {}, refused while shutting down {}; {:.1?} in all",
        restarts.len(),
        restarts.iter().max().copied().unwrap_or_default(),
        load.lost.load(Ordering::Relaxed),
        load.refused.load(Ordering::Relaxed),
        began.elapsed(),
    );
    // Stopped with thousands waiting in the mailbox, the restarts must have put some
    // back in line from the journal: else nothing here tested replay.
    assert!(
        replayed.iter().sum::<usize>() > 0,
        "no restart replayed an action from the journal after {signal}: {replayed:?}"
    );
    assert!(all_ran, "not every accepted action ran within {PHASE:?}");
    assert_eq!(missing, 0, "accepted actions that never ran");
    assert_eq!(unaware, 0, "actions run twice as their first attempt");

    // Nothing is left behind in the journal.
    let journal = SqliteJournal::open(dir.path().join("steward.db")).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let unfinished = runtime.block_on(journal.unfinished()).unwrap();
    assert!(unfinished.is_empty(), "{} unfinished", unfinished.len());
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(text) => text
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text:?} is not a number")),
        Err(_) => default,
    }
}

/// The example's configuration: everything in `dir`, the control plane on a
/// free port each start.
fn write_config(dir: &Path, drain_timeout: &str) -> PathBuf {
    let (journal, ledger) = (dir.join("steward.db"), dir.join("ledger.log"));
    let config = format!(
        r#"[host]
drain_timeout = "{drain_timeout}"

[journal]
kind = "sqlite"
path = {journal:?}
keep_finished = 1000000

[http]
bind = "127.0.0.1:0"

[services.ledger]
max_concurrency = 16
mailbox = 4096
settings = {{ path = {ledger:?} }}
"#
    );
    let path = dir.join("durable.toml");
    std::fs::write(&path, config).unwrap();
    path
}

/// Starts the example on `config`, waits until it is ready and points the
/// clients at it; how many actions it replayed from the journal.
fn start(config: &Path, target: &Target) -> (Running, usize) {
    let mut command = Command::new(example("05_durable_actions"));
    command
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut host = Running::spawn(command);
    let address: SocketAddr = host.url.trim_start_matches("http://").parse().unwrap();
    eventually("the host is ready", || {
        let status = load::status_of(address, "/health/ready").ok()?;
        (status == 200).then_some(())
    });
    // Replay begins before the host starts (and says nothing when there was none),
    // and says how many it put back in line once it has read the whole backlog.
    host.logs.wait_for("saying the host started", |line| {
        line.contains("host started")
    });
    let replaying = host
        .logs
        .seen
        .iter()
        .any(|line| line.contains("replaying unfinished actions"));
    let replayed = if replaying {
        let done = host.logs.wait_for("saying how many were replayed", |line| {
            line.contains("replayed=")
        });
        let (_, rest) = done.split_once("replayed=").unwrap();
        rest.split_whitespace().next().unwrap().parse().unwrap()
    } else {
        0
    };
    target.up(address);
    (host, replayed)
}

/// The ledger the example writes, `ACTION_ID ATTEMPT` per run, read as it grows.
struct Ledger {
    path: PathBuf,
    /// How far it has been read: up to the end of its last whole line.
    read: u64,
    /// Each action's attempts, one per run, in the order they ran.
    runs: HashMap<String, Vec<u32>>,
}

impl Ledger {
    fn new(path: PathBuf) -> Self {
        Self {
            path,
            read: 0,
            runs: HashMap::new(),
        }
    }

    /// Reads the whole lines written since the last read; the ids they name.
    fn read(&mut self) -> Vec<String> {
        let Ok(mut file) = File::open(&self.path) else {
            return Vec::new();
        };
        let mut fresh = Vec::new();
        file.seek(SeekFrom::Start(self.read)).unwrap();
        file.read_to_end(&mut fresh).unwrap();
        let Some(end) = fresh.iter().rposition(|&byte| byte == b'\n') else {
            return Vec::new();
        };
        self.read += end as u64 + 1;
        let mut ids = Vec::new();
        for line in String::from_utf8_lossy(&fresh[..end]).lines() {
            let (id, attempt) = line.split_once(' ').unwrap_or((line, "0"));
            let attempt = attempt.parse().unwrap_or(0);
            self.runs.entry(id.to_owned()).or_default().push(attempt);
            ids.push(id.to_owned());
        }
        ids
    }
}
