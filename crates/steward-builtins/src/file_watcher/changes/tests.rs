//! Reading a real inotify instance: resting in a burst, on a paused clock (how
//! long a read waited is how long the reader rested), and looking at a file in
//! its directory held open.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use inotify::Inotify;
use tokio::time::Instant;

use super::{Change, Located, Reader, join};
use crate::file_watcher::tracker::Observation;
use crate::file_watcher::watches::Watches;

/// How long the readers here rest in a stream.
const REST: Duration = Duration::from_millis(5);

/// A temporary directory, watched, and a reader of its events.
fn watched() -> (tempfile::TempDir, Watches, Reader) {
    watched_resting(REST)
}

/// The same, with a reader that rests for `rest` in a stream.
fn watched_resting(rest: Duration) -> (tempfile::TempDir, Watches, Reader) {
    let dir = tempfile::tempdir().unwrap();
    let inotify = Inotify::init().unwrap();
    let watches = Watches::new(&inotify, false);
    watches.watch(dir.path(), true).unwrap();
    let reader = Reader::new(inotify, rest).unwrap();
    (dir, watches, reader)
}

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
    Change::Closed(Located {
        path: dir.join(name),
        dir: None,
    })
}

#[tokio::test(start_paused = true)]
async fn reads_close_together_rest_and_take_what_came_meanwhile_at_once() {
    let (dir, watches, mut reader) = watched();

    // The clock stands still: each read drains the queue at the same instant.
    for name in ["a", "b", "c"] {
        let file = write(dir.path(), name);
        assert_eq!(
            read(&mut reader, &watches).await,
            (vec![file], Duration::ZERO)
        );
    }
    // Three drained reads in a row: a burst. The next read rests first, and
    // takes everything that came meanwhile.
    let (d, e) = (write(dir.path(), "d"), write(dir.path(), "e"));
    assert_eq!(read(&mut reader, &watches).await, (vec![d, e], REST));
    // Events waited for it: the burst goes on, and the next read rests too.
    let f = write(dir.path(), "f");
    assert_eq!(read(&mut reader, &watches).await, (vec![f], REST));

    // A read that waits for its event ends the burst...
    let pause = REST * 4;
    let later = async {
        tokio::time::sleep(pause).await;
        write(dir.path(), "g")
    };
    let ((changes, waited), g) = tokio::join!(read(&mut reader, &watches), later);
    assert_eq!((changes, waited), (vec![g], pause));
    // ...and the next file is read at once.
    let h = write(dir.path(), "h");
    assert_eq!(read(&mut reader, &watches).await, (vec![h], Duration::ZERO));
}

#[tokio::test(start_paused = true)]
async fn with_no_rest_reads_take_each_event_at_once() {
    let (dir, watches, mut reader) = watched_resting(Duration::ZERO);
    // Reads that drain the queue at the same instant make no stream.
    for name in ["a", "b", "c", "d", "e"] {
        let file = write(dir.path(), name);
        assert_eq!(
            read(&mut reader, &watches).await,
            (vec![file], Duration::ZERO)
        );
    }
}

#[tokio::test]
async fn a_file_is_looked_at_in_its_directory_held_open() {
    let (dir, watches, mut reader) = watched();
    let mut changes = Vec::new();
    std::fs::write(dir.path().join("a"), "a").unwrap();
    reader.next(&watches, &mut changes).await.unwrap();
    let [Change::Closed(file)] = &changes[..] else {
        panic!("one file closed: {changes:?}");
    };
    let open = file.dir.as_ref().expect("the directory is held open").fd();
    let by_name = Observation::in_dir(open, "a".as_ref()).unwrap();
    assert!(by_name.is_some());
    assert_eq!(by_name, Observation::of(&file.path).unwrap());
    // The located file is looked at by the name its path ends with.
    assert_eq!(file.name(), "a");
    assert_eq!(file.look(), Some(by_name));
    // Gone, or not a regular file: nothing, as by path.
    assert_eq!(Observation::in_dir(open, "b".as_ref()).unwrap(), None);
    std::fs::create_dir(dir.path().join("c")).unwrap();
    std::os::unix::fs::symlink("a", dir.path().join("d")).unwrap();
    for name in ["c", "d"] {
        assert_eq!(Observation::in_dir(open, name.as_ref()).unwrap(), None);
        assert_eq!(Observation::of(&dir.path().join(name)).unwrap(), None);
    }
}

#[test]
fn a_name_joins_its_directory_as_path_join_does() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt as _;
    let names = [OsStr::new("a.jpg"), OsStr::from_bytes(b"caf\xe9 .txt")];
    for dir in ["/", "/in", "/in/cam 1"] {
        for name in names {
            assert_eq!(join(Path::new(dir), name), Path::new(dir).join(name));
        }
    }
}
