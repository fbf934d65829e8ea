//! Reading what inotify says changed, on the runtime: the instance's descriptor
//! is polled by tokio, and each read takes as many events as a large buffer
//! holds.

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};

use inotify::{EventMask, Inotify};
use tokio::io::unix::AsyncFd;

use super::watches::Watches;

/// Bytes read at a time: about 2,000 events for names of 16 bytes.
const BUFFER: usize = 64 * 1024;

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
        // `AsyncFd::new` is deprecated for types whose descriptor may change
        // or close under it; the instance owns its descriptor for its whole
        // life, and the safe constructor keeps `unsafe` out of this crate.
        #[allow(deprecated)]
        let fd = AsyncFd::new(inotify)?;
        Ok(Self {
            fd,
            buffer: vec![0; BUFFER],
        })
    }

    /// Waits for events, then reads what waits into `changes`: `Ok(false)`
    /// when a read found nothing more (the queue was drained), so that the
    /// caller may do what waits for that before the next call waits. Cancel
    /// safe: nothing is read until the events are taken in.
    pub(crate) async fn next(
        &mut self,
        watches: &Watches,
        changes: &mut Vec<Change>,
    ) -> io::Result<bool> {
        let mut ready = self.fd.readable_mut().await?;
        let buffer = &mut self.buffer;
        let read = ready.try_io(move |fd| {
            let events = fd.get_mut().read_events(buffer)?;
            let mut table = watches.lock();
            for event in events {
                let id = event.wd.get_watch_descriptor_id();
                if event.mask.contains(EventMask::Q_OVERFLOW) {
                    changes.push(Change::Overflow);
                } else if event.mask.contains(EventMask::IGNORED) {
                    table.ignored(id);
                } else if let Some(dir) = table.dir(id) {
                    let Some(name) = event.name else {
                        // The watched directory itself was deleted or moved.
                        if event
                            .mask
                            .intersects(EventMask::DELETE_SELF | EventMask::MOVE_SELF)
                        {
                            changes.push(Change::Left(dir.to_owned()));
                        }
                        continue;
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
            }
            Ok(())
        });
        match read {
            Ok(Ok(())) => Ok(true),
            Ok(Err(error)) => Err(error),
            // Nothing waits any more; the readiness is cleared.
            Err(_would_block) => Ok(false),
        }
    }
}

/// `dir`/`name`, allocated once.
fn join(dir: &Path, name: &OsStr) -> PathBuf {
    let mut path = PathBuf::with_capacity(dir.as_os_str().len() + 1 + name.len());
    path.push(dir);
    path.push(name);
    path
}
