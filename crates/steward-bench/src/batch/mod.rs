//! Batch: many small JSON events grouped by key into batches of a fixed size.
//!
//! Each round, in a fresh runtime, a source emits `events` events
//! `{"path": "cam<k>/<i>.jpg", "dir": "cam<k>"}` with `k = i % keys`, as fast as
//! it can; an aggregator groups them by `dir` and closes a batch as soon as it
//! holds `size` events; a counter adds up the closed batches' sizes until every
//! event is accounted for. Every hop is bounded and waits for room when full
//! (back-pressure), so nothing is dropped. The rate is the events over the time
//! from the first emit until the counter has them all; when some keys' last
//! batches cannot fill up, stopping the pipeline flushes them (inside the timing).
//! The reported round is the median one by rate; peak memory is the growth of the
//! peak resident set (`VmHWM`) over the resident set before the first round, in a
//! fresh process (later rounds reuse freed memory).

mod floor;
mod steward;

use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::report::{Rule, Table, Target};
use crate::stats::millis;
use crate::{Cli, Rows, Settings, measure::Measurement, rss, runner};

pub(crate) const SUBJECTS: &[&str] = &["steward", "floor"];

const SCENARIO: &str = "batch";

/// Events that may wait for the aggregator: the `batch-aggregator`'s own buffer
/// of its source's events, and the floor's channel capacity.
const EVENT_BUFFER: usize = 4096;

/// Closed batches that may wait for the counter. Few, so that peak memory is the
/// aggregator's own (events waiting for it, open batches) rather than however
/// many closed batches the scheduling lets pile up: with Steward's default of
/// 1,024 (102,400 events, about 1 KB each) both subjects swing between 15 and
/// 100 MB from run to run, and their rates with it.
const BATCH_BUFFER: usize = 16;

/// What each round pushes through.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    /// Events emitted.
    pub(crate) events: u64,
    /// Distinct keys, taken in turn.
    pub(crate) keys: u64,
    /// Events per batch.
    pub(crate) size: usize,
}

impl Shape {
    /// Whether every event lands in a batch that fills up, so that nothing waits
    /// for a stop to be flushed.
    pub(crate) fn fills_every_batch(&self) -> bool {
        let size = self.size as u64;
        self.events.is_multiple_of(self.keys) && (self.events / self.keys).is_multiple_of(size)
    }
}

/// Event `i`, as the source emits it.
pub(crate) fn event(i: u64, keys: u64) -> Value {
    let k = i % keys;
    json!({ "path": format!("cam{k}/{i}.jpg"), "dir": format!("cam{k}") })
}

/// What one round of one subject measured.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Round {
    /// From the first emit until the counter had every event.
    elapsed: Duration,
    /// How long the source took to emit them all (waiting for room included).
    emit: Duration,
    /// Closed batches counted.
    batches: u64,
}

/// What the counter reports.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counted {
    pub(crate) events: u64,
    pub(crate) batches: u64,
    /// When it had every event.
    pub(crate) done: Instant,
}

impl Round {
    /// The round, from the source's first and last emit and the counter's report;
    /// fails unless every event was counted once.
    pub(crate) fn new(
        subject: &str,
        events: u64,
        (began, ended): (Instant, Instant),
        counted: Counted,
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(
            counted.events == events,
            "{subject}: {} events counted in batches ≠ {events} emitted",
            counted.events
        );
        Ok(Self {
            elapsed: counted.done - began,
            emit: ended - began,
            batches: counted.batches,
        })
    }

    fn per_second(&self, events: u64) -> f64 {
        events as f64 / self.elapsed.as_secs_f64()
    }
}

/// Measures every subject (or `--only` one) and builds the table.
pub(crate) fn run(cli: &Cli, settings: &Settings) -> anyhow::Result<Table> {
    runner::scenario(cli, settings, SCENARIO, SUBJECTS, measure, table)
}

fn measure(subject: &str, settings: &Settings) -> anyhow::Result<Rows> {
    let shape = Shape {
        events: settings.batch_events,
        keys: settings.batch_keys,
        size: settings.batch_size,
    };
    let mut rounds = Vec::with_capacity(settings.repeats);
    let mut peak_growth = 0;
    for index in 0..settings.repeats {
        let before = rss::resident_bytes()?;
        let round = runner::fresh(async {
            match subject {
                "steward" => steward::round(shape).await,
                "floor" => floor::round(shape).await,
                other => anyhow::bail!("unknown batch subject `{other}`"),
            }
        })?;
        if index == 0 {
            peak_growth = rss::peak_bytes()?.saturating_sub(before);
        }
        rounds.push(round);
    }
    let events = shape.events;
    rounds.sort_by(|a, b| a.per_second(events).total_cmp(&b.per_second(events)));
    let round = rounds
        .get(rounds.len().saturating_sub(1) / 2)
        .copied()
        .context("no round ran")?;
    let row = |metric: &str, value: f64, unit: &str| {
        Measurement::new(SCENARIO, subject, metric, value, unit)
    };
    Ok(vec![
        row("events_per_sec", round.per_second(events), "events/s"),
        row("rss_peak_growth", peak_growth as f64, "bytes"),
        row("batches", round.batches as f64, "batches"),
        row("elapsed", millis(round.elapsed), "ms"),
        row("emit", millis(round.emit), "ms"),
    ])
}

fn table(rows: Rows, settings: &Settings) -> Table {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    Table {
        title: format!(
            "batch: {} JSON events over {} keys into batches of {}, emitted as fast as back-pressure allows; median of {} rounds by rate; {threads} worker threads",
            settings.batch_events, settings.batch_keys, settings.batch_size, settings.repeats,
        ),
        notes: vec![
            "events: {\"path\": \"cam<k>/<i>.jpg\", \"dir\": \"cam<k>\"}, k = i % keys, built by the source in both subjects".to_owned(),
            format!("floor: a task sending them into a tokio mpsc channel of {EVENT_BUFFER}; a task grouping them by `dir` in a"),
            format!("  HashMap<String, Vec<Value>> and sending each full Vec into a channel of {BATCH_BUFFER}; a task counting"),
            "steward: a continuous service calling cx.emit_json(\"file.created\", …); a `batch-aggregator` (source =".to_owned(),
            "  \"source:file.created\", key = \"{dir}\", window and idle_timeout 1h); handle.named(\"batcher\").on::<BatchClosed>()".to_owned(),
            format!("  .buffer({BATCH_BUFFER}).lossless().stream() adding up batch.size"),
            "events_per_sec: events ÷ elapsed (first emit → every event counted in a closed batch);".to_owned(),
            "  emit: the source's own time for all events, waiting for room included".to_owned(),
            "rss_peak_growth: peak resident set (VmHWM) − resident set before the first round, in a fresh process".to_owned(),
        ],
        rows,
        baseline: |_| "floor",
        targets: vec![Target {
            subject: "steward",
            metric: "events_per_sec",
            rule: Rule::AtLeast(1_000_000.0),
        }],
    }
}
