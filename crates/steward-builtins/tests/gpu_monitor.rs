//! The `gpu-monitor` built-in without a GPU (as on most test machines), against a
//! recorded `nvidia-smi`, and with readings injected through a `GpuSource`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use steward::{EventStream, HealthStatus, Host, HostHandle, State};
use steward_builtins::gpu_monitor::{
    GpuError, GpuMonitor, GpuMonitorSettings, GpuReading, GpuSource, GpuStats,
};

mod common;
use common::{host, until};

/// Whether this machine has a working NVIDIA driver; the tests that need its
/// absence check nothing where it has one.
fn nvml_loads() -> bool {
    nvml_wrapper::Nvml::init().is_ok()
}

/// What `nvidia-smi --query-gpu=… --format=csv,noheader,nounits` printed on a
/// machine with an A100 and an old card that reports neither utilisation nor power.
const RECORDED: &str = "\
0, NVIDIA A100-SXM4-80GB, 37, 10240, 81920, 41, 72.91
1, NVIDIA GeForce GT 710, [N/A], 212, 2001, 38, [N/A]
";

/// A stand-in `nvidia-smi` that checks its arguments and prints `output`.
fn fake_nvidia_smi(dir: &Path, output: &str) -> PathBuf {
    let path = dir.join("nvidia-smi");
    let script = format!(
        "#!/bin/sh\n\
         [ \"$1\" = \"--query-gpu=index,name,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw\" ] \
         && [ \"$2\" = \"--format=csv,noheader,nounits\" ] || {{ echo \"unexpected arguments: $*\" >&2; exit 2; }}\n\
         cat <<'EOF'\n{output}EOF\n"
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn gpu_monitor(settings: &str) -> String {
    format!(
        "[services.gpu]\nkind = \"gpu-monitor\"\nsettings = {{ poll_interval = \"20ms\", {settings} }}\n"
    )
}

async fn stats(handle: &HostHandle) -> EventStream<GpuStats> {
    handle.named("gpu").on::<GpuStats>().stream().await.unwrap()
}

/// Receives events until one matches, within ten seconds.
async fn stats_until(
    stats: &mut EventStream<GpuStats>,
    what: &str,
    matches: impl Fn(&GpuStats) -> bool,
) -> GpuStats {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let event = tokio::time::timeout_at(deadline, stats.recv())
            .await
            .unwrap_or_else(|_| panic!("no gpu.stats {what} within ten seconds"))
            .expect("the host is running");
        if matches(&event) {
            return event;
        }
    }
}

async fn health_becomes(handle: &HostHandle, status: HealthStatus, message: &str) {
    let service = handle.service("gpu").unwrap();
    until(&format!("health is {status:?} with `{message}`"), || {
        let health = service.health();
        health.status == status && health.message.as_deref().unwrap_or("").contains(message)
    })
    .await;
}

#[tokio::test]
async fn without_a_gpu_the_monitor_keeps_running_degraded_with_the_reason() {
    if nvml_loads() {
        return;
    }
    let host = host(&gpu_monitor("nvidia_smi = \"/nonexistent/nvidia-smi\""));
    let handle = host.handle();
    let mut stats = stats(&handle).await;
    let running = host.start().await.unwrap();
    health_becomes(
        &handle,
        HealthStatus::Degraded,
        "no NVIDIA GPU found (NVML: ",
    )
    .await;
    let service = handle.service("gpu").unwrap();
    let message = service.health().message.unwrap();
    assert!(
        message.contains("nvidia-smi: cannot run `/nonexistent/nvidia-smi`: No such file"),
        "{message}"
    );
    // Subscribers hear of it too: no GPU, and why.
    let event = stats_until(&mut stats, "at all", |_| true).await;
    assert_eq!(event.source, "none");
    assert!(event.gpus.is_empty(), "{event:?}");
    assert_eq!(event.reason.as_deref(), Some(message.as_str()));

    // It goes on polling, every poll a success, never a failure or a restart.
    until("ten polls", || {
        service
            .status()
            .runs
            .is_some_and(|runs| runs.succeeded >= 10)
    })
    .await;
    let status = service.status();
    assert_eq!(status.state, State::Running);
    assert_eq!(status.restarts, 0);
    assert_eq!(status.last_error, None);
    assert_eq!(status.runs.unwrap().failed, 0);
    assert_eq!(service.health().status, HealthStatus::Degraded);

    let metrics = handle.metrics().encode();
    assert!(metrics.contains("steward_gpu_devices 0\n"), "{metrics}");
    assert!(
        !metrics.contains("steward_gpu_utilization_ratio{"),
        "{metrics}"
    );
    assert!(
        metrics.contains("steward_events_emitted_total{service=\"gpu\",event=\"gpu.stats\"}"),
        "{metrics}"
    );
    running.shutdown().await;
}

#[tokio::test]
async fn without_a_gpu_every_poll_emits_stats_with_no_gpu_and_the_reason() {
    if nvml_loads() {
        return;
    }
    // One poll on startup, then one per trigger: three polls, three events.
    let toml = gpu_monitor("nvidia_smi = \"/nonexistent/nvidia-smi\"")
        .replace("poll_interval = \"20ms\"", "poll_interval = \"1h\"");
    let host = host(&toml);
    let handle = host.handle();
    let mut stats = stats(&handle).await;
    let running = host.start().await.unwrap();
    let first = stats_until(&mut stats, "at all", |_| true).await;
    let gpu = handle.named("gpu");
    gpu.trigger().await.unwrap();
    gpu.trigger().await.unwrap();
    let service = handle.service("gpu").unwrap();
    assert_eq!(service.status().runs.unwrap().succeeded, 3);
    let reason = service.health().message.unwrap();
    assert!(
        reason.starts_with("no NVIDIA GPU found (NVML: "),
        "{reason}"
    );

    // Each poll's event is delivered before its tick ends.
    let mut events = vec![first];
    while let Ok(Some(event)) = tokio::time::timeout(Duration::ZERO, stats.recv()).await {
        events.push(event);
    }
    assert_eq!(events.len(), 3, "{events:?}");
    for event in &events {
        assert_eq!(event.source, "none");
        assert!(event.gpus.is_empty(), "{event:?}");
        assert_eq!(event.reason.as_deref(), Some(reason.as_str()));
    }
    let metrics = handle.metrics().encode();
    let line = "steward_events_emitted_total{service=\"gpu\",event=\"gpu.stats\"} 3\n";
    assert!(metrics.contains(line), "no `{line}` in:\n{metrics}");
    running.shutdown().await;
}

#[tokio::test]
async fn without_nvml_the_monitor_falls_back_to_nvidia_smi() {
    if nvml_loads() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let program = fake_nvidia_smi(dir.path(), RECORDED);
    let host = host(&gpu_monitor(&format!("nvidia_smi = {:?}", program)));
    let handle = host.handle();
    let mut stats = stats(&handle).await;
    let running = host.start().await.unwrap();
    let first = stats.recv().await.unwrap();
    assert_eq!(first.source, "nvidia-smi");
    assert_eq!(first.gpus.len(), 2);
    running.shutdown().await;
}

#[tokio::test]
async fn nvidia_smi_readings_become_gauges_events_and_health() {
    let dir = tempfile::tempdir().unwrap();
    let program = fake_nvidia_smi(dir.path(), RECORDED);
    let settings = format!("source = \"nvidia-smi\", nvidia_smi = {:?}", program);
    let host = host(&gpu_monitor(&settings));
    let handle = host.handle();
    let mut stats = stats(&handle).await;
    let running = host.start().await.unwrap();

    let event = stats.recv().await.unwrap();
    assert_eq!(event.source, "nvidia-smi");
    let a100 = &event.gpus[0];
    assert_eq!(
        (a100.index, a100.name.as_str()),
        (0, "NVIDIA A100-SXM4-80GB")
    );
    assert_eq!(a100.utilization, Some(0.37));
    assert_eq!(a100.memory_used_bytes, Some(10240 * 1024 * 1024));
    assert_eq!(a100.memory_total_bytes, Some(81920 * 1024 * 1024));
    assert_eq!(a100.temperature_celsius, Some(41.0));
    assert_eq!(a100.power_watts, Some(72.91));
    let old = &event.gpus[1];
    assert_eq!((old.utilization, old.power_watts), (None, None));
    assert_eq!(event.reason, None);
    // Every poll is an event.
    assert_eq!(stats.recv().await.unwrap(), event);

    health_becomes(&handle, HealthStatus::Healthy, "").await;
    let health = handle.service("gpu").unwrap().health();
    assert_eq!(health.details["source"], "nvidia-smi");
    assert_eq!(health.details["gpus"], 2);

    let metrics = handle.metrics().encode();
    for line in [
        "steward_gpu_utilization_ratio{gpu=\"0\",name=\"NVIDIA A100-SXM4-80GB\"} 0.37\n",
        "steward_gpu_memory_used_bytes{gpu=\"0\",name=\"NVIDIA A100-SXM4-80GB\"} 10737418240.0\n",
        "steward_gpu_memory_total_bytes{gpu=\"1\",name=\"NVIDIA GeForce GT 710\"} 2098200576.0\n",
        "steward_gpu_temperature_celsius{gpu=\"1\",name=\"NVIDIA GeForce GT 710\"} 38.0\n",
        "steward_gpu_power_watts{gpu=\"0\",name=\"NVIDIA A100-SXM4-80GB\"} 72.91\n",
        "steward_gpu_devices 2\n",
        "steward_events_emitted_total{service=\"gpu\",event=\"gpu.stats\"}",
    ] {
        assert!(metrics.contains(line), "no `{line}` in:\n{metrics}");
    }
    // What the old card does not report is left out, not shown as zero.
    assert!(
        !metrics.contains("steward_gpu_power_watts{gpu=\"1\""),
        "{metrics}"
    );
    assert!(
        !metrics.contains("steward_gpu_utilization_ratio{gpu=\"1\""),
        "{metrics}"
    );
    running.shutdown().await;
}

/// A source whose next answer the test sets.
#[derive(Clone)]
struct Scripted(Arc<Mutex<Result<Vec<GpuReading>, String>>>);

impl Scripted {
    fn answer(&self, answer: Result<Vec<GpuReading>, &str>) {
        *self.0.lock().unwrap() = answer.map_err(str::to_owned);
    }
}

impl GpuSource for Scripted {
    async fn read(&self) -> Result<GpuStats, GpuError> {
        let answer = self.0.lock().unwrap().clone();
        answer
            .map(|gpus| GpuStats::new("scripted", gpus))
            .map_err(GpuError::Unavailable)
    }
}

fn reading(index: u32, utilization: f64) -> GpuReading {
    let mut gpu = GpuReading::new(index, "Test GPU");
    gpu.utilization = Some(utilization);
    gpu.power_watts = Some(100.0 + f64::from(index));
    gpu
}

#[tokio::test]
async fn injected_readings_follow_gpus_that_come_and_go() {
    let source = Scripted(Arc::new(Mutex::new(Ok(vec![
        reading(0, 0.5),
        reading(1, 0.25),
    ]))));
    let mut settings = GpuMonitorSettings::default();
    settings.poll_interval = Duration::from_millis(20);
    let monitor = GpuMonitor::with_source(settings, source.clone());
    let host = Host::builder()
        .env_prefix(None)
        .service(steward::periodic("gpu", monitor).emits::<GpuStats>())
        .build()
        .unwrap();
    let handle = host.handle();
    let mut stats = stats(&handle).await;
    let running = host.start().await.unwrap();
    let metrics = || handle.metrics().encode();
    let first = stats.recv().await.unwrap();
    assert_eq!(first.source, "scripted");
    assert_eq!(first.gpus, [reading(0, 0.5), reading(1, 0.25)]);
    assert!(
        metrics().contains("steward_gpu_utilization_ratio{gpu=\"1\",name=\"Test GPU\"} 0.25\n")
    );

    // GPU 1 goes away: its gauges go with it.
    source.answer(Ok(vec![reading(0, 0.75)]));
    until("GPU 1 leaves the metrics", || {
        let text = metrics();
        !text.contains("gpu=\"1\"") && text.contains("steward_gpu_devices 1\n")
    })
    .await;
    assert!(
        metrics().contains("steward_gpu_utilization_ratio{gpu=\"0\",name=\"Test GPU\"} 0.75\n")
    );

    // The source fails: degraded with its reason, no readings shown.
    source.answer(Err("the driver was unloaded"));
    health_becomes(&handle, HealthStatus::Degraded, "the driver was unloaded").await;
    let event = stats_until(&mut stats, "without GPUs", |event| event.gpus.is_empty()).await;
    assert_eq!(event.source, "none");
    assert_eq!(event.reason.as_deref(), Some("the driver was unloaded"));
    let text = metrics();
    assert!(!text.contains("gpu=\"0\""), "{text}");
    assert!(text.contains("steward_gpu_devices 0\n"), "{text}");

    // It answers again: healthy, with readings, without a restart.
    source.answer(Ok(vec![reading(0, 0.1)]));
    health_becomes(&handle, HealthStatus::Healthy, "").await;
    until("GPU 0 is back in the metrics", || {
        metrics().contains("steward_gpu_utilization_ratio{gpu=\"0\",name=\"Test GPU\"} 0.1\n")
    })
    .await;
    assert_eq!(handle.service("gpu").unwrap().status().restarts, 0);

    // No GPU at all is degraded too.
    source.answer(Ok(Vec::new()));
    health_becomes(
        &handle,
        HealthStatus::Degraded,
        "no NVIDIA GPU found (scripted lists none)",
    )
    .await;
    let event = stats_until(&mut stats, "from `scripted` without GPUs", |event| {
        event.gpus.is_empty() && event.source == "scripted"
    })
    .await;
    assert_eq!(
        event.reason.as_deref(),
        Some("no NVIDIA GPU found (scripted lists none)")
    );
    running.shutdown().await;
}

fn settings_error(settings: &str) -> (String, String) {
    common::only_problem(&common::table("gpu", "gpu-monitor", settings))
}

#[test]
fn settings_mistakes_name_their_key() {
    let (key, reason) = settings_error("{ poll_interval = \"0s\" }");
    assert_eq!(key, "services.gpu.settings.poll_interval");
    assert!(reason.contains("longer than zero"), "{reason}");
    let (key, _) = settings_error("{ poll_interval = \"often\" }");
    assert_eq!(key, "services.gpu.settings.poll_interval");
    let (key, reason) = settings_error("{ source = \"cuda\" }");
    assert_eq!(key, "services.gpu.settings.source");
    assert!(reason.contains("nvidia-smi"), "{reason}");
    let (key, reason) = settings_error("{ poll_intervall = \"5s\" }");
    assert_eq!(key, "services.gpu.settings.poll_intervall");
    assert!(reason.contains("did you mean `poll_interval`?"), "{reason}");
}

#[test]
fn the_defaults_poll_every_five_seconds() {
    let host = host("[services.gpu]\nkind = \"gpu-monitor\"\n");
    let status = &host.handle().services()[0];
    assert_eq!(status.builtin, Some("gpu-monitor"));
    assert_eq!(status.schedule.as_deref(), Some("every 5s, on startup"));
}
