//! `kind = "gpu-monitor"`: poll NVIDIA GPUs into metrics, events and health.
//!
//! Every `poll_interval` the monitor reads each GPU's utilisation, memory used
//! and installed, temperature and power draw. It reads them through NVML, the
//! driver's library (`libnvidia-ml.so.1`, loaded at run time, so the binary
//! needs no CUDA to build or start), and falls back to running `nvidia-smi
//! --query-gpu=… --format=csv,noheader,nounits` when NVML does not load;
//! `source` may pin one of the two.
//!
//! ```toml
//! [services.gpu]
//! kind = "gpu-monitor"
//! settings = { poll_interval = "5s" }    # source = "auto" | "nvml" | "nvidia-smi", nvidia_smi = "nvidia-smi"
//! ```
//!
//! Each poll that reads GPUs
//!
//! - sets the gauges `steward_gpu_utilization_ratio` (0 to 1),
//!   `steward_gpu_memory_used_bytes`, `steward_gpu_memory_total_bytes`,
//!   `steward_gpu_temperature_celsius` and `steward_gpu_power_watts`, labelled
//!   `gpu` (the index) and `name`, and `steward_gpu_devices`; a value a GPU does not
//!   offer (`[N/A]` power, say) is left out rather than shown as 0, and a GPU that
//!   goes away disappears;
//! - emits [`GpuStats`] (`gpu.stats`) with every GPU's [`GpuReading`];
//! - reports the service `healthy`, with `source` and `gpus` in its details.
//!
//! **Without a GPU** (no driver, no `nvidia-smi`, or no device) the service keeps
//! running and reports `degraded` with the reason, such as `no NVIDIA GPU found
//! (NVML: a libloading error occurred: libnvidia-ml.so.1: cannot open shared object
//! file: No such file or directory; nvidia-smi: cannot run `nvidia-smi`: No such
//! file or directory (os error 2))`; its ticks succeed, so it never enters a crash
//! loop. Every poll still emits `gpu.stats`, with no GPU and that reason
//! (`{"source": "none", "gpus": [], "reason": "no NVIDIA GPU found (…)"}`; the
//! source is named when it answered but listed no GPU), so that subscribers see
//! the monitor is alive and what it misses. It looks again at every poll, which on
//! such a machine costs a failed library load and a failed program start: a driver
//! that appears later is picked up without a restart. The reason is logged when
//! it first appears or changes, not at every poll. A read that fails once GPUs
//! were found (a GPU fell off the bus) is handled the same way: `degraded`, gauges
//! cleared, an event with no GPU, NVML loaded afresh at the next poll. An
//! `nvidia-smi` run gets ten seconds before it is killed.
//!
//! The service is periodic: `steward ctl trigger gpu` polls now, and the table's
//! own `interval` or `cron` replaces `poll_interval`. The gauges are the host's,
//! shared by every `gpu-monitor` in it (one per machine is all it takes).
//!
//! A Rust program can read GPUs its own way (or a test can replay readings) with
//! [`GpuMonitor::with_source`] and a [`GpuSource`].

mod error;
mod metrics;
mod nvidia_smi;
mod nvml;
mod reading;
mod settings;
mod source;

#[cfg(test)]
mod tests;

use std::sync::{Mutex, PoisonError};

use steward::{Context, Health, Periodic, Schedule, ServiceDef};

pub use error::{GpuError, NvidiaSmiError};
pub use reading::{GpuReading, GpuStats};
pub use settings::{GpuMonitorSettings, SourceChoice};
pub use source::{GpuSource, SystemGpus};

use metrics::GpuMetrics;

/// A service that polls GPUs from a [`GpuSource`] ([`SystemGpus`] by default).
#[derive(Debug)]
pub struct GpuMonitor<S = SystemGpus> {
    settings: GpuMonitorSettings,
    source: S,
    /// Made when the service starts, from the host's registry.
    metrics: Mutex<Option<GpuMetrics>>,
    /// Why the last poll read nothing, to log a reason once rather than per poll.
    problem: Mutex<Option<String>>,
}

impl GpuMonitor {
    /// A monitor of this machine's GPUs.
    pub fn new(settings: GpuMonitorSettings) -> Self {
        let source = SystemGpus::new(&settings);
        Self::with_source(settings, source)
    }
}

