//! Steward benchmarked side by side with the floor (raw tokio primitives) and peer
//! crates, in one run.
//!
//! ```text
//! cargo run --release -p steward-bench -- lifecycle   # 10,000 continuous services: start, stop, RSS
//! cargo run --release -p steward-bench -- periodic    # 10,000 periodic services every 100 ms for 5 s
//! cargo run --release -p steward-bench -- rpc         # no-op action: round-trip latency, pipelined throughput
//! cargo run --release -p steward-bench -- fanout      # one emitter, 100 subscribers: events delivered per second
//! cargo run --release -p steward-bench -- http        # GET a service's status over HTTP: requests/s, latency
//! cargo run --release -p steward-bench -- restart     # a crashing program: child exit → next start, vs supervisord
//! cargo run --release -p steward-bench -- batch       # 1,000,000 events into a batch-aggregator over 100 keys: events/s, RSS
//! cargo run --release -p steward-bench -- watch       # bursts of 10,000 and 100,000 files, 1,000 at 500/s: missed, latency, CPU
//! cargo run --release -p steward-bench -- durable     # 100,000 no-op actions through an SQLite journal, 16 callers: accepted/s, completed/s
//! cargo run --release -p steward-bench -- replay      # a host starting on 10,000 and on 1,000,000 queued actions: memory, rate
//! cargo run --release -p steward-bench -- all         # every scenario, one after the other
//! cargo run --release -p steward-bench -- lifecycle --only steward --iterations 1
//! ```
//!
//! Each scenario prints a table per subject and metric with the ratio to the floor
//! and the target, then, last, one JSON line per measurement:
//! `{"scenario":"…","subject":"…","metric":"…","value":…,"unit":"…"}`; a peer that
//! cannot run here (supervisord not installed) has `"value":null` and an
//! `"unavailable"` reason instead.
//!
//! Every subject runs in a child process of this one (the same binary, with
//! `--only`), so that one subject's heap, threads and leftover tasks never colour
//! another's memory or CPU figures. Within a subject, each iteration gets a fresh
//! multi-threaded tokio runtime.
#![allow(clippy::print_stdout, clippy::print_stderr)]

/// The `steward` binary's allocator, so that the figures are what it runs with;
/// every subject, floor and peers included, gets the same one.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod batch;
mod counted;
mod cpu;
mod durable;
mod fanout;
mod host;
mod http;
mod lifecycle;
mod measure;
mod periodic;
mod probe;
mod replay;
mod report;
mod restart;
mod rpc;
mod rss;
mod runner;
mod stats;
mod watch;

