//! Steward: one `kind = "process"` service restarting the program with the
//! smallest backoff the configuration accepts.

use anyhow::Context as _;
use steward::Host;

use super::Job;
use crate::host;

/// The service's name.
const SERVICE: &str = "child";

pub(super) async fn round(job: &Job) -> anyhow::Result<()> {
    let running = Host::builder()
        .env_prefix(None)
        .kinds(steward_builtins::kinds())
        .config_toml("restart.toml", config(job)?)
        .build()?
        .start()
        .await?;
    let restarted = job.restarted().await;
    let report = running.shutdown().await;
    restarted?;
    host::stopped_cleanly(&report, 1)
}

/// The host's configuration: the service, restarted at once, as often as it exits.
fn config(job: &Job) -> anyhow::Result<String> {
    // A JSON array of strings is also a TOML array of strings.
    let command = serde_json::to_string(&job.program.words()?).context("writing the command")?;
    Ok(format!(
        r#"
[services.{SERVICE}]
kind = "process"
restart = {{ policy = "always", backoff = "0s..0s", max_restarts = {max}, window = "1h" }}
settings = {{ command = {command} }}
"#,
        max = u32::MAX,
    ))
}
