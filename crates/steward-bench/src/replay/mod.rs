//! Replay: a host starting on an SQLite file that a previous process left with a
//! backlog of queued no-op actions, running them all.
//!
//! Each subject, in a process of its own, fills a fresh file with its backlog
//! through the journal (the filling's memory counted out: the peak resident set
//! is started over once it is done), then starts a host on the file and waits
//! until every action's end is committed. The two backlogs differ a hundredfold;
//! the host reads them a page at a time as its mailbox has room, so its memory
//! should not.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};
use steward::{ActionId, ActionRecord, Journal};
use steward_sqlite::{SqliteJournal, Synchronous};

use crate::counted;
use crate::host;
use crate::report::{Rule, Table, Target};
use crate::{Cli, Rows, Settings, measure::Measurement, rss, runner};

const SCENARIO: &str = "replay";

pub(crate) const SUBJECTS: &[&str] = &["backlog-small", "backlog-large"];

/// The small backlog is this many times smaller than the large one.
const SMALLER: usize = 100;

/// Tasks filling the file at once, each its share one after the other.
const FILLERS: usize = 64;

/// How long a replay may take before it is given up as stuck.
const LIMIT: Duration = Duration::from_secs(900);

/// Measures every subject (or `--only` one) and builds the table.
pub(crate) fn run(cli: &Cli, settings: &Settings) -> anyhow::Result<Table> {
    runner::scenario(cli, settings, SCENARIO, SUBJECTS, measure, table)
}

fn backlog(subject: &str, settings: &Settings) -> usize {
    match subject {
        "backlog-small" => (settings.replay_backlog / SMALLER).max(1),
        _ => settings.replay_backlog,
    }
}

fn measure(subject: &str, settings: &Settings) -> anyhow::Result<Rows> {
    let actions = backlog(subject, settings);
    let replay = runner::fresh(round(actions))?;
    let row = |metric: &str, value: f64, unit: &str| {
        Measurement::new(SCENARIO, subject, metric, value, unit)
    };
    Ok(vec![
        row(
            "replayed_per_sec",
            actions as f64 / replay.took.as_secs_f64(),
            "actions/s",
        ),
        row("start_ms", replay.started.as_secs_f64() * 1e3, "ms"),
        row("rss_peak_growth", replay.peak_growth as f64, "bytes"),
        row("backlog", actions as f64, "actions"),
    ])
}

/// What one replay measured.
struct Replay {
    /// `start()` called → returned.
    started: Duration,
    /// `start()` called → the last action's end committed.
    took: Duration,
    /// The peak resident set over the resident set before the host was built.
    peak_growth: u64,
}

async fn round(actions: usize) -> anyhow::Result<Replay> {
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let path = dir.path().join("steward.db");
    fill(&path, actions).await?;

    rss::reset_peak()?;
    let before = rss::resident_bytes()?;
    let journal = SqliteJournal::builder(&path)
        .synchronous(Synchronous::Normal)
        .open()?;
    let journal = Arc::new(journal);
    let began = Instant::now();
    let (running, all_done) = counted::start_noop(journal.clone(), actions).await?;
    let started = began.elapsed();
    let done = tokio::time::timeout(LIMIT, all_done)
        .await
        .map_err(|_| anyhow!("not every action was replayed within {LIMIT:?}"))?
        .map_err(|_| anyhow!("the tally was dropped"))?;
    let peak_growth = rss::peak_bytes()?.saturating_sub(before);
    let report = running.shutdown().await;
    journal.close().await?;
    host::stopped_cleanly(&report, 1)?;
    Ok(Replay {
        started,
        took: done - began,
        peak_growth,
    })
}

/// Leaves `actions` queued no-op actions in the journal at `path`, as a process
/// that stopped before running them would.
async fn fill(path: &std::path::Path, actions: usize) -> anyhow::Result<()> {
    let journal = SqliteJournal::builder(path)
        .synchronous(Synchronous::Normal)
        .open()?;
    let journal = Arc::new(journal);
    let now = chrono::Utc::now();
    let fillers: Vec<_> = (0..FILLERS)
        .map(|filler| {
            let journal = journal.clone();
            tokio::spawn(async move {
                for n in (filler..actions).step_by(FILLERS) {
                    journal.accept(queued(n, now)).await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for filler in fillers {
        filler.await.context("a filler panicked")??;
    }
    Arc::into_inner(journal)
        .context("the journal is still shared")?
        .close()
        .await?;
    Ok(())
}

fn queued(n: usize, at: chrono::DateTime<chrono::Utc>) -> ActionRecord {
    let id = ActionId::from(n as u128 + 1);
    ActionRecord::queued(id, "noop", "noop", serde_json::Value::Null, at)
}

fn table(rows: Rows, settings: &Settings) -> Table {
    let large = settings.replay_backlog;
    let small = (large / SMALLER).max(1);
    Table {
        title: format!(
            "replay: a host starting on an SQLite file left with {small} and with {large} queued no-op actions, running them all"
        ),
        notes: vec![
            "each backlog filled through SqliteJournal::accept by 64 tasks in a fresh file, in a process of its own; the peak".to_owned(),
            "  resident set is started over (/proc/self/clear_refs) once the file is filled and closed".to_owned(),
            "then one continuous service with a no-op action, .max_concurrency(1024), its mailbox the default 1,024, on the file".to_owned(),
            "  at synchronous=NORMAL; start_ms: Host::start called → returned (the first page of the backlog in line);".to_owned(),
            "  replayed_per_sec: over start called → the last `succeeded` committed; one round per subject".to_owned(),
            "rss_peak_growth: the peak over the resident set before the journal opened; `vs floor` is against the small backlog".to_owned(),
        ],
        rows,
        baseline: |_| "backlog-small",
        targets: vec![Target {
            subject: "backlog-large",
            metric: "rss_peak_growth",
            rule: Rule::RatioAtMost(2.0),
        }],
    }
}
