//! Watch: files written into a directory tree, and how a watcher reports them.
//!
//! Each workload gets a fresh scratch directory on a real file system (not
//! tmpfs, whose inotify behaviour differs from a disk's) with a few
//! subdirectories, and a fresh process per subject. Once the subject watches, a
//! writer thread creates the files in the subdirectories in turn — create, write
//! 1 KB, close — either as fast as it can (a burst) or at a steady pace, and
//! notes the instant it called each `close`.
//!
//! - `steward`: a host with a `file-watcher` (inotify, no initial scan) on the
//!   subdirectories; a subscriber task takes its `file.created` events.
//! - `steward-recursive`: the same, watching the scratch directory recursively.
//! - `floor`: one thread reading a raw inotify instance that watches the
//!   subdirectories for `IN_CLOSE_WRITE`; a queue overflow (`IN_Q_OVERFLOW`) is
//!   counted, nothing is rescanned.
//! - `floor-stat`: the floor, also reading each file's size and modification
//!   time, which a `file.created` event carries.
//!
//! All hand each reported path, with the instant it was received, to the same
//! [`Tally`]. The wait ends when every file was reported, or
//! when, the writer done, no report came for the settle time; the files not
//! reported by then are missed. CPU and memory are read at that moment. The
//! subject then listens for one more settle time of quiet, so that a file
//! reported again (after a rescan) counts as a duplicate.

mod floor;
mod median;
mod scratch;
mod steward;
mod tally;
mod writer;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};

use crate::measure::Measurement;
use crate::report::{Rule, Table, Target};
use crate::{Cli, Rows, Settings, runner};

use self::steward::WatchSet;
use scratch::Scratch;
use tally::{Reading, Tally};
use writer::Written;

pub(crate) const SUBJECTS: &[&str] = &["steward", "steward-recursive", "floor", "floor-stat"];

const SCENARIO: &str = "watch";

/// What the watch workloads are made of.
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    bursts: Vec<usize>,
    paced: usize,
    paced_runs: usize,
    rate: u32,
    file_bytes: usize,
    dirs: usize,
    settle: Duration,
    root: Option<PathBuf>,
    only: Option<String>,
    keep: bool,
}

impl From<&Cli> for Shape {
    fn from(cli: &Cli) -> Self {
        Self {
            bursts: cli.watch_bursts.clone(),
            paced: cli.watch_paced,
            paced_runs: cli.watch_paced_runs.max(1),
            rate: cli.watch_rate.max(1),
            file_bytes: cli.watch_file_bytes,
            dirs: cli.watch_dirs.max(1),
            settle: Duration::from_secs(cli.watch_settle_secs.max(1)),
            root: cli.watch_root.clone(),
            only: cli.watch_workload.clone(),
            keep: cli.watch_keep,
        }
    }
}

/// How the writer spaces the files out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Pace {
    /// One after the other, as fast as the file system takes them.
    Burst,
    /// This many files per second, each at its due instant.
    PerSecond(u32),
}

/// One set of files to write and watch.
#[derive(Debug, Clone)]
pub(crate) struct Workload {
    /// `burst_10000`, `paced_1000`: the prefix of its metrics.
    name: String,
    files: usize,
    pace: Pace,
    /// How many times it runs per subject.
    runs: usize,
}

impl Shape {
    /// The workloads in the order they run: the bursts, then the paced one.
    fn workloads(&self) -> anyhow::Result<Vec<Workload>> {
        let bursts = self.bursts.iter().map(|&files| Workload {
            name: format!("burst_{files}"),
            files,
            pace: Pace::Burst,
            runs: 1,
        });
        let paced = Workload {
            name: format!("paced_{}", self.paced),
            files: self.paced,
            pace: Pace::PerSecond(self.rate),
            runs: self.paced_runs,
        };
        let all: Vec<Workload> = bursts
            .chain(std::iter::once(paced))
            .filter(|workload| workload.files > 0)
            .collect();
        let Some(only) = &self.only else {
            return Ok(all);
        };
        match all.iter().find(|workload| &workload.name == only) {
            Some(workload) => Ok(vec![workload.clone()]),
            None => {
                let names: Vec<&str> = all.iter().map(|workload| workload.name.as_str()).collect();
                bail!(
                    "no workload `{only}` in the watch scenario (workloads: {})",
                    names.join(", ")
                )
            }
        }
    }
}

