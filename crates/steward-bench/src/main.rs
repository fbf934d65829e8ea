//! Steward benchmarked side by side with the floor (raw tokio primitives) and peer
//! crates, in one run.
//!
//! ```text
//! cargo run --release -p steward-bench -- lifecycle   # 10,000 continuous services: start, stop, RSS
//! cargo run --release -p steward-bench -- periodic    # 10,000 periodic services every 100 ms for 5 s
//! cargo run --release -p steward-bench -- all
//! cargo run --release -p steward-bench -- lifecycle --only steward --iterations 1
//! ```
//!
//! Each scenario prints a table per subject and metric with the ratio to the floor
//! and the target, then, last, one JSON line per measurement:
//! `{"scenario":"…","subject":"…","metric":"…","value":…,"unit":"…"}`.
//!
//! Every subject runs in a child process of this one (the same binary, with
//! `--only`), so that one subject's heap, threads and leftover tasks never colour
//! another's memory or CPU figures. Within a subject, each iteration gets a fresh
//! multi-threaded tokio runtime.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cpu;
mod lifecycle;
mod measure;
mod periodic;
mod probe;
mod report;
mod rss;
mod runner;
mod stats;

use std::time::Duration;

use clap::{Parser, ValueEnum};

/// Steward side by side with the floor and peer crates.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Which scenario to run.
    scenario: Scenario,

    /// How many services each subject runs.
    #[arg(long, default_value_t = 10_000)]
    services: usize,

    /// Lifecycle: how many start/stop rounds per subject (the median is reported).
    #[arg(long, default_value_t = 5)]
    iterations: usize,

    /// Periodic: how many runs per subject (ticks are pooled, CPU is the median).
    #[arg(long, default_value_t = 3)]
    rounds: usize,

    /// Periodic: how long the ticks are measured, in seconds.
    #[arg(long, default_value_t = 5)]
    duration_secs: u64,

    /// Periodic: the period, in milliseconds.
    #[arg(long, default_value_t = 100)]
    period_ms: u64,

    /// Runs one subject in this process instead of each in a child process.
    #[arg(long)]
    only: Option<String>,

    /// Prints only the JSON lines (how the parent reads a child).
    #[arg(long, hide = true)]
    json_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// Start 10,000 continuous services, wait until all run, shut down.
    Lifecycle,
    /// 10,000 periodic services ticking every 100 ms for 5 s.
    Periodic,
    /// Both, one after the other.
    All,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::from(&cli);
    let tables = match cli.scenario {
        Scenario::Lifecycle => vec![lifecycle::run(&cli, &settings)?],
        Scenario::Periodic => vec![periodic::run(&cli, &settings)?],
        Scenario::All => vec![
            lifecycle::run(&cli, &settings)?,
            periodic::run(&cli, &settings)?,
        ],
    };
    if !cli.json_only {
        for table in &tables {
            table.print();
        }
    }
    for table in &tables {
        report::print_json(&table.rows)?;
    }
    Ok(())
}

/// What the scenarios need to know from the command line.
#[derive(Debug, Clone)]
struct Settings {
    services: usize,
    iterations: usize,
    rounds: usize,
    duration: Duration,
    period: Duration,
}

impl From<&Cli> for Settings {
    fn from(cli: &Cli) -> Self {
        Self {
            services: cli.services.max(1),
            iterations: cli.iterations.max(1),
            rounds: cli.rounds.max(1),
            duration: Duration::from_secs(cli.duration_secs.max(1)),
            period: Duration::from_millis(cli.period_ms.max(1)),
        }
    }
}

/// A scenario's measurements, in the order they are shown.
type Rows = Vec<measure::Measurement>;
