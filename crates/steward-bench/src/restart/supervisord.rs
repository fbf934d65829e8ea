//! supervisord: `supervisord -n` with one program, configured in a scratch
//! directory that holds its socket, pidfile and logs, and stopped afterwards.

use std::fs::File;
use std::io;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use anyhow::Context as _;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::process::{Child, Command};

use super::{Job, Ran};

/// How long supervisord gets to stop the program and exit after `SIGTERM`.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

pub(super) async fn round(job: &Job) -> anyhow::Result<Ran> {
    let dir = job.dir.path();
    let conf = dir.join("supervisord.conf");
    std::fs::write(&conf, config(job)?).context("writing supervisord's config")?;
    let output = dir.join("supervisord.out");
    let out = File::create(&output).context("creating supervisord's output file")?;
    let spawned = Command::new("supervisord")
        .arg("-n")
        .arg("-c")
        .arg(&conf)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .kill_on_drop(true)
        .spawn();
    let mut supervisord = match spawned {
        Ok(child) => child,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Ok(Ran::Unavailable(
                "`supervisord` is not on PATH (Debian: apt-get install supervisor)".to_owned(),
            ));
        }
        Err(error) => {
            return Ok(Ran::Unavailable(format!(
                "`supervisord` cannot be started: {error}"
            )));
        }
    };
    let ran = tokio::select! {
        restarted = job.restarted() => restarted.map(|()| Ran::Done),
        exited = supervisord.wait() => Ok(Ran::Unavailable(exited_early(exited, &output))),
    };
    stop(&mut supervisord).await?;
    ran
}

/// supervisord's configuration: the program, restarted whenever it exits.
fn config(job: &Job) -> anyhow::Result<String> {
    let dir = escape(
        job.dir
            .path()
            .to_str()
            .context("the scratch directory is not UTF-8")?,
    );
    let command: Vec<String> = job
        .program
        .words()?
        .iter()
        .map(|word| quote(word))
        .collect();
    let command = command.join(" ");
    Ok(format!(
        "[supervisord]
nodaemon=true
logfile={dir}/supervisord.log
pidfile={dir}/supervisord.pid
childlogdir={dir}

[unix_http_server]
file={dir}/supervisor.sock
chmod=0700

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{dir}/supervisor.sock

[program:child]
command={command}
autostart=true
autorestart=true
startsecs=0
startretries=1000000
"
    ))
}

/// A word for supervisord's `command=`, which splits it like a POSIX shell.
fn quote(word: &str) -> String {
    escape(&format!("'{}'", word.replace('\'', r"'\''")))
}

/// supervisord expands `%(name)s` in values; a literal `%` is written `%%`.
fn escape(value: &str) -> String {
    value.replace('%', "%%")
}

/// Why supervisord ended before the program had been restarted enough: its
/// status and the last lines it wrote.
fn exited_early(exited: io::Result<ExitStatus>, output: &Path) -> String {
    let status = match exited {
        Ok(status) => status.to_string(),
        Err(error) => error.to_string(),
    };
    let text = std::fs::read_to_string(output).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(3).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    format!("supervisord exited early ({status}): {}", tail.join(" / "))
}

/// Asks supervisord to stop (it stops the program first), then kills it if it
/// takes too long.
async fn stop(supervisord: &mut Child) -> anyhow::Result<()> {
    let Some(id) = supervisord.id() else {
        // Exited and reaped already.
        return Ok(());
    };
    let pid = Pid::from_raw(i32::try_from(id).context("supervisord's pid")?);
    kill(pid, Signal::SIGTERM).context("sending SIGTERM to supervisord")?;
    if tokio::time::timeout(STOP_TIMEOUT, supervisord.wait())
        .await
        .is_err()
    {
        supervisord.kill().await.context("killing supervisord")?;
    }
    Ok(())
}
