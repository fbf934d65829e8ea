//! Watching with the operating system's notifier (inotify on Linux).
//!
//! A file is reported when the notifier says it was closed after writing or
//! moved in. Directories that appear below a watched one are watched, then
//! scanned, so that nothing written in them before the watch began is missed.
//! When the kernel's event queue overflows, events are lost: the watcher
//! rescans every directory (re-adding watches for subdirectories it may have
//! missed) and checks what it finds that it has not reported.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use inotify::Inotify;
use steward::Context;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::blocking;
use super::changes::{Change, Reader};
use super::error::FileWatcherError;
use super::health::Condition;
use super::metrics::WatcherMetrics;
use super::report::Reporter;
use super::rescan::{Done, Job, Rewatch, run_job};
use super::scan::{self, Listing, RootScan, StopFlag};
use super::scope::Scope;
use super::tracker::Tracker;
use super::watches::Watches;

/// Files checked in one go while settling.
const CHECKS: usize = 1_024;

/// How long queued scans may wait for the watcher to catch up with the events
/// already delivered: a burst that overflows the queue once tends to overflow it
/// again, and one rescan after it beats one per overflow.
const SCAN_DELAY: Duration = Duration::from_secs(1);

/// A notifier watching the directories that exist, made as the service starts,
/// so that it watches by the time the service counts as running.
#[derive(Debug)]
pub(crate) struct Session {
    reader: Reader,
    watches: Arc<Watches>,
    /// Which watched directories exist (and are watched).
    present: Vec<bool>,
    /// Whether to scan them first: unless the files there count as reported.
    scan_first: bool,
}

/// Starts the notifier and watches the directories that exist. With `baseline`,
/// the files already there count as reported. Reads rest for `coalesce` in a
/// stream of events (see [`Reader`]).
pub(crate) async fn prepare(
    scope: &Arc<Scope>,
    tracker: &mut Tracker,
    baseline: bool,
    coalesce: Duration,
    stop: &StopFlag,
) -> Result<Session, FileWatcherError> {
    let inotify = Inotify::init().map_err(FileWatcherError::Notifier)?;
    let watches = Arc::new(Watches::new(&inotify, scope.recursive()));
    let reader = Reader::new(inotify, coalesce).map_err(FileWatcherError::Notifier)?;
    let (shared, scope, stop) = (watches.clone(), scope.clone(), stop.clone());
    let (present, listings) = blocking(move || {
        let mut present = Vec::new();
        let mut listings = Vec::new();
        for root in scope.roots() {
            let exists = scan::exists(root)?;
            if exists {
                shared.watch(root, true)?;
                if baseline {
                    listings.push(scan::list(&scope, root, &stop));
                }
            }
            present.push(exists);
        }
        Ok((present, listings))
    })
    .await?;
    for file in listings.into_iter().flat_map(|listing| listing.files) {
        tracker.assume_reported(file.path, file.seen.stamp);
    }
    Ok(Session {
        reader,
        watches,
        present,
        scan_first: !baseline,
    })
}

