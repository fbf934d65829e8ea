//! Services that record what happens to them, for the integration tests.
#![allow(dead_code, unreachable_pub)]

pub mod journals;
pub mod log_capture;
pub mod records;

use std::future::pending;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use steward::{Context, Continuous, Periodic, Result, Schedule, Startup};
use tokio::time::Instant;

/// A shared, ordered log of events such as `start:db` and `stop:db`.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    pub fn push(&self, entry: impl Into<String>) {
        self.0.lock().unwrap().push(entry.into());
    }

    pub fn entries(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// Entries that start with `prefix`, prefix removed.
    pub fn with_prefix(&self, prefix: &str) -> Vec<String> {
        self.entries()
            .into_iter()
            .filter_map(|entry| entry.strip_prefix(prefix).map(str::to_owned))
            .collect()
    }
}

/// A continuous service that logs `start:NAME` when its start hook runs and
/// `stop:NAME` when it leaves `run` after cancellation.
pub struct Probe {
    pub name: &'static str,
    pub log: Log,
    pub start_delay: Duration,
    pub runs: Arc<AtomicU32>,
}

impl Probe {
    pub fn new(name: &'static str, log: &Log) -> Self {
        Self {
            name,
            log: log.clone(),
            start_delay: Duration::ZERO,
            runs: Arc::default(),
        }
    }

    pub fn slow_start(mut self, delay: Duration) -> Self {
        self.start_delay = delay;
        self
    }
}

impl Continuous for Probe {
    async fn start(&self, _cx: &Context) -> Result {
        tokio::time::sleep(self.start_delay).await;
        self.log.push(format!("start:{}", self.name));
        Ok(())
    }

    async fn run(&self, cx: &Context) -> Result {
        self.runs.fetch_add(1, Ordering::SeqCst);
        cx.cancelled().await;
        self.log.push(format!("stop:{}", self.name));
        Ok(())
    }
}

/// Panics as soon as it runs; counts its runs.
#[derive(Default, Clone)]
pub struct Crasher {
    pub runs: Arc<AtomicU32>,
}

impl Continuous for Crasher {
    async fn run(&self, _cx: &Context) -> Result {
        self.runs.fetch_add(1, Ordering::SeqCst);
        panic!("boom");
    }
}

/// Returns an error as soon as it runs.
pub struct Failing;

impl Continuous for Failing {
    async fn run(&self, _cx: &Context) -> Result {
        Err("connection refused".into())
    }
}

/// Returns `Ok` at once; counts its runs.
#[derive(Default, Clone)]
pub struct Finishes {
    pub runs: Arc<AtomicU32>,
}

impl Continuous for Finishes {
    async fn run(&self, _cx: &Context) -> Result {
        self.runs.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Ignores cancellation: never returns from `run`.
pub struct Stubborn;

impl Continuous for Stubborn {
    async fn run(&self, _cx: &Context) -> Result {
        pending::<()>().await;
        Ok(())
    }
}

/// A startup step that logs `step:NAME`, after `delay`, and fails if told to.
pub struct Step {
    pub name: &'static str,
    pub log: Log,
    pub delay: Duration,
    pub fail: bool,
}

impl Step {
    pub fn ok(name: &'static str, log: &Log) -> Self {
        Self {
            name,
            log: log.clone(),
            delay: Duration::ZERO,
            fail: false,
        }
    }

    pub fn failing(name: &'static str, log: &Log) -> Self {
        Self {
            fail: true,
            ..Self::ok(name, log)
        }
    }

    pub fn slow(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

impl Startup for Step {
    async fn run(&self, _cx: &Context) -> Result {
        tokio::time::sleep(self.delay).await;
        self.log.push(format!("step:{}", self.name));
        if self.fail {
            return Err(format!("{} could not reach the database", self.name).into());
        }
        Ok(())
    }
}

/// A periodic service that records the tokio instant of every tick, relative to
/// `origin`, and optionally takes `work` time per tick or fails on chosen ticks.
#[derive(Clone)]
pub struct Ticker {
    pub schedule: Schedule,
    pub origin: Instant,
    pub ticks: Arc<Mutex<Vec<Duration>>>,
    pub walls: Arc<Mutex<Vec<chrono::DateTime<chrono::Utc>>>>,
    pub work: Duration,
    pub fail_on: Vec<usize>,
}

impl Ticker {
    pub fn new(schedule: Schedule) -> Self {
        Self {
            schedule,
            origin: Instant::now(),
            ticks: Arc::default(),
            walls: Arc::default(),
            work: Duration::ZERO,
            fail_on: Vec::new(),
        }
    }

    pub fn offsets(&self) -> Vec<Duration> {
        self.ticks.lock().unwrap().clone()
    }

    pub fn walls(&self) -> Vec<chrono::DateTime<chrono::Utc>> {
        self.walls.lock().unwrap().clone()
    }
}

impl Periodic for Ticker {
    fn schedule(&self) -> Schedule {
        self.schedule.clone()
    }

    async fn tick(&self, cx: &Context) -> Result {
        let number = {
            let mut ticks = self.ticks.lock().unwrap();
            ticks.push(self.origin.elapsed());
            ticks.len()
        };
        self.walls.lock().unwrap().push(cx.now());
        tokio::time::sleep(self.work).await;
        if self.fail_on.contains(&number) {
            return Err(format!("tick {number} failed").into());
        }
        Ok(())
    }
}

pub fn secs(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}
