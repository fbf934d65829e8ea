//! The floor: one thread reading a raw inotify instance that watches each
//! subdirectory for `IN_CLOSE_WRITE`. A queue overflow is counted; what the
//! kernel dropped is not looked for. Asked to `stat`, it also reads each file's
//! size and modification time, as a `file.created` event carries them, by its
//! name in its subdirectory held open.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::os::fd::{AsFd as _, OwnedFd};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use inotify::{EventMask, Inotify, WatchDescriptor, WatchMask};
use nix::fcntl::{AtFlags, OFlag};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::stat::{Mode, fstatat};

use super::scratch::Scratch;
use super::tally::{Meter, Tally, Wait};
use super::writer::Writer;
use super::{Observed, Shape, Workload};

/// The read buffer: about 2,000 events of these names per `read`.
const BUFFER: usize = 64 * 1024;

pub(super) fn round(
    scratch: &Scratch,
    workload: &Workload,
    shape: &Shape,
    stat: bool,
) -> anyhow::Result<Observed> {
    let mut inotify = Inotify::init().context("inotify_init1")?;
    let mut dirs: HashMap<WatchDescriptor, (PathBuf, OwnedFd)> = HashMap::new();
    for dir in &scratch.dirs {
        let wd = inotify
            .watches()
            .add(dir, WatchMask::CLOSE_WRITE)
            .with_context(|| format!("watching {}", dir.display()))?;
        let flags = OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        let open = nix::fcntl::open(dir, flags, Mode::empty())
            .with_context(|| format!("opening {}", dir.display()))?;
        dirs.insert(wd, (dir.clone(), open));
    }
    let tally = Tally::new(&scratch.paths);
    let meter = Meter::start()?;
    let writer = Writer::start(scratch.paths.clone(), shape.file_bytes, workload.pace)?;
    let mut wait = Wait::new(tally, meter, writer.done(), shape.settle);

    let mut buffer = vec![0; BUFFER];
    let mut overflows = 0;
    let mut look = wait.next_look()?;
    while let Some(at) = look {
        let timeout = at.saturating_duration_since(Instant::now());
        // Rounded up to whole milliseconds, so as not to spin just before `at`.
        let millis = timeout.as_micros().div_ceil(1000);
        let timeout = PollTimeout::try_from(millis).unwrap_or(PollTimeout::MAX);
        let ready = {
            let mut fds = [PollFd::new(inotify.as_fd(), PollFlags::POLLIN)];
            poll(&mut fds, timeout).context("poll")?
        };
        if ready > 0 {
            loop {
                let events = match inotify.read_events(&mut buffer) {
                    Ok(events) => events,
                    Err(error) if error.kind() == ErrorKind::WouldBlock => break,
                    Err(error) => return Err(error).context("reading inotify events"),
                };
                for event in events {
                    if event.mask.contains(EventMask::Q_OVERFLOW) {
                        overflows += 1;
                        continue;
                    }
                    let (Some(name), Some((dir, open))) = (event.name, dirs.get(&event.wd)) else {
                        continue;
                    };
                    if stat {
                        let found =
                            fstatat(open, name, AtFlags::AT_SYMLINK_NOFOLLOW).context("fstatat")?;
                        std::hint::black_box((found.st_size, found.st_mtime, found.st_mtime_nsec));
                    }
                    wait.reported(&dir.join(name))?;
                }
            }
        }
        if Instant::now() >= at {
            look = wait.next_look()?;
        }
    }
    let written = writer.join()?;
    let (tally, reading) = wait.finish()?;
    Ok(Observed {
        tally,
        written,
        reading,
        overflows,
        extra: Vec::new(),
    })
}
