//! Watching by looking: every `poll_interval`, list the directories and compare.
//!
//! For network and container mounts, whose changes the operating system does not
//! report. A file is reported once two consecutive polls saw the same size,
//! modification time and inode; file times are not compared with this machine's
//! clock, which may disagree with the file server's.

use std::sync::Arc;

use steward::Context;

use super::blocking;
use super::error::FileWatcherError;
use super::health::Condition;
use super::report::Reporter;
use super::scan::{self, RootScan, StopFlag};
use super::scope::Scope;
use super::tracker::Tracker;

/// Which watched directories existed when the service started.
#[derive(Debug)]
pub(crate) struct Session {
    present: Vec<bool>,
}

/// Looks at the directories once; with `baseline`, the files already there
/// count as reported.
pub(crate) async fn prepare(
    scope: &Arc<Scope>,
    tracker: &mut Tracker,
    baseline: bool,
    stop: &StopFlag,
) -> Result<Session, FileWatcherError> {
    let scans = scan_all(scope, baseline, stop).await?;
    let mut present = Vec::with_capacity(scans.len());
    for scan in scans {
        match scan {
            RootScan::Missing => present.push(false),
            RootScan::Listed(listing) => {
                present.push(true);
                for file in listing.files {
                    tracker.assume_reported(file.path, file.seen.stamp);
                }
            }
        }
    }
    Ok(Session { present })
}

/// Lists every watched directory (or, without `list`, only looks whether each
/// exists).
async fn scan_all(
    scope: &Arc<Scope>,
    list: bool,
    stop: &StopFlag,
) -> Result<Vec<RootScan>, FileWatcherError> {
    let (scope, stop) = (scope.clone(), stop.clone());
    blocking(move || {
        scope
            .roots()
            .iter()
            .map(|root| {
                if list {
                    scan::root(&scope, root, &stop)
                } else {
                    scan::exists(root).map(|exists| match exists {
                        true => RootScan::Listed(scan::Listing::default()),
                        false => RootScan::Missing,
                    })
                }
            })
            .collect()
    })
    .await
}

/// Polls until `cx` is cancelled, reporting through `reporter`.
pub(crate) async fn run(
    cx: &Context,
    scope: &Arc<Scope>,
    session: Session,
    reporter: &mut Reporter<'_>,
    initial_scan: bool,
    stop: &StopFlag,
) -> Result<(), FileWatcherError> {
    let mut present = session.present;
    let mut condition = Condition::new(present.len());
    let interval = reporter.tracker.window();
    loop {
        let Some(scans) = cx.run_until_cancelled(scan_all(scope, true, stop)).await else {
            break;
        };
        for ((index, scan), root) in scans?.into_iter().enumerate().zip(scope.roots()) {
            match scan {
                RootScan::Missing => {
                    present[index] = false;
                    condition.missing(index, true);
                }
                RootScan::Listed(listing) => {
                    let appeared = !present[index];
                    if appeared {
                        tracing::info!(path = %root.display(), "polling a directory that appeared");
                    }
                    present[index] = true;
                    condition.missing(index, false);
                    condition.scanned(index, &listing.unreadable);
                    // With `initial_scan = false`, what a directory holds when
                    // it appears counts as there before, as at start.
                    let assume = appeared && !initial_scan;
                    let gone = listing.gone(root, reporter.tracker.known());
                    for file in listing.files {
                        if assume {
                            reporter.tracker.assume_reported(file.path, file.seen.stamp);
                        } else {
                            reporter.checked(&file.path, Some(file.seen), false).await;
                        }
                    }
                    reporter.forget_gone(gone);
                }
            }
        }
        reporter.publish_sizes();
        condition.publish(cx, scope.roots());
        if cx
            .run_until_cancelled(tokio::time::sleep(interval))
            .await
            .is_none()
        {
            break;
        }
    }
    stop.stop();
    Ok(())
}
