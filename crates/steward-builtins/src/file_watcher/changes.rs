//! Reading what inotify says changed, on the runtime: the instance's descriptor
//! is polled by tokio, and each read takes as many events as a large buffer
//! holds.
//!
//! In a burst, reads rest: a read that drained the queue soon after the one
//! before it takes the descriptor off the runtime's poller for [`REST`], so
//! that the events arriving meanwhile wake nobody and are read together; the
//! read after a rest rests again if events waited for it. Left on the poller,
//! every event the kernel queues wakes the runtime's thread, read or not; a
//! burst of files written one at a time would cost a wake-up each.

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use inotify::{Event, EventMask, Inotify};
use tokio::io::unix::AsyncFd;
use tokio::time::Instant;

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
    /// Something was deleted or moved away, or a watched directory itself was.
    Left(PathBuf),
    /// The kernel's queue overflowed: events were lost.
    Overflow,
}

/// How long reads rest in a burst (the runtime's timers round it up to the
/// next millisecond): what a file may wait besides.
pub(crate) const REST: Duration = Duration::from_millis(1);

/// Drained reads closer together than this make a burst; so does a read that
/// came this soon after a rest. Shorter than the 2 ms between the files of 500 a
/// second, which each get a read at once.
const BURST: Duration = Duration::from_micros(1_500);

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

/// An inotify instance's events, read as the runtime says they wait.
#[derive(Debug)]
pub(crate) struct Reader {
    state: State,
    buffer: Vec<u8>,
    /// When the last read that drained the queue was.
    last_drained: Option<Instant>,
    /// When the descriptor went back on the poller after a rest, until the
    /// next read that drains the queue.
    resumed: Option<Instant>,
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
    /// A reader of `inotify`'s events, registered with the runtime.
    pub(crate) fn new(inotify: Inotify) -> io::Result<Self> {
        Ok(Self {
            state: State::Polled(register(inotify)?),
            buffer: vec![0; BUFFER],
            last_drained: None,
            resumed: None,
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
            self.state = match std::mem::replace(&mut self.state, State::Lost) {
                State::Resting(inotify, _) => State::Polled(register(inotify)?),
                other => other,
            };
            self.resumed = Some(Instant::now());
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
        let mut read = 0;
        let mut table = watches.lock();
        for event in events {
            read += 1;
            take(&mut table, event, changes);
        }
        drop(table);
        // A read that left room for more took all there was: the queue is
        // drained without a second read to find it empty. Readiness that came
        // since is kept by the runtime, so nothing that arrives now is missed.
        if read * MAX_EVENT < self.buffer.len() - MAX_EVENT {
            ready.clear_ready();
            self.drained();
            return Ok(false);
        }
        Ok(true)
    }

    /// The queue was drained now: in a burst, rest.
    fn drained(&mut self) {
        let now = Instant::now();
        let soon_after = |then: Instant| now.saturating_duration_since(then) < BURST;
        let burst = match self.resumed.take() {
            // Read at once after a rest: events came meanwhile, the burst goes
            // on. Read later: the wait for events blocked, the burst is over.
            Some(resumed) => soon_after(resumed),
            None => self.last_drained.is_some_and(soon_after),
        };
        self.last_drained = Some(now);
        if !burst {
            return;
        }
        self.state = match std::mem::replace(&mut self.state, State::Lost) {
            // Off the poller: events queued meanwhile wait in the kernel, and
            // the poller reports them once the descriptor is back on it.
            State::Polled(fd) => State::Resting(fd.into_inner(), now + REST),
            other => other,
        };
    }
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
            changes.push(Change::Left(dir));
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
        changes.push(Change::Left(path));
    }
}

/// `dir`/`name`, allocated once.
fn join(dir: &Path, name: &OsStr) -> PathBuf {
    let mut path = PathBuf::with_capacity(dir.as_os_str().len() + 1 + name.len());
    path.push(dir);
    path.push(name);
    path
}

#[cfg(test)]
mod tests;
