//! The per-GPU gauges in the host's `/metrics`.

use std::collections::HashSet;
use std::sync::atomic::AtomicU64;

use steward::metrics::{Family, Gauge, Metrics};

use super::reading::GpuReading;

/// `gpu` (the index) and `name`.
type Labels = [(&'static str, String); 2];

/// A gauge holding a fraction or a measurement.
type Value = Gauge<f64, AtomicU64>;

/// The families of one reading each, labelled by GPU, and the number of GPUs
/// seen; the host's, shared by every `gpu-monitor` in it.
#[derive(Debug)]
pub(crate) struct GpuMetrics {
    utilization: Family<Labels, Value>,
    memory_used: Family<Labels, Value>,
    memory_total: Family<Labels, Value>,
    temperature: Family<Labels, Value>,
    power: Family<Labels, Value>,
    devices: Gauge,
    /// The label sets this monitor shows now, so that a GPU that went away is
    /// removed.
    shown: HashSet<Labels>,
}

impl GpuMetrics {
    /// The gauges in the host's registry, registered by the first monitor.
    pub(crate) fn new(metrics: &Metrics) -> Self {
        let family = |name: &str, help: &str| metrics.shared(name, help, Family::default);
        Self {
            utilization: family(
                "steward_gpu_utilization_ratio",
                "How busy the GPU was over the driver's last sample period (0 to 1)",
            ),
            memory_used: family("steward_gpu_memory_used_bytes", "GPU memory in use"),
            memory_total: family("steward_gpu_memory_total_bytes", "GPU memory installed"),
            temperature: family("steward_gpu_temperature_celsius", "GPU core temperature"),
            power: family("steward_gpu_power_watts", "GPU power draw"),
            devices: metrics.shared(
                "steward_gpu_devices",
                "GPUs read at the last poll",
                Gauge::default,
            ),
            shown: HashSet::new(),
        }
    }

    /// Shows these readings; a value a GPU did not give, and a GPU no longer
    /// there, disappear rather than keep their last value.
    pub(crate) fn show(&mut self, gpus: &[GpuReading]) {
        let mut now = HashSet::with_capacity(gpus.len());
        for gpu in gpus {
            let labels = [("gpu", gpu.index.to_string()), ("name", gpu.name.clone())];
            let bytes = |value: Option<u64>| value.map(|bytes| bytes as f64);
            set(&self.utilization, &labels, gpu.utilization);
            set(&self.memory_used, &labels, bytes(gpu.memory_used_bytes));
            set(&self.memory_total, &labels, bytes(gpu.memory_total_bytes));
            set(&self.temperature, &labels, gpu.temperature_celsius);
            set(&self.power, &labels, gpu.power_watts);
            now.insert(labels);
        }
        for gone in self.shown.difference(&now) {
            for family in self.families() {
                family.remove(gone);
            }
        }
        self.shown = now;
        self.devices
            .set(i64::try_from(gpus.len()).unwrap_or(i64::MAX));
    }

    fn families(&self) -> [&Family<Labels, Value>; 5] {
        [
            &self.utilization,
            &self.memory_used,
            &self.memory_total,
            &self.temperature,
            &self.power,
        ]
    }
}

fn set(family: &Family<Labels, Value>, labels: &Labels, value: Option<f64>) {
    match value {
        Some(value) => {
            family.get_or_create(labels).set(value);
        }
        None => {
            family.remove(labels);
        }
    }
}