/// Measures every workload, each subject (or `--only` one) in a child process of
/// its own per run of a workload, so that every peak resident set is one run's.
///
/// The files stay until every workload ran, in one directory removed at the end:
/// ext4 searches longer for a free inode while many were freed in the last
/// minute, so removing a workload's files would slow the next one's writer.
pub(crate) fn run(cli: &Cli, settings: &Settings) -> anyhow::Result<Table> {
    let shape = &settings.watch;
    let subjects = runner::select(SUBJECTS, cli.only.as_deref())?;
    let base = scratch::root(shape.root.as_deref())?;
    let (root, all_files) = if shape.keep {
        (base.clone(), None)
    } else {
        let all_files = Scratch::fresh_dir(&base)?;
        (all_files.path().to_owned(), Some(all_files))
    };
    let mut rows = Vec::new();
    for workload in shape.workloads()? {
        let extra = vec![
            "--watch-workload".to_owned(),
            workload.name.clone(),
            "--watch-root".to_owned(),
            root.display().to_string(),
            "--watch-keep".to_owned(),
            // This process runs the workload as many times as it should.
            "--watch-paced-runs".to_owned(),
            "1".to_owned(),
        ];
        let mut runs = Vec::with_capacity(workload.runs);
        for run in 1..=workload.runs {
            let label = match workload.runs {
                1 => format!("{SCENARIO} {}", workload.name),
                of => format!("{SCENARIO} {} (run {run} of {of})", workload.name),
            };
            runs.push(runner::run_subjects_with(
                cli,
                SCENARIO,
                &label,
                &subjects,
                &extra,
                |subject| measure(subject, &workload, &root, shape),
            )?);
        }
        for subject in &subjects {
            let of_subject = runs
                .iter()
                .map(|rows| {
                    rows.iter()
                        .filter(|row| row.subject == *subject)
                        .cloned()
                        .collect()
                })
                .collect();
            rows.extend(median::median_run(of_subject, &workload.name));
        }
    }
    if let Some(all_files) = all_files {
        if !cli.json_only {
            eprintln!("{SCENARIO}: removing the files …");
        }
        all_files
            .close()
            .with_context(|| format!("removing {}", root.display()))?;
    }
    // Grouped by subject, each subject's workloads in the order they ran.
    rows.sort_by_key(|row| SUBJECTS.iter().position(|&subject| subject == row.subject));
    Ok(table(rows, shape, &base))
}

fn measure(
    subject: &str,
    workload: &Workload,
    root: &std::path::Path,
    shape: &Shape,
) -> anyhow::Result<Rows> {
    let scratch = Scratch::new(root, shape.dirs, workload.files)?;
    let observed = match subject {
        "steward" => runner::fresh(steward::round(
            &scratch,
            workload,
            shape,
            WatchSet::Subdirectories,
        ))?,
        "steward-recursive" => runner::fresh(steward::round(
            &scratch,
            workload,
            shape,
            WatchSet::Recursive,
        ))?,
        "floor" => floor::round(&scratch, workload, shape, false)?,
        "floor-stat" => floor::round(&scratch, workload, shape, true)?,
        other => bail!("unknown watch subject `{other}`"),
    };
    Ok(observed.rows(subject, workload))
}

/// What a subject saw of one workload.
pub(crate) struct Observed {
    tally: Tally,
    written: Written,
    reading: Reading,
    /// Times events were lost: the kernel's queue overflowed (both), or the
    /// watcher's own queue was full (Steward).
    overflows: u64,
    /// Rows only one subject has: Steward's rescans and subscriber drops.
    extra: Vec<(&'static str, f64, &'static str)>,
}

impl Observed {
    fn rows(&self, subject: &str, workload: &Workload) -> Rows {
        let Self {
            tally,
            written,
            reading,
            ..
        } = self;
        let counts = tally.counts(reading.at);
        let mut latencies: Vec<u64> = tally
            .first_seen()
            .zip(&written.closed)
            .filter_map(|(seen, &closed)| {
                let seen = seen.filter(|&seen| seen <= reading.at)?;
                let nanos = seen.saturating_duration_since(closed).as_nanos();
                Some(u64::try_from(nanos).unwrap_or(u64::MAX))
            })
            .collect();
        latencies.sort_unstable();
        let millis = |p: f64| crate::stats::percentile(&latencies, p) as f64 / 1e6;
        let subject_cpu = reading.cpu.saturating_sub(written.cpu);
        let mut rows = Vec::new();
        let mut row = |metric: &str, value: f64, unit: &str| {
            let metric = format!("{}.{metric}", workload.name);
            rows.push(Measurement::new(SCENARIO, subject, &metric, value, unit));
        };
        row("detected", counts.detected as f64, "files");
        row("missed", counts.missed as f64, "files");
        row("late", counts.late as f64, "files");
        row("duplicates", counts.duplicates as f64, "files");
        if counts.unknown > 0 {
            row("unknown", counts.unknown as f64, "reports");
        }
        row("latency_p50", millis(50.0), "ms");
        row("latency_p99", millis(99.0), "ms");
        row("cpu", subject_cpu.as_secs_f64(), "s");
        row("writer_cpu", written.cpu.as_secs_f64(), "s");
        row("rss_peak", reading.rss_peak as f64, "bytes");
        row("rss_peak_growth", reading.rss_growth as f64, "bytes");
        row("overflows", self.overflows as f64, "times");
        row("write", crate::stats::millis(written.elapsed), "ms");
        for &(metric, value, unit) in &self.extra {
            row(metric, value, unit);
        }
        rows
    }
}

