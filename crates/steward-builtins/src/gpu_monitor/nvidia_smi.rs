//! Reading GPUs with the `nvidia-smi` program, when NVML does not load.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use super::error::NvidiaSmiError;
use super::reading::GpuReading;

/// What is asked for, in this order.
const QUERY: &str =
    "--query-gpu=index,name,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw";

/// One line per GPU, values only, comma-separated.
const FORMAT: &str = "--format=csv,noheader,nounits";

/// How long one run may take: `nvidia-smi` can hang on a wedged driver.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(10);

/// Bytes in a MiB, the unit `nvidia-smi` reports memory in.
const MIB: f64 = 1024.0 * 1024.0;

/// The `nvidia-smi` program.
#[derive(Debug, Clone)]
pub(crate) struct NvidiaSmi {
    program: PathBuf,
}

impl NvidiaSmi {
    pub(crate) fn new(program: PathBuf) -> Self {
        Self { program }
    }

    /// Runs it once and reads its answer.
    pub(crate) async fn read(&self) -> Result<Vec<GpuReading>, NvidiaSmiError> {
        let program = &self.program;
        let run = Command::new(program)
            .args([QUERY, FORMAT])
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        let output = match tokio::time::timeout(TIMEOUT, run).await {
            Ok(Ok(output)) => output,
            Ok(Err(source)) => {
                let program = program.clone();
                return Err(NvidiaSmiError::Spawn { program, source });
            }
            Err(_) => {
                let program = program.clone();
                return Err(NvidiaSmiError::TimedOut {
                    program,
                    timeout: TIMEOUT,
                });
            }
        };
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let said = first_line(&stderr).or_else(|| first_line(&stdout));
            return Err(NvidiaSmiError::Failed {
                program: program.clone(),
                status: output.status.to_string(),
                output: said.unwrap_or("no output").to_owned(),
            });
        }
        parse(&stdout)
    }
}

fn first_line(text: &str) -> Option<&str> {
    text.lines().map(str::trim).find(|line| !line.is_empty())
}

/// Reads the output of `nvidia-smi --query-gpu=index,name,utilization.gpu,
/// memory.used,memory.total,temperature.gpu,power.draw --format=csv,noheader,nounits`:
/// one line per GPU, such as `0, NVIDIA A100-SXM4-80GB, 37, 1024, 81920, 41, 72.91`.
/// Values it cannot give (`[N/A]`, `[Not Supported]`) are `None`.
pub(crate) fn parse(text: &str) -> Result<Vec<GpuReading>, NvidiaSmiError> {
    let mut gpus = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let reading = parse_line(line).map_err(|reason| NvidiaSmiError::Parse {
            line: number + 1,
            reason,
        })?;
        gpus.push(reading);
    }
    Ok(gpus)
}

fn parse_line(line: &str) -> Result<GpuReading, String> {
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    // A name may hold a comma: the index is first and the five values last.
    let [
        index,
        name @ ..,
        utilization,
        used,
        total,
        temperature,
        power,
    ] = fields.as_slice()
    else {
        return Err(wrong_count(&fields, line));
    };
    if name.is_empty() {
        return Err(wrong_count(&fields, line));
    }
    let index = index
        .parse::<u32>()
        .map_err(|_| format!("the GPU index `{index}` is not a number"))?;
    let name = name.join(", ");
    let mut reading = GpuReading::new(index, name);
    reading.utilization = number(utilization, "utilization.gpu")?.map(|percent| percent / 100.0);
    reading.memory_used_bytes = number(used, "memory.used")?.map(mib_to_bytes);
    reading.memory_total_bytes = number(total, "memory.total")?.map(mib_to_bytes);
    reading.temperature_celsius = number(temperature, "temperature.gpu")?;
    reading.power_watts = number(power, "power.draw")?;
    Ok(reading)
}

/// A value, or `None` for what `nvidia-smi` writes when it has none.
fn number(field: &str, what: &str) -> Result<Option<f64>, String> {
    if field.is_empty() || field.starts_with('[') || field.eq_ignore_ascii_case("N/A") {
        return Ok(None);
    }
    match field.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(Some(value)),
        _ => Err(format!("{what} `{field}` is not a number")),
    }
}

fn wrong_count(fields: &[&str], line: &str) -> String {
    format!(
        "expected 7 comma-separated values (index, name, utilization.gpu, memory.used, memory.total, temperature.gpu, power.draw), found {}: `{line}`",
        fields.len()
    )
}

/// Memory sizes are far below 2^53 bytes, so the conversion is exact.
fn mib_to_bytes(mib: f64) -> u64 {
    (mib.max(0.0) * MIB).round() as u64
}
