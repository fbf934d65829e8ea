//! Scans for the notifier: each (re)watches a directory, then lists it, so that
//! whatever happened before the watch began is found by the listing, and
//! whatever happens after by the watch. They run on a blocking thread.
//!
//! - At start (with `initial_scan`), each watched directory is listed.
//! - After lost events, each is watched again (adding watches for
//!   subdirectories whose creation went unnoticed) and listed.
//! - A directory that appears below a watched one is watched, then listed.
//! - A watched directory that was missing, or went away, is watched afresh.

use std::path::PathBuf;

use super::describe;
use super::error::FileWatcherError;
use super::scan::{self, Listing, RootScan, StopFlag};
use super::scope::Scope;
use super::tracker::is_gone;
use super::watches::Watches;

/// How a scan of a watched directory first (re)watches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Rewatch {
    /// It is watched.
    No,
    /// Add watches for subdirectories whose creation went unnoticed.
    Add,
    /// Drop the watches and watch afresh: it disappeared or moved, and may be
    /// back.
    Reset,
}

/// Work for the scanning thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Job {
    /// Scan watched directory `index`, (re)watching it first as `watch` says.
    Root { index: usize, watch: Rewatch },
    /// Watch, then scan, a directory that appeared below a watched one.
    Dir(PathBuf),
}

/// What a job found.
#[derive(Debug)]
pub(crate) enum Done {
    /// Watched directory `index`, (re)watched as `how` says.
    Root {
        index: usize,
        how: Rewatch,
        scan: Result<RootScan, FileWatcherError>,
        /// Why watching it failed, if it did.
        watch_problem: Option<String>,
    },
    /// A directory that appeared.
    Dir {
        listing: Listing,
        watch_problem: Option<String>,
    },
}

/// Does `job`, on a blocking thread.
pub(crate) fn run_job(scope: &Scope, watches: &Watches, stop: &StopFlag, job: Job) -> Done {
    match job {
        Job::Root { index, watch: how } => {
            let Some(root) = scope.roots().get(index) else {
                // Never: jobs are made for the roots there are.
                return Done::Dir {
                    listing: Listing::default(),
                    watch_problem: None,
                };
            };
            if how == Rewatch::Reset {
                watches.unwatch(root);
            }
            let mut watch_problem = None;
            let scan = scan::exists(root).and_then(|exists| {
                if !exists {
                    return Ok(RootScan::Missing);
                }
                if how != Rewatch::No
                    && let Err(error) = watches.watch(root, true)
                {
                    watch_problem = Some(describe(&error));
                }
                scan::root(scope, root, stop)
            });
            Done::Root {
                index,
                how,
                scan,
                watch_problem,
            }
        }
        Job::Dir(path) => {
            let mut watch_problem = None;
            match watches.watch(&path, false) {
                Ok(()) => {}
                // Gone already: nothing to scan.
                Err(FileWatcherError::Watch { source, .. }) if is_gone(&source) => {
                    return Done::Dir {
                        listing: Listing::default(),
                        watch_problem,
                    };
                }
                Err(error) => watch_problem = Some(describe(&error)),
            }
            Done::Dir {
                listing: scan::list(scope, &path, stop),
                watch_problem,
            }
        }
    }
}
