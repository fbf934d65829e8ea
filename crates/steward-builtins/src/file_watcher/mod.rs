//! `kind = "file-watcher"`: report files that appear in directories, once each,
//! when they are completely written.
//!
//! ```toml
//! [services.watcher]
//! kind = "file-watcher"
//! settings = { paths = ["inbox"], recursive = true, include = ["*.jpg"], exclude = [], polling = false, poll_interval = "1s", initial_scan = true, coalesce = "8ms" }
//! ```
//!
//! Each file is reported as a [`FileCreated`] event (`file.created`, with its
//! absolute `path`, its `dir`, `size` and `modified` time), once, when it is
//! completely written:
//!
//! - **With the operating system's notifier** (Linux's inotify; the default), when
//!   it is closed after writing, or moved into a watched directory (moving a
//!   finished file in is how a writer publishes it at once). A file written in
//!   several chunks is reported after the close, with its final size. Other
//!   systems' notifiers do not say when a file is closed: there the watcher
//!   polls, whatever `polling` says.
//! - **When polling** (`polling = true`, for network and container mounts that
//!   do not notify), when two consecutive looks, `poll_interval` apart, saw the
//!   same size and modification time.
//!
//! **How soon.** With the notifier a file on its own is reported as soon as the
//! kernel says it was closed, well under a millisecond later on an idle machine.
//! In a stream or a burst (three reads of the kernel's queue within two
//! `coalesce` periods: with the default 8 ms, files coming faster than about 125
//! a second) the watcher reads the queue once per `coalesce` rather than once
//! per event, so each file may wait up to `coalesce` and 1 ms more (timers tick
//! in whole milliseconds): the runtime is not woken for every event, which is
//! most of what a file costs the watcher. `coalesce = "0s"` reads every event at
//! once.
//!
//! **Nothing missed, nothing twice.** When the kernel's event queue overflows
//! (`fs.inotify.max_queued_events`, 16,384 by default, is a burst of a few
//! thousand files), the watcher rescans its directories and reports what it
//! missed. It remembers every file it reported, with its inode, size and
//! modification time, so a rescan reports no file twice; a file deleted and
//! created again, replaced, or rewritten is reported again. Files found by a scan
//! rather than an event (at start, after an overflow, in a directory that
//! appeared) are reported once nothing changed them for a `poll_interval`, as a
//! scan cannot tell whether a writer still has them open. What it remembers is
//! one entry per reported file still present (about 100 bytes and the path):
//! entries leave with their files, so an inbox that is emptied as it is
//! processed stays small. It is kept across restarts of the service, not of the
//! host.
//!
//! **Which files.** Only regular files count (symbolic links are not followed);
//! with `recursive`, files at any depth. An `include` or `exclude` pattern without
//! `/` matches the file's name (`*.jpg`, `.*`); a pattern with `/` matches the
//! path relative to the watched directory (`cam1/*.jpg`, `**/raw/*`), where `*`
//! stops at `/` and `**` does not. With no `include`, every file is included;
//! `exclude` wins. Writers that write `name.part` and then rename it are handled
//! by excluding `*.part`: the rename reports `name`.
//!
//! **Missing directories** are waited for, not created (a directory that a mount
//! will provide should not be created under it): the service runs, `degraded`
//! with ``waiting for `inbox` to exist``, looks again every `poll_interval`, and
//! starts watching when it appears. A watched directory that is deleted or moved
//! away is waited for again the same way, and so is one its path no longer leads
//! to (a directory above it renamed, a symbolic link on the way pointed
//! elsewhere), which the watcher checks every `poll_interval`: a link pointed at
//! another directory is watched there, its files scanned. A path that is a file
//! is an error.
//!
//! **`initial_scan`** (on by default) reports the files already there when the
//! service first starts; with it off they count as seen, and so do the contents of
//! a directory that appears later. After a restart of the service (not the host)
//! everything is scanned and only what is new is reported.
//!
//! **Metrics**, labelled `service`: `steward_file_watcher_files_total` (files
//! reported), `steward_file_watcher_overflows_total` (times events were lost),
//! `steward_file_watcher_rescans_total` (scans to catch up after a loss, or of a
//! directory that appeared), `steward_file_watcher_tracked_files` and
//! `steward_file_watcher_pending_files` (files remembered, and waiting to be
//! unchanged for a `poll_interval`).

// Elsewhere the watcher polls: what only the notifier uses lies unused there.
#![cfg_attr(not(target_os = "linux"), allow(dead_code))]

#[cfg(target_os = "linux")]
mod changes;
mod error;
mod events;
mod globs;
mod health;
mod metrics;
#[cfg(target_os = "linux")]
mod notifier;
mod polling;
mod report;
#[cfg(target_os = "linux")]
mod rescan;
mod scan;
mod scope;
mod settings;
mod tracker;
#[cfg(target_os = "linux")]
mod watches;

#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use steward::{Context, Continuous, ServiceDef};

pub use error::FileWatcherError;
pub use events::FileCreated;
pub use settings::{FileWatcherSettings, Patterns, WatchPaths};

use metrics::WatcherMetrics;
use report::Reporter;
use scan::StopFlag;
use scope::Scope;
use tracker::Tracker;

