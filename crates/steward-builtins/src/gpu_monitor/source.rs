//! Where readings come from: the [`GpuSource`] trait, and the system's own
//! source, NVML falling back to `nvidia-smi`.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use nvml_wrapper::Nvml;

use super::error::GpuError;
use super::nvidia_smi::NvidiaSmi;
use super::nvml;
use super::reading::GpuStats;
use super::settings::{GpuMonitorSettings, SourceChoice};

/// Something that reads GPUs: [`SystemGpus`] in production, a source of your own
/// in tests (see [`GpuMonitor::with_source`](super::GpuMonitor::with_source)).
///
/// ```
/// use steward_builtins::gpu_monitor::{GpuError, GpuReading, GpuSource, GpuStats};
///
/// /// One idle GPU.
/// struct Idle;
///
/// impl GpuSource for Idle {
///     async fn read(&self) -> Result<GpuStats, GpuError> {
///         let mut gpu = GpuReading::new(0, "Test GPU");
///         gpu.utilization = Some(0.0);
///         Ok(GpuStats::new("test", vec![gpu]))
///     }
/// }
/// ```
pub trait GpuSource: Send + Sync + 'static {
    /// Reads every GPU now. An error, or no GPU, makes the monitor `degraded`
    /// until a later poll reads some.
    fn read(&self) -> impl Future<Output = Result<GpuStats, GpuError>> + Send;
}

/// The GPUs of this machine: NVML when `libnvidia-ml.so.1` loads and the driver
/// answers, otherwise the `nvidia-smi` program (as
/// [`SourceChoice`] allows).
///
/// Nothing is looked for until the first read, and a read that finds nothing
/// looks again next time: a driver installed or loaded while the host runs is
/// picked up at the next poll. On a machine without a driver a read costs a failed
/// library load and a failed program start, well under a millisecond.
pub struct SystemGpus {
    choice: SourceChoice,
    nvidia_smi: NvidiaSmi,
    /// NVML once it has loaded; dropped when a read through it fails.
    nvml: Mutex<Option<Arc<Nvml>>>,
}

impl SystemGpus {
    /// The source these settings choose.
    pub fn new(settings: &GpuMonitorSettings) -> Self {
        Self {
            choice: settings.source,
            nvidia_smi: NvidiaSmi::new(settings.nvidia_smi.clone()),
            nvml: Mutex::new(None),
        }
    }

    /// NVML, loading it if it is not loaded yet.
    async fn nvml(&self) -> Result<Arc<Nvml>, GpuError> {
        let loaded = self.loaded().clone();
        if let Some(nvml) = loaded {
            return Ok(nvml);
        }
        let nvml = nvml::open().await?;
        *self.loaded() = Some(nvml.clone());
        Ok(nvml)
    }

    async fn read_nvml(&self) -> Result<GpuStats, GpuError> {
        let nvml = self.nvml().await?;
        match nvml::read(nvml).await {
            Ok(gpus) => Ok(GpuStats::new("nvml", gpus)),
            Err(error) => {
                // Load it afresh next time: the driver may have been reloaded.
                *self.loaded() = None;
                Err(error)
            }
        }
    }

    fn loaded(&self) -> std::sync::MutexGuard<'_, Option<Arc<Nvml>>> {
        self.nvml.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl GpuSource for SystemGpus {
    async fn read(&self) -> Result<GpuStats, GpuError> {
        let mut tried = Vec::new();
        if self.choice.uses_nvml() {
            match self.read_nvml().await {
                Ok(stats) => return Ok(stats),
                Err(error) => tried.push(error),
            }
        }
        if self.choice.uses_nvidia_smi() {
            match self.nvidia_smi.read().await {
                Ok(gpus) => return Ok(GpuStats::new("nvidia-smi", gpus)),
                Err(error) => tried.push(GpuError::NvidiaSmi(error)),
            }
        }
        Err(GpuError::NotFound(tried))
    }
}

impl std::fmt::Debug for SystemGpus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SystemGpus")
            .field("choice", &self.choice)
            .field("nvidia_smi", &self.nvidia_smi)
            .field("nvml_loaded", &self.loaded().is_some())
            .finish()
    }
}
