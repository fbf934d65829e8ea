//! Durable: no-op actions accepted through an SQLite file, then finished.
//!
//! Each round, in a fresh runtime and a fresh temporary directory, starts the
//! subject on an empty file; then `callers` tasks each submit their share of the
//! actions one after the other, each call returning once the action is committed
//! to the file (accepted), and timed. The subject runs the actions as they come;
//! an action is completed once its end is committed to the file too. Rates are
//! over the time from the first submit: until the last acceptance (accepted/s),
//! and until the last completion (completed/s). Latencies are pooled over the
//! rounds; the rates are the median round's (by completed/s); peak memory is the
//! growth of the peak resident set (`VmHWM`) over the resident set before the
//! first round, in a fresh process, as in `batch`.

mod apalis;
mod floor;
mod steward;

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use steward_sqlite::Synchronous;

use crate::report::{Rule, Table, Target};
use crate::stats::percentile;
use crate::{Cli, Rows, Settings, measure::Measurement, rss, runner};

pub(crate) const SUBJECTS: &[&str] = &[
    "steward",
    "steward-normal",
    "floor",
    "floor-normal",
    "apalis",
];

const SCENARIO: &str = "durable";

/// The unit of the rates: an action (a row for the floor, a job for apalis).
const PER_SECOND: &str = "actions/s";

/// How long a round may take before it is given up as stuck.
const ROUND_LIMIT: Duration = Duration::from_secs(600);

/// How a round drives the subject.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Load {
    /// Actions submitted in all.
    pub(crate) actions: usize,
    /// Tasks submitting at once, each its share one after the other.
    pub(crate) callers: usize,
}

impl Load {
    /// The load a subject runs under: apalis on its own (smaller) count.
    fn of(subject: &str, settings: &Settings) -> Self {
        let actions = if subject == "apalis" {
            settings.durable_peer_actions
        } else {
            settings.durable_actions
        };
        Self {
            actions,
            callers: settings.durable_callers.min(actions),
        }
    }

    /// Caller `index`'s share: the actions split as evenly as they go.
    fn share(&self, index: usize) -> usize {
        self.actions / self.callers + usize::from(index < self.actions % self.callers)
    }
}

/// One caller's way to submit a no-op, returning once it is accepted (durable).
pub(crate) trait Submitter: Send + 'static {
    fn submit(&mut self) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// What the callers saw.
pub(crate) struct Accepted {
    /// When the first caller started.
    pub(crate) began: Instant,
    /// When the last acceptance came back.
    pub(crate) last: Instant,
    /// Each submit's time to acceptance, in nanoseconds, unsorted.
    pub(crate) latencies: Vec<u64>,
}

/// Has `load.callers` tasks, each with a submitter of its own (`submitter(index)`),
/// submit their shares at once, and times each submit.
pub(crate) async fn submit_all<S: Submitter>(
    load: Load,
    mut submitter: impl FnMut(usize) -> S,
) -> anyhow::Result<Accepted> {
    let callers: Vec<S> = (0..load.callers).map(&mut submitter).collect();
    let began = Instant::now();
    let tasks: Vec<_> = callers
        .into_iter()
        .enumerate()
        .map(|(index, mut caller)| {
            let share = load.share(index);
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(share);
                let mut last = Instant::now();
                for _ in 0..share {
                    let sent = Instant::now();
                    caller.submit().await?;
                    last = Instant::now();
                    latencies.push(u64::try_from((last - sent).as_nanos()).unwrap_or(u64::MAX));
                }
                anyhow::Ok((latencies, last))
            })
        })
        .collect();
    let mut accepted = Accepted {
        began,
        last: began,
        latencies: Vec::with_capacity(load.actions),
    };
    for task in tasks {
        let (latencies, last) = task.await.context("a caller panicked")??;
        accepted.latencies.extend(latencies);
        accepted.last = accepted.last.max(last);
    }
    ensure!(
        accepted.latencies.len() == load.actions,
        "{} of {} actions submitted",
        accepted.latencies.len(),
        load.actions
    );
    Ok(accepted)
}

/// Waits for `done` (the subject's word that every action is completed), failing
/// after [`ROUND_LIMIT`].
pub(crate) async fn completion(
    what: &str,
    done: impl Future<Output = anyhow::Result<Instant>>,
) -> anyhow::Result<Instant> {
    tokio::time::timeout(ROUND_LIMIT, done)
        .await
        .map_err(|_| anyhow::anyhow!("{what}: not every action completed within {ROUND_LIMIT:?}"))?
}

