//! Built-in Steward services: kinds that a configuration file names, so that
//! operators run them without writing Rust.
//!
//! ```toml
//! [services.detector]
//! kind = "process"
//! settings = { command = ["python3", "detector.py"], stop_timeout = "10s" }
//! ```
//!
//! Register them on a host with [`HostBuilder::kinds`](steward::HostBuilder::kinds);
//! the `steward` binary does so for every kind here.
//!
//! ```
//! let host = steward::Host::builder()
//!     .kinds(steward_builtins::kinds())
//!     .config_toml(
//!         "steward.toml",
//!         r#"
//!         [services.sleeper]
//!         kind = "process"
//!         settings = { command = ["sleep", "60"] }
//!         "#,
//!     )
//!     .build()?;
//! assert_eq!(host.handle().services()[0].builtin, Some("process"));
//! # Ok::<(), steward::HostError>(())
//! ```

pub mod batch;
mod duration;
mod error_chain;
pub mod exec;
pub mod file_watcher;
pub mod gpu_monitor;
pub mod health_monitor;
pub mod process;
pub mod retention;
mod source;

use steward::BuiltinKind;

/// `kind = "process"`: supervises an external program (see [`process`]).
pub const PROCESS: BuiltinKind = BuiltinKind::new("process", process::define);

/// `kind = "batch-aggregator"`: groups another service's events (see [`batch`]).
pub const BATCH_AGGREGATOR: BuiltinKind = BuiltinKind::new("batch-aggregator", batch::define);

/// `kind = "gpu-monitor"`: polls NVIDIA GPUs into metrics and events (see [`gpu_monitor`]).
pub const GPU_MONITOR: BuiltinKind = BuiltinKind::new("gpu-monitor", gpu_monitor::define);

/// `kind = "health-monitor"`: checks targets and remedies them (see [`health_monitor`]).
pub const HEALTH_MONITOR: BuiltinKind = BuiltinKind::new("health-monitor", health_monitor::define);

/// `kind = "file-watcher"`: reports files written into directories (see [`file_watcher`]).
pub const FILE_WATCHER: BuiltinKind = BuiltinKind::new("file-watcher", file_watcher::define);

/// `kind = "exec"`: runs a command per event, schedule or request (see [`exec`]).
pub const EXEC: BuiltinKind = BuiltinKind::new("exec", exec::define);

/// `kind = "retention-cleanup"`: deletes old rows and files (see [`retention`]).
pub const RETENTION_CLEANUP: BuiltinKind = BuiltinKind::new("retention-cleanup", retention::define);

/// Every built-in kind.
pub fn kinds() -> Vec<BuiltinKind> {
    vec![
        PROCESS,
        BATCH_AGGREGATOR,
        EXEC,
        GPU_MONITOR,
        HEALTH_MONITOR,
        FILE_WATCHER,
        RETENTION_CLEANUP,
    ]
}
