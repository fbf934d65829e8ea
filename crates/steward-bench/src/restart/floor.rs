//! The floor: a bare tokio loop that spawns the program and spawns it again as
//! soon as it has exited — what any supervisor must do at the least.

use std::process::Stdio;

use anyhow::Context as _;
use tokio::process::Command;

use super::Job;

pub(super) async fn round(job: &Job) -> anyhow::Result<()> {
    for _ in 0..=job.restarts {
        let mut child = Command::new(&job.program.path)
            .args(&job.program.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("spawning the child")?;
        child.wait().await.context("waiting for the child")?;
    }
    Ok(())
}