/// What one round of one subject measured.
pub(crate) struct Round {
    /// Actions submitted and completed.
    pub(crate) actions: usize,
    /// Each submit's time to acceptance, in nanoseconds, unsorted.
    pub(crate) latencies: Vec<u64>,
    /// First submit → last acceptance.
    pub(crate) accepted: Duration,
    /// First submit → last completion.
    pub(crate) completed: Duration,
    /// Transactions that wrote to the file, where the subject counts them.
    pub(crate) commits: Option<u64>,
    /// Submits refused as "database is locked" and made again (apalis).
    pub(crate) locked: Option<u64>,
}

impl Round {
    /// The round, from the callers' account and the time of the last completion.
    pub(crate) fn new(accepted: Accepted, done: Instant, commits: Option<u64>) -> Self {
        Self {
            actions: accepted.latencies.len(),
            accepted: accepted.last - accepted.began,
            completed: done.saturating_duration_since(accepted.began),
            latencies: accepted.latencies,
            commits,
            locked: None,
        }
    }

    fn accepted_per_second(&self) -> f64 {
        self.actions as f64 / self.accepted.as_secs_f64()
    }

    fn completed_per_second(&self) -> f64 {
        self.actions as f64 / self.completed.as_secs_f64()
    }
}

/// Measures every subject (or `--only` one) and builds the table.
pub(crate) fn run(cli: &Cli, settings: &Settings) -> anyhow::Result<Table> {
    runner::scenario(cli, settings, SCENARIO, SUBJECTS, measure, table)
}

/// The rates and latencies every subject reports, with their units.
const MAIN_METRICS: &[(&str, &str)] = &[
    ("completed_per_sec", PER_SECOND),
    ("accepted_per_sec", PER_SECOND),
    ("accept_p50", "µs"),
    ("accept_p99", "µs"),
];

/// Measures a subject; a peer that fails (apalis's worker can give up on a locked
/// file) reads "unavailable", with why, rather than ending the whole run.
fn measure(subject: &str, settings: &Settings) -> anyhow::Result<Rows> {
    match measure_rounds(subject, settings) {
        Err(error) if subject == "apalis" => {
            let why = format!("{error:#}");
            Ok(MAIN_METRICS
                .iter()
                .map(|(metric, unit)| {
                    Measurement::unavailable(SCENARIO, subject, metric, unit, &why)
                })
                .collect())
        }
        measured => measured,
    }
}

fn measure_rounds(subject: &str, settings: &Settings) -> anyhow::Result<Rows> {
    let load = Load::of(subject, settings);
    let mut rounds = Vec::with_capacity(settings.repeats);
    let mut latencies = Vec::with_capacity(load.actions * settings.repeats);
    let mut peak_growth = 0;
    for index in 0..settings.repeats {
        let before = rss::resident_bytes()?;
        let mut round = runner::fresh(async {
            match subject {
                "steward" => steward::round(load, Synchronous::Full).await,
                "steward-normal" => steward::round(load, Synchronous::Normal).await,
                "floor" => floor::round(load, Synchronous::Full).await,
                "floor-normal" => floor::round(load, Synchronous::Normal).await,
                "apalis" => apalis::round(load).await,
                other => anyhow::bail!("unknown durable subject `{other}`"),
            }
        })?;
        if index == 0 {
            peak_growth = rss::peak_bytes()?.saturating_sub(before);
        }
        latencies.append(&mut round.latencies);
        rounds.push(round);
    }
    latencies.sort_unstable();
    rounds.sort_by(|a, b| {
        a.completed_per_second()
            .total_cmp(&b.completed_per_second())
    });
    let round = rounds
        .get(rounds.len().saturating_sub(1) / 2)
        .context("no round ran")?;
    let micros = |p: f64| percentile(&latencies, p) as f64 / 1e3;
    let row = |metric: &str, value: f64, unit: &str| {
        Measurement::new(SCENARIO, subject, metric, value, unit)
    };
    let mut rows = vec![
        row(
            "completed_per_sec",
            round.completed_per_second(),
            PER_SECOND,
        ),
        row("accepted_per_sec", round.accepted_per_second(), PER_SECOND),
        row("accept_p50", micros(50.0), "µs"),
        row("accept_p99", micros(99.0), "µs"),
        row("rss_peak_growth", peak_growth as f64, "bytes"),
        row("actions", round.actions as f64, "actions"),
    ];
    if let Some(commits) = round.commits.filter(|&commits| commits > 0) {
        rows.push(row("commits", commits as f64, "transactions"));
        let interval = round.completed.as_secs_f64() * 1e6 / commits as f64;
        rows.push(row("time_per_commit", interval, "µs"));
    }
    if let Some(locked) = round.locked {
        rows.push(row("pushes_locked", locked as f64, "retries"));
    }
    Ok(rows)
}

