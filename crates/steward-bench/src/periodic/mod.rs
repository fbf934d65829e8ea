//! Periodic: many services ticking on a short fixed period for a few seconds.
//!
//! Every tick's instant is recorded by the service itself; afterwards each tick is
//! matched with the ideal instant of its schedule (see [`record`]). CPU is the
//! process's user + system time from before the services are defined until they
//! have all stopped. With several rounds, ticks and lateness samples are pooled
//! over all rounds; setup, spread and CPU are medians.

mod cron;
mod floor;
mod record;
mod steward;

use std::time::Duration;

use crate::report::{Rule, Table, Target};
use crate::stats::{median, millis, percentile};
use crate::{Cli, Rows, Settings, measure::Measurement, runner};

pub(crate) const SUBJECTS: &[&str] = &["steward", "floor", "tokio-cron-scheduler", "floor-1s"];

const SCENARIO: &str = "periodic";

/// tokio-cron-scheduler's finest schedule: a six-field cron firing every second.
const CRON_PERIOD: Duration = Duration::from_secs(1);

/// What one subject's run produced.
pub(crate) struct Ticks {
    /// Until every service was ready to begin its schedule.
    pub(crate) setup: Duration,
    /// From the first service's schedule origin to the last one's.
    pub(crate) spread: Option<Duration>,
    pub(crate) cpu: Duration,
    pub(crate) period: Duration,
    pub(crate) series: Vec<record::Series>,
}

/// Measures every subject (or `--only` one) and builds the table.
pub(crate) fn run(cli: &Cli, settings: &Settings) -> anyhow::Result<Table> {
    runner::scenario(cli, settings, SCENARIO, SUBJECTS, measure, table)
}

fn measure(subject: &str, settings: &Settings) -> anyhow::Result<Rows> {
    let mut judged = record::Judged::default();
    let (mut setups, mut spreads, mut cpus) = (Vec::new(), Vec::new(), Vec::new());
    let mut period = settings.period;
    for _ in 0..settings.rounds {
        let ticks = round(subject, settings)?;
        judged.add(record::judge(&ticks.series, ticks.period));
        setups.push(ticks.setup);
        spreads.extend(ticks.spread);
        cpus.push(ticks.cpu);
        period = ticks.period;
    }
    judged.lateness.sort_unstable();
    let late = |p: f64| percentile(&judged.lateness, p) as f64 / 1e6;
    let max = judged.lateness.last().copied().unwrap_or(0) as f64 / 1e6;
    let row = |metric: &str, value: f64, unit: &str| {
        Measurement::new(SCENARIO, subject, metric, value, unit)
    };
    let mut rows = vec![
        row("period", millis(period), "ms"),
        row("setup", millis(median(&setups)), "ms"),
    ];
    if !spreads.is_empty() {
        rows.push(row("origin_spread", millis(median(&spreads)), "ms"));
    }
    rows.extend([
        row("ticks_expected", judged.expected as f64, "ticks"),
        row("ticks_missed", judged.missed as f64, "ticks"),
        row("lateness_p50", late(50.0), "ms"),
        row("lateness_p99", late(99.0), "ms"),
        row("lateness_max", max, "ms"),
        row("cpu", median(&cpus).as_secs_f64(), "s"),
    ]);
    Ok(rows)
}

/// One run of one subject, in a fresh runtime.
fn round(subject: &str, settings: &Settings) -> anyhow::Result<Ticks> {
    let Settings {
        services,
        duration,
        period,
        ..
    } = *settings;
    let ticks = runner::fresh(async {
        match subject {
            "steward" => steward::run(services, period, duration).await,
            "floor" => floor::run(services, period, duration).await,
            "floor-1s" => floor::run(services, CRON_PERIOD, duration).await,
            "tokio-cron-scheduler" => cron::run(services, duration).await,
            other => anyhow::bail!("unknown periodic subject `{other}`"),
        }
    })?;
    Ok(ticks)
}

fn table(rows: Rows, settings: &Settings) -> Table {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut rows = rows;
    // The period is in the title and notes; as a row it would only be noise.
    rows.retain(|row| row.metric != "period" || row.subject == "tokio-cron-scheduler");
    Table {
        title: format!(
            "periodic: {} services every {} ms for {} s; {} rounds (ticks pooled, CPU median); {threads} worker threads",
            settings.services,
            settings.period.as_millis(),
            settings.duration.as_secs(),
            settings.rounds
        ),
        notes: vec![
            "floor: one tokio task per service, tokio::time::interval with MissedTickBehavior::Skip (Steward's skip semantics)".to_owned(),
            "tokio-cron-scheduler cannot tick faster than once a second: it runs its finest cron, `*/1 * * * * *`,".to_owned(),
            format!(
                "  one job per service, for the same {} s, and is compared with floor-1s (the floor at a 1 s period)",
                settings.duration.as_secs()
            ),
            "each service waits at a gate in its start (Steward: its `start` hook) until all are ready; all schedules then begin".to_owned(),
            "  together (origin_spread: first to last origin), so every period all services are due in one burst".to_owned(),
            "lateness: tick instant − ideal instant (origin + k·period; whole seconds for cron); CPU includes start and stop".to_owned(),
        ],
        rows,
        baseline: |subject| match subject {
            "tokio-cron-scheduler" | "floor-1s" => "floor-1s",
            _ => "floor",
        },
        targets: vec![
            Target { subject: "steward", metric: "ticks_missed", rule: Rule::AtMost(0.0) },
            Target { subject: "steward", metric: "lateness_p99", rule: Rule::RatioAtMost(1.5) },
            Target { subject: "steward", metric: "cpu", rule: Rule::RatioAtMost(1.5) },
        ],
    }
}