/// Watches until `cx` is cancelled, reporting through `reporter`.
pub(crate) async fn run(
    cx: &Context,
    scope: &Arc<Scope>,
    session: Session,
    reporter: &mut Reporter<'_>,
    metrics: &WatcherMetrics,
    initial_scan: bool,
    stop: &StopFlag,
) -> Result<(), FileWatcherError> {
    let Session {
        mut reader,
        watches,
        present,
        scan_first,
    } = session;
    let interval = reporter.tracker.window();
    let mut watching = Watching {
        scope: scope.clone(),
        reporter,
        metrics,
        watches: watches.clone(),
        stop: stop.clone(),
        condition: Condition::new(present.len()),
        present,
        initial_scan,
        queued: Vec::new(),
        queued_since: None,
        scanning: None,
        to_check: Vec::new(),
        next_settle: None,
        next_retry: None,
        rewatch: false,
        interval,
    };
    for index in 0..watching.present.len() {
        if watching.present[index] {
            if scan_first {
                watching.queue(Job::Root {
                    index,
                    watch: Rewatch::No,
                });
            }
        } else {
            watching.condition.missing(index, true);
        }
    }
    watching.schedule_retry();
    let mut changes = Vec::new();
    let mut drained = true;
    // Made once: a fresh one each time round would join and leave the token's
    // waiters at every read.
    let cancelled = cx.cancelled();
    tokio::pin!(cancelled);
    // Made once and reset, so that waiting for it costs nothing per turn.
    let check = tokio::time::sleep(interval);
    tokio::pin!(check);
    loop {
        watching.start_scan(drained);
        watching.reporter.publish_sizes();
        watching.condition.publish(cx, scope.roots());
        let scanning = async {
            match &mut watching.scanning {
                Some(task) => task.await,
                None => std::future::pending().await,
            }
        };
        let settle_at = watching.next_settle;
        let retry_at = watching.next_retry;
        tokio::select! {
            () = &mut cancelled => break,
            done = scanning => {
                watching.scanning = None;
                let done = done.map_err(|error| FileWatcherError::Scan(io::Error::other(error)))?;
                watching.scanned(done).await?;
            }
            read = reader.next(&watches, &mut changes) => {
                drained = !read.map_err(FileWatcherError::Notifier)?;
                for change in changes.drain(..) {
                    watching.change(change).await;
                }
            }
            () = std::future::ready(()), if !watching.to_check.is_empty() => {
                watching.settle_some().await;
            }
            () = sleep_until(settle_at), if settle_at.is_some() && watching.to_check.is_empty() => {
                watching.settle_now();
            }
            () = sleep_until(retry_at), if retry_at.is_some() => watching.retry(),
            () = &mut check => {
                watching.check_roots();
                check.as_mut().reset(Instant::now() + interval);
            }
        }
    }
    // A scan under way ends at its next directory; its thread is not waited for.
    stop.stop();
    Ok(())
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The notifier's loop.
struct Watching<'r, 'a> {
    scope: Arc<Scope>,
    reporter: &'r mut Reporter<'a>,
    metrics: &'r WatcherMetrics,
    watches: Arc<Watches>,
    stop: StopFlag,
    condition: Condition,
    /// Which watched directories exist (and are watched).
    present: Vec<bool>,
    initial_scan: bool,
    /// Jobs for the next scan.
    queued: Vec<Job>,
    /// When the first of them was queued.
    queued_since: Option<Instant>,
    /// The scan under way.
    scanning: Option<JoinHandle<Vec<Done>>>,
    /// Files to check before anything else is settled.
    to_check: Vec<PathBuf>,
    /// When to check the files waiting to be complete again.
    next_settle: Option<Instant>,
    /// When to look for missing directories, or watch afresh, again.
    next_retry: Option<Instant>,
    /// Whether a watch failed, so that the directories are watched afresh (and
    /// scanned) at the next retry.
    rewatch: bool,
    interval: Duration,
}

impl Watching<'_, '_> {
    async fn change(&mut self, change: Change) {
        match change {
            Change::Closed(file) | Change::MovedIn(file) => {
                if self.scope.wants_file(&file.path) {
                    let seen = file.look();
                    self.reporter.complete(file.path, seen).await;
                }
            }
            Change::DirAppeared(path) => {
                if self.scope.covers_dir(&path) {
                    self.queue(Job::Dir(path));
                }
            }
            Change::Left { path, dir } => self.left(&path, dir),
            Change::Overflow => {
                tracing::info!("the kernel's event queue overflowed; rescanning");
                self.overflowed();
            }
        }
    }

    /// Something left `path` (a directory if `dir`); a watched directory itself
    /// is waited for again.
    fn left(&mut self, path: &Path, dir: bool) {
        match self.scope.root_index(path) {
            Some(index) => {
                tracing::warn!(path = %path.display(), "a watched directory was removed or moved");
                self.root_gone(index);
                self.schedule_retry();
            }
            None if self.scope.holds(path) => self.reporter.left(path, dir),
            None => {}
        }
    }

    /// Watched directory `index` is not at its path: it is waited for there, and
    /// no longer watched where it went (a scan may find it gone before anything
    /// else says so, and what is written where it went is not taken for its
    /// path). So is any other watched directory below it, whose watch goes too.
    fn root_gone(&mut self, index: usize) {
        let scope = self.scope.clone();
        let Some(gone) = scope.roots().get(index) else {
            return;
        };
        self.watches.unwatch(gone);
        for (other, root) in scope.roots().iter().enumerate() {
            if root.starts_with(gone) {
                self.present[other] = false;
                self.condition.missing(other, true);
            }
        }
    }

    /// Watched directories that their paths no longer lead to (a directory
    /// above one was renamed, a symbolic link on the way changed) are waited for
    /// again where they were, as if moved away themselves: no event says so.
    fn check_roots(&mut self) {
        let scope = self.scope.clone();
        for (index, root) in scope.roots().iter().enumerate() {
            if self.present.get(index) == Some(&true) && self.watches.lock().moved(root) {
                self.left(root, true);
            }
        }
    }

    /// Events were lost: rescan everything.
    fn overflowed(&mut self) {
        self.metrics.overflowed();
        for index in 0..self.present.len() {
            let watch = if self.present[index] {
                Rewatch::Add
            } else {
                Rewatch::Reset
            };
            self.queue(Job::Root { index, watch });
        }
    }

    /// Adds a job to the next scan, unless one like it is there already.
    fn queue(&mut self, job: Job) {
        if let Job::Root { index, watch } = &job {
            for queued in &mut self.queued {
                if let Job::Root {
                    index: other,
                    watch: how,
                } = queued
                    && other == index
                {
                    *how = (*how).max(*watch);
                    return;
                }
            }
        }
        if !self.queued.contains(&job) {
            self.queued.push(job);
        }
        self.queued_since.get_or_insert_with(Instant::now);
    }

    /// Starts the queued jobs on a blocking thread, unless a scan is under way,
    /// or events wait (`caught_up` is false) and the jobs were queued only now.
    fn start_scan(&mut self, caught_up: bool) {
        if self.scanning.is_some() || self.queued.is_empty() {
            return;
        }
        let waited = self
            .queued_since
            .is_some_and(|since| since.elapsed() >= SCAN_DELAY);
        if !caught_up && !waited {
            return;
        }
        self.queued_since = None;
        let jobs = std::mem::take(&mut self.queued);
        if jobs.iter().any(|job| {
            matches!(
                job,
                Job::Root {
                    watch: Rewatch::Add,
                    ..
                }
            )
        }) {
            self.metrics.rescanned();
        }
        let (scope, watches, stop) = (self.scope.clone(), self.watches.clone(), self.stop.clone());
        self.scanning = Some(tokio::task::spawn_blocking(move || {
            jobs.into_iter()
                .map(|job| run_job(&scope, &watches, &stop, job))
                .collect()
        }));
    }

    /// Takes in what a scan found.
    async fn scanned(&mut self, done: Vec<Done>) -> Result<(), FileWatcherError> {
        // A watch that failed: what it should show is found by scanning again
        // every interval until watching works.
        let mut problem = None;
        let mut rewatched = false;
        for done in done {
            match done {
                Done::Root {
                    index,
                    how,
                    scan,
                    watch_problem,
                } => {
                    rewatched |= how != Rewatch::No;
                    problem = problem.or(watch_problem);
                    match scan? {
                        RootScan::Missing => self.root_gone(index),
                        // The directory went away since this scan began; only
                        // a scan that watches it afresh may bring it back.
                        RootScan::Listed(_) if !self.present[index] && how != Rewatch::Reset => {}
                        RootScan::Listed(listing) => self.listed(index, listing).await,
                    }
                }
                Done::Dir {
                    listing,
                    watch_problem,
                } => {
                    problem = problem.or(watch_problem);
                    for file in listing.files {
                        self.reporter
                            .found(file.path, file.seen, listing.began)
                            .await;
                    }
                }
            }
        }
        if problem.is_some() {
            self.rewatch = true;
            self.condition.notifier(problem);
        } else if rewatched {
            self.condition.notifier(None);
        }
        self.schedule_retry();
        self.settle_now();
        Ok(())
    }

    /// Watched directory `index` holds what `listing` shows.
    async fn listed(&mut self, index: usize, listing: Listing) {
        let scope = self.scope.clone();
        let (Some(root), Some(&present)) = (scope.roots().get(index), self.present.get(index))
        else {
            return;
        };
        let appeared = !present;
        if appeared {
            tracing::info!(path = %root.display(), "watching a directory that appeared");
            self.metrics.rescanned();
        }
        self.present[index] = true;
        self.condition.missing(index, false);
        self.condition.scanned(index, &listing.unreadable);
        // With `initial_scan = false`, what a directory holds when it appears
        // counts as there before, as at start.
        let assume = appeared && !self.initial_scan;
        let gone = listing.gone(root, self.reporter.tracker.known());
        for file in listing.files {
            if assume {
                let stamp = file.seen.stamp;
                self.reporter.tracker.assume_reported(file.path, stamp);
            } else {
                self.reporter
                    .found(file.path, file.seen, listing.began)
                    .await;
            }
        }
        self.reporter.forget_gone(gone);
    }

    /// Checks every waiting file, starting now.
    fn settle_now(&mut self) {
        self.to_check = self
            .reporter
            .tracker
            .pending()
            .map(Path::to_path_buf)
            .collect();
        self.next_settle = None;
    }

    /// Checks some of the files waiting; when all are checked and some still
    /// wait, checks again after an interval.
    async fn settle_some(&mut self) {
        let keep = self.to_check.len().saturating_sub(CHECKS);
        for path in self.to_check.split_off(keep) {
            self.reporter.check(&path, true).await;
        }
        if self.to_check.is_empty() && self.reporter.tracker.pending_len() > 0 {
            self.next_settle = Some(Instant::now() + self.interval);
        }
    }

    /// Looks for missing directories, or watches afresh, after an interval, if
    /// any is missing or a watch failed.
    fn schedule_retry(&mut self) {
        if self.next_retry.is_none() && (self.rewatch || self.present.contains(&false)) {
            self.next_retry = Some(Instant::now() + self.interval);
        }
    }

    /// Looks for the missing directories, or watches afresh, now.
    fn retry(&mut self) {
        self.next_retry = None;
        let rewatch = std::mem::take(&mut self.rewatch);
        for index in 0..self.present.len() {
            let watch = if !self.present[index] {
                Rewatch::Reset
            } else if rewatch {
                Rewatch::Add
            } else {
                continue;
            };
            self.queue(Job::Root { index, watch });
        }
    }
}
