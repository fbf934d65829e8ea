//! Rpc: request/response of an action that does nothing.
//!
//! Each round, in a fresh runtime, starts the subject's server, then a caller task
//! (a tokio task, not the runtime's `block_on` thread) makes some untimed warm-up
//! calls and times `calls` more, one at a time: the round-trip latency. Then
//! `producers` tasks each keep up to `in_flight` calls going at once (in a
//! `FuturesUnordered`) until `throughput_calls` have been answered: the
//! throughput, from the first call to the last answer. Latencies are pooled over
//! the rounds; the throughput is the median round's.

mod apalis;
mod floor;
mod ractor;
mod steward;

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;

use crate::report::{Rule, Table, Target};
use crate::stats::{median, percentile};
use crate::{Cli, Rows, Settings, measure::Measurement, runner};

pub(crate) const SUBJECTS: &[&str] = &["steward", "steward-json", "floor", "ractor", "apalis"];

const SCENARIO: &str = "rpc";

/// One call of the no-op, answered: what every subject's client does.
pub(crate) trait Caller: Clone + Send + Sync + 'static {
    /// Sends the request and waits for its answer.
    fn call(&self) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// How hard a round drives the subject.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Load {
    warmup: usize,
    calls: usize,
    producers: usize,
    in_flight: usize,
    /// Calls per producer in the throughput run.
    per_producer: usize,
}

impl Load {
    fn new(settings: &Settings) -> Self {
        Self {
            warmup: settings.warmup,
            calls: settings.calls,
            producers: settings.producers,
            in_flight: settings.in_flight,
            per_producer: settings
                .throughput_calls
                .div_ceil(settings.producers)
                .max(1),
        }
    }

    /// The calls the throughput run makes in all.
    fn throughput_calls(&self) -> usize {
        self.producers * self.per_producer
    }

    /// Steward's `max_concurrency`: as many handlers as calls can be in flight.
    pub(crate) fn in_flight_total(&self) -> usize {
        self.producers * self.in_flight
    }
}

/// What one round of one subject measured.
pub(crate) struct Round {
    /// Round trips, in nanoseconds, unsorted.
    latencies: Vec<u64>,
    /// How long the throughput run took.
    throughput: Duration,
}

/// Measures every subject (or `--only` one) and builds the table.
pub(crate) fn run(cli: &Cli, settings: &Settings) -> anyhow::Result<Table> {
    runner::scenario(cli, settings, SCENARIO, SUBJECTS, measure, table)
}

fn measure(subject: &str, settings: &Settings) -> anyhow::Result<Rows> {
    let load = Load::new(settings);
    let mut latencies = Vec::with_capacity(settings.calls * settings.repeats);
    let mut throughputs = Vec::with_capacity(settings.repeats);
    for _ in 0..settings.repeats {
        let round = runner::fresh(async {
            match subject {
                "steward" => steward::round(load, steward::Path::Typed).await,
                "steward-json" => steward::round(load, steward::Path::Json).await,
                "floor" => floor::round(load).await,
                "ractor" => ractor::round(load).await,
                "apalis" => apalis::round(load).await,
                other => anyhow::bail!("unknown rpc subject `{other}`"),
            }
        })?;
        latencies.extend(round.latencies);
        throughputs.push(round.throughput);
    }
    latencies.sort_unstable();
    let micros = |p: f64| percentile(&latencies, p) as f64 / 1e3;
    let per_second = load.throughput_calls() as f64 / median(&throughputs).as_secs_f64();
    let row = |metric: &str, value: f64, unit: &str| {
        Measurement::new(SCENARIO, subject, metric, value, unit)
    };
    Ok(vec![
        row("latency_p50", micros(50.0), "µs"),
        row("latency_p99", micros(99.0), "µs"),
        row("throughput", per_second, "calls/s"),
    ])
}