use std::path::PathBuf;
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

    /// Rpc, fanout, http, batch and durable: how many rounds per subject, each in a
    /// fresh runtime (latencies are pooled, rates are the median).
    #[arg(long, default_value_t = 5)]
    repeats: usize,

    /// Rpc: sequential calls timed per round, one at a time.
    #[arg(long, default_value_t = 20_000)]
    calls: usize,

    /// Rpc: untimed calls before the timed ones, per round.
    #[arg(long, default_value_t = 2_000)]
    warmup: usize,

    /// Rpc: calls per throughput round, shared among the producers.
    #[arg(long, default_value_t = 200_000)]
    throughput_calls: usize,

    /// Rpc: producer tasks calling concurrently in the throughput rounds.
    #[arg(long, default_value_t = 4)]
    producers: usize,

    /// Rpc: calls each producer keeps in flight.
    #[arg(long, default_value_t = 64)]
    in_flight: usize,

    /// Fanout: events emitted per round.
    #[arg(long, default_value_t = 100_000)]
    events: u64,

    /// Fanout: subscribers, each in its own task.
    #[arg(long, default_value_t = 100)]
    subscribers: usize,

    /// Fanout: events each subscriber's buffer holds (Steward's default; the
    /// broadcast channel's capacity).
    #[arg(long, default_value_t = 1024)]
    buffer: usize,

    /// Http: keep-alive connections, each making one request at a time.
    #[arg(long, default_value_t = 2)]
    connections: usize,

    /// Http: how long the requests are timed per round, in milliseconds.
    #[arg(long, default_value_t = 3000)]
    load_ms: u64,

    /// Http: untimed requests before the timed ones, per round, in milliseconds.
    #[arg(long, default_value_t = 500)]
    load_warmup_ms: u64,

    /// Batch: events emitted per round.
    #[arg(long, default_value_t = 1_000_000)]
    batch_events: u64,

    /// Batch: distinct keys (`dir` values), taken in turn.
    #[arg(long, default_value_t = 100)]
    batch_keys: u64,

    /// Batch: events per batch (the aggregator's `max_size`).
    #[arg(long, default_value_t = 100)]
    batch_size: usize,

    /// Durable: actions submitted per round (Steward and the floor).
    #[arg(long, default_value_t = 100_000)]
    durable_actions: usize,

    /// Durable: jobs pushed per round by the apalis peer, which is far slower.
    #[arg(long, default_value_t = 5_000)]
    durable_peer_actions: usize,

    /// Durable: callers submitting at once, each waiting for acceptance.
    #[arg(long, default_value_t = 16)]
    durable_callers: usize,

    /// Replay: the large backlog, in queued actions (the small one is a hundredth).
    #[arg(long, default_value_t = 1_000_000)]
    replay_backlog: usize,

    /// Restart: how many restarts each subject is timed over.
    #[arg(long, default_value_t = 50)]
    restarts: usize,

    /// Restart: how long each run of the supervised program lasts, in milliseconds.
    #[arg(long, default_value_t = 100)]
    live_ms: u64,

    /// Watch: bursts, each of this many files written as fast as possible.
    #[arg(long, value_delimiter = ',', default_values_t = [10_000, 100_000])]
    watch_bursts: Vec<usize>,

    /// Watch: files written at a steady pace after the bursts (0: none).
    #[arg(long, default_value_t = 1_000)]
    watch_paced: usize,

    /// Watch: how many times the paced workload runs per subject, the subjects in
    /// turn: the run with the median CPU is shown (of an even number, the later of
    /// the middle two), with the fewest files detected and the most missed, late,
    /// reported twice or lost otherwise of any run, and the least and most CPU.
    #[arg(long, default_value_t = 5)]
    watch_paced_runs: usize,

    /// Watch: the steady pace, in files per second.
    #[arg(long, default_value_t = 500)]
    watch_rate: u32,

    /// Watch: each file's size, in bytes.
    #[arg(long, default_value_t = 1024)]
    watch_file_bytes: usize,

    /// Watch: subdirectories the files are spread over, in turn.
    #[arg(long, default_value_t = 4)]
    watch_dirs: usize,

    /// Watch: once the writer is done, this long without a new event ends the wait
    /// for the files not yet reported (and the count of late duplicates), in seconds.
    #[arg(long, default_value_t = 5)]
    watch_settle_secs: u64,

    /// Watch: where the scratch directories go [default: the system's temporary
    /// directory, or this program's own directory where that is tmpfs].
    #[arg(long)]
    watch_root: Option<PathBuf>,

    /// Watch: runs only this workload (`burst_10000`, `paced_1000`, …); the parent
    /// runs each workload in a child process of its own.
    #[arg(long)]
    watch_workload: Option<String>,

    /// Watch: writes into `--watch-root` itself and leaves the files there (the
    /// parent removes them all once every workload ran).
    #[arg(long, hide = true)]
    watch_keep: bool,

    /// Child: the file the supervised program appends its start and exit to.
    #[arg(long, hide = true)]
    log: Option<PathBuf>,

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
    /// Request/response of a no-op action: latency one call at a time, and
    /// throughput with 4 producers × 64 calls in flight.
    Rpc,
    /// One emitter, 100 subscribers: 100,000 small events, delivered per second.
    Fanout,
    /// `GET /api/services/{name}/status` over 2 keep-alive connections for 3 s:
    /// Steward's control plane against a bare axum handler.
    Http,
    /// A `process` service whose program exits after 100 ms, restarted at once:
    /// child exit → next child start, against a bare tokio loop and supervisord.
    Restart,
    /// 1,000,000 JSON events into a `batch-aggregator` over 100 keys, batches of
    /// 100: events per second and peak memory.
    Batch,
    /// Bursts of 10,000 and 100,000 files of 1 KB, then 1,000 files at 500 per
    /// second, under a `file-watcher` and a raw inotify loop: files missed and
    /// reported twice, detection latency, CPU and memory.
    Watch,
    /// 100,000 no-op actions accepted through an SQLite file by 16 callers, then
    /// run: accepted and completed per second, against rusqlite and apalis-sqlite.
    Durable,
    /// A host starting on an SQLite file left with 10,000 and with 1,000,000
    /// queued no-op actions: peak memory, start time, actions replayed per second.
    Replay,
    /// Every scenario, one after the other.
    All,
    /// The restart scenario's supervised program: appends its start to `--log`,
    /// lives `--live-ms`, appends its exit and exits with status 1.
    #[value(hide = true)]
    Child,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if cli.scenario == Scenario::Child {
        let live = Duration::from_millis(cli.live_ms);
        match restart::child::run(cli.log.as_deref(), live)? {}
    }
    let settings = Settings::from(&cli);
    let tables = match cli.scenario {
        Scenario::Lifecycle => vec![lifecycle::run(&cli, &settings)?],
        Scenario::Periodic => vec![periodic::run(&cli, &settings)?],
        Scenario::Rpc => vec![rpc::run(&cli, &settings)?],
        Scenario::Fanout => vec![fanout::run(&cli, &settings)?],
        Scenario::Http => vec![http::run(&cli, &settings)?],
        Scenario::Restart => vec![restart::run(&cli, &settings)?],
        Scenario::Batch => vec![batch::run(&cli, &settings)?],
        Scenario::Watch => vec![watch::run(&cli, &settings)?],
        Scenario::Durable => vec![durable::run(&cli, &settings)?],
        Scenario::Replay => vec![replay::run(&cli, &settings)?],
        Scenario::All => vec![
            lifecycle::run(&cli, &settings)?,
            periodic::run(&cli, &settings)?,
            rpc::run(&cli, &settings)?,
            fanout::run(&cli, &settings)?,
            http::run(&cli, &settings)?,
            restart::run(&cli, &settings)?,
            batch::run(&cli, &settings)?,
            watch::run(&cli, &settings)?,
            durable::run(&cli, &settings)?,
            replay::run(&cli, &settings)?,
        ],
        Scenario::Child => anyhow::bail!("`child` runs as the restart scenario's program"),
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
    repeats: usize,
    calls: usize,
    warmup: usize,
    throughput_calls: usize,
    producers: usize,
    in_flight: usize,
    events: u64,
    subscribers: usize,
    buffer: usize,
    connections: usize,
    load_duration: Duration,
    load_warmup: Duration,
    restarts: usize,
    live: Duration,
    batch_events: u64,
    batch_keys: u64,
    batch_size: usize,
    watch: watch::Shape,
    durable_actions: usize,
    durable_peer_actions: usize,
    durable_callers: usize,
    replay_backlog: usize,
}

