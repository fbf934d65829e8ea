//! Reading what inotify says changed, on the runtime: the instance's descriptor
//! is polled by tokio, and each read takes as many events as a large buffer
//! holds.
//!
//! In a stream of events, reads rest: a read that drained the queue within
//! two rests of the two before it takes the descriptor off the runtime's poller
//! for a rest (the `coalesce` setting), so that the events arriving meanwhile
//! wake nobody and are read together, by one read at the end of the rest; while
//! such reads find events, the stream goes on and they rest again, and the
//! first that finds none puts the descriptor back on the poller. Left on the
//! poller, every event the kernel queues wakes the runtime's thread, read or
//! not: files written one at a time would cost a wake-up each, which is most of
//! what a file costs the watcher. A file on its own is read at once.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use inotify::{Event, EventMask, Inotify};
use tokio::io::unix::AsyncFd;
use tokio::time::Instant;

use super::report::{look, look_in};
use super::tracker::Observation;
use super::watches::{DirHandle, Table, Watches};

/// Bytes read at a time: about 2,000 events for names of 16 bytes.
const BUFFER: usize = 64 * 1024;

/// The most bytes one event takes: its header and the longest name, padded.
const MAX_EVENT: usize = 16 + 256;

/// What changed in a watched directory.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// A file was closed after writing.
    Closed(Located),
    /// Something other than a directory was moved in.
    MovedIn(Located),
    /// A directory was made or moved in (and, when recursive, is watched).
    DirAppeared(PathBuf),
    /// Something was deleted or moved away, or a watched directory itself was;
    /// `dir` when it was a directory.
    Left { path: PathBuf, dir: bool },
    /// The kernel's queue overflowed: events were lost.
    Overflow,
}

/// Where something is: its path, and its directory if that is held open (see
/// [`DIR_HANDLES`](super::watches::DIR_HANDLES)).
#[derive(Debug, Clone)]
pub(crate) struct Located {
    pub(crate) path: PathBuf,
    pub(crate) dir: Option<Arc<DirHandle>>,
}

impl PartialEq for Located {
    /// The same path: the directory is how to get there.
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path
    }
}

impl Eq for Located {}

impl Located {
    /// What is there now (see [`look`]): by name in the directory held open,
    /// else by path.
    pub(crate) fn look(&self) -> Option<Option<Observation>> {
        match &self.dir {
            Some(dir) => look_in(dir.fd(), self.name(), &self.path),
            None => look(&self.path),
        }
    }

    /// The name the path was [`join`]ed with: what follows its last `/` (a name
    /// inotify gives holds none). Split by bytes, where `Path::file_name` would
    /// parse every component.
    fn name(&self) -> &OsStr {
        let bytes = self.path.as_os_str().as_bytes();
        let start = bytes
            .iter()
            .rposition(|&byte| byte == b'/')
            .map_or(0, |at| at + 1);
        OsStr::from_bytes(&bytes[start..])
    }
}

/// An inotify instance's events, read as the runtime says they wait.
#[derive(Debug)]
pub(crate) struct Reader {
    state: State,
    buffer: Vec<u8>,
    /// How long a read rests in a stream (the runtime's timers round it up to
    /// the next millisecond); zero: reads never rest.
    rest: Duration,
    /// When the last two reads that drained the queue were, the later last.
    drained: [Option<Instant>; 2],
}

#[derive(Debug)]
enum State {
    /// On the runtime's poller.
    Polled(AsyncFd<Inotify>),
    /// Off it until then.
    Resting(Inotify, Instant),
    /// Registering it again failed (the error was returned).
    Lost,
}

impl Reader {
    /// A reader of `inotify`'s events, registered with the runtime, that rests
    /// for `rest` in a stream.
    pub(crate) fn new(inotify: Inotify, rest: Duration) -> io::Result<Self> {
        Ok(Self {
            state: State::Polled(register(inotify)?),
            buffer: vec![0; BUFFER],
            rest,
            drained: [None; 2],
        })
    }

