//! One GPU's readings, and one poll's worth of them (the `gpu.stats` event).

use serde::{Deserialize, Serialize};
use steward::Event;

/// What one GPU reported. A value the GPU or driver does not offer (`[N/A]`,
/// `[Not Supported]`) is `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GpuReading {
    /// The GPU's index, as `nvidia-smi` and NVML number them.
    pub index: u32,
    /// Its product name (`NVIDIA A100-SXM4-80GB`).
    pub name: String,
    /// How busy it was over the driver's last sample period, from 0.0 to 1.0.
    pub utilization: Option<f64>,
    /// Memory in use, in bytes.
    pub memory_used_bytes: Option<u64>,
    /// Memory installed, in bytes.
    pub memory_total_bytes: Option<u64>,
    /// Core temperature, in degrees Celsius.
    pub temperature_celsius: Option<f64>,
    /// Power draw, in watts.
    pub power_watts: Option<f64>,
}

impl GpuReading {
    /// A reading of GPU `index` called `name` with no values yet.
    pub fn new(index: u32, name: impl Into<String>) -> Self {
        Self {
            index,
            name: name.into(),
            utilization: None,
            memory_used_bytes: None,
            memory_total_bytes: None,
            temperature_celsius: None,
            power_watts: None,
        }
    }
}

/// Every GPU's readings from one poll: the `gpu.stats` event, emitted at every
/// poll, with or without GPUs.
///
/// A poll that read no GPU has an empty `gpus` and says why in `reason`, so that
/// subscribers see the monitor is alive and what it is missing:
///
/// ```json
/// {"source": "none", "gpus": [], "reason": "no NVIDIA GPU found (NVML: …; nvidia-smi: …)"}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Event)]
#[event(name = "gpu.stats")]
#[non_exhaustive]
pub struct GpuStats {
    /// Where the readings came from: `nvml`, `nvidia-smi`, or a source of your
    /// own; `none` when no source could be read.
    pub source: String,
    /// One reading per GPU, by index; empty when the poll read none.
    pub gpus: Vec<GpuReading>,
    /// Why `gpus` is empty (the monitor's `degraded` message); `None` when GPUs
    /// were read.
    #[serde(default)]
    pub reason: Option<String>,
}

impl GpuStats {
    /// The readings `source` gave.
    pub fn new(source: impl Into<String>, gpus: Vec<GpuReading>) -> Self {
        Self {
            source: source.into(),
            gpus,
            reason: None,
        }
    }

    /// A poll of `source` that read no GPU, for `reason`.
    pub(crate) fn none(source: impl Into<String>, reason: String) -> Self {
        Self {
            source: source.into(),
            gpus: Vec::new(),
            reason: Some(reason),
        }
    }
}