impl From<&Cli> for Settings {
    fn from(cli: &Cli) -> Self {
        Self {
            services: cli.services.max(1),
            iterations: cli.iterations.max(1),
            rounds: cli.rounds.max(1),
            duration: Duration::from_secs(cli.duration_secs.max(1)),
            period: Duration::from_millis(cli.period_ms.max(1)),
            repeats: cli.repeats.max(1),
            calls: cli.calls.max(1),
            warmup: cli.warmup,
            throughput_calls: cli.throughput_calls.max(1),
            producers: cli.producers.max(1),
            in_flight: cli.in_flight.max(1),
            events: cli.events.max(1),
            subscribers: cli.subscribers.max(1),
            buffer: cli.buffer.max(1),
            connections: cli.connections.max(1),
            load_duration: Duration::from_millis(cli.load_ms.max(1)),
            load_warmup: Duration::from_millis(cli.load_warmup_ms),
            restarts: cli.restarts.max(1),
            live: Duration::from_millis(cli.live_ms),
            batch_events: cli.batch_events.max(1),
            batch_keys: cli.batch_keys.max(1),
            batch_size: cli.batch_size.max(1),
            watch: watch::Shape::from(cli),
            durable_actions: cli.durable_actions.max(1),
            durable_peer_actions: cli.durable_peer_actions.max(1),
            durable_callers: cli.durable_callers.max(1),
            replay_backlog: cli.replay_backlog.max(1),
        }
    }
}

/// A scenario's measurements, in the order they are shown.
type Rows = Vec<measure::Measurement>;