/// A service that reports the files written into directories.
pub struct FileWatcher {
    settings: FileWatcherSettings,
    metrics: OnceLock<WatcherMetrics>,
    /// What outlives one run: the files reported, and the watch made by `start`
    /// for `run`.
    carried: Mutex<Carried>,
}

#[derive(Debug)]
struct Carried {
    /// `None` while a run has it.
    tracker: Option<Tracker>,
    /// Whether the service started before (files present at a restart are not
    /// "already there").
    started: bool,
    prepared: Option<Prepared>,
}

/// A watch set up by `start`.
#[derive(Debug)]
struct Prepared {
    scope: Arc<Scope>,
    stop: StopFlag,
    mode: Mode,
}

#[derive(Debug)]
enum Mode {
    #[cfg(target_os = "linux")]
    Notifier(notifier::Session),
    Polling(polling::Session),
}

impl FileWatcher {
    /// A service that watches as these settings say.
    pub fn new(settings: FileWatcherSettings) -> Self {
        let tracker = Tracker::new(settings.poll_interval);
        Self {
            settings,
            metrics: OnceLock::new(),
            carried: Mutex::new(Carried {
                tracker: Some(tracker),
                started: false,
                prepared: None,
            }),
        }
    }

    fn carried(&self) -> MutexGuard<'_, Carried> {
        self.carried.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets up the watch (and, with `initial_scan = false` on a first start, notes
    /// the files already there in `tracker`).
    async fn prepare(&self, tracker: &mut Tracker) -> Result<Prepared, FileWatcherError> {
        let scope = Arc::new(Scope::new(&self.settings)?);
        let stop = StopFlag::default();
        let baseline = !self.settings.initial_scan && !self.carried().started;
        #[cfg(target_os = "linux")]
        if !self.settings.polling {
            let session =
                notifier::prepare(&scope, tracker, baseline, self.settings.coalesce, &stop).await?;
            return Ok(Prepared {
                scope,
                stop,
                mode: Mode::Notifier(session),
            });
        }
        #[cfg(not(target_os = "linux"))]
        if !self.settings.polling {
            tracing::info!("no notifier that says when a file is closed on this system; polling");
        }
        let mode = Mode::Polling(polling::prepare(&scope, tracker, baseline, &stop).await?);
        Ok(Prepared { scope, stop, mode })
    }

    /// Borrows the tracker until the returned guard is dropped.
    fn lend(&self) -> Lent<'_> {
        let tracker = self
            .carried()
            .tracker
            .take()
            .unwrap_or_else(|| Tracker::new(self.settings.poll_interval));
        Lent {
            tracker: Some(tracker),
            home: self,
        }
    }
}

/// The tracker, on loan from the service for one start or run; given back
/// however that ends, so that a restart remembers what was reported.
struct Lent<'a> {
    tracker: Option<Tracker>,
    home: &'a FileWatcher,
}

impl Lent<'_> {
    fn tracker(&mut self) -> &mut Tracker {
        let window = self.home.settings.poll_interval;
        self.tracker.get_or_insert_with(|| Tracker::new(window))
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(tracker) = self.tracker.take() {
            self.home.carried().tracker = Some(tracker);
        }
    }
}

impl std::fmt::Debug for FileWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileWatcher")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// The definition of a `file-watcher` service called `name`, built from its
/// settings.
pub fn define(name: &str) -> ServiceDef {
    steward::continuous_with(name, FileWatcher::new).emits::<FileCreated>()
}

impl Continuous for FileWatcher {
    async fn start(&self, cx: &Context) -> steward::Result {
        self.metrics
            .get_or_init(|| WatcherMetrics::new(cx.metrics(), cx.name()));
        let mut lent = self.lend();
        let prepared = self.prepare(lent.tracker()).await?;
        let mut carried = self.carried();
        carried.started = true;
        carried.prepared = Some(prepared);
        Ok(())
    }

    async fn run(&self, cx: &Context) -> steward::Result {
        let metrics = self
            .metrics
            .get_or_init(|| WatcherMetrics::new(cx.metrics(), cx.name()));
        let mut lent = self.lend();
        let prepared = self.carried().prepared.take();
        let Prepared { scope, stop, mode } = match prepared {
            Some(prepared) => prepared,
            None => {
                let prepared = self.prepare(lent.tracker()).await?;
                self.carried().started = true;
                prepared
            }
        };
        let mut reporter = Reporter::new(cx, metrics, lent.tracker());
        let initial_scan = self.settings.initial_scan;
        let result = match mode {
            #[cfg(target_os = "linux")]
            Mode::Notifier(session) => {
                notifier::run(
                    cx,
                    &scope,
                    session,
                    &mut reporter,
                    metrics,
                    initial_scan,
                    &stop,
                )
                .await
            }
            Mode::Polling(session) => {
                polling::run(cx, &scope, session, &mut reporter, initial_scan, &stop).await
            }
        };
        stop.stop();
        Ok(result?)
    }
}

/// Runs blocking file system work on tokio's blocking threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, FileWatcherError> + Send + 'static,
) -> Result<T, FileWatcherError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| FileWatcherError::Scan(std::io::Error::other(error)))?
}

/// An error and its causes, in one line.
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
