//! Http: a service's status over the HTTP control plane, against a bare axum
//! handler answering the same bytes.
//!
//! Each round, in a fresh runtime, starts the subject's server on a free loopback
//! port, then opens `connections` keep-alive HTTP/1.1 connections to it, each
//! driven by one task (a hyper client connection, the request loop and the
//! connection polled together) making `GET /api/services/noop/status` one request
//! after another: untimed for the warm-up, then timed for the load's duration.
//! The server and the client share the round's runtime; both subjects get the
//! same runtime, the same client and the same requests, so only the server
//! differs. Latencies are pooled over the rounds; the rate is the median round's.

mod floor;
mod steward;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use axum::body::Bytes;
use axum::http::header::HOST;
use axum::http::{HeaderValue, Request, StatusCode};
use http_body_util::{BodyExt as _, Empty};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::report::{Rule, Table, Target};
use crate::stats::percentile;
use crate::{Cli, Rows, Settings, measure::Measurement, runner};

pub(crate) const SUBJECTS: &[&str] = &["steward", "axum"];

const SCENARIO: &str = "http";

/// The one service, whose status is asked for.
const SERVICE: &str = "noop";

/// What every request asks for.
const PATH: &str = "/api/services/noop/status";

/// How hard a round drives the subject.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Load {
    connections: usize,
    warmup: Duration,
    duration: Duration,
}

impl Load {
    fn new(settings: &Settings) -> Self {
        Self {
            connections: settings.connections,
            warmup: settings.load_warmup,
            duration: settings.load_duration,
        }
    }
}

/// What one round of one subject measured.
pub(crate) struct Round {
    /// Timed requests' latencies, in nanoseconds, unsorted.
    latencies: Vec<u64>,
    /// From the end of the warm-up until the last timed answer.
    elapsed: Duration,
}

impl Round {
    fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }
}

/// Measures every subject (or `--only` one) and builds the table.
pub(crate) fn run(cli: &Cli, settings: &Settings) -> anyhow::Result<Table> {
    runner::scenario(cli, settings, SCENARIO, SUBJECTS, measure, table)
}

fn measure(subject: &str, settings: &Settings) -> anyhow::Result<Rows> {
    let load = Load::new(settings);
    // The floor answers the bytes Steward answers, asked of Steward once, untimed.
    let body = match subject {
        "axum" => Some(runner::fresh(steward::status_body())?),
        _ => None,
    };
    let mut latencies = Vec::new();
    let mut rates = Vec::with_capacity(settings.repeats);
    for _ in 0..settings.repeats {
        let round = runner::fresh(async {
            match (subject, &body) {
                ("steward", _) => steward::round(load).await,
                ("axum", Some(body)) => floor::round(load, body.clone()).await,
                (other, _) => anyhow::bail!("unknown http subject `{other}`"),
            }
        })?;
        rates.push(round.per_second());
        latencies.extend(round.latencies);
    }
    latencies.sort_unstable();
    rates.sort_by(f64::total_cmp);
    let micros = |p: f64| percentile(&latencies, p) as f64 / 1e3;
    let rate = rates
        .get(rates.len().saturating_sub(1) / 2)
        .copied()
        .context("no round ran")?;
    let row = |metric: &str, value: f64, unit: &str| {
        Measurement::new(SCENARIO, subject, metric, value, unit)
    };
    Ok(vec![
        row("requests_per_sec", rate, "requests/s"),
        row("latency_p50", micros(50.0), "µs"),
        row("latency_p99", micros(99.0), "µs"),
    ])
}

/// Drives a started subject listening on `address`: every connection warms up,
/// then is timed until the load's duration has passed.
pub(crate) async fn drive(address: SocketAddr, load: Load) -> anyhow::Result<Round> {
    let mut clients = Vec::with_capacity(load.connections);
    for _ in 0..load.connections {
        clients.push(Client::connect(address).await?);
    }
    let warmed = Instant::now() + load.warmup;
    let until = warmed + load.duration;
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|client| tokio::spawn(client.run(warmed, until)))
        .collect();
    let mut latencies = Vec::new();
    let mut last = warmed;
    for task in tasks {
        let (timed, done) = task.await.context("a client panicked")??;
        latencies.extend(timed);
        last = last.max(done);
    }
    ensure!(!latencies.is_empty(), "no request was answered in time");
    Ok(Round {
        latencies,
        elapsed: last - warmed,
    })
}

