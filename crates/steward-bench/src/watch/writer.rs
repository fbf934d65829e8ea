//! The writer: a thread of its own creating the files, noting when it closed
//! each and how much CPU it took.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};

use super::Pace;
use crate::cpu;

/// What the writer did.
#[derive(Debug)]
pub(crate) struct Written {
    /// When the writer called `close` on each file, in the order of the paths.
    /// (Just before: the kernel queues the inotify event inside the call, and a
    /// reader on another core often has it before the call returns.)
    pub(crate) closed: Vec<Instant>,
    /// From the first file's creation until the last one was closed.
    pub(crate) elapsed: Duration,
    /// The writer thread's CPU time (user and system) for all of it.
    pub(crate) cpu: Duration,
}

/// A writer at work.
pub(super) struct Writer {
    thread: JoinHandle<anyhow::Result<Written>>,
    done: Arc<OnceLock<Instant>>,
}

impl Writer {
    /// Starts writing `paths`, each `bytes` long, at `pace`.
    pub(super) fn start(
        paths: Arc<Vec<PathBuf>>,
        bytes: usize,
        pace: Pace,
    ) -> anyhow::Result<Self> {
        let done = Arc::new(OnceLock::new());
        let finished = done.clone();
        let thread = std::thread::Builder::new()
            .name("watch-writer".to_owned())
            .spawn(move || {
                let written = write(&paths, bytes, pace);
                // Set however the writing ended, so that the subject's wait ends.
                let _ = finished.set(Instant::now());
                written
            })
            .context("starting the writer thread")?;
        Ok(Self { thread, done })
    }

    /// When the writer finished; unset while it writes.
    pub(super) fn done(&self) -> Arc<OnceLock<Instant>> {
        self.done.clone()
    }

    /// Waits for the writer to finish.
    pub(super) fn join(self) -> anyhow::Result<Written> {
        self.thread
            .join()
            .map_err(|_| anyhow!("the writer thread panicked"))?
    }
}

fn write(paths: &[PathBuf], bytes: usize, pace: Pace) -> anyhow::Result<Written> {
    let data = vec![b'x'; bytes];
    let mut closed = Vec::with_capacity(paths.len());
    let cpu_before = cpu::this_thread()?;
    let began = Instant::now();
    for (i, path) in paths.iter().enumerate() {
        if let Pace::PerSecond(rate) = pace {
            let due = began + Duration::from_secs(i as u64) / rate;
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        let mut file =
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        file.write_all(&data)
            .with_context(|| format!("writing {}", path.display()))?;
        closed.push(Instant::now());
        drop(file);
    }
    let elapsed = began.elapsed();
    let cpu = cpu::this_thread()? - cpu_before;
    Ok(Written {
        closed,
        elapsed,
        cpu,
    })
}
