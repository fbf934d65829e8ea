//! What both subjects share: the tally of reported paths, when the wait for them
//! ends, and the CPU and memory read at that moment.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::{cpu, rss};

/// How often to look whether the writer is done while no report comes.
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// Reports counted by path.
pub(crate) struct Tally {
    /// Each written file's place in the writer's order.
    index: HashMap<PathBuf, usize>,
    /// When each file was first reported.
    first: Vec<Option<Instant>>,
    /// Files reported at least once.
    seen: usize,
    /// Reports of a file after its first.
    duplicates: u64,
    /// Reports of paths the writer never wrote.
    unknown: u64,
    /// When the last report came.
    last: Option<Instant>,
}

/// The tally's figures at the end of a wait that ended at `at`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counts {
    pub(crate) detected: usize,
    pub(crate) missed: usize,
    pub(crate) late: usize,
    pub(crate) duplicates: u64,
    pub(crate) unknown: u64,
}

impl Tally {
    /// A tally of the files at `paths`, none reported yet.
    pub(super) fn new(paths: &[PathBuf]) -> Self {
        let index = paths
            .iter()
            .enumerate()
            .map(|(i, path)| (path.clone(), i))
            .collect();
        Self {
            index,
            first: vec![None; paths.len()],
            seen: 0,
            duplicates: 0,
            unknown: 0,
            last: None,
        }
    }

    /// Counts a report of `path`, received `at`.
    fn record(&mut self, path: &Path, at: Instant) {
        self.last = Some(at);
        let Some(&i) = self.index.get(path) else {
            self.unknown += 1;
            return;
        };
        match &mut self.first[i] {
            Some(_) => self.duplicates += 1,
            first => {
                *first = Some(at);
                self.seen += 1;
            }
        }
    }

    fn all_seen(&self) -> bool {
        self.seen == self.first.len()
    }

    /// When each file was first reported, in the writer's order.
    pub(super) fn first_seen(&self) -> impl Iterator<Item = Option<Instant>> + '_ {
        self.first.iter().copied()
    }

    /// The figures, for a wait that ended `at`.
    pub(super) fn counts(&self, at: Instant) -> Counts {
        let detected = self
            .first
            .iter()
            .flatten()
            .filter(|&&seen| seen <= at)
            .count();
        Counts {
            detected,
            missed: self.first.len() - detected,
            late: self.seen - detected,
            duplicates: self.duplicates,
            unknown: self.unknown,
        }
    }
}

/// The process's CPU time and resident set when a workload began.
#[derive(Debug, Clone, Copy)]
pub(super) struct Meter {
    cpu: Duration,
    resident: u64,
}

/// CPU and memory when the wait ended.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reading {
    /// When the wait ended.
    pub(crate) at: Instant,
    /// The process's CPU time since the meter started, the writer's included.
    pub(crate) cpu: Duration,
    /// The peak resident set since the meter started.
    pub(crate) rss_peak: u64,
    /// That, less the resident set when the meter started.
    pub(crate) rss_growth: u64,
}

impl Meter {
    /// Starts the process's peak resident set over, and notes its CPU time.
    pub(super) fn start() -> anyhow::Result<Self> {
        if let Err(error) = rss::reset_peak() {
            // The peak is then the process's: still one workload's, as each runs in
            // a process of its own unless `--only` is given.
            eprintln!("watch: the peak resident set counts from the process's start ({error:#})");
        }
        Ok(Self {
            cpu: cpu::process()?,
            resident: rss::resident_bytes()?,
        })
    }

    fn read(&self, at: Instant) -> anyhow::Result<Reading> {
        let rss_peak = rss::peak_bytes()?;
        Ok(Reading {
            at,
            cpu: cpu::process()?.saturating_sub(self.cpu),
            rss_peak,
            rss_growth: rss_peak.saturating_sub(self.resident),
        })
    }
}

/// A subject's wait for the reports: the tally, and when to stop.
pub(super) struct Wait {
    tally: Tally,
    meter: Meter,
    /// When the writer finished.
    written: Arc<OnceLock<Instant>>,
    /// How long without a report ends a wait once the writer is done.
    settle: Duration,
    /// Set when the measured wait ended (every file seen, or the settle time
    /// passed without a report); the wait goes on for late duplicates.
    reading: Option<Reading>,
}

impl Wait {
    pub(super) fn new(
        tally: Tally,
        meter: Meter,
        written: Arc<OnceLock<Instant>>,
        settle: Duration,
    ) -> Self {
        Self {
            tally,
            meter,
            written,
            settle,
            reading: None,
        }
    }

    /// Takes in a report of `path`, received now.
    pub(super) fn reported(&mut self, path: &Path) -> anyhow::Result<()> {
        let now = Instant::now();
        self.tally.record(path, now);
        if self.reading.is_none() && self.tally.all_seen() {
            self.reading = Some(self.meter.read(now)?);
        }
        Ok(())
    }

    /// When to look again if no report comes; `None` when the wait is over.
    pub(super) fn next_look(&mut self) -> anyhow::Result<Option<Instant>> {
        let now = Instant::now();
        let Some(&written) = self.written.get() else {
            return Ok(Some(now + LOOK_EVERY));
        };
        let quiet_since = self.tally.last.map_or(written, |last| last.max(written));
        match &self.reading {
            None => {
                let deadline = quiet_since + self.settle;
                if now < deadline {
                    return Ok(Some(deadline));
                }
                // Some files are missed; listen on for late reports.
                self.reading = Some(self.meter.read(now)?);
                Ok(Some(now + self.settle))
            }
            Some(reading) => {
                let deadline = quiet_since.max(reading.at) + self.settle;
                Ok((now < deadline).then_some(deadline))
            }
        }
    }

    /// The tally, and what was read when the measured wait ended.
    pub(super) fn finish(self) -> anyhow::Result<(Tally, Reading)> {
        let reading = self
            .reading
            .ok_or_else(|| anyhow::anyhow!("the wait was finished before it ended"))?;
        Ok((self.tally, reading))
    }
}