/// Asks a started subject for the status once: the answer's body.
pub(crate) async fn fetch(address: SocketAddr) -> anyhow::Result<Bytes> {
    Client::connect(address)
        .await?
        .with_connection(async |client| client.get().await)
        .await
}

/// One keep-alive HTTP/1.1 connection and the request every call sends.
struct Client {
    sender: SendRequest<Empty<Bytes>>,
    connection: http1::Connection<TokioIo<TcpStream>, Empty<Bytes>>,
    host: HeaderValue,
}

/// A client's request half, while its connection is polled beside it.
struct Requests {
    sender: SendRequest<Empty<Bytes>>,
    host: HeaderValue,
}

impl Client {
    async fn connect(address: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(address)
            .await
            .with_context(|| format!("connecting to {address}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        Ok(Self {
            sender,
            connection,
            host: HeaderValue::try_from(address.to_string())?,
        })
    }

    /// Runs `work` on the request half while polling the connection in the same
    /// task; the connection closes once `work` is done.
    async fn with_connection<T>(
        self,
        work: impl AsyncFnOnce(&mut Requests) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let Self {
            sender,
            connection,
            host,
        } = self;
        let mut requests = Requests { sender, host };
        let work = async move {
            let result = work(&mut requests).await;
            // Dropping the sender lets the connection close.
            drop(requests);
            result
        };
        let (result, closed) = tokio::join!(work, connection);
        let result = result?;
        closed.context("the connection failed")?;
        Ok(result)
    }

    /// Requests until `warmed` untimed, then until `until` timed: the timed
    /// latencies, and when the last timed answer came.
    async fn run(self, warmed: Instant, until: Instant) -> anyhow::Result<(Vec<u64>, Instant)> {
        self.with_connection(async |client| {
            while Instant::now() < warmed {
                client.get().await?;
            }
            let mut latencies = Vec::with_capacity(1 << 16);
            let mut done = Instant::now();
            while done < until {
                let began = Instant::now();
                client.get().await?;
                done = Instant::now();
                latencies.push(u64::try_from((done - began).as_nanos()).unwrap_or(u64::MAX));
            }
            Ok((latencies, done))
        })
        .await
    }
}

impl Requests {
    /// One `GET` of the status, answered 200, its body read to the end.
    async fn get(&mut self) -> anyhow::Result<Bytes> {
        let mut request = Request::get(PATH).body(Empty::new())?;
        request.headers_mut().insert(HOST, self.host.clone());
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        ensure!(
            status == StatusCode::OK && !body.is_empty(),
            "GET {PATH} answered {status} with {} bytes",
            body.len()
        );
        Ok(body)
    }
}

fn table(rows: Rows, settings: &Settings) -> Table {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    Table {
        title: format!(
            "http: GET {PATH} on {} keep-alive connections, one request at a time each, for {:?} after {:?} warm-up; {} rounds (latencies pooled, rate median); {threads} worker threads",
            settings.connections,
            settings.load_duration,
            settings.load_warmup,
            settings.repeats,
        ),
        notes: vec![
            "steward: one continuous no-op service, served by steward_http::serve (the full router: timeout, body limit,".to_owned(),
            "  no token) on 127.0.0.1:0; the status handler asks the host for the service's status and answers it as JSON".to_owned(),
            "axum: a bare axum handler on the same route, served by axum::serve, answering the bytes Steward answered".to_owned(),
            "  (captured once, before the rounds) as a static body with content-type application/json".to_owned(),
            "client: a hyper HTTP/1.1 client connection per connection, in the same runtime as the server (identical for".to_owned(),
            "  both subjects); latency: request sent → body read to the end; rate: timed answers ÷ (end of warm-up → last answer)".to_owned(),
            "vs floor: value ÷ axum's (for requests/s, higher is better)".to_owned(),
        ],
        rows,
        baseline: |_| "axum",
        targets: vec![Target {
            subject: "steward",
            metric: "requests_per_sec",
            rule: Rule::RatioAtLeast(0.7),
        }],
    }
}
