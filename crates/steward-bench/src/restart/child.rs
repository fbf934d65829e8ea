//! The supervised program, the same for every subject: this binary run as
//! `steward-bench child --log FILE --live-ms N`. It appends its start to the log,
//! lives `N` ms, appends its exit and exits with status 1, a crash every
//! supervisor restarts.

use std::convert::Infallible;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;

use super::timeline::{self, Mark};

/// How the program ends: a failure, restarted under `on-failure` and `always` alike.
const EXIT_STATUS: i32 = 1;

/// Runs as the supervised program; returns only when the log cannot be written.
pub(crate) fn run(log: Option<&Path>, live: Duration) -> anyhow::Result<Infallible> {
    let path = log.context("`child` needs --log FILE")?;
    let mut log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    timeline::append(&mut log, Mark::Start)?;
    std::thread::sleep(live);
    timeline::append(&mut log, Mark::Exit)?;
    std::process::exit(EXIT_STATUS)
}

/// The command line that runs the program: this binary, then its arguments.
#[derive(Debug, Clone)]
pub(crate) struct Program {
    pub(crate) path: PathBuf,
    pub(crate) args: Vec<String>,
}

impl Program {
    /// The program logging to `log`, living `live` per run.
    pub(crate) fn new(log: &Path, live: Duration) -> anyhow::Result<Self> {
        let path = std::env::current_exe().context("finding this program's path")?;
        let log = utf8(log)?.to_owned();
        let live_ms = live.as_millis().to_string();
        Ok(Self {
            path,
            args: vec![
                "child".to_owned(),
                "--log".to_owned(),
                log,
                "--live-ms".to_owned(),
                live_ms,
            ],
        })
    }

    /// The program's path and its arguments, as a configuration file names them.
    pub(crate) fn words(&self) -> anyhow::Result<Vec<String>> {
        let mut words = vec![utf8(&self.path)?.to_owned()];
        words.extend(self.args.iter().cloned());
        Ok(words)
    }
}

fn utf8(path: &Path) -> anyhow::Result<&str> {
    path.to_str().with_context(|| {
        format!(
            "{} is not UTF-8; a config file cannot name it",
            path.display()
        )
    })
}
