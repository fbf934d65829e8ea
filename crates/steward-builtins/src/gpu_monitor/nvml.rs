//! Reading GPUs through NVML, the driver's library, loaded at run time.

use std::sync::Arc;

use nvml_wrapper::Nvml;
use nvml_wrapper::enum_wrappers::device::TemperatureSensor;
use nvml_wrapper::error::NvmlError;

use super::error::GpuError;
use super::reading::GpuReading;

/// Loads `libnvidia-ml.so.1` and initialises it; fails without a driver.
pub(crate) async fn open() -> Result<Arc<Nvml>, GpuError> {
    // Loading the library and waking the driver can block for a while.
    match tokio::task::spawn_blocking(Nvml::init).await {
        Ok(Ok(nvml)) => Ok(Arc::new(nvml)),
        Ok(Err(error)) => Err(GpuError::Nvml(error)),
        Err(error) => Err(GpuError::Task(error)),
    }
}

/// Reads every GPU NVML knows.
pub(crate) async fn read(nvml: Arc<Nvml>) -> Result<Vec<GpuReading>, GpuError> {
    match tokio::task::spawn_blocking(move || read_all(&nvml)).await {
        Ok(Ok(gpus)) => Ok(gpus),
        Ok(Err(error)) => Err(GpuError::Nvml(error)),
        Err(error) => Err(GpuError::Task(error)),
    }
}

/// One query per value; a value the GPU does not offer is `None`, but a GPU that
/// cannot be reached at all fails the poll.
fn read_all(nvml: &Nvml) -> Result<Vec<GpuReading>, NvmlError> {
    let count = nvml.device_count()?;
    let mut gpus = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    for index in 0..count {
        let device = nvml.device_by_index(index)?;
        let name = device.name().unwrap_or_else(|_| format!("GPU {index}"));
        let mut reading = GpuReading::new(index, name);
        reading.utilization = device
            .utilization_rates()
            .ok()
            .map(|rates| f64::from(rates.gpu) / 100.0);
        if let Ok(memory) = device.memory_info() {
            reading.memory_used_bytes = Some(memory.used);
            reading.memory_total_bytes = Some(memory.total);
        }
        reading.temperature_celsius = device
            .temperature(TemperatureSensor::Gpu)
            .ok()
            .map(f64::from);
        // Milliwatts.
        reading.power_watts = device
            .power_usage()
            .ok()
            .map(|milliwatts| f64::from(milliwatts) / 1000.0);
        gpus.push(reading);
    }
    Ok(gpus)
}
