//! Resting in a burst, on a paused clock: how long a read waited is how long
//! the reader rested.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use inotify::Inotify;
use tokio::time::Instant;

use super::{Change, REST, Reader};
use crate::file_watcher::watches::Watches;

/// Reads once; returns what changed and how long the read waited.
async fn read(reader: &mut Reader, watches: &Watches) -> (Vec<Change>, Duration) {
    let mut changes = Vec::new();
    let began = Instant::now();
    let more = reader.next(watches, &mut changes).await.unwrap();
    assert!(!more, "a few events drain the queue in one read");
    (changes, began.elapsed())
}

fn write(dir: &Path, name: &str) -> Change {
    std::fs::write(dir.join(name), name).unwrap();
    Change::Closed(dir.join(name))
}

#[tokio::test(start_paused = true)]
async fn reads_close_together_rest_and_take_what_came_meanwhile_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let inotify = Inotify::init().unwrap();
    let watches = Watches::new(&inotify, false);
    watches.watch(dir.path(), true).unwrap();
    let mut reader = Reader::new(inotify).unwrap();

    // The clock stands still: each read drains the queue at the same instant.
    let a = write(dir.path(), "a");
    assert_eq!(read(&mut reader, &watches).await, (vec![a], Duration::ZERO));
    let b = write(dir.path(), "b");
    assert_eq!(read(&mut reader, &watches).await, (vec![b], Duration::ZERO));
    // Two drained reads in a row: a burst. The next read rests first, and
    // takes everything that came meanwhile.
    let (c, d) = (write(dir.path(), "c"), write(dir.path(), "d"));
    assert_eq!(read(&mut reader, &watches).await, (vec![c, d], REST));

    // Once the burst is over, a file is read at once.
    tokio::time::advance(Duration::from_secs(1)).await;
    let e = write(dir.path(), "e");
    assert_eq!(read(&mut reader, &watches).await, (vec![e], Duration::ZERO));
}