fn table(rows: Rows, shape: &Shape, root: &std::path::Path) -> Table {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let bursts: Vec<String> = shape.bursts.iter().map(usize::to_string).collect();
    let queued = std::fs::read_to_string("/proc/sys/fs/inotify/max_queued_events")
        .map_or_else(|_| "?".to_owned(), |text| text.trim().to_owned());
    let settle = shape.settle.as_secs();
    Table {
        title: format!(
            "watch: bursts of {} files, then {} files at {}/s; {} B each over {} subdirectories; {threads} cores",
            bursts.join(" and "),
            shape.paced,
            shape.rate,
            shape.file_bytes,
            shape.dirs,
        ),
        notes: vec![
            format!("files under {} ({}), all removed at the end; fs.inotify.max_queued_events = {queued}, left as it is", root.display(), scratch::file_system(root)),
            "writer: a thread of its own creating, writing and closing each file, noting the instant it called close;".to_owned(),
            "  each workload and subject in a fresh process and a fresh directory, the subject watching before the first file".to_owned(),
            "steward: a host with a `file-watcher` on the subdirectories the floor watches (not recursive; polling off,".to_owned(),
            "  initial_scan off, poll_interval 1s, coalesce 8ms, the defaults); a task reading handle.named(\"watcher\").on::<FileCreated>() with room".to_owned(),
            "  for every event (dropped: what it lost)".to_owned(),
            "steward-recursive: the same on the scratch directory with recursive = true, which asks the kernel for a".to_owned(),
            "  create event per file too (to watch subdirectories made later): two events per file where the others have one".to_owned(),
            "floor: one thread, an `inotify` instance watching each subdirectory for IN_CLOSE_WRITE, poll(2) then read(2)".to_owned(),
            "  into 64 KiB; IN_Q_OVERFLOW is counted (overflows) and nothing is rescanned: what the kernel dropped is missed".to_owned(),
            "floor-stat: the floor, also reading each file's size and modification time (which file.created carries) with".to_owned(),
            "  fstatat(2) by its name in its subdirectory held open, as steward does: compared with the floor too".to_owned(),
            "all hand each reported path and its receive instant to the same tally (a HashMap from path to file)".to_owned(),
            format!("missed: not reported when every file was, or when, the writer done, {settle} s went by without a report;"),
            format!("  late: reported after that; duplicates: reports beyond a file's first, until {settle} s without any"),
            "latency: first report received − the writer's call to close that file, for the files detected; p50 and p99".to_owned(),
            format!("paced: run {} times per subject, the subjects in turn; shown: the run with the median cpu, with the fewest", shape.paced_runs),
            "  files detected and the most missed, late, duplicated, overflows, rescans and dropped of any run, and the".to_owned(),
            "  least and most cpu of the runs (cpu_least, cpu_most)".to_owned(),
            "cpu: the process's CPU time (CLOCK_PROCESS_CPUTIME_ID) from just before the writer starts until the wait ends,".to_owned(),
            "  less the writer thread's own (CLOCK_THREAD_CPUTIME_ID), shown as writer_cpu: it includes the kernel's work".to_owned(),
            "  of queueing inotify events; the tally's work is in every subject's cpu".to_owned(),
            "rss_peak: the process's peak resident set (VmHWM, started over once the subject watches) when the wait ends;".to_owned(),
            "  rss_peak_growth: that less the resident set then; write: the writer's time for all its files".to_owned(),
        ],
        rows,
        baseline: |_| "floor",
        targets: vec![
            Target { subject: "steward", metric: "burst_100000.missed", rule: Rule::AtMost(0.0) },
            Target { subject: "steward", metric: "burst_100000.duplicates", rule: Rule::AtMost(0.0) },
            Target { subject: "steward", metric: "burst_10000.latency_p99", rule: Rule::AtMost(20.0) },
            Target { subject: "steward", metric: "burst_10000.cpu", rule: Rule::RatioAtMost(2.0) },
            Target { subject: "steward", metric: "burst_100000.cpu", rule: Rule::RatioAtMost(2.0) },
            Target { subject: "steward", metric: "paced_1000.cpu", rule: Rule::RatioAtMost(2.0) },
        ],
    }
}

/// The value of a Prometheus `series` (`name{labels}`) in exposition `text`.
fn series(text: &str, series: &str) -> anyhow::Result<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .with_context(|| format!("no `{series}` in the host's metrics"))
}
