//! A `gpu-monitor` service's settings, checked as they are read.

use crate::duration::positive;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// `[services.NAME.settings]` of a `gpu-monitor` service.
///
/// ```toml
/// [services.gpu]
/// kind = "gpu-monitor"
/// settings = { poll_interval = "5s" }
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct GpuMonitorSettings {
    /// How often the GPUs are read (and, while none is found, looked for again).
    #[serde(default = "default_poll_interval", deserialize_with = "positive")]
    pub poll_interval: Duration,
    /// Where readings come from: NVML, falling back to `nvidia-smi` (the default),
    /// or only one of them.
    #[serde(default)]
    pub source: SourceChoice,
    /// The `nvidia-smi` program, looked up on `PATH` unless it is a path.
    #[serde(default = "default_nvidia_smi")]
    pub nvidia_smi: PathBuf,
}

impl Default for GpuMonitorSettings {
    fn default() -> Self {
        Self {
            poll_interval: default_poll_interval(),
            source: SourceChoice::default(),
            nvidia_smi: default_nvidia_smi(),
        }
    }
}

/// Which of the system's ways of reading GPUs a `gpu-monitor` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SourceChoice {
    /// NVML when the driver's library loads, otherwise `nvidia-smi`.
    #[default]
    Auto,
    /// Only NVML (`libnvidia-ml.so.1`).
    Nvml,
    /// Only the `nvidia-smi` program.
    NvidiaSmi,
}

impl SourceChoice {
    pub(crate) fn uses_nvml(self) -> bool {
        matches!(self, SourceChoice::Auto | SourceChoice::Nvml)
    }

    pub(crate) fn uses_nvidia_smi(self) -> bool {
        matches!(self, SourceChoice::Auto | SourceChoice::NvidiaSmi)
    }
}

fn default_poll_interval() -> Duration {
    Duration::from_secs(5)
}

fn default_nvidia_smi() -> PathBuf {
    PathBuf::from("nvidia-smi")
}
