//! Restart: a supervised program that exits after 100 ms, started again each time.
//!
//! Every subject supervises the same program, this binary's `child` (see
//! [`child`]), which logs its start and its exit with the wall clock in
//! nanoseconds. A restart's latency is a run's exit to the next run's start, read
//! from that log afterwards: the supervisor reaping the child, deciding, forking
//! and exec'ing, and the child's own start-up until it writes its first line. One
//! round per subject, in a fresh runtime and a fresh scratch directory, until the
//! program has been restarted `restarts` times.

pub(crate) mod child;
mod floor;
mod steward;
mod supervisord;
mod timeline;

use std::path::PathBuf;
use std::time::Duration;

use tempfile::TempDir;

use crate::report::{Rule, Table, Target};
use crate::stats::percentile;
use crate::{Cli, Rows, Settings, measure::Measurement, runner};

pub(crate) const SUBJECTS: &[&str] = &["steward", "floor", "supervisord"];

const SCENARIO: &str = "restart";

/// How long a subject may go without starting the program before it is judged stuck.
const STALL: Duration = Duration::from_secs(10);

/// Steward's target for the p99, in milliseconds.
const TARGET_P99_MS: f64 = 10.0;

/// What every subject is given.
#[derive(Debug)]
pub(crate) struct Job {
    /// A scratch directory, removed afterwards; the log is in it.
    pub(crate) dir: TempDir,
    pub(crate) log: PathBuf,
    pub(crate) program: child::Program,
    /// How many restarts to wait for.
    pub(crate) restarts: usize,
    /// How long each run lives.
    pub(crate) live: Duration,
}

impl Job {
    fn new(settings: &Settings) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("steward-bench-restart-")
            .tempdir()?;
        let log = dir.path().join("child.log");
        let program = child::Program::new(&log, settings.live)?;
        Ok(Self {
            dir,
            log,
            program,
            restarts: settings.restarts,
            live: settings.live,
        })
    }

    /// Completes once the program has been restarted `restarts` times.
    pub(crate) async fn restarted(&self) -> anyhow::Result<()> {
        timeline::wait_for_starts(&self.log, self.restarts + 1, self.live + STALL).await
    }
}

/// How a subject's round ended.
pub(crate) enum Ran {
    /// The log holds `restarts` restarts.
    Done,
    /// The subject could not run here, and why.
    Unavailable(String),
}

/// Measures every subject (or `--only` one) and builds the table.
pub(crate) fn run(cli: &Cli, settings: &Settings) -> anyhow::Result<Table> {
    runner::scenario(cli, settings, SCENARIO, SUBJECTS, measure, table)
}

fn measure(subject: &str, settings: &Settings) -> anyhow::Result<Rows> {
    let job = Job::new(settings)?;
    let ran = runner::fresh(async {
        match subject {
            "steward" => steward::round(&job).await.map(|()| Ran::Done),
            "floor" => floor::round(&job).await.map(|()| Ran::Done),
            "supervisord" => supervisord::round(&job).await,
            other => anyhow::bail!("unknown restart subject `{other}`"),
        }
    })?;
    let metrics = ["latency_p50", "latency_p99"];
    if let Ran::Unavailable(why) = ran {
        return Ok(metrics
            .map(|metric| Measurement::unavailable(SCENARIO, subject, metric, "ms", &why))
            .to_vec());
    }
    let mut latencies = timeline::latencies(&timeline::read(&job.log)?, job.restarts)?;
    latencies.sort_unstable();
    let millis = |p: f64| percentile(&latencies, p) as f64 / 1e6;
    Ok(vec![
        Measurement::new(SCENARIO, subject, metrics[0], millis(50.0), "ms"),
        Measurement::new(SCENARIO, subject, metrics[1], millis(99.0), "ms"),
    ])
}

fn table(rows: Rows, settings: &Settings) -> Table {
    let mut notes = vec![
        format!(
            "child: this binary as `steward-bench child`: appends `start <unix ns>` to a log, sleeps {:?}, appends `exit <unix ns>`,",
            settings.live
        ),
        "  exits with status 1; the same program, started by its absolute path, for every subject".to_owned(),
        "latency: a run's exit line → the next run's start line (reaping, deciding, fork + exec, the child's start-up)".to_owned(),
        "steward: one `kind = \"process\"` service (steward-builtins), restart = { policy = \"always\", backoff = \"0s..0s\"".to_owned(),
        "  (the smallest accepted), max_restarts = 4294967295, window = \"1h\" }; the program's stdout and stderr piped into the host's log".to_owned(),
        "floor: one tokio task: tokio::process::Command (stdio null) spawned again as soon as wait() returns".to_owned(),
        "supervisord: `supervisord -n -c` a generated config: autorestart=true, startsecs=0, startretries=1000000,".to_owned(),
        "  its socket, pidfile and logs in a scratch directory; stopped with SIGTERM afterwards".to_owned(),
    ];
    notes.push(versus_supervisord(&rows));
    Table {
        title: format!(
            "restart: a program exiting after {:?}, restarted {} times; child exit → next child start (p99 of {} is the slowest)",
            settings.live, settings.restarts, settings.restarts
        ),
        notes,
        rows,
        baseline: |_| "floor",
        targets: vec![Target {
            subject: "steward",
            metric: "latency_p99",
            rule: Rule::AtMost(TARGET_P99_MS),
        }],
    }
}

/// Steward's latencies over supervisord's, or why supervisord has none.
fn versus_supervisord(rows: &Rows) -> String {
    if let Some(why) = rows
        .iter()
        .find(|row| row.subject == "supervisord")
        .and_then(|row| row.unavailable.as_deref())
    {
        return format!("supervisord unavailable: {why}");
    }
    let value = |subject: &str, metric: &str| {
        rows.iter()
            .find(|row| row.subject == subject && row.metric == metric)
            .map(|row| row.value)
    };
    let ratio = |metric: &str| match (value("steward", metric), value("supervisord", metric)) {
        (Some(steward), Some(supervisord)) if supervisord > 0.0 => {
            format!("{:.4}×", steward / supervisord)
        }
        _ => "—".to_owned(),
    };
    format!(
        "steward ÷ supervisord: p50 {}, p99 {}",
        ratio("latency_p50"),
        ratio("latency_p99")
    )
}