    /// Waits for events, then reads what waits into `changes`: `Ok(false)`
    /// when the queue was drained, so that the caller may do what waits for
    /// that before the next call waits. Cancel safe: nothing is read until the
    /// events are taken in.
    pub(crate) async fn next(
        &mut self,
        watches: &Watches,
        changes: &mut Vec<Change>,
    ) -> io::Result<bool> {
        if let State::Resting(_, until) = self.state {
            tokio::time::sleep_until(until).await;
            if let Some(more) = self.after_rest(watches, changes)? {
                return Ok(more);
            }
        }
        let State::Polled(fd) = &mut self.state else {
            return Err(io::Error::other("the inotify instance was lost"));
        };
        let mut ready = fd.readable_mut().await?;
        let events = match ready.get_inner_mut().read_events(&mut self.buffer) {
            Ok(events) => events,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                // Nothing waits any more.
                ready.clear_ready();
                return Ok(false);
            }
            Err(error) => return Err(error),
        };
        let drained = take_all(events, watches, changes);
        if !drained {
            return Ok(true);
        }
        // Readiness that came since the read is kept by the runtime, so
        // nothing that arrives now is missed.
        ready.clear_ready();
        let now = Instant::now();
        if self.drained_at(now) {
            self.state = match std::mem::replace(&mut self.state, State::Lost) {
                // Off the poller: events queued meanwhile wait in the kernel
                // and wake nobody.
                State::Polled(fd) => State::Resting(fd.into_inner(), now + self.rest),
                other => other,
            };
        }
        Ok(false)
    }

    /// At the end of a rest, reads what came meanwhile, still off the poller:
    /// `Some` as [`next`](Self::next) returns when something did (the burst goes
    /// on: rest again once the queue is drained); `None` when nothing did (the
    /// burst is over: the descriptor is back on the poller, to wait there).
    fn after_rest(
        &mut self,
        watches: &Watches,
        changes: &mut Vec<Change>,
    ) -> io::Result<Option<bool>> {
        let State::Resting(inotify, until) = &mut self.state else {
            return Ok(None);
        };
        match inotify.read_events(&mut self.buffer) {
            Ok(events) => {
                let drained = take_all(events, watches, changes);
                let now = Instant::now();
                if drained {
                    *until = now + self.rest;
                    self.drained_at(now);
                }
                Ok(Some(!drained))
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                self.state = match std::mem::replace(&mut self.state, State::Lost) {
                    State::Resting(inotify, _) => State::Polled(register(inotify)?),
                    other => other,
                };
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// A read drained the queue at `now`: whether that makes a stream (three
    /// drained reads within two rests: a steady 500 files a second makes one
    /// with rests of 8 ms, 100 a second does not).
    fn drained_at(&mut self, now: Instant) -> bool {
        let [before, last] = self.drained;
        self.drained = [last, Some(now)];
        before.is_some_and(|before| now.saturating_duration_since(before) < self.rest * 2)
    }
}

/// Takes one read's `events` into `changes`; whether the read drained the
/// queue: one that left room in the buffer took all there was, without a second
/// read to find the queue empty.
fn take_all<'a>(
    events: impl Iterator<Item = Event<&'a OsStr>>,
    watches: &Watches,
    changes: &mut Vec<Change>,
) -> bool {
    let mut read = 0;
    let mut table = watches.lock();
    for event in events {
        read += 1;
        take(&mut table, event, changes);
    }
    read * MAX_EVENT < BUFFER - MAX_EVENT
}

/// `inotify` on the runtime's poller.
fn register(inotify: Inotify) -> io::Result<AsyncFd<Inotify>> {
    // `AsyncFd::new` is deprecated as unsound for types whose descriptor may
    // change or close under it (its successor is `unsafe`, which this
    // workspace forbids). The instance owns its descriptor for its whole life,
    // as the `inotify` crate's own stream relies on too.
    #[allow(deprecated)]
    AsyncFd::new(inotify)
}

/// Turns one inotify event into what changed, keeping the watch table in step.
fn take(table: &mut Table, event: Event<&OsStr>, changes: &mut Vec<Change>) {
    let id = event.wd.get_watch_descriptor_id();
    if event.mask.contains(EventMask::Q_OVERFLOW) {
        changes.push(Change::Overflow);
        return;
    }
    if event.mask.contains(EventMask::IGNORED) {
        table.ignored(id);
        return;
    }
    let Some((dir, open)) = table.dir(id) else {
        return;
    };
    let located = |path| Located {
        path,
        dir: open.cloned(),
    };
    let Some(name) = event.name else {
        // The watched directory itself was deleted or moved, or the file
        // system under it unmounted: nothing below it is watched any more,
        // lest events from where it went be taken for its old place.
        if event
            .mask
            .intersects(EventMask::DELETE_SELF | EventMask::MOVE_SELF | EventMask::UNMOUNT)
        {
            let dir = dir.to_owned();
            table.forget_under(&dir);
            changes.push(Change::Left {
                path: dir,
                dir: true,
            });
        }
        return;
    };
    let is_dir = event.mask.contains(EventMask::ISDIR);
    let mask = event.mask;
    if mask.contains(EventMask::CLOSE_WRITE) {
        changes.push(Change::Closed(located(join(dir, name))));
    } else if mask.contains(EventMask::MOVED_TO) {
        let path = join(dir, name);
        if is_dir {
            table.appeared(&path);
            changes.push(Change::DirAppeared(path));
        } else {
            changes.push(Change::MovedIn(located(path)));
        }
    } else if mask.contains(EventMask::CREATE) {
        if is_dir {
            let path = join(dir, name);
            table.appeared(&path);
            changes.push(Change::DirAppeared(path));
        }
    } else if mask.intersects(EventMask::MOVED_FROM | EventMask::DELETE) {
        let path = join(dir, name);
        if is_dir {
            table.forget_under(&path);
        }
        changes.push(Change::Left { path, dir: is_dir });
    }
}

/// `dir`/`name`, allocated once and put together by bytes: `PathBuf::push`
/// looks at both for separators and roots, though a name inotify gives is one
/// plain component.
fn join(dir: &Path, name: &OsStr) -> PathBuf {
    let dir = dir.as_os_str().as_bytes();
    let mut path = Vec::with_capacity(dir.len() + 1 + name.len());
    path.extend_from_slice(dir);
    if !dir.ends_with(b"/") {
        path.push(b'/');
    }
    path.extend_from_slice(name.as_bytes());
    PathBuf::from(OsString::from_vec(path))
}

#[cfg(test)]
mod tests;
