//! Reading what inotify says changed, on the runtime: the instance's descriptor
//! is polled by tokio, and each read takes as many events as a large buffer
//! holds.

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};

use inotify::{Event, EventMask, Inotify};
use tokio::io::unix::AsyncFd;

use super::watches::{Table, Watches};

/// Bytes read at a time: about 2,000 events for names of 16 bytes.
const BUFFER: usize = 64 * 1024;

/// The most bytes one event takes: its header and the longest name, padded.
const MAX_EVENT: usize = 16 + 256;

/// What changed in a watched directory.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// A file was closed after writing.
    Closed(PathBuf),
    /// Something other than a directory was moved in.
    MovedIn(PathBuf),
    /// A directory was made or moved in (and, when recursive, is watched).
    DirAppeared(PathBuf),
    /// Something was deleted or moved away, or a watched directory itself was.
    Left(PathBuf),
    /// The kernel's queue overflowed: events were lost.
    Overflow,
}

/// An inotify instance's events, read as the runtime says they wait.
#[derive(Debug)]
pub(crate) struct Reader {
    fd: AsyncFd<Inotify>,
    buffer: Vec<u8>,
}

impl Reader {
    /// A reader of `inotify`'s events, registered with the runtime.
    pub(crate) fn new(inotify: Inotify) -> io::Result<Self> {
        // `AsyncFd::new` is deprecated as unsound for types whose descriptor
        // may change or close under it (its successor is `unsafe`, which this
        // workspace forbids). The instance owns its descriptor for its whole
        // life, as the `inotify` crate's own stream relies on too.
        #[allow(deprecated)]
        let fd = AsyncFd::new(inotify)?;
        Ok(Self {
            fd,
            buffer: vec![0; BUFFER],
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
        let mut ready = self.fd.readable_mut().await?;
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
        // A read that left room for more took all there was: the queue is
        // drained without a second read to find it empty. Readiness that came
        // since is kept by the runtime, so nothing that arrives now is missed.
        if read * MAX_EVENT < self.buffer.len() - MAX_EVENT {
            ready.clear_ready();
            return Ok(false);
        }
        Ok(true)
    }
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
    let Some(dir) = table.dir(id) else {
        return;
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
        changes.push(Change::Closed(join(dir, name)));
    } else if mask.contains(EventMask::MOVED_TO) {
        let path = join(dir, name);
        if is_dir {
            table.appeared(&path);
            changes.push(Change::DirAppeared(path));
        } else {
            changes.push(Change::MovedIn(path));
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
