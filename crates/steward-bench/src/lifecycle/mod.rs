//! Lifecycle: start many continuous services, wait until every one is running,
//! then shut them all down.
//!
//! Start is timed from nothing (services not yet defined) until the last service
//! has entered its work; stop from the shutdown request until the subject says it
//! is done. RSS per service is the growth of the process's resident memory from
//! before the services are defined until all run, over their number, taken in the
//! subject's first round (a fresh process: later rounds reuse freed memory).

mod floor;
mod steward;
mod tgs;

use std::time::Duration;

use crate::report::{Rule, Table, Target};
use crate::stats::{median, millis};
use crate::{Cli, Rows, Settings, measure::Measurement, runner};

pub(crate) const SUBJECTS: &[&str] = &["steward", "floor", "tokio-graceful-shutdown"];

const SCENARIO: &str = "lifecycle";

/// One start/stop round of one subject.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Round {
    /// Until every service has entered its work.
    pub(crate) start: Duration,
    /// From the shutdown request until the subject reports it is done.
    pub(crate) stop: Duration,
    /// Resident memory gained between before the services existed and all running.
    pub(crate) rss_growth: u64,
}

/// Measures every subject (or `--only` one) and builds the table.
pub(crate) fn run(cli: &Cli, settings: &Settings) -> anyhow::Result<Table> {
    runner::scenario(cli, settings, SCENARIO, SUBJECTS, measure, table)
}

fn measure(subject: &str, settings: &Settings) -> anyhow::Result<Rows> {
    let services = settings.services;
    let mut rounds = Vec::with_capacity(settings.iterations);
    for _ in 0..settings.iterations {
        let round = runner::fresh(async {
            match subject {
                "steward" => steward::round(services).await,
                "floor" => floor::round(services).await,
                "tokio-graceful-shutdown" => tgs::round(services).await,
                other => anyhow::bail!("unknown lifecycle subject `{other}`"),
            }
        })?;
        rounds.push(round);
    }
    let starts: Vec<Duration> = rounds.iter().map(|round| round.start).collect();
    let stops: Vec<Duration> = rounds.iter().map(|round| round.stop).collect();
    let rss = rounds.first().map_or(0, |round| round.rss_growth);
    Ok(vec![
        Measurement::new(SCENARIO, subject, "start", millis(median(&starts)), "ms"),
        Measurement::new(SCENARIO, subject, "stop", millis(median(&stops)), "ms"),
        Measurement::new(
            SCENARIO,
            subject,
            "rss_per_service",
            rss as f64 / services as f64,
            "bytes",
        ),
    ])
}

fn table(rows: Rows, settings: &Settings) -> Table {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    Table {
        title: format!(
            "lifecycle: {} continuous services, start → all running → shutdown; median of {} rounds, {threads} worker threads",
            settings.services, settings.iterations
        ),
        notes: vec![
            "floor: one tokio task per service awaiting a child CancellationToken, spawned on a TaskTracker".to_owned(),
            "tokio-graceful-shutdown: one subsystem per service under one Toplevel".to_owned(),
            "rss_per_service: resident-memory growth until all run ÷ services, first round of a fresh process".to_owned(),
        ],
        rows,
        baseline: |_| "floor",
        targets: vec![
            Target { subject: "steward", metric: "start", rule: Rule::RatioAtMost(3.0) },
            Target { subject: "steward", metric: "stop", rule: Rule::RatioAtMost(3.0) },
            Target { subject: "steward", metric: "rss_per_service", rule: Rule::AtMost(2048.0) },
        ],
    }
}
