//! The child's process group: how it is started, asked to stop, and swept away.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::process::{Child, Command};

use super::error::ProcessError;
use super::settings::{CommandLine, ProcessSettings};

/// What to start.
#[derive(Debug)]
pub(crate) struct Launch<'a> {
    pub(crate) command: &'a CommandLine,
    pub(crate) cwd: Option<&'a Path>,
    pub(crate) env: &'a BTreeMap<String, String>,
    /// Whether its input is a pipe (else nothing).
    pub(crate) stdin: bool,
}

/// A running child, leader of a process group of its own, so that a stop reaches
/// everything it started. Dropping it kills the whole group: a host that abandons
/// the service leaves nothing behind.
#[derive(Debug)]
pub(crate) struct Group {
    pub(crate) child: Child,
    leader: Pid,
    swept: bool,
}

impl Group {
    /// Starts `settings.command` in a new process group, with its output piped.
    pub(crate) fn spawn(settings: &ProcessSettings) -> Result<Self, ProcessError> {
        let launch = Launch {
            command: &settings.command,
            cwd: settings.cwd.as_deref(),
            env: &settings.env,
            stdin: false,
        };
        Self::launch(&launch)
    }

    /// Starts a program in a new process group, with its output (and, if asked,
    /// its input) piped.
    pub(crate) fn launch(launch: &Launch<'_>) -> Result<Self, ProcessError> {
        let command = launch.command;
        let mut builder = Command::new(command.program());
        let stdin = if launch.stdin {
            Stdio::piped()
        } else {
            Stdio::null()
        };
        builder
            .args(command.args())
            .envs(launch.env)
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        if let Some(cwd) = launch.cwd {
            builder.current_dir(cwd);
        }
        let child = builder.spawn().map_err(|source| ProcessError::Spawn {
            program: command.program().to_owned(),
            cwd: launch.cwd.map(Path::to_path_buf),
            source,
        })?;
        // A child that has not been waited for always has an id.
        let id = child.id().ok_or(ProcessError::NoPid)?;
        let leader = Pid::from_raw(i32::try_from(id).map_err(|_| ProcessError::NoPid)?);
        Ok(Self {
            child,
            leader,
            swept: false,
        })
    }

    /// The leader's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.leader.as_raw().unsigned_abs()
    }

    /// Asks the group to stop with `signal`; after `timeout`, kills it. Returns the
    /// leader's exit status.
    pub(crate) async fn stop(
        &mut self,
        signal: Signal,
        timeout: Duration,
    ) -> std::io::Result<ExitStatus> {
        self.signal(signal);
        let status = match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(status) => status,
            Err(_) => {
                tracing::warn!(
                    pid = self.pid(),
                    "still running {timeout:?} after {signal}; sending SIGKILL"
                );
                self.signal(Signal::SIGKILL);
                self.child.wait().await
            }
        };
        self.sweep();
        status
    }

    /// Kills what is left of the group once its leader has exited: a child's
    /// children do not outlive it.
    pub(crate) fn sweep(&mut self) {
        if !self.swept {
            self.swept = true;
            self.signal(Signal::SIGKILL);
        }
    }

    fn signal(&self, signal: Signal) {
        match killpg(self.leader, signal) {
            // The group is gone already.
            Ok(()) | Err(Errno::ESRCH) => {}
            Err(error) => {
                tracing::warn!(pid = self.pid(), %error, "could not send {signal} to the process group");
            }
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.sweep();
    }
}