impl<S: GpuSource> GpuMonitor<S> {
    /// A monitor that reads GPUs from `source` (`settings.source` and
    /// `settings.nvidia_smi` are then unused).
    ///
    /// ```
    /// use steward_builtins::gpu_monitor::{
    ///     GpuError, GpuMonitor, GpuMonitorSettings, GpuSource, GpuStats,
    /// };
    ///
    /// struct NoGpus;
    /// impl GpuSource for NoGpus {
    ///     async fn read(&self) -> Result<GpuStats, GpuError> {
    ///         Err(GpuError::Unavailable("unplugged".into()))
    ///     }
    /// }
    ///
    /// let monitor = GpuMonitor::with_source(GpuMonitorSettings::default(), NoGpus);
    /// let def = steward::periodic("gpu", monitor).emits::<GpuStats>();
    /// # let _ = def;
    /// ```
    pub fn with_source(settings: GpuMonitorSettings, source: S) -> Self {
        Self {
            settings,
            source,
            metrics: Mutex::new(None),
            problem: Mutex::new(None),
        }
    }

    /// Shows a poll that read GPUs.
    async fn found(&self, cx: &Context, stats: GpuStats) {
        if stats.gpus.is_empty() {
            let reason = format!("no NVIDIA GPU found ({} lists none)", stats.source);
            self.trouble(cx, stats.source, reason).await;
            return;
        }
        self.show(&stats.gpus);
        if self.take_problem().is_some() {
            tracing::info!(
                source = %stats.source,
                gpus = stats.gpus.len(),
                "reading GPUs again"
            );
        }
        let health = Health::healthy()
            .with_detail("source", stats.source.clone())
            .with_detail("gpus", stats.gpus.len());
        cx.set_health(health);
        emit(cx, stats).await;
    }

    /// Reports a poll that read nothing: degraded, logged when new, and a
    /// `gpu.stats` with no GPU and the reason, so that subscribers still hear
    /// from the monitor at every poll.
    async fn trouble(&self, cx: &Context, source: String, reason: String) {
        self.show(&[]);
        cx.set_health(Health::degraded(reason.clone()).with_detail("gpus", 0));
        {
            let mut problem = self.problem.lock().unwrap_or_else(PoisonError::into_inner);
            if problem.as_deref() != Some(reason.as_str()) {
                tracing::warn!(
                    "{reason}; looking again every {:?}",
                    self.settings.poll_interval
                );
                *problem = Some(reason.clone());
            }
        }
        emit(cx, GpuStats::none(source, reason)).await;
    }

    fn show(&self, gpus: &[GpuReading]) {
        let mut metrics = self.metrics.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(metrics) = metrics.as_mut() {
            metrics.show(gpus);
        }
    }

    fn take_problem(&self) -> Option<String> {
        self.problem
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

impl<S: GpuSource> Periodic for GpuMonitor<S> {
    fn schedule(&self) -> Schedule {
        Schedule::every(self.settings.poll_interval).run_on_startup()
    }

    async fn start(&self, cx: &Context) -> steward::Result {
        let mut metrics = self.metrics.lock().unwrap_or_else(PoisonError::into_inner);
        if metrics.is_none() {
            *metrics = Some(GpuMetrics::new(cx.metrics()));
        }
        Ok(())
    }

    async fn tick(&self, cx: &Context) -> steward::Result {
        match self.source.read().await {
            Ok(stats) => self.found(cx, stats).await,
            Err(error) => {
                let reason = error::chain(&error);
                self.trouble(cx, NO_SOURCE.to_owned(), reason).await;
            }
        }
        Ok(())
    }
}

/// `gpu.stats`'s `source` when no source could be read.
const NO_SOURCE: &str = "none";

async fn emit(cx: &Context, stats: GpuStats) {
    if let Err(error) = cx.emit(stats).await {
        tracing::debug!(%error, "could not emit gpu.stats");
    }
}

/// The definition of a `gpu-monitor` service called `name`, built from its settings.
pub fn define(name: &str) -> ServiceDef {
    steward::periodic_with(name, GpuMonitor::new).emits::<GpuStats>()
}
