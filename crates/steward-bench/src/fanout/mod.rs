//! Fanout: one emitter, many subscribers, each in its own task.
//!
//! Each round, in a fresh runtime, the subscribers are set up first; then the
//! emitter emits `events` small events as fast as it can, never waiting for a
//! subscriber. A subscriber counts what it receives until every event is
//! accounted for, as received or as dropped for it (Steward: its `missed`;
//! broadcast: its `Lagged` counts). The rate is the deliveries over the time from
//! the first emit until the last subscriber is done. The reported round is the
//! median one by rate.

mod floor;
mod steward;

use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use tokio::task::JoinHandle;

use crate::report::{Rule, Table, Target};
use crate::stats::millis;
use crate::{Cli, Rows, Settings, measure::Measurement, runner};

pub(crate) const SUBJECTS: &[&str] = &["steward", "floor"];

const SCENARIO: &str = "fanout";

/// A small event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Tick {
    pub(crate) seq: u64,
}

/// What one round of one subject measured.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Round {
    /// From the first emit until the last subscriber had every event accounted for.
    elapsed: Duration,
    /// How long the emitter took to emit them all.
    emit: Duration,
    /// Events received, over all subscribers.
    delivered: u64,
    /// Events dropped for a full (Steward) or lagging (broadcast) subscriber.
    dropped: u64,
}

impl Round {
    fn per_second(&self) -> f64 {
        self.delivered as f64 / self.elapsed.as_secs_f64()
    }
}

/// What one subscriber task reports.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Heard {
    pub(crate) received: u64,
    pub(crate) dropped: u64,
    /// When it had every event accounted for.
    pub(crate) done: Instant,
}

/// The round, from the emitter's first emit and the subscribers' reports.
pub(crate) async fn gather(
    subject: &str,
    events: u64,
    began: Instant,
    emit: Duration,
    subscribers: Vec<JoinHandle<anyhow::Result<Heard>>>,
) -> anyhow::Result<Round> {
    let count = subscribers.len() as u64;
    let (mut delivered, mut dropped, mut last) = (0, 0, began);
    for subscriber in subscribers {
        let heard = subscriber.await.context("a subscriber panicked")??;
        delivered += heard.received;
        dropped += heard.dropped;
        last = last.max(heard.done);
    }
    ensure!(
        delivered + dropped == events * count,
        "{subject}: {delivered} delivered + {dropped} dropped ≠ {events} events × {count} subscribers"
    );
    Ok(Round {
        elapsed: last - began,
        emit,
        delivered,
        dropped,
    })
}

/// Measures every subject (or `--only` one) and builds the table.
pub(crate) fn run(cli: &Cli, settings: &Settings) -> anyhow::Result<Table> {
    runner::scenario(cli, settings, SCENARIO, SUBJECTS, measure, table)
}

fn measure(subject: &str, settings: &Settings) -> anyhow::Result<Rows> {
    let Settings {
        events,
        subscribers,
        buffer,
        ..
    } = *settings;
    let mut rounds = Vec::with_capacity(settings.repeats);
    for _ in 0..settings.repeats {
        let round = runner::fresh(async {
            match subject {
                "steward" => steward::round(events, subscribers, buffer).await,
                "floor" => floor::round(events, subscribers, buffer).await,
                other => anyhow::bail!("unknown fanout subject `{other}`"),
            }
        })?;
        rounds.push(round);
    }
    rounds.sort_by(|a, b| a.per_second().total_cmp(&b.per_second()));
    let round = rounds
        .get(rounds.len().saturating_sub(1) / 2)
        .copied()
        .context("no round ran")?;
    let dropped = if subject == "floor" {
        "lagged"
    } else {
        "missed"
    };
    let row = |metric: &str, value: f64, unit: &str| {
        Measurement::new(SCENARIO, subject, metric, value, unit)
    };
    Ok(vec![
        row("delivered_per_sec", round.per_second(), "events/s"),
        row("delivered", round.delivered as f64, "events"),
        row(dropped, round.dropped as f64, "events"),
        row("elapsed", millis(round.elapsed), "ms"),
        row("emit", millis(round.emit), "ms"),
    ])
}

fn table(rows: Rows, settings: &Settings) -> Table {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    Table {
        title: format!(
            "fanout: one emitter, {} subscribers, {} events emitted as fast as possible; buffers of {}; median of {} rounds by rate; {threads} worker threads",
            settings.subscribers, settings.events, settings.buffer, settings.repeats,
        ),
        notes: vec![
            "floor: tokio::sync::broadcast with that capacity, one receiver per subscriber task; a lagging receiver loses the".to_owned(),
            "  oldest events (counted from RecvError::Lagged)".to_owned(),
            "steward: a continuous service emitting with cx.emit(Tick { seq }); subscribers take handle.named(\"emitter\")".to_owned(),
            "  .on::<Tick>().buffer(n).stream(); a full buffer drops the newest event for that subscriber (counted in missed)".to_owned(),
            "delivered_per_sec: events received over all subscribers ÷ elapsed (first emit → last subscriber done);".to_owned(),
            "  delivered + missed (or lagged) = events × subscribers, checked; emit: the emitter's own time for all events".to_owned(),
            "when the events outnumber the buffers, both drop, and the rate favours the slower emitter (its subscribers".to_owned(),
            "  keep up better); `--buffer 131072` measures lossless delivery instead".to_owned(),
        ],
        rows,
        baseline: |_| "floor",
        targets: vec![Target {
            subject: "steward",
            metric: "delivered_per_sec",
            rule: Rule::RatioAtLeast(0.5),
        }],
    }
}