/// Runs the latency and the throughput parts of a round against a started subject.
pub(crate) async fn drive<C: Caller>(caller: C, load: Load) -> anyhow::Result<Round> {
    let sequential = caller.clone();
    let latencies = tokio::spawn(async move {
        for _ in 0..load.warmup {
            sequential.call().await?;
        }
        let mut latencies = Vec::with_capacity(load.calls);
        for _ in 0..load.calls {
            let began = Instant::now();
            sequential.call().await?;
            latencies.push(u64::try_from(began.elapsed().as_nanos()).unwrap_or(u64::MAX));
        }
        anyhow::Ok(latencies)
    })
    .await
    .context("the latency caller panicked")??;

    let began = Instant::now();
    let producers: Vec<_> = (0..load.producers)
        .map(|_| tokio::spawn(pipeline(caller.clone(), load.per_producer, load.in_flight)))
        .collect();
    drop(caller);
    for producer in producers {
        producer.await.context("a producer panicked")??;
    }
    let throughput = began.elapsed();
    Ok(Round {
        latencies,
        throughput,
    })
}

/// Makes `calls` calls, keeping up to `in_flight` of them going at once.
async fn pipeline<C: Caller>(caller: C, calls: usize, in_flight: usize) -> anyhow::Result<()> {
    let mut pending = FuturesUnordered::new();
    let mut sent = 0;
    while sent < calls || !pending.is_empty() {
        while sent < calls && pending.len() < in_flight {
            pending.push(caller.call());
            sent += 1;
        }
        if let Some(answer) = pending.next().await {
            answer?;
        }
    }
    Ok(())
}

fn table(rows: Rows, settings: &Settings) -> Table {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let load = Load::new(settings);
    Table {
        title: format!(
            "rpc: a no-op action; {} sequential calls after {} warm-up, then {} calls from {} producers × {} in flight; {} rounds (latencies pooled, throughput median); {threads} worker threads",
            settings.calls,
            settings.warmup,
            load.throughput_calls(),
            load.producers,
            load.in_flight,
            settings.repeats,
        ),
        notes: vec![
            "floor: one tokio task reading an mpsc channel (capacity 1,024) of (request, oneshot::Sender) and replying at once".to_owned(),
            "steward: handle.of::<Noop>().act(\"noop\", ()).send::<()>() on a kept ServiceRef (typed, no JSON);".to_owned(),
            "  steward-json: handle.named(\"noop\").act_json(\"noop\", null).send::<Value>() (parameters and result through JSON)".to_owned(),
            format!(
                "  one continuous service, .max_concurrency({}) (producers × in flight), .mailbox(1024) (the default), the default MemoryJournal;",
                load.in_flight_total()
            ),
            "  a call finding a handler slot free and nothing queued starts the handler in the caller's task (no task switch)".to_owned(),
            "ractor: one actor, ractor::call!(actor, Msg::Noop) answering on its RpcReplyPort (no timeout); default features".to_owned(),
            "apalis: one worker on MemoryStorage (apalis-core's in-memory backend), no layers; its in-memory backend has no".to_owned(),
            "  reply path (WaitForCompletion is not implemented), so each task carries a tokio oneshot the handler answers:".to_owned(),
            "  push (MemorySink) → worker → handler → oneshot; each producer pushes through its own sink".to_owned(),
            "vs floor: value ÷ floor's (for throughput, higher is better); steward's targets compare it with ractor".to_owned(),
        ],
        rows,
        baseline: |_| "floor",
        targets: vec![
            Target { subject: "steward", metric: "latency_p50", rule: Rule::VersusAtMost("ractor", 1.0) },
            Target { subject: "steward", metric: "latency_p99", rule: Rule::VersusAtMost("ractor", 1.0) },
            Target { subject: "steward", metric: "throughput", rule: Rule::VersusAtLeast("ractor", 1.0) },
            Target { subject: "steward-json", metric: "latency_p50", rule: Rule::RatioAtMost(5.0) },
        ],
    }
}