fn table(rows: Rows, settings: &Settings) -> Table {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let steward = Load::of("steward", settings);
    let apalis = Load::of("apalis", settings);
    Table {
        title: format!(
            "durable: {} no-op actions through an SQLite file from {} concurrent callers, each waiting for acceptance (committed) before its next; median of {} rounds by completed/s; {threads} worker threads",
            steward.actions, steward.callers, settings.repeats,
        ),
        notes: vec![
            format!(
                "apalis runs {} jobs per round, not {} (it manages a few hundred a second here): compare its rates, not totals",
                apalis.actions, steward.actions
            ),
            "every file in a fresh temporary directory (ext4 here), WAL; accepted = the submit returned; completed = the action's".to_owned(),
            "  end is committed to the file too; rates from the first submit: to the last acceptance, to the last completion".to_owned(),
            "-normal: the same at synchronous=NORMAL (a commit reaches the OS, synced at checkpoints: safe from a process".to_owned(),
            "  crash, not a power cut); each is compared with the floor at its own level".to_owned(),
            "steward: one continuous service with a no-op action, .max_concurrency(1024) (as many as its mailbox holds), on".to_owned(),
            "  steward_sqlite::SqliteJournal::builder(file).synchronous(level) (group commit); handle.of::<Noop>().act(\"noop\", ())".to_owned(),
            "  .submit() (returns the id once the journal committed the record); completed = the `succeeded` update committed".to_owned(),
            "  (a Journal wrapper counts them); each action is 2 writes: accepted as running (nothing queued, a slot free),".to_owned(),
            "  then succeeded (one queued behind others is 3: accepted, running, succeeded)".to_owned(),
            "floor: rusqlite on the same pragmas (2 KiB pages, WAL, the same synchronous), a table of the journal's 14 columns".to_owned(),
            "  as it stores them (id as 16 bytes, service and state as numbers, times as microseconds) keyed by id".to_owned(),
            "  and no other index; one writer thread commits everything waiting (up to 1,024 rows) per transaction, with the".to_owned(),
            "  deletes of the rows committed by the transaction before; a caller builds the row and waits for its commit;".to_owned(),
            "  completed = the row deleted: 2 writes per action".to_owned(),
            "apalis: apalis-sqlite 1.0 as its README sets it up: connect_with_callback (the worker is woken by SQLite's update".to_owned(),
            "  hook), SqliteStorage::setup (WAL; synchronous=OFF on the one pooled connection it runs on, sqlx's FULL on the".to_owned(),
            "  others), one worker with its defaults (batches of 10); each caller pushes with TaskSink::push on its own storage".to_owned(),
            "  clone (one transaction per job); completed = every job `Done` in the file (counted once the handler ran them all)".to_owned(),
            "  pushes_locked: pushes refused as \"database is locked\" after sqlx's 5 s busy timeout, and made again".to_owned(),
            "commits: transactions that wrote (steward: SqliteJournal::commits; floor: its own); time_per_commit: the".to_owned(),
            "  completion time over them (at FULL each commit waits for an fsync of the WAL); rss_peak_growth as in batch".to_owned(),
        ],
        rows,
        baseline: |subject| {
            if subject.ends_with("-normal") {
                "floor-normal"
            } else {
                "floor"
            }
        },
        targets: ["steward", "steward-normal"]
            .into_iter()
            .flat_map(|subject| {
                [
                    Target {
                        subject,
                        metric: "completed_per_sec",
                        rule: Rule::AtLeast(50_000.0),
                    },
                    Target {
                        subject,
                        metric: "completed_per_sec",
                        rule: Rule::RatioAtLeast(0.3),
                    },
                ]
            })
            .collect(),
    }
}
